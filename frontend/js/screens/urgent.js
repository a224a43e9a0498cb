/* The urgent-care screen. Plain words, shown at once and offline: it is in the app shell. */
import { h } from "../dom.js";

export async function render(root) {
  const unsent = sessionStorage.getItem("between-urgent-unsent");
  root.classList.add("urgent");
  root.append(...[
    h("h1", {}, "Seek urgent medical care now"),
    h("p", { class: "big" }, "What you told us can be a sign of a serious problem with the nerves in your lower back. It needs a doctor today, not at your next session."),
    h("ul", { class: "steps" },
      h("li", {}, "Call your emergency number now (999 in the UK, 112 in Europe, 911 in the US), or go straight to A&E / the emergency room."),
      h("li", {}, "Tell them about your back and leg symptoms and what you noticed."),
      h("li", {}, "If you can, ask someone to go with you. Don't drive yourself."),
      h("li", {}, "Don't wait to see if it gets better.")),
    h("p", {}, unsent
      ? "Your check-in isn't finished, so your practitioner has not been told yet. Getting care comes first."
      : "Your practitioner is also alerted as soon as your phone is online. This app cannot call for help for you."),
    h("div", { class: "row" },
      h("a", { class: "btn primary big-btn", href: "tel:999" }, "Call 999"),
      h("a", { class: "btn big-btn", href: "tel:112" }, "Call 112"),
      h("a", { class: "btn big-btn", href: "tel:911" }, "Call 911")),
    unsent ? h("p", {}, h("a", { href: "#/checkin" }, "Finish the check-in to alert your practitioner")) : null,
    h("p", {}, h("a", { href: "#/" }, "Back to Today"))].filter(Boolean));
}
