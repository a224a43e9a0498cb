"""Stored Idempotency-Key answers are kept while a replay could still be accepted, then dropped
by the clock's housekeeping."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backend.api import fields
from backend.api.routing import KEEP_ANSWERS, prune_answers
from backend.extensions import db
from backend.models import CheckIn, IdempotentRequest, utcnow
from backend.reminders import clock
from tests.conftest import checkin_body, new_key


def count(model) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_answers_outlive_every_replay_the_api_would_accept(api, factory, monkeypatch):
    """An entry made offline, sent, its answer lost: the phone replays it. While the API
    could still accept that entry (made at most 60 days ago), its answer is there; once the
    answer is gone, the replay is refused as too old and shown to the patient, never stored
    twice."""
    assert KEEP_ANSWERS > fields.OLDEST_ENTRY + fields.CLOCK_SKEW
    api.login(factory.patient())
    made = utcnow() - timedelta(minutes=5)
    body = checkin_body(recorded_at=made.isoformat())
    key = new_key()
    assert api.post("/api/checkins", json=body, key=key).status_code == 201

    last_chance = made + fields.OLDEST_ENTRY
    assert prune_answers(now=last_chance) == 0
    monkeypatch.setattr(fields, "utcnow", lambda: last_chance - timedelta(minutes=1))
    replay = api.post("/api/checkins", json=body, key=key)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"

    later = utcnow() + KEEP_ANSWERS + timedelta(hours=1)
    assert prune_answers(now=later) == 1
    db.session.commit()
    monkeypatch.setattr(fields, "utcnow", lambda: later)
    too_old = api.post("/api/checkins", json=body, key=key)
    assert too_old.status_code == 422
    assert count(CheckIn) == 1


def test_the_clock_prunes_old_answers(app, factory):
    patient = factory.patient()
    now = utcnow()
    for age in (
        timedelta(days=1),
        KEEP_ANSWERS - timedelta(days=1),
        KEEP_ANSWERS + timedelta(days=1),
    ):
        db.session.add(
            IdempotentRequest(
                user_id=patient.id,
                key=new_key(),
                request_hash="0" * 64,
                status_code=201,
                response={},
                created_at=now - age,
            )
        )
    db.session.commit()
    clock.housekeeping(app)
    assert count(IdempotentRequest) == 2
