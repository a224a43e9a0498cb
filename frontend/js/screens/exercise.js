/* One exercise: the picture, plain steps, the dosage and when to stop. Offline, it comes
 * from the saved homework list, or else from the saved Today (its homework is the same). */
import { dosageText, h } from "../dom.js";
import { getKept, loadMine, myQueue } from "../state.js";
import { isPaused, stopNote } from "./today.js";

async function fromSavedToday(id) {
  const today = await loadMine("today");
  return (today && today.value && (today.value.homework || []).find((i) => i.id === id)) || null;
}

export async function render(root, { params }) {
  const id = Number(params[0]);
  const { data, savedAt } = await getKept("/api/homework", "homework");
  let item = data ? data.items.find((i) => i.id === id) : null;
  const fresh = data && !savedAt;
  if (!item && !fresh) item = await fromSavedToday(id); // offline: Today's copy has it too
  if (!item) {
    root.append(h("h1", {}, "Exercise not found"), h("p", {}, h("a", { href: "#/" }, "Back to Today")));
    return;
  }
  const ex = item.exercise;
  const paused = isPaused(item, await myQueue()); // awaited first: the screen appears whole
  root.append(...[
    h("p", {}, h("a", { href: "#/" }, "← Today")),
    h("h1", {}, ex.name),
    paused ? stopNote(ex.name) : null,
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
