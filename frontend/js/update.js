/* "A new version is ready": a newer service worker has installed and waits. A tap on Reload
 * lets it take over and reloads the page once it has; the app never reloads on its own, so
 * nothing the patient is typing is lost. */
const banner = document.getElementById("update");

export function watch(registration) {
  let reloading = false;
  const offer = (worker) => {
    banner.hidden = false;
    banner.querySelector("button").onclick = () => {
      reloading = true;
      worker.postMessage({ type: "skip-waiting" });
    };
  };
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloading) location.reload(); // only after the tap: the first install takes over silently
  });
  const follow = (worker) => {
    if (!worker) return;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
    });
  };
  if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
  follow(registration.installing); // the check made when this page opened may be under way
  registration.addEventListener("updatefound", () => follow(registration.installing));
  // A phone app stays open for days: look for a new version whenever it comes back to view.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") registration.update().catch(() => {});
  });
}
