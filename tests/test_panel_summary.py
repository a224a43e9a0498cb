"""The patients list keeps each patient's figures between views (backend/panel/summary.py):
after every kind of change, the list read from them is the list computed from scratch."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import delete, insert, select

from backend.extensions import db
from backend.homework.service import change_dose
from backend.models import (
    Alert,
    AlertKind,
    Assignment,
    CheckIn,
    Completion,
    Course,
    PatientSummary,
    utcnow,
)
from backend.panel import summary, triage
from backend.reminders import clock
from tests.conftest import checkin_body

TODAY = utcnow().date()


def shown(rows):
    """Everything the list shows of each row, in its order."""
    return [
        (
            r.patient.id,
            r.rank,
            r.reasons,
            r.baseline_leg,
            r.recent_leg,
            r.worsening,
            r.last_checkin,
            r.adherence,
            r.red_flags,
            r.worse_reports,
        )
        for r in rows
    ]


@pytest.fixture
def clinic(factory):
    """Four patients with weeks of history: pain, homework, a course."""
    practitioner = factory.practitioner()
    patients = []
    for n, (first, last) in enumerate([(6, 4), (4, 6), (5, 5), (3, 7)]):
        patient = factory.patient(practitioner, display_name=f"Patient {n}")
        for offset in range(40):
            day = TODAY - timedelta(days=39 - offset)
            factory.checkin(patient, local_date=day, leg_pain=first if offset < 7 else last)
        patients.append(patient)
    for patient in patients[:2]:
        assignment = factory.assignment(
            patient, start_date=TODAY - timedelta(days=30), times_per_day=2
        )
        for offset in range(0, 7, 2):
            db.session.add(
                Completion(
                    assignment_id=assignment.id,
                    patient_id=patient.id,
                    local_date=TODAY - timedelta(days=offset),
                )
            )
    db.session.commit()
    return practitioner, patients


@pytest.fixture
def computed(monkeypatch):
    """The patients whose figures each call computed again (not read from the kept ones)."""
    calls: list[int] = []
    real = triage.compute_figures

    def spy(who, today, tz_name="UTC"):
        figures = real(who, today, tz_name)
        calls.append(len(figures))
        return figures

    monkeypatch.setattr(triage, "compute_figures", spy)
    return calls


def check(practitioner, today=TODAY, tz="UTC"):
    """The list from the kept figures equals the list from scratch; returns it."""
    kept = triage.patients_needing_attention(practitioner.clinic_id, today, tz_name=tz)
    db.session.commit()
    scratch = triage.patients_needing_attention(
        practitioner.clinic_id, today, tz_name=tz, recompute=True
    )
    assert shown(kept) == shown(scratch)
    return kept


def test_a_second_view_reads_the_kept_figures_and_shows_the_same(clinic, computed):
    practitioner, patients = clinic
    first = check(practitioner)
    assert computed[0] == len(patients)  # the first view computes everyone once
    computed.clear()
    again = triage.patients_needing_attention(practitioner.clinic_id, TODAY)
    assert computed == []  # nothing computed again
    assert shown(again) == shown(first)
    assert {r.worsening for r in first} == {True, False}  # the data has both kinds


def test_a_late_entry_back_dated_into_the_first_week_changes_only_that_patient(
    clinic, computed, api
):
    practitioner, patients = clinic
    check(practitioner)
    computed.clear()
    # An entry from 45 days ago, sent late from the phone's offline queue: it is now the
    # patient's first, so their first week starts that day.
    late = patients[2]
    before = {r.patient.id: r for r in check(practitioner)}[late.id].baseline_leg
    computed.clear()
    api.login(late)
    sent = datetime.combine(TODAY - timedelta(days=45), time(12), UTC)
    body = checkin_body(leg_pain=10, recorded_at=sent.isoformat())
    response = api.post("/api/checkins", json=body, key="late-entry-1")
    assert response.status_code == 201, response.get_json()
    rows = {r.patient.id: r for r in check(practitioner)}
    assert computed[0] == 1  # only the patient who wrote
    # Their first week: 10 on that day and 5 on the first day they had before.
    assert rows[late.id].baseline_leg == pytest.approx(7.5)
    assert rows[late.id].baseline_leg != before


def test_a_check_in_today_homework_done_and_a_dose_change_show_at_once(clinic, computed, api):
    practitioner, patients = clinic
    check(practitioner)
    api.login(patients[0])
    entry = api.post("/api/checkins", json=checkin_body(leg_pain=9), key="today-entry-1")
    assert entry.status_code == 201
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.patient_id == patients[0].id)
    )
    done = api.post(f"/api/homework/{assignment.id}/completions", json={}, key="homework-done-1")
    assert done.status_code == 201, done.get_json()
    check(practitioner)
    # Three a day from four days ago: more due, so the week's adherence falls.
    before = {r.patient.id: r.adherence for r in check(practitioner)}[patients[1].id]
    other = db.session.scalar(select(Assignment).where(Assignment.patient_id == patients[1].id))
    dose = {
        "sets": other.sets,
        "reps": other.reps,
        "hold_seconds": other.hold_seconds,
        "times_per_day": 3,
        "days_per_week": 7,
    }
    assert change_dose(other, dose, TODAY - timedelta(days=3))
    db.session.commit()
    after = {r.patient.id: r.adherence for r in check(practitioner)}[patients[1].id]
    assert after < before


def test_time_passing_moves_the_last_seven_days(clinic, computed):
    practitioner, patients = clinic
    check(practitioner)
    for days in (1, 3, 8, 30):
        computed.clear()
        rows = check(practitioner, TODAY + timedelta(days=days))
        assert computed[0] == len(patients)  # a new day: everyone's week moved
    # A month on, nobody has checked in for 30 days and no recent pain is shown.
    assert all(r.recent_leg is None for r in rows)
    assert all("No check-in for 30 days" in str(r.reasons) for r in rows)


def test_a_clinic_time_zone_change_computes_again(clinic, computed):
    practitioner, _ = clinic
    check(practitioner)
    computed.clear()
    check(practitioner, tz="Pacific/Auckland")
    assert computed


def test_a_course_started_ended_and_assignments_ended_or_removed_in_bulk(clinic, computed):
    practitioner, patients = clinic
    check(practitioner)
    course = Course(
        patient_id=patients[3].id, planned_sessions=6, weeks=4, start_date=TODAY - timedelta(21)
    )
    db.session.add(course)
    db.session.commit()
    rows = {r.patient.id: r for r in check(practitioner)}
    assert rows[patients[3].id].baseline_leg == pytest.approx(7.0)  # the course's first week
    course.ended_at = utcnow()
    db.session.commit()
    rows = {r.patient.id: r for r in check(practitioner)}
    assert rows[patients[3].id].baseline_leg == pytest.approx(3.0)
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.patient_id == patients[0].id)
    )
    assignment.ended_at = utcnow() - timedelta(days=3)
    db.session.commit()
    check(practitioner)
    # Bulk statements through the session count too.
    db.session.execute(
        delete(CheckIn).where(
            CheckIn.patient_id == patients[2].id, CheckIn.local_date >= TODAY - timedelta(days=4)
        )
    )
    db.session.execute(delete(Completion).where(Completion.patient_id == patients[1].id))
    db.session.commit()
    rows = {r.patient.id: r for r in check(practitioner)}
    assert rows[patients[1].id].adherence == 0
    assert "No check-in for 5 days" in str(rows[patients[2].id].reasons)


def test_alerts_names_and_leads_are_read_live(clinic, factory):
    practitioner, patients = clinic
    check(practitioner)
    db.session.add(Alert(patient_id=patients[2].id, kind=AlertKind.RED_FLAG, details={}))
    patients[3].display_name = "Aaron First"
    db.session.commit()
    rows = check(practitioner)
    assert rows[0].patient.id == patients[2].id and rows[0].red_flags == 1
    assert any(r.patient.display_name == "Aaron First" for r in rows)


def test_a_patient_added_while_the_list_is_read_shows_from_the_next_view(
    clinic, factory, monkeypatch
):
    """On PostgreSQL each statement sees the latest commits: a patient (with a check-in and
    a red flag) committed between the list's statements once made the list a 500."""
    practitioner, patients = clinic
    real = triage.compute_figures
    late = []

    def another_request_commits_first(who, today, tz_name="UTC"):
        if not late:
            newcomer = factory.patient(practitioner, display_name="Late Arrival")
            factory.checkin(newcomer, local_date=TODAY, leg_pain=8)
            db.session.add(Alert(patient_id=newcomer.id, kind=AlertKind.RED_FLAG, details={}))
            db.session.commit()
            late.append(newcomer.id)
        return real(who, today, tz_name)

    monkeypatch.setattr(triage, "compute_figures", another_request_commits_first)
    rows = triage.patients_needing_attention(practitioner.clinic_id, TODAY)
    assert late and sorted(r.patient.id for r in rows) == sorted(p.id for p in patients)
    db.session.commit()
    rows = check(practitioner)
    assert rows[0].patient.id == late[0] and rows[0].red_flags == 1


