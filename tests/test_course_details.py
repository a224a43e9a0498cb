"""Course details: meaningful change by DOMAIN.md, adherence under the dose of each day."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import Assignment, AssignmentDose, Completion
from backend.panel import data
from backend.progress import maths
from backend.timeutil import today_for
from tests.conftest import new_key
from tests.test_panel_forms import homework, library, panel, patient, post, practitioner  # noqa: F401

# ---- Meaningful change: 2 points, or 30 % with a 1-point floor, counted in tenths ---------


@pytest.mark.parametrize(
    "baseline, current, verdict",
    [
        (8.0, 6.0, "better"),  # exactly 2 points
        (8.0, 6.1, None),  # 1.9 points, 24 %
        (4.0, 2.8, "better"),  # exactly 30 %, 1.2 points
        (4.0, 2.9, None),  # 27.5 %
        (5.0, 3.5, "better"),  # exactly 30 %, 1.5 points
        (3.0, 2.1, None),  # exactly 30 %, but 0.9 point is under the 1-point floor
        (3.0, 2.0, "better"),  # 33 % and the 1-point floor
        (1.0, 0.7, None),  # 30 % of a low baseline is not a change
        (1.0, 0.0, "better"),  # 100 % and 1 point
        (4.0, 5.2, "worse"),  # 30 % up, 1.2 points
        (3.0, 3.9, None),  # 30 % up but under the floor
        (6.0, 8.0, "worse"),  # 2 points up
        (None, 3.0, None),
    ],
)
def test_meaningful_change_boundaries(baseline, current, verdict):
    assert maths.meaningful_change(baseline, current) == verdict


def test_the_percentage_is_exact_in_tenths_where_floats_miss_it():
    assert 100 * (3.0 - 2.1) / 3.0 < 30  # what a float says
    assert maths.percent_change(3.0, 2.1) == 30.0
    assert maths.percent_change(7.0, 4.9) == 30.0
    assert maths.meaningful_change(7.0, 4.9) == "better"
    # A mean of daily means is rounded to tenths once, half up.
    assert maths.tenths(4.35) == 44 and maths.tenths(2.8) == 28


@pytest.mark.parametrize(
    "baseline, line", [(8, 6.0), (6, 4.2), (4, 2.8), (3, 2.0), (1, 0.0), (10, 8.0), (0, 0.0)]
)
def test_the_line_is_two_points_or_thirty_percent_with_a_one_point_floor(baseline, line):
    assert maths.meaningful_line(baseline) == pytest.approx(line)


def test_sitting_time_carries_no_meaningful_label():
    sitting = maths.change("sitting_minutes", 480, 120, pain_scale=False)
    assert sitting.improved and sitting.percent == 75 and sitting.meaningful is False
    assert sitting.target is None
    panel_change = data.Change(480, 120, pain_scale=False)
    assert not panel_change.responder and not panel_change.worse and panel_change.verdict == ""
    assert data.Change(3.0, 2.1).verdict == "No meaningful change yet"
    assert data.Change(4.0, 2.8).responder


# ---- Adherence against the dose in force on each day ---------------------------------------

START = date(2026, 1, 5)


def done_pattern() -> dict[tuple[int, date], int]:
    """Six weeks: ten days with 3 sessions, twelve days with 1, twenty days with none."""
    done = {}
    for n in range(42):
        if n < 10:
            done[(1, START + timedelta(days=n))] = 3
        elif n < 22:
            done[(1, START + timedelta(days=n))] = 1
    return done


def test_a_dose_change_never_rewrites_the_past():
    last = START + timedelta(days=41)
    before = maths.Due(1, START, None, times_per_day=3, days_per_week=7)
    days = maths.daily([], done_pattern(), [before], START, last)
    assert sum(d.homework_done for d in days) / sum(d.homework_due for d in days) == pytest.approx(
        42 / 126
    )  # 33 %

    # The dose drops to once a day from day 43. Rewritten, the six weeks would read 52 %.
    rewritten = maths.Due(1, START, None, times_per_day=1, days_per_week=7)
    days = maths.daily([], done_pattern(), [rewritten], START, last)
    assert round(100 * sum(d.homework_done for d in days) / sum(d.homework_due for d in days)) == 52

    history = maths.Due(
        1,
        START,
        None,
        times_per_day=1,
        days_per_week=7,
        doses=[maths.Dose(START, 3, 7), maths.Dose(START + timedelta(days=42), 1, 7)],
    )
    days = maths.daily([], done_pattern(), [history], START, last + timedelta(days=7))
    past = [d for d in days if d.day <= last]
    assert sum(d.homework_done for d in past) / sum(d.homework_due for d in past) == pytest.approx(
        42 / 126
    )
    assert [d.homework_due for d in days if d.day > last] == [1.0] * 7
    assert history.due_between(START, last) == pytest.approx(126)


def test_changing_the_dose_in_the_panel_keeps_past_adherence(panel, patient):  # noqa: F811
    today = today_for(patient.timezone)
    start = today - timedelta(days=42)
    post(
        panel,
        f"/panel/patients/{patient.id}/assignments",
        exercise_id=str(library("pelvic-tilt").id),
        **homework(times_per_day="3", start_date=start.isoformat()),
    )
    assignment = db.session.scalar(select(Assignment))
    for n in range(42):
        for _ in range(3 if n < 10 else 1 if n < 22 else 0):
            day = start + timedelta(days=n)
            db.session.add(
                Completion(
                    assignment_id=assignment.id,
                    patient_id=patient.id,
                    local_date=day,
                )
            )
    db.session.commit()
    yesterday = today - timedelta(days=1)
    [before] = data.adherence(patient, yesterday)
    assert before.percent == pytest.approx(100 * 42 / 126)

    response = post(
        panel,
        f"/panel/assignments/{assignment.id}",
        **homework(times_per_day="1", start_date=start.isoformat()),
    )
    assert response.status_code == 303
    db.session.expire_all()
    [after] = data.adherence(patient, yesterday)
    assert after.percent == pytest.approx(100 * 42 / 126)  # not 52 %
    assert assignment.times_per_day == 1
    doses = db.session.scalars(select(AssignmentDose).order_by(AssignmentDose.effective_from))
    assert [(d.effective_from, d.times_per_day) for d in doses] == [(start, 3), (today, 1)]
    [with_today] = data.adherence(patient, today)
    assert with_today.due == pytest.approx(127)

    # Changed twice the same day: one row for today, the latest dose.
    post(
        panel,
        f"/panel/assignments/{assignment.id}",
        **homework(times_per_day="2", start_date=start.isoformat()),
    )
    db.session.expire_all()
    doses = db.session.scalars(select(AssignmentDose).order_by(AssignmentDose.effective_from))
    assert [(d.effective_from, d.times_per_day) for d in doses] == [(start, 3), (today, 2)]


# ---- Acupoints and session records -----------------------------------------------------------


@pytest.mark.parametrize(
    "raw, points",
    [
        ("GB30", ["GB30"]),
        ("gb 30 L, GB-34 right", ["GB30 L", "GB34 R"]),
        ("EX-B2, ex b 2 Huatuojiaji", ["EX-B2", "EX-B2 Huatuojiaji"]),
        ("Huan Tiao, huantiao bilateral", ["Huantiao", "Huantiao bilateral"]),
        ("L GB34; st36 (R)", ["GB34 L", "ST36 R"]),
        ("Du 4, Ren-6, Liv3 left, UB40 both", ["GV4", "CV6", "LR3 L", "BL40 bilateral"]),
        ("GB30 L GB34 BL57", ["GB30 L", "GB34", "BL57"]),
        ("Ashi tender spot mid-calf", ["Ashi: tender spot mid-calf"]),
        ("points along the scar", ["points along the scar"]),
        ("gb30, GB 34; BL-57 Ashi", ["GB30", "GB34", "BL57", "Ashi"]),
    ],
)
def test_acupoint_entry_reads_codes_extra_points_pinyin_sides_and_free_text(raw, points):
    from backend.course.acupoints import parse_acupoints

    assert parse_acupoints(raw) == (points, [])


def test_a_session_records_needles_retention_electro_and_adverse_events(panel, patient):  # noqa: F811
    from backend.models import Appointment

    post(panel, f"/panel/patients/{patient.id}/appointments", starts_at="2026-03-02T10:00")
    appointment = db.session.scalar(select(Appointment))
    response = panel.client.post(
        f"/panel/appointments/{appointment.id}",
        data={
            "csrf_token": panel.token,
            "status": "attended",
            "acupoints": "GB30 L, EX-B2, Huan Tiao R",
            "needles": "8",
            "retention_minutes": "20",
            "electro": "1",
            "adverse_events": ["bruising", "fainting"],
            "adverse_note": "Felt faint at the end; lay down, fine after 5 minutes.",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert appointment.acupoints == ["GB30 L", "EX-B2", "Huantiao R"]
    assert (appointment.needles, appointment.retention_minutes, appointment.electro) == (
        8,
        20,
        True,
    )
    assert appointment.adverse_events == ["bruising", "fainting"]
    html = panel.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert "GB30 L, EX-B2, Huantiao R" in html and "8 needles · retained 20 min" in html
    assert "Adverse event: Bruising, Fainting or feeling faint" in html

    # The report, page and PDF, shows the exercises and the acupoints.
    post(
        panel,
        f"/panel/patients/{patient.id}/assignments",
        exercise_id=str(library("sciatic-nerve-glide").id),
        **homework(),
    )
    report = panel.get(f"/panel/patients/{patient.id}/report").get_data(as_text=True)
    assert "Sciatic nerve glide: 2 sets, 10 reps" in report or "Sciatic nerve glide:" in report
    assert "GB30 L (1), EX-B2 (1), Huantiao R (1)" in report
    assert "8 needles a session; retained 20 min; electro-acupuncture at 1 of 1" in report
    assert "adverse event: Bruising, Fainting or feeling faint" in report
    pdf = panel.get(f"/panel/patients/{patient.id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


# ---- Safety text and "stop this exercise" ------------------------------------------------------


def test_shipped_exercises_carry_the_safety_text_of_domain_md(practitioner):  # noqa: F811
    from backend.homework.library import seed_library
    from backend.models import Exercise

    shipped = {e.slug: e.caution for e in db.session.scalars(select(Exercise))}
    for caution in shipped.values():
        assert "stop this exercise" in caution and "until your practitioner has looked" in caution
    for slug in ("heat", "ice"):
        assert "15-20 minutes" in shipped[slug] and "through a cloth" in shipped[slug]
        assert "numb" in shipped[slug] and "diabetes or poor circulation" in shipped[slug]
    assert "never push into pain" in shipped["sciatic-nerve-glide"]
    assert (
        "spinal stenosis" in shipped["cat-cow"] and "spinal stenosis" in shipped["standing-break"]
    )
    for slug in ("piriformis-stretch", "knee-to-chest", "hamstring-stretch", "pelvic-tilt"):
        assert "pregnant" in shipped[slug] and "first trimester" in shipped[slug]
    assert (
        "hip replacement" in shipped["piriformis-stretch"]
        and "cross-leg" in shipped["piriformis-stretch"]
    )
    assert "hip replacement" in shipped["knee-to-chest"]
    # An older database gets the new wording at the next start.
    heat = db.session.scalar(select(Exercise).filter_by(slug="heat"))
    heat.caution = "old words"
    seed_library()
    assert heat.caution == shipped["heat"]


def test_stop_this_exercise_stays_until_the_practitioner_has_looked(api, factory):
    from backend.models import Alert

    practitioner_user = factory.practitioner()
    me = factory.patient(practitioner_user)
    assignment = factory.assignment(me)
    api.login(me)
    assert api.get("/api/homework").get_json()["items"][0]["paused"] is False
    done = api.post(
        f"/api/homework/{assignment.id}/completions", json={"feeling": "spreading"}, key=new_key()
    )
    assert done.status_code == 201
    for path in ("/api/homework", "/api/today"):
        body = api.get(path).get_json()
        items = body["items"] if "items" in body else body["homework"]
        assert items[0]["paused"] is True
    # Another "better" the next day does not lift it: only the practitioner's look does.
    api.post(
        f"/api/homework/{assignment.id}/completions", json={"feeling": "better"}, key=new_key()
    )
    assert api.get("/api/homework").get_json()["items"][0]["paused"] is True
    alert = db.session.scalar(select(Alert))
    alert.acknowledged_at = alert.created_at
    db.session.commit()
    assert api.get("/api/homework").get_json()["items"][0]["paused"] is False


# ---- Vocabularies: one home, served to the app -------------------------------------------------


def test_the_vocabularies_live_once_and_reach_the_app_and_the_panel(client, factory, api):
    from typing import get_args

    from backend import vocab
    from backend.checkins.schemas import Location, Sensation, Side
    from backend.homework.schemas import Feeling
    from backend.models import FEELINGS, LOCATIONS, SENSATIONS, SIDES

    assert get_args(Location) == LOCATIONS == tuple(vocab.LOCATIONS)
    assert get_args(Side) == SIDES == tuple(vocab.SIDES)
    assert get_args(Sensation) == SENSATIONS == tuple(vocab.SENSATIONS)
    assert get_args(Feeling) == FEELINGS == tuple(vocab.FEELINGS)
    module = client.get("/app/js/vocab.js")
    assert module.status_code == 200 and "javascript" in module.content_type
    text = module.get_data(as_text=True)
    assert '["thigh", "Back of thigh"]' in text and '["spreading", "Pain spreading"]' in text
    worker = client.get("/app/sw.js").get_data(as_text=True)
    assert '"js/vocab.js"' in worker and 'version:"unversioned"' not in worker

    practitioner_user = factory.practitioner()
    patient_user = factory.patient(practitioner_user)
    factory.checkin(
        patient_user, locations=["thigh", "lower_back"], side="left", sensations=["tingling"]
    )
    api.login(practitioner_user)
    html = api.get(f"/panel/patients/{patient_user.id}").get_data(as_text=True)
    assert "Back of thigh, Lower back (Left)" in html and "Tingling" in html


def test_the_patients_list_counts_each_day_at_its_own_dose(factory):
    from backend.panel import triage

    practitioner_user = factory.practitioner()
    me = factory.patient(practitioner_user)
    today = date.today()
    start = today - timedelta(days=9)
    assignment = factory.assignment(me, start_date=start, times_per_day=1)
    db.session.add_all(
        [
            AssignmentDose(
                assignment_id=assignment.id, effective_from=start, times_per_day=3, days_per_week=7
            ),
            AssignmentDose(
                assignment_id=assignment.id,
                effective_from=today - timedelta(days=2),
                times_per_day=1,
                days_per_week=7,
            ),
        ]
    )
    for n in range(10):
        db.session.add(
            Completion(
                assignment_id=assignment.id, patient_id=me.id, local_date=start + timedelta(days=n)
            )
        )
    db.session.commit()
    [row] = triage.patients_needing_attention(practitioner_user.clinic_id, today)
    # Last 7 days: 4 days at 3 a day (12 due, 4 done), 3 days at 1 a day (3 due, 3 done).
    assert row.adherence == pytest.approx(100 * 7 / 15)
