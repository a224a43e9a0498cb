/* Intake: the questions before the first session, drawn from the form the server holds as
 * data (GET /api/intake). Answers go through the offline queue like a check-in. The history
 * questions are for the practitioner to review before treatment: a "yes" here never opens an
 * urgent screen. */
import { h } from "../dom.js";
import { navigate } from "../nav.js";
import { getKept, loadMine, saveMine } from "../state.js";
import { submit } from "../sync.js";
import { toast } from "../toast.js";

function yesno(item, value) {
  const name = `i_${item.key}`;
  const option = (v, label) => h("label", { class: "chip" },
    h("input", { type: "radio", name, value: v, checked: value === (v === "yes") && value !== undefined }), h("span", {}, label));
  return h("fieldset", { class: "yn", "data-key": item.key }, h("legend", {}, item.text),
    h("div", { class: "row" }, option("no", "No"), option("yes", "Yes")));
}

function field(item, answers) {
  const value = answers[item.key];
  const id = `i_${item.key}`;
  if (item.kind === "yesno") return yesno(item, value);
  if (item.kind === "consent") {
    return h("label", { class: "consent" },
      h("input", { type: "checkbox", id, name: id, checked: value === true }), " ", item.text);
  }
  if (item.kind === "choice") {
    return h("fieldset", { class: "chips" }, h("legend", {}, item.text),
      item.options.map(([v, label]) => h("label", { class: "chip" },
        h("input", { type: "radio", name: id, value: v, checked: value === v }), h("span", {}, label))));
  }
  const input = item.kind === "date"
    ? h("input", { type: "date", id, name: id, value: value || "", required: item.required })
    : h("input", { type: "text", id, name: id, value: value || "", maxlength: item.max_length || 1000 });
  return h("div", { class: "field-row" }, h("label", { class: "field", for: id }, item.text + (item.required ? "" : " (optional)")), input);
}

function read(form, items) {
  const answers = {};
  const missing = [];
  for (const item of items) {
    const id = `i_${item.key}`;
    if (item.kind === "yesno") {
      const chosen = form.querySelector(`input[name="${id}"]:checked`);
      if (chosen) answers[item.key] = chosen.value === "yes";
      else missing.push(item.text);
    } else if (item.kind === "consent") {
      answers[item.key] = form.querySelector(`#${id}`).checked;
      if (!answers[item.key]) missing.push(item.text);
    } else if (item.kind === "choice") {
      const chosen = form.querySelector(`input[name="${id}"]:checked`);
      if (chosen) answers[item.key] = chosen.value;
    } else {
      const value = form.querySelector(`#${id}`).value.trim();
      if (value) answers[item.key] = value;
      else if (item.required) missing.push(item.text);
    }
  }
  return { answers, missing };
}

export async function render(root) {
  const back = h("p", {}, h("a", { href: "#/" }, "← Today"));
  const { data } = await getKept("/api/intake", "intake");
  if (!data) {
    root.append(back, h("h1", {}, "Before your first session"),
      h("p", {}, "You're offline and these questions aren't saved on this phone yet. Please open them again when you're online."));
    return;
  }
  const { form: spec } = data;
  const answers = data.answers || {};
  const items = spec.sections.flatMap((s) => s.items);
  root.append(back, h("h1", {}, spec.title), h("p", {}, spec.instructions));
  if (data.submitted_at) root.append(h("p", { class: "note" }, "You have answered these already; you can change your answers here."));
  const errorBox = h("div", { class: "error", role: "alert", tabindex: "-1" });
  const button = h("button", { type: "submit", class: "btn primary big-btn" }, "Send my answers");
  const form = h("form", { class: "intake", novalidate: true },
    spec.sections.map((section) => h("fieldset", { class: "section" },
      h("legend", {}, section.title), section.items.map((item) => field(item, answers)))),
    errorBox, h("div", { class: "bottom-action" }, button));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { answers: body, missing } = read(form, items);
    if (missing.length) {
      errorBox.textContent = `Please answer: ${missing.join("; ")}.`;
      errorBox.scrollIntoView({ block: "center", behavior: "instant" });
      errorBox.focus({ preventScroll: true });
      return;
    }
    errorBox.textContent = "";
    button.disabled = true;
    const result = await submit({ kind: "intake", path: "/api/intake", body: { answers: body }, label: "Intake" });
    const kept = await loadMine("today");
    if (kept) await saveMine("today", { ...kept.value, intake_due: false });
    if (result.error) toast(`Saved on this phone, but it needs a look: ${result.error.message}`);
    else toast(result.sent ? "Thank you. Your practitioner will read your answers." : "Saved on this phone. It will be sent when you're online.");
    navigate("#/");
  });
  root.append(form);
}
