/* The API client: the headers every request needs, one error shape, and what a 401 means.
 *
 * Errors come back as ApiError with {status, code, message, fields}. No network or a
 * timeout is status 0, code "offline", so screens can fall back to what is on the device.
 * A 401 fires "between:unauthorized" on window: the app asks the patient to log in again
 * and keeps the offline queue as it is.
 */
const TIMEOUT_MS = 15000;

export class ApiError extends Error {
  constructor(status, code, message, fields = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
  get offline() { return this.status === 0; }
}

export async function request(method, path, { body, key, timeout = TIMEOUT_MS } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["X-Requested-With"] = "between";
    headers["Content-Type"] = "application/json";
  }
  if (key) headers["Idempotency-Key"] = key;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: "same-origin", signal: controller.signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, "offline", "You seem to be offline. We'll use what is saved on this phone.");
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null; // e.g. an HTML error page from a proxy
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    if (response.status === 401 && path !== "/api/auth/login") {
      window.dispatchEvent(new CustomEvent("between:unauthorized"));
    }
    throw new ApiError(response.status, error.code || "http_" + response.status,
      error.message || "Something went wrong on our side. Please try again in a moment.",
      error.fields || {});
  }
  return data;
}

export const get = (path, opts) => request("GET", path, opts);
export const post = (path, body, opts = {}) => request("POST", path, { ...opts, body });
export const put = (path, body, opts = {}) => request("PUT", path, { ...opts, body });
export const del = (path, body, opts = {}) => request("DELETE", path, { ...opts, body });
