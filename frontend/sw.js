/* Between's service worker.
 *
 * - The app shell (HTML, CSS, JS, icons, exercise pictures) is cached under a versioned name;
 *   a new version installs its own cache and deletes the old ones on activate.
 * - API answers are never served from the shell cache: /api/ goes to the network. Recent
 *   data for offline viewing lives in IndexedDB (js/queue.js), which logout wipes.
 * - Push: shows the notification (a fallback one if the payload is unreadable); a tap
 *   focuses an open window and takes it to the payload's screen, or opens one. When the push
 *   service replaces the subscription, the new one goes to the server from here if it can;
 *   otherwise the app sends it the next time it opens with the patient logged in.
 * - Background Sync sends the offline queue with the same code the page uses.
 */
importScripts("js/queue.js");

const VERSION = "2026-11-23.2";
const SHELL_CACHE = `between-shell-${VERSION}`;
const SHELL = [
  "./", "index.html", "manifest.webmanifest", "css/app.css",
  "js/queue.js", "js/api.js", "js/app.js", "js/dom.js", "js/push.js", "js/state.js", "js/nav.js",
  "js/toast.js", "js/sync.js", "js/session.js",
  "js/screens/today.js", "js/screens/checkin.js", "js/screens/exercise.js",
  "js/screens/progress.js", "js/screens/settings.js", "js/screens/login.js",
  "js/screens/urgent.js", "js/screens/questionnaire.js",
  "vendor/uPlot.iife.min.js", "vendor/uPlot.min.css",
  "icons/icon.svg", "icons/icon-192.png", "icons/icon-512.png", "icons/maskable-512.png",
  "icons/badge-72.png",
];
const EXERCISES = ["piriformis-stretch", "knee-to-chest", "sciatic-nerve-glide", "hamstring-stretch",
  "cat-cow", "childs-pose", "pelvic-tilt", "heat", "ice", "walking-break", "standing-break",
  "posture-sitting"].map((slug) => `exercises/${slug}.svg`);
const SCOPE = new URL("./", self.location).href;
const FALLBACK = { title: "Between", body: "You have a new reminder.", url: "./#/", tag: "between" };

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE)
    .then((cache) => cache.addAll([...SHELL, ...EXERCISES]))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("between-shell-") && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!url.href.startsWith(SCOPE)) return; // /api/ and everything else: the network, untouched
  if (request.mode === "navigate") {
    // The shell is one page; routes are in the hash. Serve it from the cache, offline or not;
    // a new version arrives with a new service worker.
    event.respondWith(caches.match("index.html", { cacheName: SHELL_CACHE })
      .then((cached) => cached || fetch(request)));
    return;
  }
  event.respondWith(caches.match(request, { cacheName: SHELL_CACHE, ignoreSearch: true })
    .then((cached) => cached || fetch(request)));
});

function parsePayload(event) {
  if (!event.data) return FALLBACK;
  try {
    const data = event.data.json();
    return { ...FALLBACK, ...data };
  } catch (err) {
    return FALLBACK; // not JSON: still tell the patient something arrived
  }
}

self.addEventListener("push", (event) => {
  const payload = parsePayload(event);
  const options = {
    body: payload.body, tag: payload.tag, data: { url: payload.url },
    icon: "icons/icon-192.png", badge: "icons/badge-72.png",
  };
  if (String(payload.url).includes("checkin")) options.actions = [{ action: "checkin", title: "Log now" }];
  event.waitUntil(self.registration.showNotification(payload.title, options)
    .catch(() => self.registration.showNotification(FALLBACK.title, { body: FALLBACK.body })));
});

/* Only our own screens: a push payload must not send the patient to another site. */
function targetUrl(raw, action) {
  if (action === "checkin") return new URL("./#/checkin", SCOPE).href;
  try {
    const url = new URL(raw || "./#/", SCOPE);
    if (url.origin === self.location.origin) return url.href;
  } catch (err) {
    // fall through to the home screen
  }
  return SCOPE;
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = targetUrl(event.notification.data && event.notification.data.url, event.action);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => client.url.startsWith(SCOPE));
    if (open) {
      try {
        await open.focus();
      } catch (err) {
        // Focus is refused outside a real tap (e.g. a replayed event): still take it there.
      }
      const target = new URL(url);
      if (target.pathname === new URL(open.url).pathname) {
        open.postMessage({ type: "navigate", hash: target.hash || "#/" }); // same page: just route
      } else if (open.navigate) {
        await open.navigate(url);
      }
      return;
    }
    await self.clients.openWindow(url);
  })());
});

function apiHeaders() {
  return { "Content-Type": "application/json", "X-Requested-With": "between" };
}

function keyToBytes(base64url) {
  const padded = (base64url + "=".repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

/* The push service replaced or dropped this phone's subscription. Get the new one to the
 * server now if we can. Whatever fails here (offline, logged out, no key) is finished by the
 * app the next time it opens with the patient logged in (js/push.js refresh()): it sends the
 * browser's subscription again, or makes a new one if reminders were on and there is none. */
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil((async () => {
    let subscription = event.newSubscription || await self.registration.pushManager.getSubscription();
    if (!subscription) {
      let key = event.oldSubscription && event.oldSubscription.options.applicationServerKey;
      if (!key) {
        const response = await fetch("/api/push/key", { credentials: "same-origin" });
        if (!response.ok) return; // logged out: the app subscribes again at its next open
        key = keyToBytes((await response.json()).public_key);
      }
      subscription = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    }
    const saved = await fetch("/api/push/subscriptions", {
      method: "POST", credentials: "same-origin", headers: apiHeaders(),
      body: JSON.stringify(subscription.toJSON()),
    });
    if (!saved.ok) return; // logged out or refused: the app sends it again at its next open
    if (event.oldSubscription && event.oldSubscription.endpoint !== subscription.endpoint) {
      await fetch("/api/push/subscriptions", {
        method: "DELETE", credentials: "same-origin", headers: apiHeaders(),
        body: JSON.stringify({ endpoint: event.oldSubscription.endpoint }),
      });
    }
  })());
});

async function notifyClients(message) {
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage(message);
}

self.addEventListener("sync", (event) => {
  if (event.tag !== "between-queue") return;
  event.waitUntil((async () => {
    const me = await self.BetweenQueue.loadData("me");
    if (!me || !me.value) return; // nobody logged in: entries wait for a login
    const result = await self.BetweenQueue.flush(me.value.id);
    await notifyClients({ type: "queue-changed" });
    // Still waiting (offline or server trouble): reject so the browser retries the sync later.
    if (result.waiting && !result.unauthorized) throw new Error("queue not empty");
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "logout") {
    // Nothing of the patient's is in the shell cache; drop any other cache all the same.
    event.waitUntil(caches.keys().then((names) => Promise.all(
      names.filter((name) => name !== SHELL_CACHE).map((name) => caches.delete(name)))));
  }
});
