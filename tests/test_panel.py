"""The practitioner panel's pages: the triage list, a patient's page, report, audit log."""

from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import event, select

from backend.extensions import db
from backend.models import RED_FLAGS, Alert, AlertKind, AuditEvent, Completion, Course, utcnow
from backend.panel import triage

TODAY = utcnow().date()


@pytest.fixture
def practitioner(factory):
    return factory.practitioner(display_name="Dr Rivera")


@pytest.fixture
def panel(api, practitioner):
    """A browser logged in as the practitioner, with a form token."""
    api.login(practitioner)
    api.token = api.form_token("/panel/")
    return api


def post(panel, path, **data):
    return panel.client.post(path, data={"csrf_token": panel.token, **data})


def days_of_pain(factory, patient, first_week: int, last_week: int, days: int = 28):
    """A check-in a day: ``first_week`` for the first 7 days, ``last_week`` from then on."""
    for offset in range(days):
        day = TODAY - timedelta(days=days - 1 - offset)
        factory.checkin(patient, local_date=day, leg_pain=first_week if offset < 7 else last_week)


def red_flag(factory, patient):
    answers = {flag: flag == "saddle_numbness" for flag in RED_FLAGS}
    entry = factory.checkin(patient, red_flag_answers=answers, local_date=TODAY)
    alert = Alert(
        patient_id=patient.id,
        kind=AlertKind.RED_FLAG,
        check_in_id=entry.id,
        details={"red_flags": entry.red_flags},
    )
    db.session.add(alert)
    db.session.commit()
    return alert


def names_in_order(html: str, names: list[str]) -> list[str]:
    return sorted(names, key=html.index)


# -- the triage list -------------------------------------------------------------------------


def test_list_puts_red_flags_first_then_worsening_then_worse_reports_then_quiet(
    panel, factory, practitioner
):
    calm = factory.patient(practitioner, display_name="Aaron Calm")
    days_of_pain(factory, calm, 6, 4)
    quiet = factory.patient(practitioner, display_name="Bea Quiet")
    days_of_pain(factory, quiet, 6, 6, days=10)
    db.session.execute(CheckInCleanup.stmt(quiet.id, TODAY - timedelta(days=2)))
    db.session.commit()
    worse_report = factory.patient(practitioner, display_name="Cal Report")
    days_of_pain(factory, worse_report, 5, 5)
    db.session.add(
        Alert(
            patient_id=worse_report.id,
            kind=AlertKind.WORSE_AFTER_EXERCISE,
            details={"exercise": "Piriformis stretch", "feeling": "worse"},
        )
    )
    worsening = factory.patient(practitioner, display_name="Dan Worse")
    days_of_pain(factory, worsening, 4, 6)  # +2 points: meaningful
    flagged = factory.patient(practitioner, display_name="Eve Flag")
    days_of_pain(factory, flagged, 3, 3)
    red_flag(factory, flagged)

    html = panel.get("/panel/").get_data(as_text=True)
    assert names_in_order(
        html, ["Aaron Calm", "Bea Quiet", "Cal Report", "Dan Worse", "Eve Flag"]
    ) == ["Eve Flag", "Dan Worse", "Cal Report", "Bea Quiet", "Aaron Calm"]
    assert "Red flag reported: needs urgent medical care" in html
    assert "Leg pain worse: 6.0 in the last 7 days vs 4.0 in the first week" in html
    assert "Felt worse after exercise (1 report)" in html
    assert "No check-in for 3 days" in html


def test_the_list_says_a_same_day_flag_as_the_patient_was_told(panel, factory, practitioner):
    """Only same-day flags open: "a doctor today"; an emergency one as well: urgent care."""
    patient = factory.patient(practitioner, display_name="Fay Fever")
    same_day = red_flag(factory, patient)
    same_day.urgency = "same_day"
    db.session.commit()
    html = panel.get("/panel/").get_data(as_text=True)
    assert "Red flag reported: needs to see a doctor today" in html
    assert "urgent medical care" not in html

    red_flag(factory, patient).urgency = "emergency"
    db.session.commit()
    html = panel.get("/panel/").get_data(as_text=True)
    assert "Red flag reported: needs urgent medical care" in html
    assert "needs to see a doctor today" not in html


