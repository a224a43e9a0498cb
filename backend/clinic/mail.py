"""The invite emails: plain text plus simple HTML, and no health data.

An invite says who invites whom to which clinic and carries the link; nothing about why
someone sees the clinic. Queued with ``queue_mail`` in the caller's transaction.
"""

from __future__ import annotations

from markupsafe import escape

from ..auth.service import INVITE_LIFETIME
from ..mail import queue_mail
from ..models import User


def _html(paragraphs: list[str], url: str, button: str, closing: str) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5;'
        'max-width:34em">'
        f"{body}"
        f'<p><a href="{escape(url)}" style="display:inline-block;padding:.6em 1.2em;'
        f'background:#1d5c63;color:#fff;text-decoration:none;border-radius:6px">'
        f"{escape(button)}</a></p>"
        f'<p style="color:#555">Or copy this link: {escape(url)}</p>'
        f"<p>{escape(closing)}</p></body></html>"
    )


def queue_invite(user: User, inviter: User | None, url: str, key: str) -> None:
    """The invite for ``user`` (a practitioner or a patient) with their one-time link."""
    clinic = user.clinic.name
    days = INVITE_LIFETIME.days
    by = f"{inviter.display_name} at {clinic}" if inviter and inviter.id != user.id else clinic
    if user.is_practitioner:
        subject = f"Join {clinic} on Between"
        lines = [
            f"Hello {user.display_name},",
            f"{by} has invited you to the clinic's team on Between, where you will see "
            "how your patients are doing between sessions.",
            "Open the link to choose your password and join:",
        ]
        button = "Join the team"
    else:
        subject = f"Your invite to Between from {clinic}"
        lines = [
            f"Hello {user.display_name},",
            f"{by} has invited you to Between, an app for the days between your sessions.",
            "Open the link on your phone to choose a password and start:",
        ]
        button = "Open my invite"
    closing = (
        f"The link works once, for {days} days. If you did not expect this email, you can "
        "ignore it."
    )
    text = "\n\n".join([*lines, url, closing]) + "\n"
    queue_mail(
        to=user.email,
        subject=subject,
        text=text,
        html=_html(lines, url, button, closing),
        kind="practitioner_invite" if user.is_practitioner else "patient_invite",
        key=key,
        clinic_id=user.clinic_id,
    )