def test_figures_computed_before_a_write_committed_are_not_kept_as_fresh(clinic):
    """A check-in committed while a list was computing: the list's figures are stale."""
    practitioner, patients = clinic
    check(practitioner)
    patient = patients[0]
    seen = db.session.scalar(
        select(PatientSummary.generation).where(PatientSummary.patient_id == patient.id)
    )
    figures = triage.compute_figures([triage.User.id == patient.id], TODAY)
    summary.invalidate(db.session.connection(), [patient.id])  # the other request's write
    summary.store(db.session.connection(), figures, {patient.id: seen}, TODAY, "UTC")
    db.session.commit()
    kept = db.session.get(PatientSummary, patient.id)
    db.session.refresh(kept)
    assert kept.generation == seen + 1 and kept.computed_generation == seen
    assert not summary.is_fresh(
        kept.generation, kept.computed_generation, kept.computed_for, kept.tz, TODAY, "UTC"
    )


def test_the_clock_computes_stale_figures_so_a_first_view_computes_nothing(
    app, clinic, computed, factory
):
    practitioner, patients = clinic
    factory.checkin(patients[1], local_date=TODAY, leg_pain=9)  # nothing kept yet, and a write
    assert clock.refresh_lists(app) == len(patients)
    assert clock.refresh_lists(app) == 0  # nothing went stale since
    factory.checkin(patients[1], local_date=TODAY - timedelta(days=20), leg_pain=1)
    assert clock.refresh_lists(app) == 1
    computed.clear()
    triage.patients_needing_attention(practitioner.clinic_id, TODAY)
    assert computed == []  # the view read what the clock kept...
    check(practitioner)  # ...and it is the list from scratch
    # A new clinic day: the clock computes the moved week before anyone looks.
    tomorrow = TODAY + timedelta(days=1)
    assert triage.refresh(practitioner.clinic_id, tomorrow, "UTC") == len(patients)
    computed.clear()
    triage.patients_needing_attention(practitioner.clinic_id, tomorrow)
    assert computed == []
    check(practitioner, tomorrow)


