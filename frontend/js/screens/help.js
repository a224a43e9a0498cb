/* "When to get help": one tap from every screen (the link in the top bar), offline too.
 * The signs come from the server's red-flag vocabulary kept on this phone; the numbers and
 * same-day advice are the clinic's. */
import { h } from "../dom.js";
import { emergencyCall, keptSafety } from "../safety.js";

function signs(list) {
  return h("ul", {}, list.map((q) => h("li", {}, q.label)));
}

export async function render(root) {
  const safety = await keptSafety();
  const questions = safety && safety.questions;
  const advice = safety && safety.clinic && safety.clinic.same_day_advice;
  root.append(
    h("h1", {}, "When to get help"),
    h("p", {}, "This app supports your care; it does not replace it. Nobody watches it around the clock."),
    h("section", { class: "card danger", "aria-labelledby": "help-now-h" },
      h("h2", { id: "help-now-h" }, "Go to an emergency department now if you have"),
      questions ? signs(questions.emergency) : h("p", {}, "New trouble with your bladder or bowels, numbness around your bottom or genitals, or weakness or numbness in both legs."),
      h("p", {}, "If you cannot get there:"), emergencyCall(safety, "Call")),
    h("section", { class: "card warn", "aria-labelledby": "help-today-h" },
      h("h2", { id: "help-today-h" }, "See a doctor today if you have"),
      questions ? signs(questions.same_day) : h("p", {}, "A fever or feeling unwell, severe pain at night, weight loss you cannot explain, or a new fall."),
      h("p", {}, advice || "Contact your doctor's practice today.")),
    h("section", { class: "card", "aria-labelledby": "help-soon-h" },
      h("h2", { id: "help-soon-h" }, "Tell your practitioner"),
      h("p", {}, "If an exercise makes your pain worse or spread further down your leg, stop it and tell your practitioner. In the check-in, answer the safety questions every time.")),
    h("p", {}, h("a", { href: "#/" }, "Back")));
}
