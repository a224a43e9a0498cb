"""Progress maths on known data, the progress/today/export endpoints, and deleting an account."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEvent, CheckIn, Course, User, utcnow
from backend.progress import maths
from tests.conftest import PASSWORD, checkin_body

D0 = date(2026, 3, 2)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


# ---- the maths, without a database -------------------------------------------------------


def test_a_day_is_summarised_by_mean_and_max_and_its_largest_sitting_figure():
    entries = [
        maths.Entry(day(0), 6, 4, 120),
        maths.Entry(day(0), 8, 2, 300),
        maths.Entry(day(0), 4, 3, None),
    ]
    [summary] = maths.daily(entries, {}, [], day(0), day(0))
    assert summary.entries == 3
    assert summary.leg_mean == 6 and summary.leg_max == 8
    assert summary.back_mean == 3 and summary.back_max == 4
    assert summary.sitting_minutes == 300


def test_days_without_entries_are_kept_empty_so_the_chart_shows_gaps():
    days = maths.daily([maths.Entry(day(2), 5, 5)], {}, [], day(0), day(3))
    assert [d.entries for d in days] == [0, 0, 1, 0]
    assert days[0].leg_mean is None


def test_adherence_is_done_over_due_and_extra_sessions_do_not_make_up_for_missed_ones():
    dues = [maths.Due(1, day(0), None, times_per_day=2, days_per_week=7)]
    done = {(1, day(0)): 2, (1, day(1)): 5}  # day 1: five times, counted as the two due
    days = maths.daily([], done, dues, day(0), day(2))
    assert [d.adherence for d in days] == [100.0, 100.0, 0.0]
    [week] = maths.weekly_adherence(days, day(0))
    assert week["due"] == 6 and week["done"] == 4
    assert week["adherence"] == pytest.approx(66.67)


def test_homework_outside_its_dates_is_not_due():
    due = maths.Due(1, day(1), day(2), times_per_day=1, days_per_week=7)
    assert [due.due_on(day(n)) for n in range(4)] == [0, 1, 1, 0]
    assert maths.Due(2, day(0), None, 1, 5).due_on(day(0)) == pytest.approx(5 / 7)


@pytest.mark.parametrize("baseline, line", [(8, 6.0), (6, 4.2), (4, 2.8), (10, 8.0), (0, 0.0)])
def test_the_meaningful_change_line_is_two_points_or_thirty_percent_whichever_comes_first(
    baseline, line
):
    assert maths.meaningful_line(baseline) == pytest.approx(line)


@pytest.mark.parametrize(
    "baseline, current, meaningful",
    [
        (8, 6, True),  # 2 points
        (8, 6.5, False),  # 1.5 points, 19 %
        (4, 2.8, True),  # 1.2 points but 30 %
        (4, 3, False),  # 1 point, 25 %
        (5, 6, False),  # worse
    ],
)
def test_a_responder_improves_by_two_points_or_thirty_percent(baseline, current, meaningful):
    result = maths.change("leg_pain", baseline, current)
    assert result.meaningful is meaningful
    assert result.improved is (current < baseline)


def test_sitting_link_needs_fourteen_paired_days_and_then_finds_the_relation():
    # Leg pain the next day = 2 + 1 point per hour sat the day before, exactly.
    hours = [1, 2, 3, 4, 5] * 3
    entries = [
        maths.Entry(day(n), leg=2 + hours[n - 1] if n else 3, back=2, sitting=60 * hours[n])
        for n in range(15)
    ]
    days = maths.daily(entries, {}, [], day(0), day(14))
    link = maths.sitting_link(days)
    assert link.pairs == 14 and link.enough
    assert link.r == pytest.approx(1.0)
    assert link.slope_per_hour == pytest.approx(1.0)
    few = maths.sitting_link(days[:10])
    assert few.pairs == 9 and not few.enough and few.r is None


# ---- the endpoints ------------------------------------------------------------------------


def _log(patient, n: int, leg: int, back: int = 3, sitting: int | None = None, today=None):
    local = (today or date.today()) - timedelta(days=n)
    return CheckIn(
        patient_id=patient.id,
        recorded_at=utcnow() - timedelta(days=n),
        local_date=local,
        leg_pain=leg,
        back_pain=back,
        sitting_minutes=sitting,
        red_flag_answers={},
        has_red_flag=False,
    )


@pytest.fixture
def patient(factory):
    return factory.patient()


def test_progress_compares_the_last_week_with_the_first_week_of_the_course(api, patient):
    from backend.timeutil import today_for

    today = today_for(patient.timezone)
    db.session.add(
        Course(
            patient_id=patient.id,
            planned_sessions=10,
            weeks=4,
            start_date=today - timedelta(days=20),
        )
    )
    # First week: leg 8, back 4. Last week: leg 5, back 4.
    db.session.add_all([_log(patient, n, 8, 4, 480, today) for n in range(14, 21)])
    db.session.add_all([_log(patient, n, 6, 4, 300, today) for n in range(7, 14)])
    db.session.add_all([_log(patient, n, 5, 4, 240, today) for n in range(0, 7)])
    db.session.commit()
    api.login(patient)
    data = api.get("/api/progress").get_json()
    assert data["start"] == (today - timedelta(days=20)).isoformat()
    assert len(data["days"]) == 21
    assert data["baseline"]["source"] == "course"
    assert data["baseline"]["leg_mean"] == 8
    changes = {c["measure"]: c for c in data["changes"]}
    assert changes["leg_pain"]["points"] == 3 and changes["leg_pain"]["meaningful"]
    assert changes["leg_pain"]["target"] == 6
    assert changes["back_pain"]["improved"] is False
    assert changes["sitting_minutes"]["percent"] == 50
    link = data["sitting_link"]
    assert link["enough"] is True and link["pairs"] == 20 and link["r"] > 0.9


def test_progress_with_no_data_is_empty_not_an_error(api, patient):
    api.login(patient)
    data = api.get("/api/progress").get_json()
    assert data["baseline"] is None and data["changes"] == []
    assert data["sitting_link"]["enough"] is False


def test_today_shows_session_n_of_m_and_todays_homework(api, factory, patient):
    from backend.models import Appointment, AppointmentStatus, utcnow

    course = Course(
        patient_id=patient.id,
        planned_sessions=10,
        weeks=4,
        start_date=date.today() - timedelta(days=10),
    )
    db.session.add(course)
    db.session.flush()
    for n in range(5):
        db.session.add(
            Appointment(
                patient_id=patient.id,
                course_id=course.id,
                starts_at=utcnow() - timedelta(days=n + 1),
                status=AppointmentStatus.ATTENDED,
            )
        )
    db.session.add(
        Appointment(
            patient_id=patient.id, course_id=course.id, starts_at=utcnow() + timedelta(days=1)
        )
    )
    db.session.commit()
    factory.assignment(patient)
    api.login(patient)
    data = api.get("/api/today").get_json()
    assert data["course"]["next_session_number"] == 6
    assert data["course"]["planned_sessions"] == 10
    assert data["next_appointment"]["starts_at"]
    assert len(data["homework"]) == 1 and data["homework"][0]["done_today"] == 0


def test_exports_hold_all_my_entries_and_neutralise_spreadsheet_formulas(api, factory, patient):
    factory.checkin(patient, note='=HYPERLINK("x")', leg_pain=7)
    assignment = factory.assignment(patient)
    api.login(patient)
    api.post(
        f"/api/homework/{assignment.id}/completions",
        json={"feeling": "better"},
        key="export-test-1",
    )
    response = api.get("/api/export.csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["type"] for r in rows] == ["checkin", "homework"]
    assert rows[0]["leg_pain"] == "7" and rows[0]["note"].startswith("'=")
    data = api.get("/api/export.json").get_json()
    assert len(data["checkins"]) == 1 and data["homework_completions"][0]["feeling"] == "better"


def test_closing_my_account_needs_my_password_gives_my_data_and_keeps_the_clinic_record(
    api, factory, patient
):
    factory.checkin(patient)
    api.login(patient)
    api.post("/api/checkins", json=checkin_body(), key="delete-test-1")
    wrong = api.delete("/api/me", json={"password": "not my password"})
    assert wrong.status_code == 403
    assert wrong.get_json()["error"]["code"] == "wrong_password"
    patient_id = patient.id
    closed = api.delete("/api/me", json={"password": PASSWORD})
    assert closed.status_code == 200
    assert len(closed.get_json()["checkins"]) == 2  # the patient's copy of their data
    db.session.expire_all()
    user = db.session.get(User, patient_id)
    assert user is not None and user.closed_at is not None and not user.active
    assert user.password_hash is None
    assert len(db.session.scalars(select(CheckIn).filter_by(patient_id=patient_id)).all()) == 2
    assert db.session.scalar(select(AuditEvent).filter_by(action="account.close"))
    assert api.get("/api/me").status_code == 401
    assert (
        api.post("/api/auth/login", json={"email": user.email, "password": PASSWORD}).status_code
        == 401
    )


@pytest.mark.parametrize(
    "body, status, code",
    [
        (None, 400, "invalid_json"),
        ({}, 422, "invalid"),
        ({"password": PASSWORD, "extra": 1}, 422, "invalid"),
    ],
)
def test_bad_delete_requests_get_the_error_shape(api, patient, body, status, code):
    api.login(patient)
    response = (
        api.delete("/api/me", json=body)
        if body is not None
        else api.delete("/api/me", data="x", content_type="application/json")
    )
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and "message" in error and "fields" in error


def test_practitioners_cannot_use_patient_progress(api, factory):
    api.login(factory.practitioner())
    response = api.get("/api/progress")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
