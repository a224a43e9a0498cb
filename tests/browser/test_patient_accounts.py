"""The patient's account on the phone: a shared phone, My data downloads, deleting the account."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy import select

from backend.extensions import db
from backend.models import CheckIn, User
from tests.browser.test_patient_app import count, log_in, quick_checkin, wait_for_worker, wait_until
from tests.conftest import PASSWORD, Factory


def log_in_as(page, email: str, first_name: str):
    """Log in from whatever login screen shows (fresh, or "Please log in again")."""
    page.goto("/app/")
    page.get_by_role("button", name="Log in").wait_for()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=f"Hello, {first_name}").wait_for()


def saved(page, name: str):
    return page.evaluate(
        "(name) => BetweenQueue.loadData(name).then(r => r ? r.value : null)", name
    )


def test_a_second_account_on_the_phone_never_sees_or_sends_the_first_ones_entries(
    live, context, page, patient_world, seed
):
    from playwright.sync_api import expect

    maya = patient_world["patient"]
    sam = seed.patient(patient_world["practitioner"], display_name="Sam Park")
    maya_id, sam_id, maya_email, sam_email = maya.id, sam.id, maya.email, sam.email

    log_in(page, maya)
    wait_for_worker(page)
    page.goto("/app/#/progress")
    page.get_by_role("heading", name="Your progress").wait_for()
    page.goto("/app/#/checkin")
    page.get_by_role("button", name="I'm sitting down").click()  # Maya's sitting timer
    context.set_offline(True)
    quick_checkin(page, 7, 2)  # Maya's, waiting to send
    page.evaluate(
        """(id) => BetweenQueue.add({kind: 'checkin', path: '/api/checkins', userId: id,
        label: 'Check-in', status: 'error', body: {leg_pain: 3},
        error: {status: 422, message: 'Maya needs to fix this one', fields: {}}})""",
        maya_id,
    )
    page.get_by_text("1 entry waiting to send").wait_for()

    # Maya's session ends without a logout, and Sam logs in on the same phone.
    context.clear_cookies()
    context.set_offline(False)
    log_in_as(page, sam_email, "Sam")
    assert page.get_by_text("Maya needs to fix this one").count() == 0
    assert page.get_by_role("region", name="Entries that need your attention").count() == 0
    expect(page.locator("#sync-status")).to_have_text("")  # Maya's 2 entries don't count
    assert saved(page, "progress") is None  # Maya's copies are gone
    assert saved(page, "today")["display_name"] == "Sam Park"
    assert page.evaluate("() => localStorage.getItem('between-sitting')") is None

    # Sam checks in: his entry is sent, Maya's (queued before it) is not sent as Sam's.
    quick_checkin(page, 4, 1, lands_on="Hello, Sam")
    assert wait_until(lambda: count(live, CheckIn, patient_id=sam_id) == 1)
    assert count(live, CheckIn, patient_id=maya_id) == 0
    assert count(live, CheckIn) == 1

    # Offline, Sam's phone shows Sam's saved Today, never Maya's homework.
    context.set_offline(True)
    page.reload()
    page.get_by_role("heading", name="Hello, Sam").wait_for()
    page.get_by_text("No homework for today.").wait_for()
    assert page.get_by_text("Piriformis stretch").count() == 0
    context.set_offline(False)

    # Maya logs in again: her waiting entry goes now, under her account, and the one that
    # needs her attention is hers to see again.
    context.clear_cookies()
    log_in_as(page, maya_email, "Maya")
    assert wait_until(lambda: count(live, CheckIn, patient_id=maya_id) == 1)
    with live.app_context():
        db.session.remove()
        assert db.session.scalar(select(CheckIn).filter_by(patient_id=maya_id)).leg_pain == 7
    page.get_by_role("region", name="Entries that need your attention").get_by_text(
        "Maya needs to fix this one"
    ).wait_for()
    assert saved(page, "today")["display_name"] == "Maya Chen"


def test_my_data_downloads_as_csv_and_json_with_my_entries(live, page, patient_world, seed):
    patient = patient_world["patient"]
    seed.checkin(
        patient,
        leg_pain=6,
        back_pain=2,
        sitting_minutes=300,
        note="Long train ride to see my sister",
    )
    log_in(page, patient)
    page.goto("/app/#/settings")
    section = page.get_by_role("region", name="My data")

    with page.expect_download() as info:
        section.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == "between-my-data.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [
        (r["type"], r["leg_pain"], r["back_pain"], r["sitting_minutes"], r["note"]) for r in rows
    ] == [("checkin", "6", "2", "300", "Long train ride to see my sister")]

    with page.expect_download() as info:
        section.get_by_role("link", name="Download JSON").click()
    download = info.value
    assert download.suggested_filename == "between-my-data.json"
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["account"]["email"] == patient.email
    assert [(c["leg_pain"], c["note"]) for c in data["checkins"]] == [
        (6, "Long train ride to see my sister")
    ]


def test_closing_my_app_account_ends_login_gives_my_data_and_keeps_the_clinic_record(
    live, page, patient_world
):
    from backend.models import Alert, AlertKind

    patient = patient_world["patient"]
    patient_id, email = patient.id, patient.email
    with live.app_context():
        entry = Factory().checkin(patient, note="Kept by the clinic")
        db.session.add(Alert(patient_id=patient_id, kind=AlertKind.RED_FLAG, check_in_id=entry.id))
        db.session.commit()
    log_in(page, patient)
    page.goto("/app/#/settings")
    section = page.get_by_role("region", name="My data")
    section.get_by_text("Close my app account").first.click()  # opens the <details>
    section.get_by_label("Your password, to confirm").fill(PASSWORD)
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    with page.expect_download() as info:
        section.get_by_role("button", name="Close my app account").click()
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert [c["note"] for c in data["checkins"]] == ["Kept by the clinic"]
    page.get_by_role("heading", name="Log in to Between").wait_for()
    page.get_by_text("Your app account is closed.").wait_for()
    assert "log in again" in dialogs[0]
    # The clinic's record stays: the account row (closed), the check-in and the alert.
    with live.app_context():
        db.session.remove()
        closed = db.session.get(User, patient_id)
        assert closed is not None and closed.closed_at is not None and not closed.active
    assert count(live, CheckIn, patient_id=patient_id) == 1
    assert count(live, Alert, patient_id=patient_id) == 1

    # The server no longer knows the account: logging in with it is refused.
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("That email and password don't match an account.").wait_for()
    response = page.request.get("/api/me")
    assert response.status == 401
