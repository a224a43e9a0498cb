"""Homework for the patient: today's list and marking it done."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import Alert, AlertKind, Completion, utcnow
from tests.conftest import new_key


def test_today_lists_only_active_homework_with_its_dosage(api, factory):
    patient = factory.patient()
    current = factory.assignment(patient, sets=2, reps=10, hold_seconds=5, times_per_day=2)
    factory.assignment(patient, end_date=date.today() - timedelta(days=1))  # finished
    factory.assignment(patient, ended_at=utcnow())  # ended by the practitioner
    factory.assignment(patient, start_date=date.today() + timedelta(days=3))  # not yet
    api.login(patient)
    items = api.get("/api/homework").get_json()["items"]
    assert [i["id"] for i in items] == [current.id]
    assert items[0]["dosage"] == {
        "sets": 2,
        "reps": 10,
        "hold_seconds": 5,
        "times_per_day": 2,
        "days_per_week": 7,
    }
    assert items[0]["done_today"] == 0


def test_marking_homework_done_counts_for_today_once_per_key(api, factory):
    patient = factory.patient()
    assignment = factory.assignment(patient)
    api.login(patient)
    key = new_key()
    for _ in range(2):
        response = api.post(
            f"/api/homework/{assignment.id}/completions", json={"feeling": "better"}, key=key
        )
        assert response.status_code == 201
    assert api.get("/api/homework").get_json()["items"][0]["done_today"] == 1


def test_worse_after_exercise_reaches_the_practitioner(api, factory):
    patient = factory.patient()
    assignment = factory.assignment(patient)
    api.login(patient)
    api.post(
        f"/api/homework/{assignment.id}/completions", json={"feeling": "spreading"}, key=new_key()
    )
    alert = db.session.scalar(select(Alert))
    assert alert.kind is AlertKind.WORSE_AFTER_EXERCISE
    assert alert.details["feeling"] == "spreading"


def test_a_bad_feeling_is_refused_and_nothing_is_stored(api, factory):
    patient = factory.patient()
    assignment = factory.assignment(patient)
    api.login(patient)
    response = api.post(
        f"/api/homework/{assignment.id}/completions", json={"feeling": "meh"}, key=new_key()
    )
    assert response.status_code == 422 and "feeling" in response.get_json()["error"]["fields"]
    assert db.session.scalar(select(Completion)) is None


@pytest.mark.parametrize(
    "when",
    [
        "9999-12-31T23:00:00+14:00",
        "0001-01-01T01:00:00+05:00",
        "2099-01-01T10:00:00+00:00",
        "2020-01-01T10:00:00+00:00",
    ],
)
def test_a_completion_far_from_now_is_refused_and_nothing_is_stored(api, factory, when):
    patient = factory.patient(timezone="Pacific/Kiritimati")
    assignment = factory.assignment(patient)
    api.login(patient)
    response = api.post(
        f"/api/homework/{assignment.id}/completions", json={"completed_at": when}, key=new_key()
    )
    assert response.status_code == 422
    assert "completed_at" in response.get_json()["error"]["fields"]
    assert db.session.scalar(select(Completion)) is None
