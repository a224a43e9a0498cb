/* Tiny helpers to build DOM safely (text, never HTML strings with data in them). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") el.className = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "text") el.textContent = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

/* Move focus to a screen's heading so screen readers announce the new screen. */
export function focusHeading(root) {
  const heading = root.querySelector("h1");
  if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
}

export function formatDate(iso, opts = { weekday: "short", day: "numeric", month: "short" }) {
  return new Date(iso).toLocaleDateString(undefined, opts);
}

export function formatTime(iso) {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

export function dosageText(d) {
  const parts = [];
  if (d.sets && d.reps) parts.push(`${d.sets} × ${d.reps}`);
  else if (d.reps) parts.push(`${d.reps} times`);
  if (d.hold_seconds) parts.push(`hold ${d.hold_seconds} s`);
  parts.push(d.times_per_day === 1 ? "once a day" : `${d.times_per_day} times a day`);
  if (d.days_per_week < 7) parts.push(`${d.days_per_week} days a week`);
  return parts.join(" · ");
}