class CheckInCleanup:
    """Remove a patient's check-ins from a day on (to make them "gone quiet")."""

    @staticmethod
    def stmt(patient_id, since):
        from sqlalchemy import delete

        from backend.models import CheckIn

        return delete(CheckIn).where(CheckIn.patient_id == patient_id, CheckIn.local_date >= since)


@pytest.mark.parametrize(
    "first, last, worse",
    [
        (4, 6, True),  # 2 points
        (3, 4, True),  # 1 point but 33 %
        (6, 7, False),  # 1 point, 17 %
        (6, 4, False),  # better
    ],
)
def test_worsening_follows_the_meaningful_change_rule(
    panel, factory, practitioner, first, last, worse
):
    patient = factory.patient(practitioner)
    days_of_pain(factory, patient, first, last)
    rows = triage.patients_needing_attention(practitioner.clinic_id, TODAY)
    assert rows[0].worsening is worse


def test_baseline_is_the_mean_of_daily_means(factory, practitioner):
    """Two check-ins on one day count once: (2+4)/2 = 3 that day, not two days."""
    patient = factory.patient(practitioner)
    start = TODAY - timedelta(days=20)
    factory.checkin(patient, local_date=start, leg_pain=2)
    factory.checkin(patient, local_date=start, leg_pain=4)
    factory.checkin(patient, local_date=start + timedelta(days=1), leg_pain=6)
    factory.checkin(patient, local_date=TODAY, leg_pain=6)
    row = triage.patients_needing_attention(practitioner.clinic_id, TODAY)[0]
    assert row.baseline_leg == pytest.approx(4.5)
    assert row.recent_leg == pytest.approx(6.0)


def test_the_course_start_sets_the_baseline_week(factory, practitioner):
    patient = factory.patient(practitioner)
    days_of_pain(factory, patient, 8, 5, days=28)
    db.session.add(
        Course(
            patient_id=patient.id,
            planned_sessions=10,
            weeks=4,
            start_date=TODAY - timedelta(days=14),
        )
    )
    db.session.commit()
    row = triage.patients_needing_attention(practitioner.clinic_id, TODAY)[0]
    assert row.baseline_leg == pytest.approx(5.0)


def test_a_course_week_without_check_ins_falls_back_to_the_first_week_of_data_everywhere(
    api, factory, practitioner
):
    """The patients list, the patient page and the patient's own app agree on the baseline."""
    patient = factory.patient(practitioner, timezone="UTC")
    db.session.add(
        Course(
            patient_id=patient.id,
            planned_sessions=10,
            weeks=6,
            start_date=TODAY - timedelta(days=30),
        )
    )
    db.session.commit()
    days_of_pain(factory, patient, 4, 7, days=20)  # began logging 11 days into the course

    row = triage.patients_needing_attention(practitioner.clinic_id, TODAY)[0]
    assert (row.baseline_leg, row.worsening) == (pytest.approx(4.0), True)
    api.login(patient)
    baseline = api.get("/api/progress").get_json()["baseline"]
    assert baseline["source"] == "data"
    assert baseline["start"] == (TODAY - timedelta(days=19)).isoformat()
    assert baseline["leg_mean"] == pytest.approx(4.0)
    api.logout()
    api.login(practitioner)
    assert "Leg pain worse: 7.0 in the last 7 days vs 4.0 in the first week" in api.get(
        "/panel/"
    ).get_data(as_text=True)
    page = api.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert "4.0 → 7.0" in page and "Meaningfully worse" in page


