// Small comforts for the practitioner panel; every page works without this file.
"use strict";

document.addEventListener("click", (event) => {
  const print = event.target.closest("[data-print]");
  if (print) {
    window.print();
    return;
  }
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const field = document.querySelector(copy.dataset.copy);
    field.select();
    navigator.clipboard?.writeText(field.value).then(() => { copy.textContent = "Copied"; });
  }
});

// Choosing an exercise fills in its default dosage (the practitioner can still change it).
document.querySelectorAll("[data-dosage-source]").forEach((select) => {
  select.addEventListener("change", () => {
    const option = select.selectedOptions[0];
    const form = select.form;
    for (const name of ["sets", "reps", "hold_seconds", "times_per_day", "days_per_week"]) {
      form.elements[name].value = option.dataset[name] || "";
    }
  });
});

// "Notify me in this browser": alerts about patients arrive as a push (no health data).
// The button only shows where the browser can do it; the panel and the email work without.
(function alertsInThisBrowser() {
  const button = document.querySelector("[data-push-subscribe]");
  if (!button || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  const status = document.querySelector("[data-push-status]");
  const say = (text) => { if (status) status.textContent = text; };
  const headers = { "Content-Type": "application/json", "X-Requested-With": "between" };
  const toBytes = (b64) => {
    const padded = (b64 + "=".repeat((4 - (b64.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  };
  button.hidden = false;
  navigator.serviceWorker.register("/panel/sw.js", { scope: "/panel/" }).then(async (registration) => {
    if (await registration.pushManager.getSubscription()) say("Alerts come to this browser too.");
  }).catch(() => { button.hidden = true; });
  button.addEventListener("click", async () => {
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        say("Notifications are blocked in this browser; you still get the email and the panel.");
        return;
      }
      const registration = await navigator.serviceWorker.ready;
      let subscription = await registration.pushManager.getSubscription();
      if (!subscription) {
        const key = await (await fetch("/api/panel/push/key", { credentials: "same-origin" })).json();
        subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: toBytes(key.public_key) });
      }
      const saved = await fetch("/api/panel/push/subscriptions", {
        method: "POST", credentials: "same-origin", headers, body: JSON.stringify(subscription.toJSON()),
      });
      say(saved.ok ? "Alerts come to this browser too." : "This browser could not be set up for alerts.");
    } catch (err) {
      say("This browser could not be set up for alerts.");
    }
  });
})();
