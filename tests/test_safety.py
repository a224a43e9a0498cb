"""Clinical safety: graded red flags never lost, a person told, intake, the clinic's record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.alerts.escalation import escalate_due
from backend.auth import accounts
from backend.checkins.red_flags import CHECKIN_FLAGS, HISTORY_FLAGS
from backend.extensions import db
from backend.intake.form import ITEMS
from backend.models import (
    Alert,
    AlertKind,
    AuditEvent,
    CheckIn,
    Intake,
    MailMessage,
    OutboxMessage,
    User,
    utcnow,
)
from tests.conftest import PASSWORD, checkin_body, new_key


@pytest.fixture
def clinic(factory):
    return factory.clinic(name="Riverside", emergency_number="112", escalation_hours=2)


@pytest.fixture
def lead(factory, clinic):
    return factory.practitioner(clinic, email="lead@clinic.test", display_name="Dr Lead")


@pytest.fixture
def owner(factory, clinic):
    return factory.practitioner(clinic, email="owner@clinic.test", is_owner=True)


@pytest.fixture
def patient(factory, lead):
    return factory.patient(lead)


@pytest.fixture
def phone(api, patient):
    api.login(patient)
    return api


def count(model, **where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0


def flags_only(**answers) -> dict:
    """A check-in with nothing but red-flag answers: the rest was never filled in."""
    return {"recorded_at": utcnow().isoformat(), "red_flags": answers}


# -- graded red flags -------------------------------------------------------------------


def test_the_vocabulary_is_served_with_the_clinics_numbers(phone):
    body = phone.get("/api/safety").get_json()
    assert [q["key"] for q in body["questions"]["emergency"] + body["questions"]["same_day"]] == (
        list(CHECKIN_FLAGS)
    )
    assert [q["key"] for q in body["questions"]["history"]] == list(HISTORY_FLAGS)
    assert body["clinic"]["emergency_number"] == "112"
    assert "supports your care" in body["disclaimer"] and body["disclaimer_seen"] is False
    assert phone.post("/api/safety/disclaimer").status_code == 204
    assert phone.get("/api/safety").get_json()["disclaimer_seen"] is True


@pytest.mark.parametrize(
    "answers, grade",
    [
        ({"saddle_numbness": True, "fever": True}, "emergency"),
        ({"night_pain": True}, "same_day"),
        ({"fever": False, "weight_loss": False}, None),
    ],
)
def test_each_answer_is_graded(phone, answers, grade):
    body = checkin_body(red_flags=answers)
    response = phone.post("/api/checkins", json=body, key=new_key())
    assert response.status_code == 201
    assert response.get_json()["urgency"] == grade
    alert = db.session.scalar(select(Alert))
    assert (alert.urgency if alert else None) == grade


def test_a_red_flag_is_sent_alone_and_questions_never_seen_stay_not_asked(phone):
    response = phone.post("/api/checkins", json=flags_only(bladder_bowel=True), key=new_key())
    assert response.status_code == 201, response.get_json()
    entry = db.session.scalar(select(CheckIn))
    assert entry.leg_pain is None and entry.back_pain is None
    assert entry.red_flag_answers["bladder_bowel"] is True
    assert entry.red_flag_answers["fever"] is None  # not asked, not "no"
    assert count(Alert, kind=AlertKind.RED_FLAG) == 1
    # An entry without pain scores is not a point of the trends, and breaks nothing.
    assert phone.get("/api/progress").status_code == 200
    assert phone.get("/api/export.csv").status_code == 200


def test_without_a_red_flag_pain_scores_are_still_needed(phone):
    response = phone.post("/api/checkins", json=flags_only(fever=False), key=new_key())
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"leg_pain", "back_pain"}


def test_history_questions_are_not_asked_at_a_check_in(phone):
    body = checkin_body(red_flags={"cancer": True})
    assert phone.post("/api/checkins", json=body, key=new_key()).status_code == 422
    assert count(Alert) == 0


def test_a_red_flag_queued_by_an_older_app_version_still_alerts(phone):
    old = {
        "bladder_bowel": False,
        "saddle_numbness": False,
        "both_legs_or_weakness": True,
        "after_trauma": False,
        "fever": False,
        "cancer_history": True,
        "weight_loss": False,
    }
    response = phone.post("/api/checkins", json=checkin_body(red_flags=old), key=new_key())
    assert response.status_code == 201
    assert response.get_json()["urgency"] == "emergency"
    alert = db.session.scalar(select(Alert))
    assert alert.details["red_flags"] == ["both_legs_or_weakness", "cancer_history"]


def test_a_phone_clock_15_minutes_fast_is_accepted_and_clamped(phone):
    fast = utcnow() + timedelta(minutes=15)
    body = checkin_body(recorded_at=fast.isoformat(), red_flags={"fever": True})
    assert phone.post("/api/checkins", json=body, key=new_key()).status_code == 201
    entry = db.session.scalar(select(CheckIn))
    assert entry.device_recorded_at == fast.replace(microsecond=fast.microsecond)
    assert entry.recorded_at <= entry.received_at + timedelta(seconds=1)
    assert count(Alert) == 1


def test_a_red_flag_is_never_refused_for_its_age(phone):
    old = utcnow() - timedelta(days=200)
    body = flags_only(worsening_weakness=True) | {"recorded_at": old.isoformat()}
    assert phone.post("/api/checkins", json=body, key=new_key()).status_code == 201
    assert count(Alert) == 1
    # An ordinary entry that old is still refused (it would distort the trends).
    plain = checkin_body(recorded_at=old.isoformat())
    assert phone.post("/api/checkins", json=plain, key=new_key()).status_code == 422


def test_an_old_red_flag_replayed_after_its_answer_was_pruned_is_stored_once(phone):
    from backend.api.routing import prune_answers

    old = utcnow() - timedelta(days=120)
    body = flags_only(night_pain=True) | {"recorded_at": old.isoformat()}
    key = new_key()
    assert phone.post("/api/checkins", json=body, key=key).status_code == 201
    prune_answers(now=utcnow() + timedelta(days=365))
    db.session.commit()
    again = phone.post("/api/checkins", json=body, key=key)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert count(CheckIn) == 1 and count(Alert) == 1


def test_homework_is_paused_after_an_emergency_flag_until_acknowledged(phone, lead):
    assert phone.get("/api/today").get_json()["homework_paused"] is False
    phone.post("/api/checkins", json=flags_only(both_legs=True), key=new_key())
    assert phone.get("/api/today").get_json()["homework_paused"] is True
    alert = db.session.scalar(select(Alert))
    alert.acknowledged_at, alert.acknowledged_by_id = utcnow(), lead.id
    db.session.commit()
    assert phone.get("/api/today").get_json()["homework_paused"] is False


def test_a_same_day_flag_does_not_pause_homework(phone):
    phone.post("/api/checkins", json=flags_only(weight_loss=True), key=new_key())
    assert phone.get("/api/today").get_json()["homework_paused"] is False


# -- a person is told ---------------------------------------------------------------------


def test_a_red_flag_mails_and_pushes_the_lead_practitioner_without_health_data(phone, lead):
    phone.post("/api/checkins", json=flags_only(saddle_numbness=True), key=new_key())
    mail = db.session.scalar(select(MailMessage))
    assert mail.to_address == "lead@clinic.test" and mail.kind == "red_flag"
    assert "needs your attention" in mail.text_body and "http://localhost/panel/" in mail.text_body
    for word in ("saddle", "numb", "Patient", "emergency"):
        assert word not in mail.text_body + mail.subject
    push = db.session.scalar(select(OutboxMessage).filter_by(user_id=lead.id))
    assert push.kind == "clinic_alert" and "saddle" not in str(push.payload)


def test_worse_after_exercise_tells_the_lead_practitioner(phone, factory, patient):
    assignment = factory.assignment(patient)
    phone.post(
        f"/api/homework/{assignment.id}/completions", json={"feeling": "worse"}, key=new_key()
    )
    assert count(MailMessage, kind="worse_after_exercise") == 1


def test_an_unacknowledged_red_flag_escalates_to_the_owner_after_the_clinics_hours(
    app, phone, owner
):
    phone.post("/api/checkins", json=flags_only(fever=True), key=new_key())
    created = db.session.scalar(select(Alert)).created_at
    assert escalate_due(app, now=created + timedelta(hours=1, minutes=59)) == 0
    assert escalate_due(app, now=created + timedelta(hours=2)) == 1
    assert escalate_due(app, now=created + timedelta(hours=3)) == 0  # once
    db.session.rollback()  # end this test's read snapshot: the clock wrote in its own session
    mail = db.session.scalar(select(MailMessage).filter_by(kind="escalation"))
    assert mail.to_address == "owner@clinic.test" and "2 hours" in mail.text_body
    assert db.session.scalar(select(Alert)).escalated_at is not None


def test_an_acknowledged_red_flag_does_not_escalate(app, phone, lead, owner):
    phone.post("/api/checkins", json=flags_only(fever=True), key=new_key())
    alert = db.session.scalar(select(Alert))
    alert.acknowledged_at, alert.action = utcnow(), "called_patient"
    db.session.commit()
    assert escalate_due(app, now=alert.created_at + timedelta(days=1)) == 0
    assert count(MailMessage, kind="escalation") == 0


# -- intake -----------------------------------------------------------------------------


def intake_answers(**changes) -> dict:
    answers: dict[str, object] = {
        key: False for key, item in ITEMS.items() if item["kind"] == "yesno"
    }
    answers |= {
        "date_of_birth": "1968-03-14",
        "complaint_where": "Left buttock and calf",
        "complaint_side": "left",
        "consent_treatment": True,
        "consent_data": True,
    }
    return answers | changes


def test_a_history_yes_at_intake_opens_one_review_item_and_no_alert(phone, lead, patient):
    answers = intake_answers(history_cancer=True, blood_thinners=True)
    response = phone.post("/api/intake", json={"answers": answers}, key=new_key())
    assert response.status_code == 201, response.get_json()
    changed = intake_answers(history_cancer=True, blood_thinners=True, pacemaker=True)
    phone.post("/api/intake", json={"answers": changed}, key=new_key())
    assert count(Alert, kind=AlertKind.RED_FLAG) == 0
    assert count(Alert, kind=AlertKind.INTAKE_REVIEW) == 1
    assert count(MailMessage) == 0  # a review item, not an alarm
    review = db.session.scalar(select(Alert))
    assert "Blood thinners" in review.details["raises"]
    assert review.details["history_flags"] == ["cancer"]
    # Check-ins after it raise nothing about the history.
    phone.post("/api/checkins", json=checkin_body(), key=new_key())
    assert count(Alert) == 1
    assert phone.get("/api/today").get_json()["intake_due"] is False


def test_intake_needs_consent_and_a_possible_date_of_birth(phone):
    answers = intake_answers(consent_data=False, date_of_birth="2999-01-01", mystery=True)
    response = phone.post("/api/intake", json={"answers": answers}, key=new_key())
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {
        "answers.consent_data",
        "answers.date_of_birth",
        "answers.mystery",
    }
    assert count(Intake) == 0


def test_the_patient_page_shows_the_intake_what_it_raises_and_who_reviewed_it(
    api, phone, lead, patient
):
    phone.post("/api/intake", json={"answers": intake_answers(pacemaker=True)}, key=new_key())
    api.logout()
    api.login(lead)
    token = api.form_token("/panel/")
    page = api.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert "Pacemaker or implant: no electro-acupuncture" in page and "Not reviewed yet" in page
    reviewed = api.client.post(
        f"/panel/patients/{patient.id}/intake/review", data={"csrf_token": token}
    )
    assert reviewed.status_code == 303
    page = api.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert "Reviewed by Dr Lead" in page
    assert "Pacemaker or implant: no electro-acupuncture" in page  # still in sight
    assert count(Alert, kind=AlertKind.INTAKE_REVIEW) == 1
    assert db.session.scalar(select(Alert)).acknowledged_at is not None


def test_the_practitioner_can_enter_the_intake(api, lead, patient):
    api.login(lead)
    token = api.form_token("/panel/")
    form = {
        k: ("yes" if v is True else "no" if v is False else v) for k, v in intake_answers().items()
    }
    response = api.client.post(
        f"/panel/patients/{patient.id}/intake", data={**form, "csrf_token": token}
    )
    assert response.status_code == 303
    intake = db.session.scalar(select(Intake))
    assert intake.entered_by_id == lead.id and intake.answers["date_of_birth"] == "1968-03-14"


# -- the clinic's record ------------------------------------------------------------------


def test_closing_the_app_account_keeps_alerts_intake_and_check_ins(phone, patient, lead):
    phone.post("/api/checkins", json=flags_only(bladder_bowel=True), key=new_key())
    phone.post("/api/intake", json={"answers": intake_answers()}, key=new_key())
    closed = phone.delete("/api/me", json={"password": PASSWORD})
    assert closed.status_code == 200
    assert closed.get_json()["intake"]["answers"]["date_of_birth"] == "1968-03-14"
    assert count(CheckIn) == 1 and count(Alert, kind=AlertKind.RED_FLAG) == 1
    assert count(Intake) == 1
    assert db.session.get(User, patient.id).closed_at is not None


def test_only_the_owner_erases_a_closed_record_and_only_after_retention(
    api, factory, clinic, owner, lead, patient
):
    factory.checkin(patient)
    accounts.close(patient)
    db.session.commit()
    api.login(lead)
    token = api.form_token("/panel/")
    path = f"/panel/patients/{patient.id}/erase"
    assert api.client.post(path, data={"csrf_token": token}).status_code == 403
    api.logout()
    api.login(owner)
    token = api.form_token("/panel/")
    assert api.client.post(path, data={"csrf_token": token}).status_code == 422  # too soon
    assert count(CheckIn) == 1
    patient.closed_at = utcnow() - timedelta(days=365 * 8 + 3)
    db.session.commit()
    assert api.client.post(path, data={"csrf_token": token}).status_code == 303
    assert count(User, id=patient.id) == 0 and count(CheckIn) == 0
    erased = db.session.scalar(select(AuditEvent).filter_by(action="record.erase"))
    assert erased.patient_id == patient.id and erased.actor_id == owner.id


def test_acknowledging_records_what_was_done_on_the_page_and_in_the_report(
    api, phone, lead, patient
):
    phone.post("/api/checkins", json=flags_only(bladder_bowel=True), key=new_key())
    api.logout()
    api.login(lead)
    token = api.form_token("/panel/")
    alert = db.session.scalar(select(Alert))
    bad = api.client.post(
        f"/panel/alerts/{alert.id}/acknowledge", data={"csrf_token": token, "action": "other"}
    )
    assert bad.status_code == 422  # "other" needs a note
    done = api.client.post(
        f"/panel/alerts/{alert.id}/acknowledge",
        data={"csrf_token": token, "action": "advised_emergency", "note": "Went to A&E"},
    )
    assert done.status_code == 303
    page = api.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert "Advised emergency care" in page and "Went to A&amp;E" in page
    report = api.get(f"/panel/patients/{patient.id}/report").get_data(as_text=True)
    assert "Emergency: Bladder or bowel change." in report
    assert "Dr Lead" in report and "Advised emergency care (Went to A&amp;E)." in report
    assert api.get(f"/panel/patients/{patient.id}/report.pdf").status_code == 200
