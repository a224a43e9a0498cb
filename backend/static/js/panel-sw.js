/* The panel's service worker: only shows alert pushes (no health data in them) and opens
 * the panel when one is tapped. Nothing is cached. */
"use strict";
const FALLBACK = { title: "Between", body: "A patient reported a symptom that needs your attention.", url: "/panel/" };

self.addEventListener("push", (event) => {
  let payload = FALLBACK;
  try { payload = { ...FALLBACK, ...(event.data ? event.data.json() : {}) }; } catch (err) { payload = FALLBACK; }
  event.waitUntil(self.registration.showNotification(payload.title, {
    body: payload.body, tag: payload.tag || "clinic-alert", data: { url: "/panel/" }, requireInteraction: true,
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => new URL(client.url).pathname.startsWith("/panel/"));
    if (open) { await open.focus().catch(() => null); return; }
    await self.clients.openWindow("/panel/");
  })());
});
