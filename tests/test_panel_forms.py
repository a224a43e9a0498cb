"""Panel forms: homework, the exercise library, the course, invites, accounts, questionnaires.

Bad input answers 422 with a page naming what to fix, and saves nothing.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backend.course.questionnaires import seed_questionnaires
from backend.extensions import db
from backend.homework.library import seed_library
from backend.models import (
    Appointment,
    AppointmentStatus,
    Assignment,
    AuditEvent,
    Course,
    Exercise,
    Invite,
    QuestionnaireResponse,
    User,
)
from backend.panel import course as panel_course
from backend.panel import homework as panel_homework
from tests.access import snapshot
from tests.conftest import PASSWORD, ApiClient

TODAY = date.today()


@pytest.fixture
def practitioner(factory):
    seed_library()
    seed_questionnaires()
    db.session.commit()
    return factory.practitioner(display_name="Dr Rivera")


@pytest.fixture
def patient(factory, practitioner):
    return factory.patient(practitioner, display_name="Maya Chen")


@pytest.fixture
def panel(api, practitioner):
    api.login(practitioner)
    api.token = api.form_token("/panel/")
    return api


@pytest.fixture
def notified(monkeypatch):
    """Patients told about new homework (the push engineer's outbox, recorded here)."""
    calls = []
    monkeypatch.setattr(panel_homework, "notify_new_homework", lambda p: calls.append(p.id))
    return calls


def post(panel, path, **data):
    return panel.client.post(path, data={"csrf_token": panel.token, **data})


def library(slug):
    return db.session.scalar(select(Exercise).filter_by(slug=slug, clinic_id=None))


def homework(**extra):
    return {
        "sets": "1",
        "reps": "3",
        "hold_seconds": "30",
        "times_per_day": "2",
        "days_per_week": "7",
        "start_date": TODAY.isoformat(),
        **extra,
    }


# -- homework --------------------------------------------------------------------------------


def test_assigned_homework_reaches_the_patient_at_once(app, panel, patient, notified):
    stretch = library("piriformis-stretch")
    response = post(
        panel,
        f"/panel/patients/{patient.id}/assignments",
        exercise_id=stretch.id,
        **homework(note="Gently, please"),
    )
    assert response.status_code == 303
    assert notified == [patient.id]
    phone = ApiClient(app.test_client())
    phone.login(patient)
    items = phone.get("/api/homework").get_json()["items"]
    assert [i["exercise"]["name"] for i in items] == ["Piriformis stretch"]
    assert items[0]["dosage"] == {
        "sets": 1,
        "reps": 3,
        "hold_seconds": 30,
        "times_per_day": 2,
        "days_per_week": 7,
    }
    assert items[0]["note"] == "Gently, please"
    assert db.session.scalar(select(AuditEvent).filter_by(action="homework.assign"))


def test_changing_and_ending_homework(app, panel, patient, factory, notified):
    assignment = factory.assignment(patient, library("knee-to-chest"))
    response = post(
        panel, f"/panel/assignments/{assignment.id}", **homework(reps="8", times_per_day="3")
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert (assignment.reps, assignment.times_per_day) == (8, 3)
    assert post(panel, f"/panel/assignments/{assignment.id}/end").status_code == 303
    db.session.expire_all()
    assert assignment.ended_at is not None
    assert notified == [patient.id, patient.id]
    phone = ApiClient(app.test_client())
    phone.login(patient)
    assert phone.get("/api/homework").get_json()["items"] == []


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("times_per_day", "0", "Times a day</strong> must be from 1 to 12"),
        ("times_per_day", "", "Times a day</strong> is required"),
        ("days_per_week", "8", "Days a week</strong> must be from 1 to 7"),
        ("reps", "lots", "Reps</strong> must be a whole number"),
        ("start_date", "31/01/2026", "Start date</strong> must be a date"),
        ("end_date", (TODAY - timedelta(days=1)).isoformat(), "must be on or after the start date"),
        ("exercise_id", "999999", "Exercise</strong> is not in your library"),
        ("exercise_id", "x", "Exercise</strong> must be a whole number"),
        ("note", "x" * 1001, "at most 1000 characters"),
    ],
)
def test_bad_homework_is_refused_and_nothing_saved(panel, patient, notified, field, value, message):
    data = {"exercise_id": str(library("cat-cow").id), **homework(), field: value}
    before = snapshot()
    response = post(panel, f"/panel/patients/{patient.id}/assignments", **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert snapshot() == before and notified == []


def test_another_clinics_exercise_cannot_be_assigned(panel, patient, factory):
    theirs = factory.exercise(factory.clinic())
    response = post(
        panel, f"/panel/patients/{patient.id}/assignments", exercise_id=theirs.id, **homework()
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0


# -- the exercise library --------------------------------------------------------------------


def test_library_shows_shipped_items_and_a_clinic_can_add_its_own(panel, practitioner):
    html = panel.get("/panel/exercises").get_data(as_text=True)
    assert "Sciatic nerve glide" in html and "/app/exercises/sciatic-nerve-glide.svg" in html
    response = post(
        panel,
        "/panel/exercises",
        name="Wall slide",
        summary="Easy squat",
        instructions="Stand with your back to a wall.\n\nSlide down a little.",
        times_per_day="1",
        days_per_week="5",
        reps="8",
        image="exercises/knee-to-chest.svg",
    )
    assert response.status_code == 303
    mine = db.session.scalar(select(Exercise).filter_by(name="Wall slide"))
    assert mine.image == "exercises/knee-to-chest.svg"
    assert mine.clinic_id == practitioner.clinic_id
    assert mine.instructions == ["Stand with your back to a wall.", "Slide down a little."]
    assert (mine.reps, mine.days_per_week) == (8, 5)
    again = post(
        panel,
        "/panel/exercises",
        name="Wall slide",
        instructions="x",
        times_per_day="1",
        days_per_week="7",
    )
    assert again.status_code == 422 and "already has an exercise" in again.get_data(as_text=True)


def test_a_clinic_exercise_can_only_reuse_a_shipped_picture(panel):
    response = post(
        panel,
        "/panel/exercises",
        name="Wall slide",
        instructions="Stand.",
        times_per_day="1",
        days_per_week="7",
        image="../../etc/passwd",
    )
    assert response.status_code == 422
    assert "Picture</strong> is not one of the choices" in response.get_data(as_text=True)
    assert db.session.scalar(select(Exercise).filter_by(name="Wall slide")) is None


def test_an_exercise_needs_a_name_and_instructions(panel):
    response = post(
        panel, "/panel/exercises", name="", instructions="", times_per_day="1", days_per_week="7"
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Name</strong> is required" in text and "Instructions</strong> is required" in text


# -- the course and appointments -------------------------------------------------------------


def test_plan_dates_spread_sessions_evenly():
    assert panel_course.plan_dates(10, 4) == [0, 3, 6, 8, 11, 14, 17, 20, 22, 25]
    assert panel_course.plan_dates(1, 1) == [0]


def test_planning_a_course_generates_its_appointments(panel, patient):
    response = post(
        panel,
        f"/panel/patients/{patient.id}/course",
        title="Acupuncture",
        planned_sessions="10",
        weeks="4",
        start_date="2026-03-02",
        time="09:30",
    )
    assert response.status_code == 303
    course = db.session.scalar(select(Course))
    sessions = course.appointments
    assert len(sessions) == 10
    assert sessions[0].starts_at.isoformat() == "2026-03-02T09:30:00+00:00"
    assert (sessions[-1].starts_at.date() - sessions[0].starts_at.date()).days < 28
    # A new plan closes the old course and cancels its future sessions.
    post(
        panel,
        f"/panel/patients/{patient.id}/course",
        planned_sessions="2",
        weeks="1",
        start_date="2026-04-06",
        time="10:00",
    )
    db.session.expire_all()
    assert course.ended_at is not None
    assert {a.status for a in course.appointments if a.starts_at > course.ended_at} <= {
        AppointmentStatus.CANCELLED
    }


def test_session_notes_with_acupoints(panel, patient):
    post(panel, f"/panel/patients/{patient.id}/appointments", starts_at="2026-03-02T10:00")
    appointment = db.session.scalar(select(Appointment))
    response = post(
        panel,
        f"/panel/appointments/{appointment.id}",
        status="attended",
        acupoints="gb30, GB 34; BL-57 Ashi, huantiao\nYintang",
        note="Tolerated well.",
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert appointment.status is AppointmentStatus.ATTENDED
    assert appointment.acupoints == ["GB30", "GB34", "BL57", "Ashi", "Huantiao", "Yintang"]
    html = panel.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert "GB30, GB34, BL57, Ashi, Huantiao, Yintang" in html and "Tolerated well." in html


@pytest.mark.parametrize(
    "data, message",
    [
        ({"status": "done"}, "Status</strong> is not one of the choices"),
        ({"status": "attended", "acupoints": "GB30 " + "x" * 90}, "at most 80 characters"),
        ({"status": "attended", "needles": "-1"}, "Needles</strong> must be from 0 to 200"),
        ({"status": "attended", "adverse_events": "nausea"}, "is not one of the choices"),
        ({"status": "attended", "starts_at": "tomorrow"}, "must be a date and time"),
    ],
)
def test_bad_session_input_is_refused(panel, patient, data, message):
    post(panel, f"/panel/patients/{patient.id}/appointments", starts_at="2026-03-02T10:00")
    appointment = db.session.scalar(select(Appointment))
    before = snapshot()
    response = post(panel, f"/panel/appointments/{appointment.id}", **data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert snapshot() == before


@pytest.mark.parametrize(
    "data",
    [
        {"planned_sessions": "0", "weeks": "4", "start_date": "2026-03-02", "time": "10:00"},
        {"planned_sessions": "10", "weeks": "", "start_date": "2026-03-02", "time": "10:00"},
        {"planned_sessions": "10", "weeks": "4", "start_date": "9999-01-01", "time": "10:00"},
        {"planned_sessions": "10", "weeks": "4", "start_date": "2026-03-02", "time": "25:00"},
    ],
)
def test_bad_course_input_is_refused(panel, patient, data):
    response = post(panel, f"/panel/patients/{patient.id}/course", **data)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


# -- invites and accounts --------------------------------------------------------------------


def test_inviting_a_patient_shows_the_link_and_qr_once(app, panel, practitioner):
    response = post(
        panel, "/panel/patients", display_name="Omar Haddad", email=" Omar@Example.test "
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    assert "<svg" in html and "shown only once" in html
    link = html.split('id="invite-url" class="invite-url" value="')[1].split('"')[0]
    token = link.rsplit("/", 1)[1]
    patient = db.session.scalar(select(User).filter_by(email="omar@example.test"))
    assert patient.practitioner_id == practitioner.id and patient.password_hash is None
    assert token not in db.session.scalar(select(Invite.token_hash))
    browser = app.test_client()
    assert browser.get(f"/invite/{token}").status_code == 200


def test_a_new_link_replaces_the_old_and_revoke_closes_it(app, panel, practitioner):
    html = post(panel, "/panel/patients", display_name="Omar", email="o@example.test").get_data(
        as_text=True
    )
    first = html.split('class="invite-url" value="')[1].split('"')[0].rsplit("/", 1)[1]
    patient = db.session.scalar(select(User).filter_by(email="o@example.test"))
    html = post(panel, f"/panel/patients/{patient.id}/invite").get_data(as_text=True)
    second = html.split('class="invite-url" value="')[1].split('"')[0].rsplit("/", 1)[1]
    browser = app.test_client()
    assert browser.get(f"/invite/{first}").status_code == 404
    assert browser.get(f"/invite/{second}").status_code == 200
    post(panel, f"/panel/patients/{patient.id}/invite/revoke")
    assert browser.get(f"/invite/{second}").status_code == 404


@pytest.mark.parametrize(
    "name, email, message",
    [
        ("", "a@example.test", "Name</strong> is required"),
        ("A", "not-an-email", "does not look like an email address"),
        ("A", "", "Email</strong> is required"),
    ],
)
def test_bad_invites_are_refused(panel, name, email, message):
    before = snapshot()
    response = post(panel, "/panel/patients", display_name=name, email=email)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert snapshot() == before


def test_an_email_with_an_account_cannot_be_invited_again(panel, patient):
    response = post(panel, "/panel/patients", display_name="Again", email=patient.email)
    assert response.status_code == 422 and "already has an account" in response.get_data(
        as_text=True
    )


def test_deactivating_a_patient_logs_them_out(app, panel, patient):
    phone = ApiClient(app.test_client())
    phone.login(patient)
    assert post(panel, f"/panel/patients/{patient.id}/active", active="0").status_code == 303
    assert phone.get("/api/homework").status_code == 401
    refused = phone.client.post(
        "/api/auth/login",
        json={"email": patient.email, "password": PASSWORD},
        headers={"X-Requested-With": "between"},
    )
    assert refused.status_code == 401
    post(panel, f"/panel/patients/{patient.id}/active", active="1")
    phone.login(patient)


# -- questionnaires --------------------------------------------------------------------------


def sbi(**answers):
    base = {
        "item-leg_pain": "4",
        "item-numbness_tingling": "3",
        "item-weakness": "1",
        "item-sitting_pain": "5",
        "timepoint": "start",
    }
    return {**base, **answers}


def test_a_questionnaire_is_scored_on_the_server(panel, patient):
    response = post(panel, f"/panel/patients/{patient.id}/questionnaires/sbi", **sbi())
    assert response.status_code == 303
    saved = db.session.scalar(select(QuestionnaireResponse))
    assert saved.score == 13 and saved.timepoint == "start"
    post(
        panel,
        f"/panel/patients/{patient.id}/questionnaires/sbi",
        **sbi(**{"item-leg_pain": "1", "timepoint": "mid"}),
    )
    html = panel.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert "baseline" in html and "-3" in html


@pytest.mark.parametrize(
    "answers, message",
    [
        ({"item-leg_pain": "7"}, "must be from 0 to 6"),
        ({"item-weakness": ""}, "is required"),
        ({"timepoint": "later"}, "When</strong> is not one of the choices"),
    ],
)
def test_bad_questionnaire_answers_are_refused(panel, patient, answers, message):
    response = post(panel, f"/panel/patients/{patient.id}/questionnaires/sbi", **sbi(**answers))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(QuestionnaireResponse)) is None


def test_an_unknown_questionnaire_is_404(panel, patient):
    assert (
        post(panel, f"/panel/patients/{patient.id}/questionnaires/odi", **sbi()).status_code == 404
    )


def test_questionnaires_are_scheduled_at_start_mid_and_end_of_the_course(panel, patient):
    post(
        panel,
        f"/panel/patients/{patient.id}/course",
        planned_sessions="10",
        weeks="4",
        start_date="2026-03-02",
        time="10:00",
    )
    html = panel.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert "start 02 Mar" in html and "mid 16 Mar" in html and "end 29 Mar" in html
