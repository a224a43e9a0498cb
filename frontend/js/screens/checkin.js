/* Check-in: leg and back pain, where, how it feels, sitting, a note, and the red-flag
 * questions. Built for speed: every answer is one tap, the save button sits under the thumb.
 * Any red-flag "yes" opens the urgent-care screen at once, offline too. */
import { h } from "../dom.js";
import { navigate } from "../nav.js";
import { myQueue } from "../state.js";
import { submit } from "../sync.js";
import { toast } from "../toast.js";

const Queue = self.BetweenQueue;
const LOCATIONS = [["lower_back", "Lower back"], ["buttock", "Buttock"], ["thigh", "Back of thigh"], ["calf", "Calf"], ["foot", "Foot"]];
const SIDES = [["left", "Left"], ["right", "Right"], ["both", "Both"]];
const SENSATIONS = [["sharp", "Sharp"], ["burning", "Burning"], ["shooting", "Shooting"], ["tingling", "Tingling"], ["numbness", "Numbness"], ["weakness", "Weakness"]];
const SITTING = [[60, "Under 2 h"], [180, "2–4 h"], [300, "4–6 h"], [420, "6–8 h"], [540, "8 h or more"]];
export const RED_FLAGS = [
  ["bladder_bowel", "New trouble controlling your bladder or bowels, trouble starting to pee, or less feeling when you do?"],
  ["saddle_numbness", "Numbness or pins and needles around your groin, genitals, bottom or inner thighs?"],
  ["both_legs_or_weakness", "Pain in both legs, or leg weakness that is getting worse quickly (for example, your foot drags)?"],
  ["after_trauma", "Did this start after a serious fall or accident?"],
  ["fever", "A fever, or feeling hot and shivery?"],
  ["cancer_history", "Have you ever had cancer?"],
  ["weight_loss", "Have you lost weight without trying?"],
];
const TIMER_KEY = "between-sitting";
const LEG_LOCATIONS = new Set(["thigh", "calf", "foot"]);
const BOTH_LEGS_FLAG = "both_legs_or_weakness";
const BOTH_LEGS_NOTE = "You marked pain in both legs. Pain in both legs can need a doctor quickly, so please answer this question carefully.";

function scale(name, legend, hint) {
  return h("fieldset", { class: "scale" },
    h("legend", {}, legend, h("span", { class: "hint" }, hint)),
    h("div", { class: "scale-row" }, Array.from({ length: 11 }, (_, n) =>
      h("label", { class: "chip num" }, h("input", { type: "radio", name, value: n, required: n === 0 }), h("span", {}, n)))));
}

function chips(name, legend, options, type = "checkbox") {
  return h("fieldset", { class: "chips" }, h("legend", {}, legend),
    options.map(([value, label]) => h("label", { class: "chip" },
      h("input", { type, name, value }), h("span", {}, label))));
}

/* The sitting timer: kept on this phone for today only. */
function timerState() {
  const today = new Date().toDateString();
  let t = null;
  try { t = JSON.parse(localStorage.getItem(TIMER_KEY)); } catch (err) { t = null; }
  if (!t || t.date !== today) t = { date: today, minutes: 0, startedAt: null };
  return t;
}
function timerMinutes(t) {
  const running = t.startedAt ? Math.floor((Date.now() - t.startedAt) / 60000) : 0;
  return t.minutes + running;
}

function sittingSection() {
  const fieldset = chips("sitting", "Time sitting today", SITTING.map(([v, l]) => [String(v), l]), "radio");
  const timerText = h("span", { class: "timer-text" });
  const useTimer = h("label", { class: "chip" }, h("input", { type: "radio", name: "sitting", value: "timer" }), h("span", {}));
  const toggle = h("button", { type: "button", class: "btn" });
  function paint() {
    const t = timerState();
    const m = timerMinutes(t);
    const text = m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
    timerText.textContent = t.startedAt ? `Timer running: ${text} today` : `Sitting timer: ${text} today`;
    toggle.textContent = t.startedAt ? "I stood up" : "I'm sitting down";
    useTimer.hidden = m === 0;
    useTimer.querySelector("span").textContent = `Timer: ${text}`;
    useTimer.querySelector("input").dataset.minutes = String(Math.min(m, 1440));
  }
  toggle.addEventListener("click", () => {
    const t = timerState();
    if (t.startedAt) { t.minutes = timerMinutes(t); t.startedAt = null; } else { t.startedAt = Date.now(); }
    localStorage.setItem(TIMER_KEY, JSON.stringify(t));
    paint();
  });
  paint();
  fieldset.append(useTimer, h("div", { class: "timer" }, timerText, toggle));
  return fieldset;
}

