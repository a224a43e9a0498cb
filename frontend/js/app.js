/* The app: wires the parts together. Routes (hash based: /app/#/checkin) and drawing the
 * screen for one; who is logged in (session.js, state.js); the offline queue's badge and when
 * to send what is waiting (sync.js). Screens import those small modules, never this one. */
import { clear, focusHeading, h } from "./dom.js";
import { navigate, setRenderer } from "./nav.js";
import { isLeaving, loadMe, refreshReminders } from "./session.js";
import { state } from "./state.js";
import { flush, updateBadge } from "./sync.js";
import { toast } from "./toast.js";
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

let renderCount = 0;
async function render() {
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

setRenderer(render);

window.addEventListener("between:unauthorized", () => {
  if (!state.me || state.needsLogin || isLeaving()) return;
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
