/* A questionnaire (e.g. the Sciatica Bothersomeness Index), drawn from its data: each item's
 * text, range and anchor labels come from the API. The answers go through the offline queue
 * like a check-in, with the time point that was due when the patient answered; the server
 * scores them. */
import { h } from "../dom.js";
import { navigate } from "../nav.js";
import { getKept, loadMine, myQueue, saveMine } from "../state.js";
import { submit } from "../sync.js";
import { toast } from "../toast.js";
import { answeredHere } from "./today.js";


/* "0 = Not at all bothersome, 3 = Somewhat bothersome, …": only the labelled values. */
function anchors(item) {
  return Object.entries(item.labels || {})
    .filter(([, label]) => label)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([value, label]) => `${value} = ${label}`)
    .join(", ");
}

function itemField(item) {
  const hint = anchors(item);
  const values = [];
  for (let n = item.min; n <= item.max; n += 1) values.push(n);
  return h("fieldset", { class: "scale" },
    h("legend", {}, item.text, hint ? h("span", { class: "hint" }, hint) : null),
    h("div", { class: "scale-row" }, values.map((n) =>
      h("label", { class: "chip num" }, h("input", { type: "radio", name: `q_${item.key}`, value: n }), h("span", {}, n)))));
}

/* Answered: the saved copy no longer says it is due, so Today offline doesn't ask again. */
async function markAnswered(slug) {
  const saved = await loadMine("questionnaires");
  if (!saved) return;
  const items = saved.value.items.map((q) => (q.slug === slug ? { ...q, due: null } : q));
  await saveMine("questionnaires", { ...saved.value, items });
}

export async function render(root, { params }) {
  const slug = params[0];
  const { data } = await getKept("/api/questionnaires", "questionnaires");
  const list = data && data.items;
  const back = h("p", {}, h("a", { href: "#/" }, "← Today"));
  if (!list) {
    root.append(back, h("h1", {}, "Questionnaire"),
      h("p", {}, "You're offline and this questionnaire isn't saved on this phone yet. Please open it again when you're online."));
    return;
  }
  const questionnaire = list.find((q) => q.slug === slug);
  if (!questionnaire) {
    root.append(h("h1", {}, "Questionnaire not found"), h("p", {}, h("a", { href: "#/" }, "Back to Today")));
    return;
  }
  const answered = answeredHere(await myQueue(), slug); // awaited first: the screen appears whole
  root.append(back, h("h1", {}, questionnaire.title), h("p", {}, questionnaire.instructions),
    h("p", { class: "muted" }, "There are no right or wrong answers: tap the number that fits best. Your practitioner sees your answers."));
  if (answered) {
    root.append(h("p", { class: "note" }, "You have answered this already. Your answers are saved on this phone and will be sent when you're online."));
  }

  const errorBox = h("div", { class: "error", role: "alert" });
  const button = h("button", { type: "submit", class: "btn primary big-btn" }, "Send my answers");
  const form = h("form", { class: "checkin", novalidate: true },
    questionnaire.items.map(itemField), errorBox, h("div", { class: "bottom-action" }, button));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answers = {};
    const missing = [];
    for (const item of questionnaire.items) {
      const chosen = form.querySelector(`input[name="q_${item.key}"]:checked`);
      if (chosen) answers[item.key] = Number(chosen.value);
      else missing.push(item.text);
    }
    if (missing.length) {
      errorBox.textContent = `Please answer: ${missing.join("; ")}.`;
      return;
    }
    errorBox.textContent = "";
    button.disabled = true;
    const body = { answers, timepoint: questionnaire.due || "other", completed_at: new Date().toISOString() };
    const result = await submit({ kind: "questionnaire", path: `/api/questionnaires/${encodeURIComponent(slug)}/responses`,
                                  body, label: questionnaire.title });
    await markAnswered(slug);
    if (result.error) toast(`Saved on this phone, but it needs a look: ${result.error.message}`);
    else toast(result.sent ? "Thank you. Your answers are saved." : "Saved on this phone. It will be sent when you're online.");
    navigate("#/");
  });
  root.append(form);
}
