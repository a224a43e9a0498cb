/* Settings: reminders and notifications, my data (download, delete my account), log out. */
import * as api from "../api.js";
import { h } from "../dom.js";
import { logout } from "../session.js";
import { myQueue } from "../state.js";
import { toast } from "../toast.js";
import * as push from "../push.js";

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function field(id, label, input) {
  input.id = id;
  return h("div", { class: "field-row" }, h("label", { for: id }, label), input);
}
function toggle(id, label, checked) {
  return h("label", { class: "check", for: id }, h("input", { type: "checkbox", id, checked }), " ", label);
}
const timeInput = (value) => h("input", { type: "time", value: value || "" });

async function notificationsSection() {
  const section = h("section", { class: "card", "aria-labelledby": "push-h" }, h("h2", { id: "push-h" }, "Reminders on this phone"));
  const status = h("p", { role: "status" });
  const support = push.support();
  if (!support.ok) {
    if (support.reason === "ios-install") {
      section.append(h("p", {}, "On iPhone and iPad, reminders only work once Between is on your Home Screen:"),
        h("ol", { class: "steps" }, h("li", {}, "Tap the Share button in Safari."), h("li", {}, "Choose “Add to Home Screen”."), h("li", {}, "Open Between from the Home Screen and come back here.")));
    } else if (support.reason === "denied") {
      section.append(h("p", {}, "Notifications are blocked for this app. You can allow them in your browser's site settings."));
    } else {
      section.append(h("p", {}, "This browser can't show reminders. Try Chrome, Edge, Firefox or Safari."));
    }
    return section;
  }
  let subscription = null;
  try { subscription = await push.current(); } catch (err) { subscription = null; }
  const onOff = h("button", { type: "button", class: "btn primary" });
  const test = h("button", { type: "button", class: "btn" }, "Send me a test");
  const paint = () => {
    onOff.textContent = subscription ? "Turn reminders off on this phone" : "Turn reminders on";
    test.hidden = !subscription;
    status.textContent = subscription ? "Reminders are on for this phone." : "Reminders are off for this phone.";
  };
  onOff.addEventListener("click", async () => {
    onOff.disabled = true;
    try {
      if (subscription) { await push.unsubscribe(); subscription = null; }
      else subscription = await push.subscribe();
    } catch (err) {
      toast(err.message);
    }
    onOff.disabled = false;
    paint();
  });
  test.addEventListener("click", async () => {
    // Say what really happened: "sent" only when a push service took it for this phone.
    try { subscription = await push.current(); } catch (err) { subscription = null; }
    if (!subscription) {
      paint();
      toast("Reminders are off on this phone, so there is nothing to test. Turn them on first.");
      return;
    }
    test.disabled = true;
    try {
      const result = await push.sendTest();
      if (result.sent > 0) toast("Test sent. It should arrive in a moment.");
      else if (result.removed > 0) toast("This phone's reminders had stopped working. Turn them off and on again.");
      else toast("The test could not be delivered just now. Your reminders may not arrive: please try again later.");
    } catch (err) {
      toast(err.message);
    }
    test.disabled = false;
  });
  paint();
  section.append(status, h("div", { class: "row" }, onOff, test));
  return section;
}

