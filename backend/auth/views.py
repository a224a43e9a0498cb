"""HTML pages for logging in and for accepting an invite (they work without JavaScript)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy import select

from ..access import practitioner_required
from ..extensions import db, login_manager
from ..mail import mail_configured
from ..models import Role, User
from ..panel.forms import Form
from . import service, two_factor
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
    reader = Form(form)  # the one form reader: passwords as typed, lengths, NULs
    password = reader.password("password", "Password", MAX_PASSWORD_LENGTH)
    confirm = reader.password("confirm", "Confirm", MAX_PASSWORD_LENGTH)
    if reader.errors:
        return f"Please use at most {MAX_PASSWORD_LENGTH} characters, and no NUL character."
    if password != confirm:
        return "The two passwords are not the same."
    return None


@bp.errorhandler(CSRFError)
def bad_token(error: CSRFError):
    """A form without its token on the account pages: log in first, as for any of them;
    a patient is refused as on the panel."""
    if request.path.startswith("/account"):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
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
        form = Form()  # the one form reader (backend/panel/forms.py): lengths, NULs
        email = form.text("email", "Email", 320)
        password = form.password("password", "Password")
        try:
            if form.errors:
                raise service.LoginRefused()
            user = service.login(email, password)
        except service.LoginRefused as refused:
            status = 429 if refused.retry_after else 401
            if refused.retry_after:
                headers["Retry-After"] = str(refused.retry_after)
            flash(TOO_MANY if refused.retry_after else BAD_LOGIN)
        except service.SecondFactorNeeded:
            return redirect(url_for("auth.login_code", next=_safe_next(request.args.get("next"))))
        else:
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html"), status, headers


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step of a login: a code from the authenticator app or a recovery code."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    if not service.has_pending_login():
        flash("Please log in again.")
        return redirect(url_for("auth.login"))
    status, headers, error = 200, {}, None
    if request.method == "POST":
        try:
            user = service.finish_login(request.form.get("code", ""))
        except service.LoginRefused as refused:
            status = 429 if refused.retry_after else 401
            if refused.retry_after:
                headers["Retry-After"] = str(refused.retry_after)
            error = TOO_MANY if refused.retry_after else "That code isn't right. Try the next one."
        else:
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login_code.html", error=error), status, headers


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
                if service.second_factor_on(user):
                    flash("Your new password is set. Log in with it and your code.")
                    return redirect(url_for("auth.login"))
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
    return redirect(url_for("auth.two_factor_page"))


def _team() -> list[User]:
    """The clinic's practitioners, for its owner (who resets lost second factors)."""
    if not current_user.is_owner:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.clinic_id == current_user.clinic_id,
                User.role == Role.PRACTITIONER,
                User.id != current_user.id,
            )
            .order_by(User.display_name)
        )
    )


def _two_factor_page(status: int = 200, **extra):
    user = current_user._get_current_object()
    page = render_template(
        "auth/account.html",
        on=two_factor.is_on(user),
        required=two_factor.required(user),
        codes_left=two_factor.recovery_codes_left(user) if two_factor.is_on(user) else 0,
        team=_team(),
        is_on=two_factor.is_on,
        **extra,
    )
    return no_store(make_response(page, status))


@bp.get("/account/two-factor")
@practitioner_required
def two_factor_page():
    return _two_factor_page()


@bp.post("/account/two-factor/setup")
@practitioner_required
def two_factor_setup():
    """A new secret to scan; the second factor is on once a code confirms it."""
    user = current_user._get_current_object()
    if two_factor.is_on(user):
        return redirect(url_for("auth.two_factor_page"), code=303)
    secret = two_factor.start(user)
    db.session.commit()
    return _two_factor_page(setup=True, secret=secret, qr=Markup(two_factor.qr_svg(user)))


@bp.post("/account/two-factor/confirm")
@practitioner_required
def two_factor_confirm():
    user = current_user._get_current_object()
    if two_factor.is_on(user) or not user.totp_secret:
        return redirect(url_for("auth.two_factor_page"), code=303)
    codes = two_factor.confirm(user, request.form.get("code", "")[:100])
    if codes is None:
        return _two_factor_page(
            422,
            setup=True,
            secret=user.totp_secret,
            qr=Markup(two_factor.qr_svg(user)),
            error="That code isn't right. Check the phone's clock and try the next code.",
        )
    db.session.commit()
    return _two_factor_page(recovery_codes=codes)


@bp.post("/account/two-factor/off")
@practitioner_required
def two_factor_off():
    """Turn one's own second factor off, with a current code (not when the clinic asks for
    it). Every session ends, this one too."""
    user = current_user._get_current_object()
    if not two_factor.is_on(user):
        return redirect(url_for("auth.two_factor_page"), code=303)
    if two_factor.required(user):
        return _two_factor_page(
            422, error="Your clinic asks every practitioner to use a second factor."
        )
    if two_factor.check(user, request.form.get("code", "")[:100]) is None:
        return _two_factor_page(422, error="That code isn't right.")
    two_factor.turn_off(user, by=user)
    db.session.commit()
    flash("Two-factor login is off. Please log in again.")
    return redirect(url_for("auth.login"), code=303)


@bp.post("/account/two-factor/reset/<int:user_id>")
@practitioner_required
def two_factor_reset(user_id: int):
    """The clinic's owner resets a colleague's lost second factor (owner only)."""
    colleague = db.session.get(User, user_id)
    if (
        not current_user.is_owner
        or colleague is None
        or colleague.clinic_id != current_user.clinic_id
        or not colleague.is_practitioner
        or colleague.id == current_user.id
    ):
        abort(404)
    two_factor.turn_off(colleague, by=current_user._get_current_object())
    db.session.commit()
    flash("Their two-factor login was reset: they set it up again at their next login.")
    return redirect(url_for("auth.two_factor_page"), code=303)


@bp.before_app_request
def enrol_when_the_clinic_requires_it():
    """A practitioner of a clinic that requires a second factor sets one up first."""
    if "_user_id" not in session or request.endpoint in ENROLMENT_OPEN:
        return None
    if not current_user.is_authenticated or not two_factor.required(current_user):
        return None
    if two_factor.is_on(current_user):
        return None
    if request.path.startswith("/api/"):
        abort(403)
    return redirect(url_for("auth.two_factor_page"))


ENROLMENT_OPEN = {
    "auth.two_factor_page",
    "auth.two_factor_setup",
    "auth.two_factor_confirm",
    "auth.logout",
    "auth.account",
    "static",
}


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
