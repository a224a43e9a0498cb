/* The app: routes (hash based: /app/#/checkin), who is logged in, the offline queue's badge,
 * and when to send what is waiting (now, on reconnect, on next open, by Background Sync).
 *
 * A phone may be shared: what is saved on it belongs to one account. Screens read and save
 * through loadMine / saveMine / myQueue, and a login as someone else drops the saved copies
 * of the previous account (their unsent entries wait, hidden, for their next login). */
import * as api from "./api.js";
import { clear, focusHeading, h } from "./dom.js";
import * as push from "./push.js";
import * as today from "./screens/today.js";
import * as checkin from "./screens/checkin.js";
import * as exercise from "./screens/exercise.js";
import * as progress from "./screens/progress.js";
import * as settings from "./screens/settings.js";
import * as login from "./screens/login.js";
import * as urgent from "./screens/urgent.js";
import * as questionnaire from "./screens/questionnaire.js";

const Queue = self.BetweenQueue;
const main = document.getElementById("main");
const nav = document.querySelector("nav.tabs");
const syncStatus = document.getElementById("sync-status");
const toastEl = document.getElementById("toast");

export const state = { me: null, needsLogin: false, afterLogin: "#/" };

const ROUTES = [
  [/^#\/?$/, today, "today"],
  [/^#\/homework$/, today, "today"], // Today, at its homework (reminders link here)
  [/^#\/checkin$/, checkin, "checkin"],
  [/^#\/exercise\/(\d+)$/, exercise, "today"],
  [/^#\/questionnaire\/([a-z0-9-]+)$/, questionnaire, "today"],
  [/^#\/progress$/, progress, "progress"],
  [/^#\/settings$/, settings, "settings"],
  [/^#\/urgent$/, urgent, null],
  [/^#\/login$/, login, null],
];
// Screens that work without an account on this device: the urgent advice must always show.
const OPEN_SCREENS = new Set([urgent, login]);

let toastTimer;
export function toast(message) {
  toastEl.textContent = message;
  toastEl.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toastEl.classList.remove("show"); toastEl.textContent = ""; }, 5000);
}

export function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

/* What this phone keeps for the patient who is logged in, and only theirs. */
export function saveMine(name, value) {
  return state.me ? Queue.saveData(name, value, state.me.id) : Promise.resolve();
}
export async function loadMine(name) {
  return state.me ? Queue.loadData(name, state.me.id) : null;
}
/* An API answer, kept on this phone for offline viewing; offline, the kept copy instead.
 * {data, savedAt}: savedAt is when the copy was kept (null for a fresh answer); data is null
 * offline when nothing was kept. Any other error is the caller's. */
export async function getKept(path, name) {
  try {
    const data = await api.get(path);
    await saveMine(name, data);
    return { data, savedAt: null };
  } catch (err) {
    if (!err.offline) throw err;
    const saved = await loadMine(name);
    return { data: saved ? saved.value : null, savedAt: saved ? saved.savedAt : null };
  }
}
export async function myQueue() {
  if (!state.me) return [];
  return (await Queue.all()).filter((item) => item.userId === state.me.id);
}

/* Queue an entry and try to send it at once. Returns true when the server has it. */
export async function submit(entry) {
  const item = await Queue.add({ ...entry, userId: state.me && state.me.id });
  await flush();
  const left = (await Queue.all()).find((i) => i.key === item.key);
  if (left) requestBackgroundSync();
  return { item, sent: !left, error: left && left.error };
}

let flushing = null;
export function flush() {
  if (!state.me || state.needsLogin) return Promise.resolve();
  if (!flushing) {
    flushing = Queue.flush(state.me.id)
      .then((result) => {
        if (result.unauthorized) window.dispatchEvent(new CustomEvent("between:unauthorized"));
        if (result.sent) document.dispatchEvent(new CustomEvent("between:synced"));
        return result;
      })
      .catch((err) => console.error("queue flush failed", err))
      .finally(() => { flushing = null; updateBadge(); });
  }
  return flushing;
}

async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) await registration.sync.register("between-queue");
  } catch (err) {
    // No Background Sync here (Safari, Firefox): the online event and next open cover it.
  }
}

export async function updateBadge() {
  let items = [];
  try { items = await Queue.all(); } catch (err) { items = []; }
  const mine = items.filter((i) => state.me && i.userId === state.me.id);
  const waiting = mine.filter((i) => i.status === "pending").length;
  const broken = mine.filter((i) => i.status === "error").length;
  const parts = [];
  if (waiting) parts.push(`${waiting} ${waiting === 1 ? "entry" : "entries"} waiting to send`);
  if (broken) parts.push(`${broken} ${broken === 1 ? "needs" : "need"} your attention`);
  if (!navigator.onLine) parts.unshift("Offline");
  syncStatus.textContent = parts.join(" · ");
  syncStatus.classList.toggle("warn", Boolean(waiting || broken || !navigator.onLine));
}

/* Whoever the server says is logged in now. If the phone's saved data is another account's,
 * drop it first: saved screens, the sitting timer, and that account's reminders here. */
async function adopt(me) {
  const saved = await Queue.loadData("me").catch(() => null);
  if (saved && saved.value && saved.value.id !== me.id) {
    await Queue.clearData();
    localStorage.clear();
    sessionStorage.clear();
    await push.switchOff({ tellServer: false }); // that subscription was the other account's
  }
  state.me = me;
  state.needsLogin = false;
  await Queue.saveData("me", me, me.id);
}

async function loadMe() {
  try {
    await adopt(await api.get("/api/me"));
  } catch (err) {
    const saved = await Queue.loadData("me").catch(() => null);
    state.me = saved && (err.offline || err.status === 401) ? saved.value : null;
    // The session ended while the app was closed: the same "log in again" as mid-use.
    state.needsLogin = Boolean(state.me) && !err.offline;
  }
}

/* Reminders keep working: the server gets this phone's subscription again on each open. */
function refreshReminders() {
  push.refresh().catch((err) => console.warn("reminders could not be refreshed", err));
}

let renderCount = 0;
export async function render() {
  const hash = location.hash || "#/";
  let match = null;
  for (const [pattern, screen, tab] of ROUTES) {
    const m = hash.match(pattern);
    if (m) { match = { screen, tab, params: m.slice(1) }; break; }
  }
  if (!match) match = { screen: today, tab: "today", params: [] };
  if ((!state.me || state.needsLogin) && !OPEN_SCREENS.has(match.screen)) {
    state.afterLogin = hash;
    match = { screen: login, tab: null, params: [] };
  }
  nav.hidden = !state.me || state.needsLogin || match.screen === login;
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.tab === match.tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const count = ++renderCount;
  const root = h("div", { class: "screen" });
  clear(main).append(root);
  main.setAttribute("aria-busy", "true");
  let shown = null;
  try {
    // A screen may return {focus: element}: the part of it this route is about.
    shown = await match.screen.render(root, { params: match.params, state, hash });
  } catch (err) {
    console.error(err);
    root.append(h("p", { class: "error", role: "alert" }, "Sorry, this screen could not be shown. Please try again."));
  }
  if (count === renderCount) {
    main.removeAttribute("aria-busy");
    const target = shown && shown.focus;
    if (target && target.isConnected) {
      target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: "start", behavior: "instant" });
    } else {
      if (count > 1) focusHeading(root);
      window.scrollTo(0, 0);
    }
  }
}

export async function afterLogin(me) {
  const previous = state.me;
  await adopt(me);
  flush();
  refreshReminders();
  // Where the previous account was going is not where this one goes.
  const switched = previous && previous.id !== me.id;
  const target = !switched && state.afterLogin && state.afterLogin !== "#/login" ? state.afterLogin : "#/";
  navigate(target);
}

let leaving = false; // logging out: a 401 on the way out is expected, not "log in again"

/* Logout: switch reminders off for this phone, tell the server, then remove every trace of
 * health data from this device. Offline, the wipe still happens. accountDeleted: the server
 * session is already gone, so only the local side is done. */
export async function logout({ accountDeleted = false } = {}) {
  leaving = true;
  await push.switchOff({ tellServer: !accountDeleted });
  if (!accountDeleted) {
    try {
      await api.post("/api/auth/logout");
    } catch (err) {
      // Offline or already logged out: the local wipe below is what protects the device.
    }
  }
  await Queue.wipe();
  if (self.caches) {
    for (const name of await caches.keys()) {
      if (!name.startsWith("between-shell-")) await caches.delete(name);
    }
  }
  localStorage.clear();
  sessionStorage.clear();
  if (navigator.serviceWorker && navigator.serviceWorker.controller) {
    navigator.serviceWorker.controller.postMessage({ type: "logout" });
  }
  state.me = null;
  state.needsLogin = false;
  state.afterLogin = "#/";
  leaving = false;
  updateBadge();
  navigate("#/login");
}

window.addEventListener("between:unauthorized", () => {
  if (!state.me || state.needsLogin || leaving) return;
  state.needsLogin = true;
  state.afterLogin = location.hash || "#/";
  toast("Please log in again. Entries saved on this phone are kept.");
  render();
});
window.addEventListener("hashchange", render);
window.addEventListener("online", () => { updateBadge(); flush(); });
window.addEventListener("offline", updateBadge);
Queue.onChange(updateBadge);

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.addEventListener("message", (event) => {
    const data = event.data || {};
    if (data.type === "queue-changed") { updateBadge(); document.dispatchEvent(new CustomEvent("between:synced")); }
    if (data.type === "navigate" && typeof data.hash === "string") navigate(data.hash);
  });
}

async function start() {
  await loadMe();
  await render();
  updateBadge();
  flush(); // entries left from last time go now
  // Registered after the first screen is up, so precaching never competes with it.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js", { scope: "./" }).catch((err) => console.error("service worker", err));
  }
  if (state.me && !state.needsLogin && navigator.onLine) refreshReminders();
}

start();