async function preferencesSection() {
  const section = h("section", { class: "card", "aria-labelledby": "pref-h" }, h("h2", { id: "pref-h" }, "When to remind me"));
  let prefs;
  try {
    prefs = await api.get("/api/reminders/preferences");
  } catch (err) {
    section.append(h("p", { class: "muted" }, err.offline ? "Reminder times can be changed when you're online." : "Reminder times aren't available right now."));
    return section;
  }
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || prefs.timezone;
  const checkinTime = timeInput(prefs.checkin_time);
  const hwTimes = h("div", { class: "row" }, (prefs.homework_times.length ? prefs.homework_times : ["09:00"]).map((t, i) => {
    const input = timeInput(t);
    input.setAttribute("aria-label", `Homework time ${i + 1}`);
    return input;
  }));
  const addTime = h("button", { type: "button", class: "btn small" }, "Add a time");
  addTime.addEventListener("click", () => {
    if (hwTimes.children.length >= 6) return;
    const input = timeInput("18:00");
    input.setAttribute("aria-label", `Homework time ${hwTimes.children.length + 1}`);
    hwTimes.append(input);
  });
  const days = h("fieldset", { class: "chips" }, h("legend", {}, "On these days"),
    DAYS.map((label, i) => h("label", { class: "chip" }, h("input", { type: "checkbox", name: "days", value: i + 1, checked: prefs.days.includes(i + 1) }), h("span", {}, label))));
  const sitStart = timeInput(prefs.sitting_start);
  const sitEnd = timeInput(prefs.sitting_end);
  const interval = h("select", {}, [30, 45, 60, 90].map((m) => h("option", { value: m, selected: m === prefs.sitting_interval_minutes }, `every ${m} min`)));
  const quietStart = timeInput(prefs.quiet_start);
  const quietEnd = timeInput(prefs.quiet_end);
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "stack", novalidate: true },
    toggle("p-checkin", "Daily check-in", prefs.checkin_enabled), field("p-checkin-time", "Check-in time", checkinTime),
    days,
    toggle("p-homework", "Homework", prefs.homework_enabled), h("p", { class: "field" }, "Homework times"), hwTimes, addTime,
    toggle("p-sitting", "Stand-up breaks while I sit", prefs.sitting_breaks_enabled),
    field("p-sit-start", "From", sitStart), field("p-sit-end", "Until", sitEnd), field("p-interval", "How often", interval),
    toggle("p-appt", "The day before a session", prefs.appointment_enabled),
    field("p-quiet-start", "Quiet from", quietStart), field("p-quiet-end", "Quiet until", quietEnd),
    h("p", { class: "muted" }, `Times are in your time zone: ${tz}.`),
    error, h("button", { type: "submit", class: "btn primary" }, "Save reminder times"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const body = {
      timezone: tz,
      days: Array.from(days.querySelectorAll("input:checked"), (el) => Number(el.value)),
      checkin_enabled: form.querySelector("#p-checkin").checked, checkin_time: checkinTime.value,
      homework_enabled: form.querySelector("#p-homework").checked,
      homework_times: Array.from(hwTimes.querySelectorAll("input"), (el) => el.value).filter(Boolean),
      sitting_breaks_enabled: form.querySelector("#p-sitting").checked,
      sitting_start: sitStart.value, sitting_end: sitEnd.value, sitting_interval_minutes: Number(interval.value),
      appointment_enabled: form.querySelector("#p-appt").checked,
      quiet_start: quietStart.value || null, quiet_end: quietEnd.value || null,
    };
    try {
      await api.put("/api/reminders/preferences", body);
      toast("Reminder times saved.");
    } catch (err) {
      const fields = Object.entries(err.fields || {}).map(([f, m]) => `${f.replace(/_/g, " ")}: ${m}`);
      error.textContent = [err.message, ...fields].join(" ");
    }
  });
  section.append(form);
  return section;
}

