/* Web push on this device: subscribe (getSubscription, VAPID key, subscribe, POST), unsubscribe.
 * On iPhone, push only works for the app added to the Home Screen (iOS 16.4+), so we say so
 * before asking for permission. */
import * as api from "./api.js";

const SUBSCRIBE_TIMEOUT_MS = 15000;

export function isIos() {
  const ua = navigator.userAgent;
  return /iPad|iPhone|iPod/.test(ua) || (ua.includes("Macintosh") && navigator.maxTouchPoints > 1);
}

export function isStandalone() {
  return navigator.standalone === true || matchMedia("(display-mode: standalone)").matches;
}

export function support() {
  const hasApi = "serviceWorker" in navigator && "PushManager" in self && "Notification" in self;
  if (isIos() && !isStandalone()) return { ok: false, reason: "ios-install" };
  if (!hasApi) return { ok: false, reason: "unsupported" };
  if (Notification.permission === "denied") return { ok: false, reason: "denied" };
  return { ok: true };
}

export function keyToBytes(base64url) {
  const padded = (base64url + "=".repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function current() {
  if (!("serviceWorker" in navigator)) return null;
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager ? registration.pushManager.getSubscription() : null;
}

export async function subscribe() {
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") throw new Error("Notifications are blocked for this app. You can allow them in your browser settings.");
    const { public_key: key } = await api.get("/api/push/key");
    // A browser with no reachable push service can hang here forever: give up after a while.
    subscription = await withTimeout(
      registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyToBytes(key) }),
      SUBSCRIBE_TIMEOUT_MS, "The push service did not answer. Please try again later.");
  }
  await api.post("/api/push/subscriptions", subscription.toJSON());
  return subscription;
}

export async function unsubscribe() {
  const subscription = await current();
  if (!subscription) return;
  await api.del("/api/push/subscriptions", { endpoint: subscription.endpoint });
  await subscription.unsubscribe();
}

export async function sendTest() {
  return api.post("/api/push/test", {});
}
