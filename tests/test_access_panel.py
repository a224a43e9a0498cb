"""Access matrix for the practitioner panel (see tests/access.py).

Every panel route is the practitioner's: patients get 403, anonymous callers are sent to
log in, and a practitioner of another clinic gets 404 for this clinic's patients.
"""

import itertools

import pytest

from tests.access import Row, build_world, check_row, intake_form
from tests.conftest import ApiClient

_emails = itertools.count(1)


def _dosage(**extra):
    return lambda w: {
        "times_per_day": "2",
        "days_per_week": "7",
        "sets": "1",
        "reps": "5",
        "start_date": "2026-01-05",
        **extra,
    }


def _patient(suffix=""):
    return lambda w: f"/panel/patients/{w.victim.id}{suffix}"


ROWS = [
    # The panel's own alert pushes (a practitioner's browser): the caller's own.
    Row("GET", "/api/panel/push/key", lambda w: "/api/panel/push/key", "practitioner", own=True),
    Row(
        "POST",
        "/api/panel/push/subscriptions",
        lambda w: "/api/panel/push/subscriptions",
        "practitioner",
        own=True,
        json=lambda w: {
            "endpoint": "https://fcm.googleapis.com/fcm/send/panel-matrix",
            "keys": {"p256dh": w.subscription.p256dh, "auth": w.subscription.auth},
        },
    ),
    Row(
        "DELETE",
        "/api/panel/push/subscriptions",
        lambda w: "/api/panel/push/subscriptions",
        "practitioner",
        own=True,
        json=lambda w: {"endpoint": "https://fcm.googleapis.com/fcm/send/none"},
    ),
    Row(
        "POST",
        "/panel/patients/<int:patient_id>/intake",
        _patient("/intake"),
        "practitioner",
        form=lambda w: intake_form(blood_thinners=True),
    ),
    Row(
        "POST",
        "/panel/patients/<int:patient_id>/intake/review",
        _patient("/intake/review"),
        "practitioner",
        form=lambda w: {},
    ),
    Row(
        "POST",
        "/panel/patients/<int:patient_id>/erase",
        lambda w: f"/panel/patients/{w.closed_patient.id}/erase",
        "owner",
        form=lambda w: {},
    ),
    # The patient app's questionnaire endpoints (backend/course/api.py): the caller's own.
    Row("GET", "/api/questionnaires", lambda w: "/api/questionnaires", "victim", own=True),
    Row(
        "POST",
        "/api/questionnaires/<slug>/responses",
        lambda w: "/api/questionnaires/sbi/responses",
        "victim",
        own=True,
        json=lambda w: {
            "answers": {"leg_pain": 2, "numbness_tingling": 1, "weakness": 0, "sitting_pain": 2}
        },
    ),
    Row("GET", "/panel/audit", lambda w: "/panel/audit", "practitioner", own=True),
    Row("GET", "/panel/exercises", lambda w: "/panel/exercises", "practitioner", own=True),
    Row(
        "POST",
        "/panel/exercises",
        lambda w: "/panel/exercises",
        "practitioner",
        own=True,
        form=lambda w: {
            "name": "Wall slide",
            "instructions": "Stand tall.\nSlide down.",
            "times_per_day": "1",
            "days_per_week": "7",
        },
    ),
    Row("GET", "/panel/patients/new", lambda w: "/panel/patients/new", "practitioner", own=True),
    Row(
        "POST",
        "/panel/patients",
        lambda w: "/panel/patients",
        "practitioner",
        own=True,
        form=lambda w: {
            "display_name": "New Person",
            "email": f"new.person{next(_emails)}@example.test",
        },
    ),
    Row("GET", "/panel/patients/<int:patient_id>", _patient(), "practitioner"),
    Row("GET", "/panel/patients/<int:patient_id>/report", _patient("/report"), "practitioner"),
    Row(
        "GET",
        "/panel/patients/<int:patient_id>/report.pdf",
        _patient("/report.pdf"),
        "practitioner",
    ),
    Row(
        "POST",
        "/panel/alerts/<int:alert_id>/acknowledge",
        lambda w: f"/panel/alerts/{w.alert.id}/acknowledge",
        "practitioner",
        form=lambda w: {"action": "called_patient", "note": "Advised A&E"},
    ),
    Row(
        "POST",
        "/panel/patients/<int:patient_id>/assignments",
        _patient("/assignments"),
        "practitioner",
        form=lambda w: {**_dosage()(w), "exercise_id": str(w.exercise.id)},
    ),
    Row(
        "POST",
        "/panel/assignments/<int:assignment_id>",
        lambda w: f"/panel/assignments/{w.assignment.id}",
        "practitioner",
        form=_dosage(),
    ),
    Row(
        "POST",
        "/panel/assignments/<int:assignment_id>/end",
        lambda w: f"/panel/assignments/{w.assignment.id}/end",
        "practitioner",
        form=lambda w: {},
    ),
    Row(
        "POST",
        "/panel/patients/<int:patient_id>/course",
        _patient("/course"),
        "practitioner",
        form=lambda w: {
            "planned_sessions": "10",
            "weeks": "4",
            "start_date": "2026-01-05",
            "time": "10:00",
        },
    ),
    Row(
        "POST",
        "/panel/patients/<int:patient_id>/appointments",
        _patient("/appointments"),
        "practitioner",
        form=lambda w: {"starts_at": "2026-01-05T10:00"},
    ),
    Row(
        "POST",
        "/panel/appointments/<int:appointment_id>",
        lambda w: f"/panel/appointments/{w.appointment.id}",
        "practitioner",
        form=lambda w: {"status": "attended", "acupoints": "GB30, BL57", "note": "Fine"},
    ),
    Row(
        "POST",
        "/panel/patients/<int:patient_id>/invite",
        _patient("/invite"),
        "practitioner",
        form=lambda w: {},
    ),
    Row(
        "POST",
        "/panel/patients/<int:patient_id>/invite/revoke",
        _patient("/invite/revoke"),
        "practitioner",
        form=lambda w: {},
    ),
    Row(
        "POST",
        "/panel/patients/<int:patient_id>/active",
        _patient("/active"),
        "practitioner",
        form=lambda w: {"active": "0"},
    ),
    Row(
        "POST",
        "/panel/patients/<int:patient_id>/questionnaires/<slug>",
        _patient("/questionnaires/sbi"),
        "practitioner",
        form=lambda w: {
            "timepoint": "mid",
            "item-leg_pain": "3",
            "item-numbness_tingling": "2",
            "item-weakness": "1",
            "item-sitting_pain": "3",
        },
    ),
]


@pytest.fixture
def world(factory):
    return build_world(factory)


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_only_the_clinic_reaches_it(row, world, app):
    check_row(row, world, lambda: ApiClient(app.test_client()))
