"""JSON endpoints for the patient app: log in, log out, who am I, accept an invite."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from ..api import ApiError, route
from ..mail import mail_configured
from ..models import User
from . import service
from .schemas import (
    ClinicOut,
    ForgotIn,
    ForgotOut,
    InviteAcceptIn,
    LoginIn,
    MeOut,
    PasswordChangeIn,
)

bp = Blueprint("auth_api", __name__, url_prefix="/api")

BAD_LOGIN = "That email and password don't match an account."
TOO_MANY = "Too many attempts. Please wait a few minutes and try again."
RESET_SENT = (
    "If that email has an account, we've sent it a link to choose a new password. "
    "It works once, for an hour. Check your spam folder if it doesn't arrive."
)
NO_MAIL = (
    "This server can't send email, so a password can't be reset by email here. "
    "Patients: ask your practitioner for a new invite link; it lets you choose a new "
    "password. Practitioners: ask your clinic's owner."
)


def too_many(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "too_many_attempts",
        TOO_MANY,
        {"retry_after": str(retry_after)},
        {"Retry-After": str(retry_after)},
    )


def password_rejected(problem: str) -> ApiError:
    return ApiError(422, "weak_password", problem, {"password": problem})


def me_out(user: User) -> MeOut:
    return MeOut(
        id=user.id,
        role=user.role.value,
        display_name=user.display_name,
        email=user.email,
        timezone=user.timezone,
        clinic=ClinicOut(id=user.clinic.id, name=user.clinic.name),
    )


@route(bp, "/auth/login", methods=["POST"], body=LoginIn, response=MeOut, role=None)
def login(body: LoginIn):
    """Log in; sets the session cookie."""
    try:
        user = service.login(body.email, body.password, body.remember)
    except service.LoginRefused as refused:
        if refused.retry_after:
            raise too_many(refused.retry_after) from None
        raise ApiError(401, "bad_credentials", BAD_LOGIN) from None
    except service.SecondFactorNeeded:
        raise ApiError(
            403,
            "two_factor_required",
            "This account logs in with a code from an authenticator app: use the login page.",
        ) from None
    return me_out(user)


@route(bp, "/auth/forgot", methods=["POST"], body=ForgotIn, response=ForgotOut, role=None)
def forgot(body: ForgotIn):
    """Ask for a password reset link by email (the same answer whether or not it has an
    account)."""
    if not mail_configured():
        return ForgotOut(message=NO_MAIL, mail_configured=False)
    service.request_reset(body.email)
    return ForgotOut(message=RESET_SENT, mail_configured=True)


@route(bp, "/auth/password", methods=["POST"], body=PasswordChangeIn)
def change_password(body: PasswordChangeIn):
    """Change my password: asks the current one; every other session ends."""
    try:
        service.change_password(
            current_user._get_current_object(), body.current_password, body.new_password
        )
    except service.LoginRefused as refused:
        if refused.retry_after:
            raise too_many(refused.retry_after) from None
        raise ApiError(
            422,
            "wrong_password",
            "Your current password isn't right.",
            {"current_password": "isn't right"},
        ) from None
    except service.PasswordRejected as rejected:
        raise password_rejected(str(rejected)) from None


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
    except service.PasswordRejected as rejected:
        raise password_rejected(str(rejected)) from None
    return me_out(user)
