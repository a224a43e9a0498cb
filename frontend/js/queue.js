/* The offline queue and the on-device data store, in IndexedDB.
 *
 * A classic script (not an ES module) on purpose: the page loads it with <script> and the
 * service worker with importScripts(), so Background Sync runs the very same flush code in
 * every browser that has service workers, module workers or not.
 *
 * Every entry keeps the Idempotency-Key it was given when the patient made it. It is sent
 * again, unchanged, until the server answers: the server stores it once however often it
 * arrives. An entry leaves the queue only after a 2xx. A 5xx, a timeout or no network
 * leaves it waiting; a 401 leaves it waiting and asks the patient to log in again; any
 * other 4xx marks it "needs attention" with the server's message, for the patient to fix
 * or discard: nothing is dropped silently.
 *
 * A phone may be shared. Every entry and every saved copy records whose it is (userId): a
 * flush sends only the given account's entries, and loadData() with a userId returns only
 * that account's copy. Another account's waiting entries stay hidden until they log in again.
 */
(function (global) {
  "use strict";

  const DB_NAME = "between";
  const DB_VERSION = 1;
  const TIMEOUT_MS = 15000;
  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains("queue")) {
            db.createObjectStore("queue", { keyPath: "key" });
          }
          if (!db.objectStoreNames.contains("data")) {
            db.createObjectStore("data"); // recent answers for offline viewing, by name
          }
        };
        request.onsuccess = () => {
          const db = request.result;
          // Another tab deleting the database (logout) must not be blocked by us.
          db.onversionchange = () => { db.close(); opening = null; };
          resolve(db);
        };
        request.onerror = () => { opening = null; reject(request.error); };
      });
    }
    return opening;
  }

  async function tx(store, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      let result;
      const request = work(t.objectStore(store));
      if (request) request.onsuccess = () => { result = request.result; };
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }

  function newKey() {
    if (global.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  const listeners = new Set();
  function changed() {
    listeners.forEach((fn) => { try { fn(); } catch (err) { console.error(err); } });
  }

  /* Queue an entry: {kind: "checkin"|"completion"|"questionnaire", path, body, userId, label}. */
  async function add(entry) {
    const item = Object.assign({
      key: newKey(), method: "POST", createdAt: new Date().toISOString(),
      status: "pending", error: null, attempts: 0,
    }, entry);
    await tx("queue", "readwrite", (s) => s.put(item));
    changed();
    return item;
  }

  async function all() {
    const items = (await tx("queue", "readonly", (s) => s.getAll())) || [];
    return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async function put(item) { await tx("queue", "readwrite", (s) => s.put(item)); changed(); }
  async function remove(key) { await tx("queue", "readwrite", (s) => s.delete(key)); changed(); }

  async function send(item) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      return await fetch(item.path, {
        method: item.method, credentials: "same-origin", signal: controller.signal,
        headers: { "Content-Type": "application/json", "X-Requested-With": "between",
                   "Idempotency-Key": item.key },
        body: JSON.stringify(item.body),
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async function flushLocked(userId) {
    const result = { sent: 0, waiting: 0, failed: 0, unauthorized: false, offline: false };
    if (userId == null) return result; // nobody known to send as: wait for a login
    for (const item of await all()) {
      if (item.status !== "pending" || item.userId !== userId) continue;
      let response;
      try {
        response = await send(item);
      } catch (err) {
        result.offline = true; // no network or timed out: keep it and try later
        break;
      }
      if (response.ok) {
        await remove(item.key);
        result.sent += 1;
        continue;
      }
      if (response.status === 401) { result.unauthorized = true; break; }
      if (response.status >= 500 || response.status === 408 || response.status === 429) {
        item.attempts += 1;
        await put(item);
        break; // the server is struggling: keep the order, try again later
      }
      // Any other 4xx: the entry itself needs the patient's attention.
      let message = "The server could not accept this entry.";
      let fields = {};
      try {
        const body = await response.json();
        if (body && body.error) { message = body.error.message; fields = body.error.fields || {}; }
      } catch (err) {
        // Not JSON (e.g. a proxy's error page): keep the generic message.
      }
      item.status = "error";
      item.error = { status: response.status, message, fields };
      await put(item);
      result.failed += 1;
    }
    for (const item of await all()) {
      if (item.status === "pending" && item.userId === userId) result.waiting += 1;
    }
    return result;
  }

  /* Send what is waiting for this account (userId), in order. Page and service worker may
   * both try at once: a Web Lock serialises them where it exists, and the Idempotency-Key
   * makes a double send harmless where it doesn't. */
  function flush(userId) {
    if (global.navigator && navigator.locks) {
      return navigator.locks.request("between-queue", () => flushLocked(userId));
    }
    return flushLocked(userId);
  }

  /* A copy of an answer for offline viewing, and whose it is. */
  async function saveData(name, value, userId = null) {
    await tx("data", "readwrite", (s) => s.put({ value, userId, savedAt: new Date().toISOString() }, name));
  }
  /* The saved copy; with a userId, only if it is that account's (else null). */
  async function loadData(name, userId) {
    const record = await tx("data", "readonly", (s) => s.get(name));
    if (!record) return null;
    if (userId !== undefined && record.userId !== userId) return null;
    return record;
  }
  /* Another account logs in on this phone: forget every saved copy (the queue stays). */
  async function clearData() { await tx("data", "readwrite", (s) => s.clear()); }

  /* Logout: remove everything this app keeps on the device about the patient. */
  async function wipe() {
    if (opening) {
      const db = await opening.catch(() => null);
      if (db) db.close();
      opening = null;
    }
    await new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      request.onblocked = () => resolve(); // finishes once other tabs close their connection
    });
    changed();
  }

  global.BetweenQueue = {
    add, all, put, remove, flush, saveData, loadData, clearData, wipe, newKey,
    onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); },
  };
})(self);
