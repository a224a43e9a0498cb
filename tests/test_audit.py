"""The audit log: every security event, in plain words, filterable, and append-only."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from backend.auth import service
from backend.database import audit_erase
from backend.extensions import db
from backend.models import AuditEvent, User, utcnow
from tests.conftest import PASSWORD, ApiClient


def _page(api, query="") -> str:
    return unescape(api.client.get(f"/panel/audit{query}").get_data(as_text=True))


def test_security_events_read_in_plain_words(app, api, factory):
    lee = factory.practitioner(display_name="Dr Lee")
    ana = factory.patient(lee, display_name="Ana Silva", password_hash=None)
    token = service.create_invite(ana, lee)
    db.session.commit()
    phone = ApiClient(app.test_client())
    accepted = phone.post(
        "/api/invites/accept", json={"token": token, "password": "quiet river lantern"}
    )
    assert accepted.status_code == 200
    assert phone.get("/api/export.csv").status_code == 200
    phone.post(
        "/api/auth/password",
        json={"current_password": "quiet river lantern", "new_password": "amber field cello"},
    )
    ApiClient(app.test_client()).post(
        "/api/auth/login", json={"email": lee.email, "password": "wrong one"}
    )
    api.login(lee)
    api.client.get(f"/panel/patients/{ana.id}")
    html = _page(api)
    for words in (
        "Ana Silva accepted their invite and chose a password",
        "Ana Silva downloaded their own data (CSV)",
        "Ana Silva changed their password",
        "Dr Lee failed to log in",
        "Dr Lee logged in",
        "Dr Lee viewed Ana Silva's check-ins, homework and sessions",
    ):
        assert words in html, words
    assert "Dr Lee viewed the audit log" in _page(api)  # viewing it is an entry too


def test_filters_by_patient_person_and_date(app, api, factory):
    lee = factory.practitioner(display_name="Dr Lee")
    kim = factory.practitioner(lee.clinic, display_name="Dr Kim")
    ana = factory.patient(lee, display_name="Ana Silva")
    bo = factory.patient(lee, display_name="Bo Berg")
    old = utcnow() - timedelta(days=10)
    db.session.add_all(
        [
            AuditEvent(
                clinic_id=lee.clinic_id, actor_id=kim.id, patient_id=ana.id, action="report.read"
            ),
            AuditEvent(
                clinic_id=lee.clinic_id,
                actor_id=lee.id,
                patient_id=bo.id,
                action="report.pdf",
                at=old,
            ),
        ]
    )
    db.session.commit()
    api.login(lee)
    by_kim = _page(api, f"?person={kim.id}")
    assert "Dr Kim viewed Ana Silva's report" in by_kim and "Bo Berg's report" not in by_kim
    about_bo = _page(api, f"?patient={bo.id}")
    assert "Dr Lee downloaded Bo Berg's report as a PDF" in about_bo
    assert "Ana Silva's report" not in about_bo
    day = old.date().isoformat()
    that_day = _page(api, f"?from={day}&to={day}")
    assert "Bo Berg's report" in that_day and "Ana Silva's report" not in that_day
    assert "Bo Berg's report" not in _page(api, f"?from={(old + timedelta(days=2)).date()}")


def test_no_route_changes_or_deletes_an_entry(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods - {"HEAD", "OPTIONS"} == {"GET"}, rule


def _event(factory) -> AuditEvent:
    lee = factory.practitioner()
    event = AuditEvent(clinic_id=lee.clinic_id, actor_id=lee.id, action="login")
    db.session.add(event)
    db.session.commit()
    return event


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'nothing'",
        "UPDATE audit_event SET at = at",
        "UPDATE audit_event SET actor_id = actor_id + 1",
        "DELETE FROM audit_event",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_entry(app, factory, statement):
    _event(factory)
    with pytest.raises(DBAPIError, match="audit events cannot be"):
        with db.engine.begin() as conn:
            conn.execute(text(statement))
    assert db.session.scalar(select(AuditEvent.action)) == "login"


def test_a_deleted_account_is_forgotten_in_the_trail_which_stays(app, factory):
    event = _event(factory)
    db.session.delete(db.session.get(User, event.actor_id))
    db.session.commit()
    db.session.expire_all()
    kept = db.session.scalar(select(AuditEvent))
    assert kept.action == "login" and kept.actor_id is None


def test_a_retention_erase_may_delete_entries(app, factory):
    _event(factory)
    with db.engine.begin() as conn, audit_erase(conn):
        conn.execute(text("DELETE FROM audit_event"))
    assert db.session.scalar(select(AuditEvent.id)) is None


def test_logins_and_failures_are_recorded_for_the_account(app, api, factory):
    user = factory.patient()
    api.post("/api/auth/login", json={"email": user.email, "password": "nope"})
    api.login(user)
    actions = [
        (e.action, e.actor_id, e.patient_id)
        for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    ]
    assert actions == [("login.failed", user.id, user.id), ("login", user.id, user.id)]
    assert PASSWORD  # the right password logged in
