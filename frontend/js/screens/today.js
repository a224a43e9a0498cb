/* Today: the next session, a questionnaire when one is due, today's homework with a one-tap
 * "done", and the check-in button. #/homework is this screen, at its homework. */
import { dosageText, formatDate, formatTime, h } from "../dom.js";
import { navigate } from "../nav.js";
import { getKept, myQueue } from "../state.js";
import { submit } from "../sync.js";
import { toast } from "../toast.js";
import { FEELINGS, WORSE_FEELINGS } from "../vocab.js";
import { todayNotices } from "../safety.js";

const Queue = self.BetweenQueue;

export const WORSE_ADVICE = "Stop this exercise for now: your practitioner has been told and will " +
  "look at it. Leave it until they have. If pain spreads further down your leg, or you notice new " +
  "numbness or weakness, contact your practitioner or doctor today.";

/* "Stop this exercise" stays on it until the practitioner has looked: the server says so
 * (paused), and so does a "worse" entry still waiting on this phone to be sent. */
export function isPaused(item, queued) {
  return Boolean(item.paused) || queued.some((q) => q.path === `/api/homework/${item.id}/completions` &&
    q.body && WORSE_FEELINGS.includes(q.body.feeling));
}

export function stopNote(name) {
  return h("p", { class: "note stop" }, h("strong", {}, `${name}: `), WORSE_ADVICE);
}

/* Questionnaires (what is due). Not essential to Today: any trouble just means no card. */
async function loadQuestionnaires() {
  try {
    const { data } = await getKept("/api/questionnaires", "questionnaires");
    return data ? data.items : [];
  } catch (err) {
    return [];
  }
}

/* An answer still on this phone counts as answered: no second prompt for it. */
export function answeredHere(queued, slug) {
  return queued.some((q) => q.kind === "questionnaire" && q.path === `/api/questionnaires/${slug}/responses`);
}

function questionnaireCard(due) {
  return h("section", { class: "card prompt", "aria-labelledby": "q-h" },
    h("h2", { id: "q-h" }, "A few questions for your practitioner"),
    h("p", {}, "Your practitioner asks these at the start, middle and end of your course, to see how things are changing. It takes about a minute."),
    h("div", { class: "stack" }, due.map((q) =>
      h("a", { class: "btn primary", href: `#/questionnaire/${q.slug}` }, `Answer: ${q.title}`))));
}

function sessionCard(data) {
  const card = h("section", { class: "card", "aria-labelledby": "next-h" },
    h("h2", { id: "next-h" }, "Your next session"));
  const appt = data.next_appointment;
  if (appt) {
    card.append(h("p", { class: "big" },
      `${formatDate(appt.starts_at, { weekday: "long", day: "numeric", month: "long" })}, ${formatTime(appt.starts_at)}`));
  } else {
    card.append(h("p", {}, "No session booked yet. Your practitioner will let you know."));
  }
  const course = data.course;
  if (course && course.next_session_number) {
    card.append(h("p", { class: "muted" }, `Session ${course.next_session_number} of ${course.planned_sessions}`));
  } else if (course) {
    card.append(h("p", { class: "muted" }, `${course.attended} of ${course.planned_sessions} sessions done`));
  }
  return card;
}

function homeworkItem(item, pendingCount, paused) {
  const due = item.dosage.times_per_day;
  const done = item.done_today + pendingCount;
  const status = h("p", { class: "muted", "aria-live": "polite" }, `Done ${done} of ${due} today`);
  const name = `feel-${item.id}`;
  const feelings = h("fieldset", { class: "chips small" },
    h("legend", {}, "How did it feel? (optional)"),
    FEELINGS.map(([value, label]) => h("label", { class: "chip" },
      h("input", { type: "radio", name, value }), h("span", {}, label))));
  const button = h("button", { type: "button", class: "btn primary done-btn" }, "Done");
  button.setAttribute("aria-label", `Done: ${item.exercise.name}`);
  button.addEventListener("click", async () => {
    const chosen = feelings.querySelector("input:checked");
    const body = { completed_at: new Date().toISOString() };
    if (chosen) body.feeling = chosen.value;
    button.disabled = true;
    const result = await submit({ kind: "completion", path: `/api/homework/${item.id}/completions`,
                                  body, label: item.exercise.name });
    item.done_today += result.sent ? 1 : 0;
    const waiting = result.sent ? 0 : 1;
    pendingCount += waiting;
    status.textContent = `Done ${item.done_today + pendingCount} of ${due} today`;
    button.disabled = false;
    if (chosen) chosen.checked = false;
    if (result.error) toast(result.error.message);
    else if (WORSE_FEELINGS.includes(body.feeling)) {
      // The advice goes on the exercise and stays there, not in a passing message.
      if (!card.querySelector(".stop")) card.insertBefore(stopNote(item.exercise.name), feelings);
      const note = card.querySelector(".stop");
      note.setAttribute("tabindex", "-1");
      note.focus();
    } else toast(result.sent ? "Well done. Saved." : "Saved on this phone. It will be sent when you're online.");
  });
  const card = h("li", { class: "card homework" },
    h("div", { class: "hw-head" },
      h("img", { src: item.exercise.image || "icons/icon.svg", alt: "", width: 64, height: 64, loading: "lazy" }),
      h("div", {},
        h("h3", {}, h("a", { href: `#/exercise/${item.id}` }, item.exercise.name)),
        h("p", { class: "dose" }, dosageText(item.dosage)),
        status)),
    paused ? stopNote(item.exercise.name) : null, feelings, button);
  return card;
}