@pytest.mark.parametrize(
    "feeling, shown", [("worse", "Felt worse"), ("spreading", "Leg pain spread further")]
)
def test_a_worse_after_exercise_alert_says_what_happened(
    panel, factory, practitioner, feeling, shown
):
    patient = factory.patient(practitioner)
    db.session.add(
        Alert(
            patient_id=patient.id,
            kind=AlertKind.WORSE_AFTER_EXERCISE,
            details={"exercise": "Piriformis stretch", "feeling": feeling},
        )
    )
    db.session.commit()
    html = panel.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert f"<strong>{shown}</strong> after Piriformis stretch" in html


def test_a_long_list_comes_in_pages_with_whoever_needs_attention_first(
    panel, factory, practitioner, monkeypatch
):
    from backend.panel import views

    monkeypatch.setattr(views, "LIST_PAGE", 3)
    for n in range(6):
        factory.patient(practitioner, display_name=f"Calm {n}")
    red_flag(factory, factory.patient(practitioner, display_name="Zoe Urgent"))
    first = panel.get("/panel/").get_data(as_text=True)
    assert "7 patients, 7 needing attention, most urgent first; showing 1–3." in first
    assert "Page 1 of 3" in first
    assert "Zoe Urgent" in first and first.index("Zoe Urgent") < first.index("Calm")
    assert 'href="/panel/?page=2"' in first
    last = panel.get("/panel/?page=3").get_data(as_text=True)
    assert "showing 7–7" in last and "Zoe Urgent" not in last and "Next page" not in last
    assert "Page 3 of 3" in panel.get("/panel/?page=99").get_data(as_text=True)
    assert panel.get("/panel/?page=-4").status_code == 200


def test_low_adherence_is_flagged(panel, factory, practitioner):
    patient = factory.patient(practitioner, display_name="Fay Lazy")
    days_of_pain(factory, patient, 5, 5)
    assignment = factory.assignment(patient, times_per_day=2, start_date=TODAY - timedelta(days=30))
    # Due: 2 a day for 7 days = 14; done 4 (five on one day count as 2).
    for day, times in ((TODAY, 5), (TODAY - timedelta(days=1), 2)):
        for _ in range(times):
            db.session.add(
                Completion(assignment_id=assignment.id, patient_id=patient.id, local_date=day)
            )
    db.session.commit()
    row = triage.patients_needing_attention(practitioner.clinic_id, TODAY)[0]
    assert row.adherence == pytest.approx(100 * 4 / 14)
    assert "Homework 29 % of what was due this week" in panel.get("/panel/").get_data(as_text=True)


def test_search_finds_by_name_or_email(panel, factory, practitioner):
    factory.patient(practitioner, display_name="Maya Chen", email="maya@example.test")
    factory.patient(practitioner, display_name="Omar Haddad", email="oh@example.test")
    by_name = panel.get("/panel/?q=chen").get_data(as_text=True)
    assert "Maya Chen" in by_name and "Omar Haddad" not in by_name
    by_email = panel.get("/panel/?q=OH@EXAMPLE").get_data(as_text=True)
    assert "Omar Haddad" in by_email and "Maya Chen" not in by_email
    assert "No patient matches" in panel.get("/panel/?q=zzz").get_data(as_text=True)


def test_the_list_shows_only_this_clinics_patients(panel, factory, practitioner):
    factory.patient(practitioner, display_name="Mine")
    factory.patient(factory.practitioner(), display_name="Someone Else")
    html = panel.get("/panel/").get_data(as_text=True)
    assert "Mine" in html and "Someone Else" not in html


