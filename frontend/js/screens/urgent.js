/* The urgent screens, one per grade of red flag: "go to an emergency department now" and
 * "see a doctor today". Shown at once and offline: the screen is in the app shell and the
 * clinic's numbers and words are kept on this phone. What the patient is told about the
 * practitioner is only what is true: notified (or will be, once online), never a call. */
import { h } from "../dom.js";
import { emergencyCall, keptSafety, urgentInfo } from "../safety.js";

const STATUS = {
  sending: "Sending this to your practitioner…",
  sent: "Your practitioner has been notified. This app cannot call for help for you: please act now.",
  queued: "Your practitioner will be notified as soon as your phone is back online. Don't wait for that: please act now.",
};

function statusLine() {
  const info = urgentInfo();
  const text = info && STATUS[info.status];
  return h("p", { class: "status", role: "status" }, text || "This app cannot call for help for you: please act now.");
}

function emergency(safety) {
  return [
    h("h1", {}, "Go to an emergency department now"),
    h("p", { class: "big" }, "What you told us can be a sign of a serious problem with the nerves in your lower back (cauda equina syndrome). It needs checking in hospital today, not at your next session."),
    h("ul", { class: "steps" },
      h("li", {}, "Go to the nearest emergency department (A&E / ER) now."),
      h("li", {}, "If you cannot get there, call the emergency number."),
      h("li", {}, "Tell them about your back and leg symptoms and what you noticed."),
      h("li", {}, "If you can, ask someone to go with you. Don't drive yourself."),
      h("li", {}, "Don't wait to see if it gets better.")),
    emergencyCall(safety, "Call"),
  ];
}

function sameDay(safety) {
  const advice = safety && safety.clinic && safety.clinic.same_day_advice;
  return [
    h("h1", {}, "See a doctor today"),
    h("p", { class: "big" }, "What you told us needs a doctor to look at it today. It is not usually an emergency, but it should not wait for your next session."),
    h("p", { class: "advice" }, advice || "Contact your doctor's practice today and ask for a same-day appointment."),
    h("p", {}, "If you get new trouble with your bladder or bowels, numbness around your bottom or genitals, or weakness in both legs, go to an emergency department now."),
    h("details", {}, h("summary", {}, "If you cannot get there"), emergencyCall(safety, "Emergency:")),
  ];
}

export async function render(root, { params = [] } = {}) {
  const safety = await keptSafety();
  const grade = params[0] === "same-day" ? "same_day" : "emergency";
  root.classList.add("urgent", grade === "emergency" ? "emergency" : "same-day");
  const status = statusLine();
  const onStatus = () => { if (status.isConnected) status.replaceWith((statusLine())); };
  document.addEventListener("between:urgent-status", onStatus);
  root.append(
    ...(grade === "emergency" ? emergency(safety) : sameDay(safety)),
    status,
    h("p", {}, h("a", { href: "#/help" }, "When to get help")),
    h("p", {}, h("a", { href: "#/" }, "Back to Today")));
}
