/* Logging in and out on this phone: whose data it keeps, and wiping it on the way out. */
import * as api from "./api.js";
import { navigate } from "./nav.js";
import * as push from "./push.js";
import { state } from "./state.js";
import { flush, updateBadge } from "./sync.js";

const Queue = self.BetweenQueue;

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

export async function loadMe() {
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
export function refreshReminders() {
  push.refresh().catch((err) => console.warn("reminders could not be refreshed", err));
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
export function isLeaving() {
  return leaving;
}

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