function problemList(items) {
  const broken = items.filter((i) => i.status === "error");
  if (!broken.length) return null;
  return h("section", { class: "card warn", "aria-labelledby": "fix-h" },
    h("h2", { id: "fix-h" }, "Entries that need your attention"),
    h("ul", { class: "plain" }, broken.map((item) => {
      const li = h("li", {},
        h("p", {}, `${item.kind === "checkin" ? "Check-in" : item.label || "Homework"} from ${formatDate(item.createdAt)} ${formatTime(item.createdAt)}: ${item.error.message}`));
      const fields = Object.entries(item.error.fields || {});
      if (fields.length) li.append(h("p", { class: "muted" }, fields.map(([f, m]) => `${f}: ${m}`).join("; ")));
      const actions = h("div", { class: "row" });
      if (item.kind === "checkin") {
        actions.append(h("button", { type: "button", class: "btn", onclick: () => {
          sessionStorage.setItem("between-edit", item.key);
          navigate("#/checkin");
        } }, "Edit"));
      }
      actions.append(h("button", { type: "button", class: "btn", onclick: async () => {
        await Queue.remove(item.key);
        li.remove();
        toast("Entry discarded.");
      } }, "Discard"));
      li.append(actions);
      return li;
    })));
}

export async function render(root, { state, hash }) {
  const [{ data, savedAt }, questionnaires] = await Promise.all([
    getKept("/api/today", "today"), loadQuestionnaires()]);
  const queued = await myQueue(); // another account's entries on this phone stay out of sight
  // Everything awaited first, then the screen is built in one go: no half-drawn Today screen.
  const notices = await todayNotices(data, queued);
  const first = state.me ? state.me.display_name.split(" ")[0] : "";
  root.append(h("h1", {}, first ? `Hello, ${first}` : "Today"));
  if (savedAt) root.append(h("p", { class: "note" }, `Offline: showing what was saved ${formatDate(savedAt)} ${formatTime(savedAt)}.`));
  const problems = problemList(queued);
  if (problems) root.append(problems);
  root.append(...notices);
  if (!data) {
    root.append(h("p", {}, "You're offline and nothing is saved on this phone yet. You can still check in: it will be sent later."));
  } else {
    root.append(sessionCard(data));
  }
  const due = questionnaires.filter((q) => q.due && !answeredHere(queued, q.slug));
  if (due.length) root.append(questionnaireCard(due));
  let homeworkHeading = null;
  if (data) {
    homeworkHeading = h("h2", { id: "hw-h" }, "Today's homework");
    const section = h("section", { "aria-labelledby": "hw-h" }, homeworkHeading);
    if (data.homework_paused) {
      section.append(h("p", { class: "muted" }, "Paused until your practitioner has looked at what you reported."));
    } else if (!data.homework.length) {
      section.append(h("p", { class: "muted" }, "No homework for today."));
    } else {
      const pending = (id) => queued.filter((q) => q.status === "pending" && q.path === `/api/homework/${id}/completions`).length;
      section.append(h("ul", { class: "plain" }, data.homework.map((item) =>
        homeworkItem(item, pending(item.id), isPaused(item, queued)))));
    }
    root.append(section);
    if (data.checkins_today) {
      root.append(h("p", { class: "muted" }, `You've checked in ${data.checkins_today} ${data.checkins_today === 1 ? "time" : "times"} today. You can check in again at any time.`));
    }
  }
  root.append(h("div", { class: "bottom-action" },
    h("a", { class: "btn primary big-btn", href: "#/checkin" }, "Check in")));
  // #/homework (a homework reminder): take the patient straight to it.
  if (hash === "#/homework" && homeworkHeading) return { focus: homeworkHeading };
  return null;
}
