"""HTML pages for logging in and for accepting an invite (they work without JavaScript)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..models import User
from . import service
from .api import BAD_LOGIN, TOO_MANY
from .passwords import MIN_PASSWORD_LENGTH

bp = Blueprint("auth", __name__)


def home_for(user: User) -> str:
    return url_for("panel.index") if user.is_practitioner else "/app/"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site, never another host (an open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


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
        return render_template("auth/invite_invalid.html"), 404
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("confirm", ""):
            error = "The two passwords are not the same."
        elif len(password) < MIN_PASSWORD_LENGTH:
            error = f"Please use at least {MIN_PASSWORD_LENGTH} characters."
        else:
            service.accept_invite(token, password)
            return redirect("/app/")
    return render_template(
        "auth/invite.html", patient=invite.patient, error=error, min_length=MIN_PASSWORD_LENGTH
    ), 422 if error else 200


@bp.get("/")
def root():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect("/app/")
