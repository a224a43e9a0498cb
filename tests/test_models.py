"""The data model holds its rules in the database itself, on SQLite and PostgreSQL alike."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError

from backend.extensions import db
from backend.models import (
    Alert,
    AlertKind,
    AuditEvent,
    CheckIn,
    Completion,
    OutboxMessage,
    PushSubscription,
    User,
    utcnow,
)


def test_pain_scores_outside_0_to_10_are_refused_by_the_database(factory):
    patient = factory.patient()
    with pytest.raises(IntegrityError):
        factory.checkin(patient, leg_pain=11)
    db.session.rollback()


def test_timestamps_come_back_aware_in_utc(factory):
    patient = factory.patient()
    made = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    entry = factory.checkin(patient, recorded_at=made)
    db.session.expire_all()
    stored = db.session.get(CheckIn, entry.id).recorded_at
    assert stored == made and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(factory):
    patient = factory.patient()
    with pytest.raises(StatementError):
        factory.checkin(patient, recorded_at=datetime(2026, 1, 1, 12, 0))
    db.session.rollback()


def test_an_email_belongs_to_one_account(factory):
    factory.patient(email="same@example.test")
    with pytest.raises(IntegrityError):
        factory.patient(email="same@example.test")
    db.session.rollback()


def test_one_reminder_occurrence_is_queued_once(factory):
    patient = factory.patient()
    row = dict(
        user_id=patient.id,
        kind="checkin",
        occurrence_key="1:checkin:2026-03-29T20:00",
        payload={},
        expires_at=utcnow() + timedelta(hours=1),
    )
    db.session.add(OutboxMessage(**row))
    db.session.commit()
    db.session.add(OutboxMessage(**row))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_deleting_a_patient_deletes_their_health_data_but_not_the_audit_trail(factory):
    patient = factory.patient()
    entry = factory.checkin(patient)
    assignment = factory.assignment(patient)
    db.session.add_all(
        [
            Completion(
                assignment_id=assignment.id, patient_id=patient.id, local_date=utcnow().date()
            ),
            Alert(patient_id=patient.id, kind=AlertKind.RED_FLAG, check_in_id=entry.id),
            PushSubscription(
                user_id=patient.id, endpoint="https://fcm.googleapis.com/x", p256dh="k", auth="a"
            ),
            AuditEvent(clinic_id=patient.clinic_id, patient_id=patient.id, action="read"),
        ]
    )
    db.session.commit()
    db.session.delete(patient)
    db.session.commit()
    for model in (CheckIn, Completion, Alert, PushSubscription):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 1  # the practitioner


def test_the_cookie_id_carries_the_session_version(factory):
    patient = factory.patient()
    assert patient.get_id() == f"{patient.id}:1"