def _queries_for_list(app, panel) -> int:
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert panel.get("/panel/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count


def test_the_list_query_count_does_not_grow_with_patients(app, panel, factory, practitioner):
    def add(n):
        for _ in range(n):
            patient = factory.patient(practitioner)
            days_of_pain(factory, patient, 4, 6, days=9)
            factory.assignment(patient)
            red_flag(factory, patient)

    add(2)
    few = _queries_for_list(app, panel)
    add(6)
    many = _queries_for_list(app, panel)
    assert few == many


def test_acknowledging_a_red_flag_records_who_and_when(panel, factory, practitioner):
    patient = factory.patient(practitioner)
    alert = red_flag(factory, patient)
    response = post(
        panel, f"/panel/alerts/{alert.id}/acknowledge", action="called_patient", note="Going to A&E"
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert alert.acknowledged_by_id == practitioner.id
    assert alert.acknowledged_at is not None
    assert (alert.action, alert.action_note) == ("called_patient", "Going to A&E")
    page = panel.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert "Called the patient" in page and "Going to A&amp;E" in page
    assert db.session.scalar(select(AuditEvent).filter_by(action="alert.acknowledge"))
    assert "Red flag reported" not in panel.get("/panel/").get_data(as_text=True)


def test_a_form_without_its_token_is_refused_plainly(panel, factory, practitioner):
    alert = red_flag(factory, factory.patient(practitioner))
    response = panel.client.post(f"/panel/alerts/{alert.id}/acknowledge", data={})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)
    db.session.expire_all()
    assert alert.acknowledged_at is None


# -- the patient page ------------------------------------------------------------------------


def test_patient_page_shows_charts_notes_sessions_and_alerts(panel, factory, practitioner):
    patient = factory.patient(practitioner, display_name="Maya Chen")
    days_of_pain(factory, patient, 7, 4, days=21)
    factory.checkin(patient, note="Long drive to Leeds", sitting_minutes=300)
    red_flag(factory, patient)
    html = panel.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert html.count('<svg class="chart"') == 2
    assert "polyline" in html
    assert "Long drive to Leeds" in html
    assert "Saddle numbness" in html
    assert "Meaningful improvement" in html


def test_every_read_of_a_patient_is_audited(panel, factory, practitioner):
    patient = factory.patient(practitioner)
    panel.get(f"/panel/patients/{patient.id}")
    panel.get(f"/panel/patients/{patient.id}/report")
    panel.get(f"/panel/patients/{patient.id}/report.pdf")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.patient_id == patient.id).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["patient.read", "report.read", "report.pdf"]
    assert all(
        e.actor_id == practitioner.id and e.clinic_id == practitioner.clinic_id and e.ip
        for e in events
    )


def test_audit_page_lists_this_clinics_events_only(panel, factory, practitioner):
    patient = factory.patient(practitioner, display_name="Maya Chen")
    panel.get(f"/panel/patients/{patient.id}")
    other_clinic = factory.practitioner()
    db.session.add(
        AuditEvent(
            clinic_id=other_clinic.clinic_id,
            actor_id=other_clinic.id,
            action="patient.read",
            target="patient:999999",
        )
    )
    db.session.commit()
    html = unescape(panel.get("/panel/audit").get_data(as_text=True))
    assert "Dr Rivera viewed Maya Chen's check-ins, homework and sessions" in html
    assert html.count("check-ins, homework and sessions") == 1  # not the other clinic's
    only = panel.get(f"/panel/audit?patient={patient.id}").get_data(as_text=True)
    assert f'value="{patient.id}" selected>Maya Chen' in only