def test_the_clock_runs_the_refresh_every_quarter_hour(app):
    job = {job.id: job for job in clock.build_scheduler(app).get_jobs()}["patients-lists"]
    assert job.coalesce is True and job.max_instances == 1
    assert "minute='0,15,30,45'" in str(job.trigger)


def test_bulk_inserts_and_a_check_in_moved_to_another_patient_count_too(clinic, computed):
    practitioner, patients = clinic
    check(practitioner)
    db.session.execute(
        insert(CheckIn),
        [
            {
                "patient_id": patients[0].id,
                "local_date": TODAY,
                "leg_pain": 10,
                "back_pain": 1,
                "red_flag_answers": {},
            }
        ],
    )
    db.session.execute(
        insert(CheckIn).values(
            patient_id=patients[1].id,
            local_date=TODAY - timedelta(days=1),
            leg_pain=0,
            back_pain=0,
            red_flag_answers={},
        )
    )
    db.session.commit()
    computed.clear()
    rows = {r.patient.id: r for r in check(practitioner)}
    assert computed[0] == 2
    entry = db.session.scalar(
        select(CheckIn).where(CheckIn.patient_id == patients[1].id).order_by(CheckIn.id).limit(1)
    )
    entry.patient_id = patients[2].id  # the first week of one, moved to another
    db.session.commit()
    computed.clear()
    after = {r.patient.id: r for r in check(practitioner)}
    assert computed[0] == 2
    assert after[patients[1].id].baseline_leg != rows[patients[1].id].baseline_leg
