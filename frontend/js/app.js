/* The app: routes (hash based: /app/#/checkin), who is logged in, the offline queue's badge,
 * and when to send what is waiting (now, on reconnect, on next open, by Background Sync). */
import * as api from "./api.js";
import { clear, focusHeading, h } from "./dom.js";
import * as today from "./screens/today.js";
import * as checkin from "./screens/checkin.js";
import * as exercise from "./screens/exercise.js";
import * as progress from "./screens/progress.js";
import * as settings from "./screens/settings.js";
import * as login from "./screens/login.js";
import * as urgent from "./screens/urgent.js";

const Queue = self.BetweenQueue;
const main = document.getElementById("main");
const nav = document.querySelector("nav.tabs");
const syncStatus = document.getElementById("sync-status");
const toastEl = document.getElementById("toast");

export const state = { me: null, needsLogin: false, afterLogin: "#/" };

const ROUTES = [
  [/^#\/?$/, today, "today"],
  [/^#\/checkin$/, checkin, "checkin"],
  [/^#\/exercise\/(\d+)$/, exercise, "today"],
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
  const mine = items.filter((i) => !state.me || i.userId === state.me.id);
  const waiting = mine.filter((i) => i.status === "pending").length;
  const broken = mine.filter((i) => i.status === "error").length;
  const parts = [];
  if (waiting) parts.push(`${waiting} ${waiting === 1 ? "entry" : "entries"} waiting to send`);
  if (broken) parts.push(`${broken} ${broken === 1 ? "needs" : "need"} your attention`);
  if (!navigator.onLine) parts.unshift("Offline");
  syncStatus.textContent = parts.join(" · ");
  syncStatus.classList.toggle("warn", Boolean(waiting || broken || !navigator.onLine));
}

async function loadMe() {
  try {
    state.me = await api.get("/api/me");
    state.needsLogin = false;
    await Queue.saveData("me", state.me);
  } catch (err) {
    if (err.offline) {
      const saved = await Queue.loadData("me").catch(() => null);
      state.me = saved ? saved.value : null;
    } else {
      state.me = null;
    }
  }
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
  try {
    await match.screen.render(root, { params: match.params, state });
  } catch (err) {
    console.error(err);
    root.append(h("p", { class: "error", role: "alert" }, "Sorry, this screen could not be shown. Please try again."));
  }
  if (count === renderCount) {
    main.removeAttribute("aria-busy");
    if (count > 1) focusHeading(root);
    window.scrollTo(0, 0);
  }
}

export async function afterLogin(me) {
  state.me = me;
  state.needsLogin = false;
  await Queue.saveData("me", me);
  flush();
  const target = state.afterLogin && state.afterLogin !== "#/login" ? state.afterLogin : "#/";
  navigate(target);
}

/* Logout: tell the server, then remove every trace of health data from this device. */
export async function logout() {
  try {
    await api.post("/api/auth/logout");
  } catch (err) {
    // Offline or already logged out: the local wipe below is what protects the device.
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
  state.afterLogin = "#/";
  updateBadge();
  navigate("#/login");
}

window.addEventListener("between:unauthorized", () => {
  if (!state.me || state.needsLogin) return;
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
}

start();
