"""The demo clinic: six weeks of realistic data and a printed way in."""

from sqlalchemy import func, select

from backend.demo import DEMO_PASSWORD, PRACTITIONER_EMAIL, give_demo_phones, seed_demo
from backend.extensions import db
from backend.models import (
    Alert,
    AlertKind,
    Appointment,
    CheckIn,
    Exercise,
    PushSubscription,
    Role,
    User,
)
from backend.push import sender_for
from backend.push.standin import StandIn
from backend.reminders import outbox


def test_demo_seeds_a_clinic_with_six_weeks_of_data_once(app):
    logins = seed_demo()
    assert logins["created"] and logins["practitioner"] == PRACTITIONER_EMAIL
    patients = db.session.scalars(select(User).filter_by(role=Role.PATIENT)).all()
    assert len(patients) == 4
    days = db.session.scalar(select(func.count(func.distinct(CheckIn.local_date))))
    assert days >= 40
    red = db.session.scalars(select(Alert).filter_by(kind=AlertKind.RED_FLAG)).all()
    assert len(red) == 1
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 40
    assert db.session.scalar(select(func.count()).select_from(Exercise)) >= 12
    assert seed_demo()["created"] is False  # running it again changes nothing
    assert db.session.scalar(select(func.count()).select_from(User)) == 5


def test_demo_cli_prints_where_to_log_in(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "/login" in result.output and PRACTITIONER_EMAIL in result.output
    assert DEMO_PASSWORD in result.output and "/app/" in result.output


def test_demo_logins_work(api, app):
    seed_demo()
    response = api.post(
        "/api/auth/login", json={"email": "ana@demo.between.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200
    assert len(api.get("/api/homework").get_json()["items"]) == 3


def test_demo_phones_receive_real_pushes_and_replace_an_earlier_runs(app):
    seed_demo()
    with StandIn() as earlier:
        give_demo_phones(earlier.origin)
    with StandIn() as service:
        phones = give_demo_phones(service.origin)
        assert len(phones) == 4
        endpoints = db.session.scalars(select(PushSubscription.endpoint)).all()
        assert len(endpoints) == 4 and all(e.startswith(service.origin) for e in endpoints)
        ana = db.session.scalar(select(User).filter_by(email="ana@demo.between.example"))
        message_id = outbox.queue_test(ana)
        db.session.commit()
        assert outbox.send_now(sender_for(app), message_id, "demo-test")["sent"] == 1
        [token] = [url.rsplit("/", 1)[1] for email, url in phones.items() if email == ana.email]
        [shown] = service.payloads(service.subscribers[token])
        assert shown == {
            "title": "Reminders are on",
            "body": "This is how your reminders will look.",
            "url": "/app/",
            "tag": shown["tag"],
        }
        assert outbox.kind_of(shown["tag"]) == "test"
