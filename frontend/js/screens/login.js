/* Log in. When the session ran out, entries saved on the phone wait for the new login. */
import * as api from "../api.js";
import { h } from "../dom.js";
import { afterLogin } from "../session.js";
import { myQueue, state } from "../state.js";

export async function render(root) {
  // Only the entries of whoever was logged in here: they are sent when that account logs in.
  // Awaited before anything is drawn, so the screen appears whole.
  const waiting = (await myQueue().catch(() => [])).length;
  root.append(h("h1", {}, state.needsLogin ? "Please log in again" : "Log in to Between"));
  if (waiting) {
    root.append(h("p", { class: "note" }, `${waiting} ${waiting === 1 ? "entry is" : "entries are"} saved on this phone and will be sent after you log in.`));
  }
  const error = h("p", { class: "error", role: "alert", id: "login-error" });
  const email = h("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true, "aria-describedby": "login-error" });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  if (state.me && state.me.email) email.value = state.me.email;
  const remember = h("input", { id: "remember", name: "remember", type: "checkbox", checked: true });
  const button = h("button", { type: "submit", class: "btn primary big-btn" }, "Log in");
  const form = h("form", { class: "stack", novalidate: true },
    h("label", { class: "field", for: "email" }, "Email"), email,
    h("label", { class: "field", for: "password" }, "Password"), password,
    h("label", { class: "check", for: "remember" }, remember, " Keep me logged in on this phone"),
    error, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!email.value || !password.value) { error.textContent = "Please enter your email and password."; return; }
    button.disabled = true;
    try {
      const me = await api.post("/api/auth/login", { email: email.value, password: password.value, remember: remember.checked });
      await afterLogin(me);
    } catch (err) {
      error.textContent = err.offline ? "You're offline. Logging in needs a connection." : err.message;
      button.disabled = false;
    }
  });
  root.append(form, forgotSection(email), h("p", { class: "muted" }, "New here? Use the invite link from your practitioner to set your password."));
}

/* "Forgot your password?": asks for a link by email. The server answers the same whether
 * or not the address has an account; without email it says to ask for a new invite link. */
function forgotSection(loginEmail) {
  const status = h("p", { role: "status", id: "forgot-status" });
  const email = h("input", { id: "forgot-email", name: "email", type: "email", autocomplete: "username", required: true });
  const send = h("button", { type: "submit", class: "btn" }, "Send me a link");
  const form = h("form", { class: "stack", novalidate: true, hidden: true },
    h("label", { class: "field", for: "forgot-email" }, "Your login address"), email, send);
  const open = h("button", { type: "button", class: "btn small", "aria-expanded": "false" }, "Forgot your password?");
  open.addEventListener("click", () => {
    form.hidden = !form.hidden;
    open.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) { email.value = email.value || loginEmail.value; email.focus(); }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    if (!email.value) { status.textContent = "Please enter your email."; return; }
    send.disabled = true;
    try {
      const answer = await api.post("/api/auth/forgot", { email: email.value });
      status.textContent = answer.message;
      if (answer.mail_configured) form.hidden = true;
    } catch (err) {
      status.textContent = err.offline ? "You're offline. This needs a connection." : err.message;
    }
    send.disabled = false;
  });
  return h("div", { class: "forgot" }, open, form, status);
}
