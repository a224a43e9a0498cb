"""JSON endpoints for the patient app: log in, log out, who am I, accept an invite."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from ..api import ApiError, route
from ..models import User
from . import service
from .schemas import InviteAcceptIn, LoginIn, MeOut

bp = Blueprint("auth_api", __name__, url_prefix="/api")

BAD_LOGIN = "That email and password don't match an account."
TOO_MANY = "Too many attempts. Please wait a few minutes and try again."


def me_out(user: User) -> MeOut:
    return MeOut(
        id=user.id,
        role=user.role.value,
        display_name=user.display_name,
        email=user.email,
        timezone=user.timezone,
        clinic={"id": user.clinic.id, "name": user.clinic.name},
    )


@route(bp, "/auth/login", methods=["POST"], body=LoginIn, response=MeOut, role=None)
def login(body: LoginIn):
    """Log in; sets the session cookie."""
    try:
        user = service.login(body.email, body.password, body.remember)
    except service.LoginRefused as refused:
        if refused.retry_after:
            raise ApiError(
                429,
                "too_many_attempts",
                TOO_MANY,
                {"retry_after": str(refused.retry_after)},
                {"Retry-After": str(refused.retry_after)},
            ) from None
        raise ApiError(401, "bad_credentials", BAD_LOGIN) from None
    return me_out(user)


@route(bp, "/auth/logout", methods=["POST"])
def logout():
    """Log out everywhere this session's cookie was copied to."""
    service.logout(current_user._get_current_object())


@route(bp, "/me", response=MeOut)
def me():
    """The logged-in account."""
    return me_out(current_user)


@route(bp, "/invites/accept", methods=["POST"], body=InviteAcceptIn, response=MeOut, role=None)
def accept_invite(body: InviteAcceptIn):
    """Set a password from an invite link and log in."""
    try:
        user = service.accept_invite(body.token, body.password)
    except service.InviteInvalid:
        raise ApiError(
            404,
            "invite_invalid",
            "This invite link is no longer valid. Please ask your practitioner for a new one.",
        ) from None
    return me_out(user)
