"""What each kind of notification says and how it is sent; one outbox row per occurrence.

Payloads never carry health data: a title, a body, the screen to open and a tag.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..models import utcnow


@dataclass(frozen=True)
class Kind:
    """How one kind of notification is sent and what it says (never any health data)."""

    ttl: timedelta
    urgency: str
    title: str
    body: str
    url: str


KINDS = {
    "checkin": Kind(
        timedelta(hours=4),
        "normal",
        "Daily check-in",
        "How are you today? It takes 20 seconds.",
        "/app/#/checkin",
    ),
    "homework": Kind(
        timedelta(hours=2),
        "normal",
        "Time for your exercises",
        "A few minutes now keeps you on track.",
        "/app/#/homework",
    ),
    "standup": Kind(
        timedelta(minutes=15),
        "low",
        "Time to stand up",
        "Stand, stretch or walk for a minute or two.",
        "/app/",
    ),
    "appointment": Kind(
        timedelta(hours=12),
        "normal",
        "Your next session",
        "Your next session is {when}.",
        "/app/",
    ),
    "homework_new": Kind(
        timedelta(hours=24),
        "normal",
        "New exercises",
        "Your practitioner updated your exercises.",
        "/app/#/homework",
    ),
    "test": Kind(
        timedelta(minutes=5),
        "high",
        "Reminders are on",
        "This is how your reminders will look.",
        "/app/",
    ),
}


def notification(kind: str, **fill) -> dict:
    """What the phone shows: title, body and the screen to open (the tag comes with the row)."""
    spec = KINDS[kind]
    return {"title": spec.title, "body": spec.body.format(**fill), "url": spec.url}


def topic_for(occurrence_key: str) -> str:
    """The push ``Topic`` of one occurrence: 32 base64url characters of its key's hash.

    A push service keeps only the newest undelivered push per topic, so a repeat of this
    reminder replaces a copy still waiting for the phone. The key itself never leaves us
    (it names the patient).
    """
    digest = hashlib.sha256(occurrence_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:32]


def tag_for(kind: str, occurrence_key: str) -> str:
    """The notification's tag: one per occurrence, so a second arrival of the same reminder
    silently replaces the first on the phone, while other reminders stay."""
    return f"{kind}:{topic_for(occurrence_key)[:16]}"


def kind_of(tag: str) -> str:
    return tag.partition(":")[0]


def outbox_row(
    user_id: int, kind: str, key: str, due_at: datetime, note: dict | None = None
) -> dict:
    """The values of one outbox row for the occurrence ``key`` of a reminder ``kind``."""
    spec = KINDS[kind]
    return {
        "user_id": user_id,
        "kind": kind,
        "occurrence_key": key,
        "payload": {**(note or notification(kind)), "tag": tag_for(kind, key)},
        "topic": topic_for(key),
        "urgency": spec.urgency,
        "ttl_seconds": int(spec.ttl.total_seconds()),
        "due_at": due_at,
        "expires_at": due_at + spec.ttl,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": due_at,
        "created_at": utcnow(),
    }
