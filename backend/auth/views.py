"""HTML pages for logging in and for accepting an invite (they work without JavaScript)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..models import User
from ..panel.forms import Form
from . import service
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
    status = 200
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
            flash(
                "Too many attempts. Please wait a few minutes and try again."
                if refused.retry_after
                else "That email and password don't match an account."
            )
        else:
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html"), status


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
        form = Form()
        password = form.password("password", "Password")
        form.check(password == form.password("confirm", "Confirm"), "Password", "not the same")
        form.check(len(password) >= MIN_PASSWORD_LENGTH, "Password", "too short")
        if not form.errors:
            service.accept_invite(token, password)
            return redirect("/app/")
        error = {
            "not the same": "The two passwords are not the same.",
            "too short": f"Please use at least {MIN_PASSWORD_LENGTH} characters.",
        }.get(form.errors.get("Password", ""), "Please check the password and try again.")
    return render_template(
        "auth/invite.html", patient=invite.patient, error=error, min_length=MIN_PASSWORD_LENGTH
    ), 422 if error else 200


@bp.get("/")
def root():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect("/app/")
