/* One exercise: the picture, plain steps, the dosage and when to stop. Offline, it comes
 * from the saved homework list, or else from the saved Today (its homework is the same). */
import * as api from "../api.js";
import { dosageText, h } from "../dom.js";
import { loadMine, saveMine } from "../app.js";

async function savedItem(id) {
  const homework = await loadMine("homework");
  const found = homework && homework.value.find((i) => i.id === id);
  if (found) return found;
  const today = await loadMine("today");
  return (today && today.value && (today.value.homework || []).find((i) => i.id === id)) || null;
}

export async function render(root, { params }) {
  const id = Number(params[0]);
  let item = null;
  try {
    const items = (await api.get("/api/homework")).items;
    await saveMine("homework", items);
    item = items.find((i) => i.id === id);
  } catch (err) {
    if (!err.offline) throw err;
    item = await savedItem(id);
  }
  if (!item) {
    root.append(h("h1", {}, "Exercise not found"), h("p", {}, h("a", { href: "#/" }, "Back to Today")));
    return;
  }
  const ex = item.exercise;
  root.append(...[
    h("p", {}, h("a", { href: "#/" }, "← Today")),
    h("h1", {}, ex.name),
    ex.image ? h("img", { class: "illustration", src: ex.image, alt: `Drawing: ${ex.name}`, width: 320, height: 240 }) : null,
    h("p", {}, ex.summary),
    h("p", { class: "dose" }, dosageText(item.dosage)),
    item.note ? h("p", { class: "note" }, `From your practitioner: ${item.note}`) : null,
    h("h2", {}, "How to do it"),
    h("ol", { class: "steps" }, ex.instructions.map((step) => h("li", {}, step))),
    h("h2", {}, "Take care"),
    h("p", {}, ex.caution || "Move gently. Stop and tell your practitioner if pain spreads further down your leg, or if you feel new numbness or weakness."),
    h("div", { class: "bottom-action" }, h("a", { class: "btn primary big-btn", href: "#/" }, "Back to mark it done"))].filter(Boolean));
}
