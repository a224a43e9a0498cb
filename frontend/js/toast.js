/* A short message at the bottom of the screen, read out by screen readers. */
const toastEl = document.getElementById("toast");
let toastTimer;

export function toast(message) {
  toastEl.textContent = message;
  toastEl.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toastEl.classList.remove("show"); toastEl.textContent = ""; }, 5000);
}
