/* Going to a screen. The router (app.js) registers how a screen is drawn; screens only ask
 * to go somewhere. */
let draw = () => {};

export function setRenderer(fn) {
  draw = fn;
}

/* Draw the current route again (e.g. after logging in or out). */
export function render() {
  return draw();
}

export function navigate(hash) {
  if (location.hash === hash) draw();
  else location.hash = hash;
}
