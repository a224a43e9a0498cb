"""The practitioner's main flows in real Chromium at desktop size."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backend.course.questionnaires import seed_questionnaires
from backend.extensions import db
from backend.homework.library import seed_library
from backend.models import RED_FLAGS, Alert, AlertKind, utcnow
from tests.conftest import PASSWORD, checkin_body

API_HEADERS = {"X-Requested-With": "between", "Content-Type": "application/json"}


@pytest.fixture
def clinic(seed):
    """The shipped library, a practitioner and one patient."""
    seed_library()
    seed_questionnaires()
    db.session.commit()
    practitioner = seed.practitioner(display_name="Dr Rivera")
    patient = seed.patient(practitioner, display_name="Maya Chen")
    return practitioner, patient


def log_in(page, user):
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def patient_api(chromium, live, user):
    """The patient's phone, speaking to the JSON API."""
    context = chromium.new_context(base_url=live.url)
    response = context.request.post(
        "/api/auth/login", headers=API_HEADERS, data={"email": user.email, "password": PASSWORD}
    )
    assert response.ok, response.text()
    return context


def test_invite_a_patient_who_then_joins(desktop, chromium, live, clinic):
    practitioner, _ = clinic
    page = desktop.new_page()
    log_in(page, practitioner)
    page.get_by_role("link", name="Invite a patient").click()
    page.get_by_label("Name").fill("Omar Haddad")
    page.get_by_label("Email").fill("omar@example.test")
    page.get_by_role("button", name="Create invite").click()
    expect(page.locator(".qr svg")).to_be_visible()  # waits for the new page
    link = page.get_by_label("Invite link").input_value()
    assert re.match(rf"{re.escape(live.url)}/invite/[\w-]+$", link)

    phone = chromium.new_context(base_url=live.url)
    joining = phone.new_page()
    joining.goto(link)
    joining.locator("input[name=password]").fill("a long new password")
    joining.locator("input[name=confirm]").fill("a long new password")
    joining.locator("button[type=submit]").click()
    joining.wait_for_url("**/app/**")
    phone.close()
    page.goto("/panel/")
    assert "Omar Haddad" in page.content()


def test_assigned_homework_is_in_the_patients_app_at_once(desktop, chromium, live, clinic):
    practitioner, patient = clinic
    page = desktop.new_page()
    log_in(page, practitioner)
    page.get_by_role("link", name="Maya Chen").click()
    assert page.locator("details.assign").get_attribute("open") is not None  # no homework yet
    page.get_by_label("Exercise").select_option(label="Sciatic nerve glide")
    assert page.locator("fieldset.dosage input[name=reps]").first.input_value() == "10"
    page.locator("details.assign input[name=times_per_day]").fill("3")
    page.get_by_role("button", name="Assign", exact=True).click()
    assert "Assigned Sciatic nerve glide." in page.content()

    phone = patient_api(chromium, live, patient)
    items = phone.request.get("/api/homework").json()["items"]
    phone.close()
    assert [(i["exercise"]["name"], i["dosage"]["times_per_day"]) for i in items] == [
        ("Sciatic nerve glide", 3)
    ]


def test_a_check_in_appears_on_the_patient_page(desktop, chromium, live, clinic):
    practitioner, patient = clinic
    page = desktop.new_page()
    log_in(page, practitioner)
    phone = patient_api(chromium, live, patient)
    response = phone.request.post(
        "/api/checkins",
        data=checkin_body(note="Drove to Leeds"),
        headers={**API_HEADERS, "Idempotency-Key": "browser-ci-1"},
    )
    assert response.status == 201, response.text()
    phone.close()
    page.goto("/panel/")
    page.get_by_role("link", name="Maya Chen").click()
    row = page.locator("table.checkins tbody tr").first
    assert "Drove to Leeds" in row.inner_text()
    assert page.locator("svg.chart").count() == 2


def test_acknowledge_a_red_flag_from_the_top_of_the_list(desktop, live, seed, clinic):
    practitioner, patient = clinic
    seed.patient(practitioner, display_name="Aaron Calm")
    entry = seed.checkin(patient, red_flag_answers={f: f == "bladder_bowel" for f in RED_FLAGS})
    db.session.add(
        Alert(
            patient_id=patient.id,
            kind=AlertKind.RED_FLAG,
            check_in_id=entry.id,
            details={"red_flags": entry.red_flags},
        )
    )
    db.session.commit()
    page = desktop.new_page()
    log_in(page, practitioner)
    first = page.locator("table.triage tbody tr").first
    assert "Maya Chen" in first.inner_text() and "urgent medical care" in first.inner_text()
    first.get_by_role("link", name="See red flag").click()
    assert "Bladder or bowel change" in page.locator("#alerts").inner_text()
    page.locator("#alerts").get_by_role("button", name="Acknowledge").click()
    assert "No open alerts." in page.locator("#alerts").inner_text()
    seen = page.locator("#alerts details").text_content()
    assert "Acknowledged by Dr Rivera" in seen and "Called the patient" in seen


def test_print_the_report_on_one_page_and_download_the_pdf(desktop, live, seed, clinic):
    practitioner, patient = clinic
    today = utcnow().date()
    for offset in range(21):
        seed.checkin(
            patient, local_date=today - timedelta(days=20 - offset), leg_pain=7 if offset < 7 else 4
        )
    page = desktop.new_page()
    log_in(page, practitioner)
    page.goto(f"/panel/patients/{patient.id}/report")
    assert "Meaningful improvement" in page.content()
    page.emulate_media(media="print")
    assert not page.locator(".panel-header").is_visible()
    assert not page.get_by_role("button", name="Print").is_visible()
    printed = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", printed)) == 1
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    path = download.value.path()
    with open(path, "rb") as f:
        assert f.read(4) == b"%PDF"
