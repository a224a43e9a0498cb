"""HTML pages for logging in and for accepting an invite (they work without JavaScript)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from ..access import practitioner_required
from ..mail import mail_configured
from ..models import User
from . import service
from .api import BAD_LOGIN, NO_MAIL, RESET_SENT, TOO_MANY
from .passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

bp = Blueprint("auth", __name__)


def home_for(user: User) -> str:
    return url_for("panel.index") if user.is_practitioner else "/app/"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site, never another host (an open redirect), and nothing that
    could split the Location header (control characters, backslashes)."""
    if not target or any(ord(c) < 32 or c in "\\\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _new_password_problem(user: User, form) -> str | None:
    """The form's new password and its confirmation: what is wrong, in words (the same
    rule as the API's, see passwords.py), or None."""
    password = form.get("password", "")
    if password != form.get("confirm", ""):
        return "The two passwords are not the same."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Please use at most {MAX_PASSWORD_LENGTH} characters."
    return None


@bp.errorhandler(CSRFError)
def bad_token(error: CSRFError):
    """A form without its token on the account pages: log in first, as for any of them;
    a patient is refused as on the panel."""
    if request.path.startswith("/account"):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not current_user.is_practitioner:
            return "These pages are for practitioners.", 403
    return error


def no_store(response):
    """Pages that carry a one-time token must not be kept by any cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    status, headers = 200, {}
    if request.method == "POST":
        try:
            user = service.login(request.form.get("email", ""), request.form.get("password", ""))
        except service.LoginRefused as refused:
            status = 429 if refused.retry_after else 401
            if refused.retry_after:
                headers["Retry-After"] = str(refused.retry_after)
            flash(TOO_MANY if refused.retry_after else BAD_LOGIN)
        else:
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html"), status, headers


@bp.post("/logout")
@login_required
def logout():
    service.logout(current_user._get_current_object())
    return redirect(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str):
    try:
        invite = service.open_invite(token)
    except service.InviteInvalid:
        return no_store(make_response(render_template("auth/invite_invalid.html"), 404))
    error = None
    if request.method == "POST":
        error = _new_password_problem(invite.patient, request.form)
        if error is None:
            try:
                service.accept_invite(token, request.form["password"])
            except service.PasswordRejected as rejected:
                error = str(rejected)
            except service.InviteInvalid:
                return no_store(make_response(render_template("auth/invite_invalid.html"), 404))
            else:
                return redirect("/app/")
    page = render_template(
        "auth/invite.html", patient=invite.patient, error=error, min_length=MIN_PASSWORD_LENGTH
    )
    return no_store(make_response(page, 422 if error else 200))


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    """Ask for a reset link by email; without mail, say what the way back is."""
    if not mail_configured():
        return render_template("auth/forgot.html", no_mail=NO_MAIL)
    if request.method == "POST":
        email = request.form.get("email", "")[:300]
        service.request_reset(email)
        return render_template("auth/forgot.html", sent=RESET_SENT)
    return render_template("auth/forgot.html")


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    """Choose a new password from an emailed link: once, within the hour."""
    try:
        user = service.open_reset(token).user
    except service.ResetInvalid:
        return no_store(make_response(render_template("auth/reset_invalid.html"), 404))
    error = None
    if request.method == "POST":
        error = _new_password_problem(user, request.form)
        if error is None:
            try:
                user = service.reset_password(token, request.form["password"])
            except service.PasswordRejected as rejected:
                error = str(rejected)
            except service.ResetInvalid:
                return no_store(make_response(render_template("auth/reset_invalid.html"), 404))
            else:
                flash("Your new password is set. You were logged out everywhere else.")
                return redirect(home_for(user))
    page = render_template(
        "auth/reset.html", email=user.email, error=error, min_length=MIN_PASSWORD_LENGTH
    )
    return no_store(make_response(page, 422 if error else 200))


@bp.get("/account")
@practitioner_required
def account():
    """The practitioner's own account: password and two-factor login."""
    return render_template("auth/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@practitioner_required
def change_password():
    """The panel's "change my password": asks the current one; other sessions end."""
    error, status = None, 200
    if request.method == "POST":
        user = current_user._get_current_object()
        error = _new_password_problem(user, request.form)
        if error is None:
            try:
                service.change_password(
                    user,
                    request.form.get("current", "")[:MAX_PASSWORD_LENGTH],
                    request.form["password"],
                )
            except service.LoginRefused as refused:
                error = TOO_MANY if refused.retry_after else "Your current password isn't right."
            except service.PasswordRejected as rejected:
                error = str(rejected)
            else:
                flash("Your password is changed. You were logged out everywhere else.")
                return redirect(url_for("panel.index"))
        status = 422
    page = render_template("auth/change_password.html", error=error, min_length=MIN_PASSWORD_LENGTH)
    return page, status


@bp.get("/")
def root():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect("/app/")
