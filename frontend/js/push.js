/* Web push on this device: subscribe (getSubscription, VAPID key, subscribe, POST), unsubscribe.
 * On iPhone, push only works for the app added to the Home Screen (iOS 16.4+), so we say so
 * before asking for permission.
 *
 * Reminders must not stop silently: every time the app opens with the patient logged in,
 * refresh() sends this phone's subscription to the server again (it upserts), and makes a new
 * one if the browser dropped it while reminders were on. Logging out switches them off. */
import * as api from "./api.js";

const SUBSCRIBE_TIMEOUT_MS = 15000;
const SWITCH_OFF_TIMEOUT_MS = 8000;
const WANTED = "between-reminders"; // localStorage: "on" while the patient wants reminders here

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
  // getRegistration, not ready: when Settings is the first screen opened, the worker is not
  // registered yet and ready would never settle (a blank screen).
  const registration = await navigator.serviceWorker.getRegistration();
  return registration && registration.pushManager ? registration.pushManager.getSubscription() : null;
}

async function newSubscription(registration) {
  const { public_key: key } = await api.get("/api/push/key");
  // A browser with no reachable push service can hang here forever: give up after a while.
  return withTimeout(
    registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyToBytes(key) }),
    SUBSCRIBE_TIMEOUT_MS, "The push service did not answer. Please try again later.");
}

export async function subscribe() {
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") throw new Error("Notifications are blocked for this app. You can allow them in your browser settings.");
    subscription = await newSubscription(registration);
  }
  await api.post("/api/push/subscriptions", subscription.toJSON());
  localStorage.setItem(WANTED, "on");
  return subscription;
}

export async function unsubscribe() {
  localStorage.removeItem(WANTED);
  const subscription = await current();
  if (!subscription) return;
  await api.del("/api/push/subscriptions", { endpoint: subscription.endpoint });
  await subscription.unsubscribe();
}

/* On every open with the patient logged in: the server gets this phone's subscription again
 * (it may have been replaced by the push service, or lost on the server). When the browser
 * has none but reminders were on here (pushsubscriptionchange could not finish, e.g. logged
 * out or offline), a new one is made: permission is already granted, so nothing is asked. */
export async function refresh() {
  if (!("serviceWorker" in navigator) || !("PushManager" in self) || !("Notification" in self)) return;
  if (Notification.permission !== "granted") return;
  const registration = await navigator.serviceWorker.ready;
  if (!registration.pushManager) return;
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    if (localStorage.getItem(WANTED) !== "on") return; // switched off on purpose
    subscription = await newSubscription(registration);
  }
  await api.post("/api/push/subscriptions", subscription.toJSON());
  localStorage.setItem(WANTED, "on");
}

async function dropSubscription(tellServer) {
  localStorage.removeItem(WANTED);
  if (!("serviceWorker" in navigator)) return;
  // getRegistration, not ready: ready never settles when no worker was ever registered.
  const registration = await navigator.serviceWorker.getRegistration();
  if (!registration || !registration.pushManager) return;
  const subscription = await registration.pushManager.getSubscription();
  if (!subscription) return;
  if (tellServer) {
    try {
      await api.del("/api/push/subscriptions", { endpoint: subscription.endpoint }, { timeout: 5000 });
    } catch (err) {
      // Offline: the push service refuses the dropped endpoint later and the server forgets it.
    }
  }
  await subscription.unsubscribe();
}

/* Logout (or another account logging in): no more reminders on this phone. Best effort and
 * quick: it never stops the logout, online or off. tellServer=false when the server session
 * is already gone (account deleted, or it belonged to the previous account). */
export async function switchOff({ tellServer = true } = {}) {
  try {
    await withTimeout(dropSubscription(tellServer), SWITCH_OFF_TIMEOUT_MS, "push switch-off timed out");
  } catch (err) {
    console.warn("reminders could not be switched off on this phone", err);
  }
}

export async function sendTest() {
  return api.post("/api/push/test", {});
}
