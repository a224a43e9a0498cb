"""Questionnaires in the patient app: what is due at the start, middle and end of the course,
and answers scored on the server (the practitioner's entry form is in test_panel_forms.py)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.course.questionnaires import seed_questionnaires
from backend.extensions import db
from backend.models import Course, QuestionnaireResponse, utcnow
from tests.conftest import new_key

ANSWERS = {"leg_pain": 5, "numbness_tingling": 3, "weakness": 2, "sitting_pain": 6}


@pytest.fixture
def patient(factory):
    seed_questionnaires()
    db.session.commit()
    return factory.patient()


def start_course(patient, days_ago: int):
    db.session.add(
        Course(
            patient_id=patient.id,
            planned_sessions=10,
            weeks=4,
            start_date=utcnow().date() - timedelta(days=days_ago),
        )
    )
    db.session.commit()


def test_the_start_questionnaire_is_due_when_the_course_begins(api, patient):
    start_course(patient, days_ago=0)
    api.login(patient)
    sbi = api.get("/api/questionnaires").get_json()["items"][0]
    assert sbi["slug"] == "sbi" and sbi["max_score"] == 24 and len(sbi["items"]) == 4
    assert sbi["due"] == "start"
    assert [s["timepoint"] for s in sbi["schedule"]] == ["start", "mid", "end"]


def test_an_answer_is_scored_and_fills_the_due_time_point(api, patient):
    start_course(patient, days_ago=15)  # past the middle of a 4-week course
    api.login(patient)
    assert api.get("/api/questionnaires").get_json()["items"][0]["due"] == "mid"
    response = api.post(
        "/api/questionnaires/sbi/responses", json={"answers": ANSWERS}, key=new_key()
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["score"], body["max_score"], body["timepoint"]) == (16, 24, "mid")
    # The missed start is not asked for any more: given now, it would be no baseline.
    assert api.get("/api/questionnaires").get_json()["items"][0]["due"] is None


def test_without_a_course_an_answer_is_other(api, patient):
    api.login(patient)
    response = api.post(
        "/api/questionnaires/sbi/responses", json={"answers": ANSWERS}, key=new_key()
    )
    assert response.get_json()["timepoint"] == "other"


@pytest.mark.parametrize(
    "answers, field",
    [
        ({**ANSWERS, "leg_pain": 7}, "answers.leg_pain"),
        ({k: v for k, v in ANSWERS.items() if k != "weakness"}, "answers.weakness"),
        ({**ANSWERS, "mood": 2}, "answers.mood"),
    ],
)
def test_bad_answers_name_the_item_and_store_nothing(api, patient, answers, field):
    api.login(patient)
    response = api.post(
        "/api/questionnaires/sbi/responses", json={"answers": answers}, key=new_key()
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert db.session.scalar(select(QuestionnaireResponse)) is None


@pytest.mark.parametrize(
    "when", ["9999-12-31T23:59:00+00:00", "2099-01-01T10:00:00+00:00", "2020-01-01T10:00:00+00:00"]
)
def test_an_answer_far_from_now_is_refused_and_nothing_is_stored(api, patient, when):
    api.login(patient)
    response = api.post(
        "/api/questionnaires/sbi/responses",
        json={"answers": ANSWERS, "completed_at": when},
        key=new_key(),
    )
    assert response.status_code == 422
    assert "completed_at" in response.get_json()["error"]["fields"]
    assert db.session.scalar(select(QuestionnaireResponse)) is None


def test_an_unknown_questionnaire_is_404(api, patient):
    api.login(patient)
    assert (
        api.post(
            "/api/questionnaires/odi/responses", json={"answers": ANSWERS}, key=new_key()
        ).status_code
        == 404
    )


def test_a_practitioner_cannot_answer_for_the_app(api, factory, patient):
    api.login(factory.practitioner())
    assert (
        api.post(
            "/api/questionnaires/sbi/responses", json={"answers": ANSWERS}, key=new_key()
        ).status_code
        == 403
    )