function redFlagSection(onYes) {
  const none = h("button", { type: "button", class: "btn" }, "None of these");
  const fieldset = h("fieldset", { class: "redflags" },
    h("legend", {}, "Safety questions: since your last check-in, have you had any of these?"),
    h("p", { class: "hint" }, "We ask every time, because these need a doctor straight away."),
    none,
    RED_FLAGS.map(([name, question]) => h("fieldset", { class: "yn", id: `rf-${name}`,
      "aria-describedby": name === BOTH_LEGS_FLAG ? "both-legs-note" : null },
      h("legend", {}, question),
      // Filled in when the patient marks both sides and a place in the leg (never answered for them).
      name === BOTH_LEGS_FLAG ? h("p", { class: "note both-legs", id: "both-legs-note" }) : null,
      h("div", { class: "row" },
        h("label", { class: "chip" }, h("input", { type: "radio", name: `rf_${name}`, value: "no" }), h("span", {}, "No")),
        h("label", { class: "chip yes" }, h("input", { type: "radio", name: `rf_${name}`, value: "yes" }), h("span", {}, "Yes"))))));
  none.addEventListener("click", () => {
    for (const input of fieldset.querySelectorAll('input[value="no"]')) input.checked = true;
    none.textContent = "None of these ✓";
  });
  fieldset.addEventListener("change", (event) => {
    if (event.target.value === "yes" && event.target.checked) onYes();
  });
  return fieldset;
}

/* Both sides and the thigh, calf or foot: point the patient to the red-flag question about
 * pain in both legs. A polite live message where they tapped, with a button to go there, and
 * a note on the question itself (its accessible description). */
function bothLegsPointer(form) {
  const pointer = h("div", { class: "both-legs-pointer", "aria-live": "polite" });
  function update() {
    const side = form.querySelector('input[name="side"]:checked');
    const inLeg = Array.from(form.querySelectorAll('input[name="locations"]:checked'))
      .some((el) => LEG_LOCATIONS.has(el.value));
    const both = Boolean(side && side.value === "both" && inLeg);
    const note = form.querySelector("#both-legs-note");
    const wasShown = Boolean(note.textContent);
    note.textContent = both ? BOTH_LEGS_NOTE : "";
    if (both === wasShown) return;
    pointer.replaceChildren();
    if (!both) return;
    const go = h("button", { type: "button", class: "btn small" }, "Go to that question");
    go.addEventListener("click", () => {
      const question = form.querySelector(`#rf-${BOTH_LEGS_FLAG}`);
      question.scrollIntoView({ block: "center", behavior: "instant" });
      question.querySelector("input").focus({ preventScroll: true });
    });
    pointer.append(h("p", { class: "note" },
      "You marked pain in both legs. Please answer the safety question about pain in both legs carefully. ", go));
  }
  form.addEventListener("change", (event) => {
    if (event.target.name === "side" || event.target.name === "locations") update();
  });
  return { pointer, update };
}

function readForm(form, { partial = false } = {}) {
  const value = (name) => { const el = form.querySelector(`input[name="${name}"]:checked`); return el ? el.value : null; };
  const values = (name) => Array.from(form.querySelectorAll(`input[name="${name}"]:checked`), (el) => el.value);
  const missing = [];
  const leg = value("leg_pain");
  const back = value("back_pain");
  if (leg === null) missing.push("leg pain");
  if (back === null) missing.push("back pain");
  const red_flags = {};
  let unanswered = 0;
  for (const [name] of RED_FLAGS) {
    const answer = value(`rf_${name}`);
    if (answer === null) unanswered += 1;
    red_flags[name] = answer === "yes";
  }
  if (unanswered && !partial) missing.push("the safety questions");
  const sittingEl = form.querySelector('input[name="sitting"]:checked');
  let sitting = null;
  if (sittingEl) sitting = Number(sittingEl.value === "timer" ? sittingEl.dataset.minutes : sittingEl.value);
  const note = form.querySelector("textarea").value.trim();
  const body = {
    recorded_at: new Date().toISOString(),
    leg_pain: leg === null ? null : Number(leg), back_pain: back === null ? null : Number(back),
    locations: values("locations"), side: value("side"), sensations: values("sensations"),
    sitting_minutes: sitting, note: note || null, red_flags,
  };
  return { body, missing };
}

