/* Who is logged in on this phone, and what is kept on it for them.
 *
 * A phone may be shared: what is saved on it belongs to one account. Screens read and save
 * through loadMine / saveMine / myQueue, and a login as someone else drops the saved copies
 * of the previous account (their unsent entries wait, hidden, for their next login). */
import * as api from "./api.js";

const Queue = self.BetweenQueue;

export const state = { me: null, needsLogin: false, afterLogin: "#/" };

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
