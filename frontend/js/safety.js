/* Safety: the red-flag questions and the clinic's numbers come from the server
 * (GET /api/safety: one vocabulary, never a copy here) and are kept on this phone, so the
 * urgent screens and "When to get help" show at once, offline too. Also the disclaimer
 * (shown once) and Today's safety notices (homework paused, intake to fill in). */
import * as api from "./api.js";
import { h } from "./dom.js";
import { getKept, loadMine, saveMine } from "./state.js";

// Only when this phone has never had the clinic's settings (e.g. logged out).
export const ANY_EMERGENCY_NUMBER = "your local emergency number (999 in the UK, 112 in Europe, 911 in the US, 000 in Australia)";
const URGENT_KEY = "between-urgent"; // what the urgent screen says: {grade, sent, flags}

/* The server's answer (kept for offline), or the kept copy, or null. */
export async function loadSafety() {
  try {
    const { data } = await getKept("/api/safety", "safety");
    return data;
  } catch (err) {
    return keptSafety();
  }
}

/* The copy on this phone only: no waiting for the network. */
export async function keptSafety() {
  try {
    const saved = await loadMine("safety");
    return saved ? saved.value : null;
  } catch (err) {
    return null;
  }
}

export function rememberUrgent(info) { sessionStorage.setItem(URGENT_KEY, JSON.stringify(info)); }
export function urgentInfo() {
  try { return JSON.parse(sessionStorage.getItem(URGENT_KEY)) || null; } catch (err) { return null; }
}

/* The clinic's emergency number as a tel: link, or plain words when it is not known. */
export function emergencyCall(safety, label = "Call") {
  const number = safety && safety.clinic && safety.clinic.emergency_number;
  if (!number) return h("p", { class: "big" }, `Call ${ANY_EMERGENCY_NUMBER}.`);
  return h("a", { class: "btn primary big-btn", href: `tel:${number.replace(/[^0-9+]/g, "")}` }, `${label} ${number}`);
}

function disclaimerCard(safety) {
  const ok = h("button", { type: "button", class: "btn" }, "I understand");
  const card = h("section", { class: "card disclaimer", "aria-labelledby": "disclaimer-h" },
    h("h2", { id: "disclaimer-h" }, "Before you start"),
    h("p", {}, safety.disclaimer), ok);
  ok.addEventListener("click", async () => {
    card.remove();
    await saveMine("safety", { ...safety, disclaimer_seen: true });
    try { await api.post("/api/safety/disclaimer"); } catch (err) { /* shown once more at worst */ }
  });
  return card;
}

/* The notices at the top of Today: homework paused, the intake to fill in, the disclaimer. */
export async function todayNotices(data, queued) {
  const out = [];
  if (data && data.homework_paused) {
    out.push(h("section", { class: "card warn", role: "note", "aria-labelledby": "paused-h" },
      h("h2", { id: "paused-h" }, "Your exercises are paused"),
      h("p", {}, "You reported a symptom that needs a doctor. Your practitioner is notified. Please don't do your exercises until they have looked at it."),
      h("p", {}, h("a", { href: "#/help" }, "When to get help"))));
  }
  const intakeQueued = queued.some((q) => q.kind === "intake");
  if (data && data.intake_due && !intakeQueued) {
    out.push(h("section", { class: "card prompt", "aria-labelledby": "intake-h" },
      h("h2", { id: "intake-h" }, "Before your first session"),
      h("p", {}, "A few questions about you and your health, for your practitioner to read before treating you. About 5 minutes."),
      h("a", { class: "btn primary", href: "#/intake" }, "Answer the questions")));
  }
  const safety = await loadSafety();
  if (safety && !safety.disclaimer_seen) out.push(disclaimerCard(safety));
  return out;
}
