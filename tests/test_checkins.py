"""Check-ins: validation, red flags, and exactly-once storage of replayed entries."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import Alert, AlertKind, CheckIn, IdempotentRequest, utcnow
from tests.conftest import checkin_body, new_key


@pytest.fixture
def patient_api(api, factory):
    patient = factory.patient(timezone="America/New_York")
    api.login(patient)
    api.patient = patient
    return api


def count(model) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_check_in_is_stored_with_every_field(patient_api):
    response = patient_api.post("/api/checkins", json=checkin_body(), key=new_key())
    assert response.status_code == 201
    body = response.get_json()
    assert body["leg_pain"] == 6 and body["back_pain"] == 4
    assert body["locations"] == ["buttock", "thigh"] and body["side"] == "left"
    assert body["sensations"] == ["shooting", "tingling"] and body["sitting_minutes"] == 240
    assert body["has_red_flag"] is False and body["red_flags"] == []
    assert count(Alert) == 0


def test_several_check_ins_a_day_are_allowed(patient_api):
    for _ in range(3):
        assert (
            patient_api.post("/api/checkins", json=checkin_body(), key=new_key()).status_code == 201
        )
    assert count(CheckIn) == 3


def test_a_red_flag_answer_alerts_the_practitioner(patient_api):
    flags = dict(checkin_body()["red_flags"], saddle_numbness=True)
    response = patient_api.post("/api/checkins", json=checkin_body(red_flags=flags), key=new_key())
    assert response.get_json()["red_flags"] == ["saddle_numbness"]
    alert = db.session.scalar(select(Alert))
    assert alert.kind is AlertKind.RED_FLAG and alert.patient_id == patient_api.patient.id
    assert alert.acknowledged_at is None


def test_replaying_the_same_entry_stores_it_once_and_answers_the_same(patient_api):
    key = new_key()
    first = patient_api.post("/api/checkins", json=checkin_body(), key=key)
    for _ in range(3):
        replay = patient_api.post("/api/checkins", json=checkin_body(), key=key)
        assert replay.status_code == 201 and replay.get_json() == first.get_json()
        assert replay.headers["Idempotent-Replayed"] == "true"
    assert count(CheckIn) == 1


def test_the_same_key_with_another_body_is_refused(patient_api):
    key = new_key()
    patient_api.post("/api/checkins", json=checkin_body(), key=key)
    response = patient_api.post("/api/checkins", json=checkin_body(leg_pain=2), key=key)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert count(CheckIn) == 1


def test_keys_belong_to_one_patient(app, patient_api, other_api, factory):
    key = new_key()
    patient_api.post("/api/checkins", json=checkin_body(), key=key)
    other_api.login(factory.patient())
    assert other_api.post("/api/checkins", json=checkin_body(), key=key).status_code == 201
    assert count(CheckIn) == 2


def test_an_entry_whose_answer_was_lost_after_commit_is_not_stored_twice(patient_api, monkeypatch):
    """The connection dies between the commit and the response; the phone replays."""
    from backend.api import routing

    real_answer = routing._json_response
    calls = []

    def lose_the_first_answer(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("the answer never reached the phone")
        return real_answer(*args, **kwargs)

    monkeypatch.setattr(routing, "_json_response", lose_the_first_answer)
    key = new_key()
    lost = patient_api.post("/api/checkins", json=checkin_body(), key=key)
    assert count(CheckIn) == 1  # committed before the answer was lost
    assert lost.status_code == 500  # the phone saw a failure and keeps the entry queued
    replay = patient_api.post("/api/checkins", json=checkin_body(), key=key)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert count(CheckIn) == 1 and count(IdempotentRequest) == 1


def test_an_entry_made_offline_keeps_its_time_and_local_day(patient_api):
    # 03:30 UTC is still the previous evening in New York.
    made = (utcnow() - timedelta(days=2)).replace(hour=3, minute=30, second=0, microsecond=0)
    response = patient_api.post(
        "/api/checkins", json=checkin_body(recorded_at=made.isoformat()), key=new_key()
    )
    body = response.get_json()
    assert body["recorded_at"].startswith(made.strftime("%Y-%m-%dT03:30"))
    assert body["local_date"] == (made - timedelta(days=1)).date().isoformat()


def test_without_an_idempotency_key_nothing_is_stored(patient_api):
    response = patient_api.post("/api/checkins", json=checkin_body())
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"Idempotency-Key": "required"}
    assert count(CheckIn) == 0


BAD = [
    ({"leg_pain": 11}, "leg_pain"),
    ({"leg_pain": -1}, "leg_pain"),
    ({"back_pain": "7"}, "back_pain"),  # JSON types are strict: a number is sent as one
    ({"back_pain": "seven"}, "back_pain"),
    ({"sitting_minutes": False}, "sitting_minutes"),  # a boolean is no integer
    ({"leg_pain": True}, "leg_pain"),
    ({"leg_pain": 5.0}, "leg_pain"),
    ({"leg_pain": 2.5}, "leg_pain"),
    ({"locations": ["elbow"]}, "locations.0"),
    ({"side": "middle"}, "side"),
    ({"sensations": ["itchy"]}, "sensations.0"),
    ({"sitting_minutes": 1441}, "sitting_minutes"),
    ({"note": "x" * 2001}, "note"),
    ({"red_flags": {"cancer": True}}, "red_flags.cancer"),  # history: asked at intake only
    ({"red_flags": {"fever": "maybe"}}, "red_flags.fever"),
    ({"leg_pain": None}, "leg_pain"),  # pain may be left out only with a red flag
    ({"recorded_at": "2020-01-01T10:00:00+00:00"}, "recorded_at"),
    ({"recorded_at": "2026-01-01T10:00:00"}, "recorded_at"),  # no time zone
    ({"mood": "great"}, "mood"),
]


@pytest.mark.parametrize("change,field", BAD)
def test_bad_check_ins_get_a_clear_error_and_store_nothing(patient_api, change, field):
    response = patient_api.post("/api/checkins", json=checkin_body(**change), key=new_key())
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert count(CheckIn) == 0


def test_my_check_ins_are_listed_newest_first(patient_api, factory):
    factory.checkin(patient_api.patient, recorded_at=utcnow() - timedelta(days=1), leg_pain=7)
    factory.checkin(patient_api.patient, leg_pain=3)
    items = patient_api.get("/api/checkins").get_json()["items"]
    assert [i["leg_pain"] for i in items] == [3, 7]
    assert patient_api.get("/api/checkins?limit=0").status_code == 400