def test_report_gives_the_responder_verdict_and_the_pdf_is_a_pdf(panel, factory, practitioner):
    patient = factory.patient(practitioner, display_name="Maya Chen")
    days_of_pain(factory, patient, 7, 4)
    red_flag(factory, patient)
    html = panel.get(f"/panel/patients/{patient.id}/report").get_data(as_text=True)
    assert "Meaningful improvement" in html
    assert "1 red-flag report" in html and "urgent medical care" in html
    response = panel.get(f"/panel/patients/{patient.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]


def test_a_patient_with_no_data_still_gets_pages(panel, factory, practitioner):
    patient = factory.patient(practitioner)
    for suffix in ("", "/report", "/report.pdf"):
        assert panel.get(f"/panel/patients/{patient.id}{suffix}").status_code == 200
    assert "Not enough check-ins" in panel.get(f"/panel/patients/{patient.id}/report").get_data(
        as_text=True
    )


def test_unknown_ids_are_404(panel):
    assert panel.get("/panel/patients/999999").status_code == 404
    assert panel.get("/panel/patients/99999999999999999999").status_code == 404


def test_pages_keep_to_the_content_security_policy(panel, factory, practitioner):
    """No inline style attributes or inline scripts: the CSP would block them."""
    import re

    patient = factory.patient(practitioner)
    days_of_pain(factory, patient, 6, 4)
    red_flag(factory, patient)
    pages = [
        "/panel/",
        "/panel/exercises",
        "/panel/audit",
        "/panel/patients/new",
        f"/panel/patients/{patient.id}",
        f"/panel/patients/{patient.id}/report",
    ]
    invite = post(panel, "/panel/patients", display_name="QR Person", email="qr@example.test")
    for path, html in [(p, panel.get(p).get_data(as_text=True)) for p in pages] + [
        ("invite", invite.get_data(as_text=True))
    ]:
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"<style", html), path
        assert not re.search(r"<script(?![^>]*\ssrc=)", html), path
        assert not re.search(r"\son[a-z]+=", html), path


def test_deactivated_patients_come_last_unless_a_red_flag_is_open(panel, factory, practitioner):
    gone = factory.patient(practitioner, display_name="Aaron Gone", active=False)
    factory.patient(practitioner, display_name="Zed Here")
    html = panel.get("/panel/").get_data(as_text=True)
    assert names_in_order(html, ["Aaron Gone", "Zed Here"]) == ["Zed Here", "Aaron Gone"]
    assert "deactivated" in html
    red_flag(factory, gone)
    html = panel.get("/panel/").get_data(as_text=True)
    assert names_in_order(html, ["Aaron Gone", "Zed Here"]) == ["Aaron Gone", "Zed Here"]


def test_the_audit_log_pages_back_in_time(panel, factory, practitioner):
    patient = factory.patient(practitioner)
    for _ in range(3):
        panel.get(f"/panel/patients/{patient.id}")
    first = db.session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.action == "patient.read")
        .order_by(AuditEvent.id)
        .limit(1)
    )
    html = panel.get(f"/panel/audit?before={first + 1}").get_data(as_text=True)
    assert html.count("check-ins, homework and sessions") == 1


@pytest.mark.parametrize(
    "query",
    [
        "before=99999999999999999999",
        "patient=99999999999999999999",
        "before=-1",
        "patient=0",
        "before=abc",
    ],
)
def test_the_audit_log_ignores_ids_out_of_range(panel, factory, practitioner, query):
    patient = factory.patient(practitioner)
    panel.get(f"/panel/patients/{patient.id}")
    response = panel.get(f"/panel/audit?{query}")
    assert response.status_code == 200
    assert "check-ins, homework and sessions" in response.get_data(as_text=True)


@pytest.mark.parametrize("fonts", ["system", "none"])
def test_the_pdf_prints_any_name(panel, factory, practitioner, monkeypatch, tmp_path, fonts):
    """With DejaVu Sans the name is drawn as it is; without it, the PDF still comes out."""
    from backend.panel import pdf

    if fonts == "none":
        monkeypatch.setattr(pdf, "DEJAVU", tmp_path)
    else:
        assert (pdf.DEJAVU / "DejaVuSans.ttf").exists(), (
            "DejaVu Sans is missing: `bash tests/run` installs fonts-dejavu-core"
        )
    patient = factory.patient(practitioner, display_name="Łucja Żak-Nguyễn")
    days_of_pain(factory, patient, 6, 4)
    response = panel.get(f"/panel/patients/{patient.id}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert (b"DejaVu" in response.data) is (fonts == "system")