function fill(form, body) {
  const check = (name, value) => {
    const el = form.querySelector(`input[name="${name}"][value="${value}"]`);
    if (el) el.checked = true;
  };
  check("leg_pain", body.leg_pain);
  check("back_pain", body.back_pain);
  (body.locations || []).forEach((v) => check("locations", v));
  if (body.side) check("side", body.side);
  (body.sensations || []).forEach((v) => check("sensations", v));
  if (body.sitting_minutes != null) check("sitting", body.sitting_minutes);
  form.querySelector("textarea").value = body.note || "";
  for (const [name] of RED_FLAGS) check(`rf_${name}`, body.red_flags && body.red_flags[name] ? "yes" : "no");
}

export async function render(root) {
  root.append(h("h1", {}, "Check in"));
  root.append(h("p", { class: "muted" }, "Tap what fits right now. You can check in as often as you like."));
  const errorBox = h("div", { class: "error", role: "alert" });
  let saved = false;

  async function save(body) {
    const editing = sessionStorage.getItem("between-edit");
    const result = await submit({ kind: "checkin", path: "/api/checkins", body, label: "Check-in" });
    if (editing) { await Queue.remove(editing); sessionStorage.removeItem("between-edit"); }
    saved = true;
    return result;
  }

  const form = h("form", { class: "checkin", novalidate: true });
  const onYes = async () => {
    if (saved) return;
    const { body } = readForm(form, { partial: true });
    const complete = body.leg_pain !== null && body.back_pain !== null;
    if (complete) sessionStorage.removeItem("between-urgent-unsent");
    else sessionStorage.setItem("between-urgent-unsent", "1");
    // Show the urgent advice first, whatever happens next.
    navigate("#/urgent");
    // Queued now, so the practitioner is alerted as soon as the phone is online.
    if (complete) await save(body);
  };
  const bothLegs = bothLegsPointer(form);
  form.append(
    scale("leg_pain", "Leg pain", "0 = none, 10 = worst imaginable"),
    scale("back_pain", "Back pain", "0 = none, 10 = worst imaginable"),
    chips("locations", "Where do you feel it?", LOCATIONS),
    chips("side", "Which side?", SIDES, "radio"),
    bothLegs.pointer,
    chips("sensations", "How does it feel?", SENSATIONS),
    sittingSection(),
    h("label", { class: "field", for: "note" }, "Note (optional)"),
    h("textarea", { id: "note", name: "note", rows: 2, maxlength: 2000 }),
    redFlagSection(onYes),
    errorBox,
    h("div", { class: "bottom-action" }, h("button", { type: "submit", class: "btn primary big-btn" }, "Save check-in")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { body, missing } = readForm(form);
    if (missing.length) {
      errorBox.textContent = `Please answer: ${missing.join(", ")}.` +
        (missing.includes("the safety questions") ? " Tap “None of these” if none apply." : "");
      return;
    }
    errorBox.textContent = "";
    if (Object.values(body.red_flags).some(Boolean)) { onYes(); return; }
    const result = await save(body);
    if (result.error) toast(`Saved on this phone, but it needs a look: ${result.error.message}`);
    else toast(result.sent ? "Check-in saved. Thank you." : "Saved on this phone. It will be sent when you're online.");
    navigate("#/");
  });
  root.append(form);

  const editing = sessionStorage.getItem("between-edit");
  if (editing) {
    const item = (await myQueue()).find((i) => i.key === editing);
    if (item) {
      fill(form, item.body);
      bothLegs.update();
      root.insertBefore(h("p", { class: "note" }, `Editing an entry that was not accepted: ${item.error ? item.error.message : ""}`), form);
    } else {
      sessionStorage.removeItem("between-edit");
    }
  }
}
