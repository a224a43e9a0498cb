"""The patient app's push and reminder endpoints."""

from __future__ import annotations

from datetime import time

from flask import Blueprint, current_app
from flask_login import current_user
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..api import ApiError, route
from ..extensions import db
from ..models import PushSubscription, ReminderPreference, Role
from ..push import sender_for
from ..push.endpoints import endpoint_problem, keys_problem
from ..push.vapid import signer
from . import outbox
from .schemas import KeyOut, Preferences, SubscriptionIn, SubscriptionOut, TestOut, UnsubscribeIn

bp = Blueprint("reminders", __name__, url_prefix="/api")


@route(bp, "/push/key", response=KeyOut, role=Role.PATIENT)
def push_key():
    """The VAPID public key for ``pushManager.subscribe({applicationServerKey})``."""
    return KeyOut(public_key=signer(current_app).public_key)


@route(
    bp,
    "/push/subscriptions",
    methods=["POST"],
    body=SubscriptionIn,
    response=SubscriptionOut,
    status=201,
    role=Role.PATIENT,
)
def subscribe(body: SubscriptionIn):
    """Save this device's subscription (again after ``pushsubscriptionchange``)."""
    problems = keys_problem(body.keys.p256dh, body.keys.auth)
    why = endpoint_problem(body.endpoint, current_app.config["PUSH_ALLOW_LOOPBACK"])
    if why:
        problems["endpoint"] = why
    if problems:
        raise ApiError(
            422, "invalid_subscription", "This push subscription cannot be used.", problems
        )
    sub = db.session.scalar(select(PushSubscription).filter_by(endpoint=body.endpoint))
    if sub is None:
        sub = PushSubscription(
            user_id=current_user.id,
            endpoint=body.endpoint,
            p256dh=body.keys.p256dh,
            auth=body.keys.auth,
        )
        try:
            with db.session.begin_nested():
                db.session.add(sub)
        except IntegrityError:  # the same browser subscribed twice at once
            sub = db.session.scalars(
                select(PushSubscription).filter_by(endpoint=body.endpoint)
            ).one()
    _take_over(sub, body)
    return SubscriptionOut(id=sub.id, endpoint=sub.endpoint)


def _take_over(sub: PushSubscription, body: SubscriptionIn) -> None:
    """Give the subscription to whoever is logged in on that browser now.

    A shared browser that was subscribed for another patient moves to this one (the other
    must not get reminders on a device they no longer use). That needs the browser's own
    keys too: the endpoint alone is not proof of holding the subscription.
    """
    if sub.user_id != current_user.id and (sub.p256dh, sub.auth) != (
        body.keys.p256dh,
        body.keys.auth,
    ):
        raise ApiError(
            409,
            "subscription_conflict",
            "This device is subscribed differently; unsubscribe and try again.",
        )
    sub.user_id = current_user.id
    sub.p256dh, sub.auth = body.keys.p256dh, body.keys.auth


@route(bp, "/push/subscriptions", methods=["DELETE"], body=UnsubscribeIn, role=Role.PATIENT)
def unsubscribe(body: UnsubscribeIn):
    """Stop pushes to this device. Always 204: another patient's device is not touched."""
    db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.endpoint == body.endpoint, PushSubscription.user_id == current_user.id
        )
    )


@route(bp, "/push/test", methods=["POST"], response=TestOut, role=Role.PATIENT)
def send_test():
    """Send a test notification to every device of mine, now."""
    devices = db.session.scalar(
        select(func.count())
        .select_from(PushSubscription)
        .where(PushSubscription.user_id == current_user.id)
    )
    if not devices:
        raise ApiError(409, "no_device", "Turn on notifications on this device first.")
    message_id = outbox.queue_test(current_user)
    if message_id is None:
        raise ApiError(
            429, "test_sent_recently", "A test was sent a moment ago; try again in a minute."
        )
    # Commit before talking to push services: on SQLite the open request transaction holds
    # the write lock, and sending can take seconds.
    db.session.commit()
    totals = outbox.send_now(sender_for(current_app), message_id, f"api:{current_user.id}")
    status = next(
        (s for s in ("sent", "pending", "failed", "expired") if totals.get(f"{s}_messages")),
        "pending",
    )
    return TestOut(
        devices=devices,
        sent=totals.get("sent", 0),
        removed=totals.get("gone", 0),
        failed=totals.get("failed", 0),
        status=status,
    )


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def preferences_out(pref: ReminderPreference) -> Preferences:
    return Preferences(
        timezone=pref.timezone,
        days=list(pref.days),
        checkin_enabled=pref.checkin_enabled,
        checkin_time=_hhmm(pref.checkin_time),
        homework_enabled=pref.homework_enabled,
        homework_times=list(pref.homework_times),
        sitting_breaks_enabled=pref.sitting_breaks_enabled,
        sitting_start=_hhmm(pref.sitting_start),
        sitting_end=_hhmm(pref.sitting_end),
        sitting_interval_minutes=pref.sitting_interval_minutes,
        appointment_enabled=pref.appointment_enabled,
        quiet_start=_hhmm(pref.quiet_start) if pref.quiet_start is not None else None,
        quiet_end=_hhmm(pref.quiet_end) if pref.quiet_end is not None else None,
    )


@route(bp, "/reminders/preferences", response=Preferences, role=Role.PATIENT)
def get_preferences():
    """My reminder settings (the defaults until I save some)."""
    return preferences_out(outbox.preferences_for(current_user))


@route(
    bp,
    "/reminders/preferences",
    methods=["PUT"],
    body=Preferences,
    response=Preferences,
    role=Role.PATIENT,
)
def put_preferences(body: Preferences):
    """Replace my reminder settings. The time zone also becomes my account's time zone."""
    pref = db.session.get(ReminderPreference, current_user.id)
    if pref is None:
        pref = outbox.default_preferences(current_user)
        db.session.add(pref)
    as_time = time.fromisoformat
    pref.timezone = body.timezone
    pref.days = body.days
    pref.checkin_enabled, pref.checkin_time = body.checkin_enabled, as_time(body.checkin_time)
    pref.homework_enabled, pref.homework_times = body.homework_enabled, body.homework_times
    pref.sitting_breaks_enabled = body.sitting_breaks_enabled
    pref.sitting_start, pref.sitting_end = as_time(body.sitting_start), as_time(body.sitting_end)
    pref.sitting_interval_minutes = body.sitting_interval_minutes
    pref.appointment_enabled = body.appointment_enabled
    pref.quiet_start = as_time(body.quiet_start) if body.quiet_start else None
    pref.quiet_end = as_time(body.quiet_end) if body.quiet_end else None
    current_user.timezone = body.timezone
    return preferences_out(pref)