/* Change my password: asks the current one; every other phone and computer is logged out. */
function passwordSection() {
  const input = (id, autocomplete) => h("input", { id, type: "password", autocomplete, required: true });
  const current = input("pw-current", "current-password");
  const fresh = input("pw-new", "new-password");
  const again = input("pw-again", "new-password");
  const error = h("p", { class: "error", role: "alert", id: "pw-error" });
  const button = h("button", { type: "submit", class: "btn" }, "Change my password");
  const form = h("form", { class: "stack", novalidate: true },
    h("label", { class: "field", for: "pw-current" }, "Current password"), current,
    h("label", { class: "field", for: "pw-new" }, "New password (at least 10 characters)"), fresh,
    h("label", { class: "field", for: "pw-again" }, "The same new password again"), again,
    error, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!current.value || !fresh.value) { error.textContent = "Please fill in both passwords."; return; }
    if (fresh.value !== again.value) { error.textContent = "The two new passwords are not the same."; return; }
    button.disabled = true;
    try {
      await api.post("/api/auth/password", { current_password: current.value, new_password: fresh.value });
      form.reset();
      toast("Password changed. Other phones and computers were logged out.");
    } catch (err) {
      error.textContent = err.offline ? "You're offline. This needs a connection." : err.message;
    }
    button.disabled = false;
  });
  return h("section", { class: "card", "aria-labelledby": "pw-h" }, h("h2", { id: "pw-h" }, "Password"),
    h("p", { class: "muted" }, "Changing it logs you out on every other phone and computer."), form);
}

function dataSection() {
  const password = h("input", { type: "password", id: "delete-password", autocomplete: "current-password" });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "stack", novalidate: true },
    h("p", {}, "This ends your login, reminders and settings in this app, and gives you a copy of your data. " +
      "What you shared with your clinic (check-ins, alerts, answers, session notes) is part of your clinical record: " +
      "the clinic keeps it for as long as the law asks, then erases it."),
    h("label", { class: "field", for: "delete-password" }, "Your password, to confirm"), password,
    error, h("button", { type: "submit", class: "btn danger" }, "Close my app account"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!password.value) { error.textContent = "Please enter your password."; return; }
    if (!window.confirm("Close your app account? You will not be able to log in again.")) return;
    try {
      const copy = await api.del("/api/me", { password: password.value });
      // The copy of the data comes with the answer: saved before this phone forgets it all.
      const link = h("a", { href: URL.createObjectURL(new Blob([JSON.stringify(copy, null, 2)], { type: "application/json" })),
                            download: "between-my-data.json" });
      document.body.append(link);
      link.click();
      link.remove();
      await logout({ accountDeleted: true });
      toast("Your app account is closed. A copy of your data was downloaded.");
    } catch (err) {
      error.textContent = err.message;
    }
  });
  return h("section", { class: "card", "aria-labelledby": "data-h" },
    h("h2", { id: "data-h" }, "My data"),
    h("p", {}, "Download everything you have entered:"),
    h("div", { class: "row" },
      h("a", { class: "btn", href: "/api/export.csv", download: "between-my-data.csv" }, "Download CSV"),
      h("a", { class: "btn", href: "/api/export.json", download: "between-my-data.json" }, "Download JSON")),
    h("p", {}, h("a", { href: "#/intake" }, "My answers before treatment (health and consent)")),
    h("details", {}, h("summary", {}, "Close my app account"), form));
}

export async function render(root, { state }) {
  // Awaited before anything is drawn, so the screen appears whole.
  const notifications = await notificationsSection();
  const preferences = await preferencesSection();
  root.append(h("h1", {}, "Settings"));
  if (state.me) root.append(h("p", { class: "muted" }, `Logged in as ${state.me.email}${state.me.clinic ? ` · ${state.me.clinic.name}` : ""}`));
  root.append(notifications, preferences, passwordSection(), dataSection());
  const out = h("button", { type: "button", class: "btn big-btn" }, "Log out");
  out.addEventListener("click", async () => {
    const waiting = (await myQueue()).length;
    const others = (await self.BetweenQueue.all()).length - waiting;
    const lost = [];
    if (waiting) lost.push(`${waiting} of your ${waiting === 1 ? "entries has" : "entries have"} not been sent yet and will be lost if you log out.`);
    if (others) lost.push(`Entries saved on this phone for another account will be removed too.`);
    if (lost.length && !window.confirm(`${lost.join(" ")} Log out anyway?`)) return;
    await logout();
  });
  root.append(h("section", { class: "card", "aria-labelledby": "out-h" }, h("h2", { id: "out-h" }, "Log out"),
    h("p", {}, "Logging out removes your entries and progress from this phone."), out));
}
