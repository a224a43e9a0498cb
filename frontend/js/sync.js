/* Sending what is waiting on this phone: now, on reconnect, on next open, by Background Sync;
 * and the badge that says how many entries wait. */
import { state } from "./state.js";

const Queue = self.BetweenQueue;
const syncStatus = document.getElementById("sync-status");

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
