"""Passwords and two-factor login in real Chromium: forgot and reset, change, enrolment."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import MailMessage
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

API_HEADERS = {"X-Requested-With": "between", "Content-Type": "application/json"}
NEW = "quiet river lantern"


def _phone_elsewhere(chromium, live, user):
    """Another device logged in to the same account (which a reset or change must end)."""
    other = chromium.new_context(base_url=live.url)
    answer = other.request.post(
        "/api/auth/login", headers=API_HEADERS, data={"email": user.email, "password": PASSWORD}
    )
    assert answer.status == 200
    return other


def _logged_in(context) -> bool:
    return context.request.get("/api/me").status == 200


def _app_login(page, email, password):
    page.goto("/app/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_patient_resets_a_forgotten_password_from_the_app(live, chromium, page, seed):
    live.app.config["MAIL_URL"] = "smtp://127.0.0.1:2525"
    patient = seed.patient(display_name="Maya Chen")
    elsewhere = _phone_elsewhere(chromium, live, patient)
    page.set_default_timeout(8000)
    page.goto("/app/")
    page.get_by_role("button", name="Forgot your password?").click()
    page.get_by_label("Your login address").fill(patient.email)
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("If that email has an account").wait_for()

    with live.app_context():
        body = db.session.scalar(select(MailMessage.text_body).filter_by(to_address=patient.email))
    link = re.search(r"(/reset/\S+)", body).group(1)
    page.goto(link)
    page.get_by_label("New password").fill("password123")
    page.get_by_label("The same password again").fill("password123")
    page.get_by_role("button", name="Set my new password").click()
    page.get_by_text("one of the most used passwords").wait_for()
    page.get_by_label("New password").fill(NEW)
    page.get_by_label("The same password again").fill(NEW)
    page.get_by_role("button", name="Set my new password").click()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    assert not _logged_in(elsewhere)
    elsewhere.close()
    page.goto(link)
    page.get_by_role("heading", name="This link no longer works").wait_for()


def test_a_patient_changes_their_password_in_settings(live, chromium, page, seed):
    patient = seed.patient(display_name="Maya Chen")
    elsewhere = _phone_elsewhere(chromium, live, patient)
    page.set_default_timeout(8000)
    _app_login(page, patient.email, PASSWORD)
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    page.goto("/app/#/settings")
    section = page.get_by_role("region", name="Password")
    section.get_by_label("Current password").fill(PASSWORD)
    section.get_by_label("New password (at least").fill(NEW)
    section.get_by_label("The same new password again").fill(NEW)
    section.get_by_role("button", name="Change my password").click()
    page.get_by_text("Password changed.").wait_for()
    assert _logged_in(page.context) and not _logged_in(elsewhere)
    elsewhere.close()
    fresh = chromium.new_context(base_url=live.url)
    ok = fresh.request.post(
        "/api/auth/login", headers=API_HEADERS, data={"email": patient.email, "password": NEW}
    )
    assert ok.status == 200
    fresh.close()


def _panel_login(page, email, password=PASSWORD):
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_practitioner_changes_their_password_in_the_panel(live, chromium, desktop, seed):
    practitioner = seed.practitioner(display_name="Dr Lee")
    elsewhere = _phone_elsewhere(chromium, live, practitioner)
    page = desktop.new_page()
    page.set_default_timeout(8000)
    _panel_login(page, practitioner.email)
    page.get_by_role("link", name="My account").click()
    page.get_by_role("link", name="Change my password").click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password (at least").fill(NEW)
    page.get_by_label("The same new password again").fill(NEW)
    page.get_by_role("button", name="Change my password").click()
    page.get_by_text("Your password is changed.").wait_for()
    assert not _logged_in(elsewhere)
    elsewhere.close()


def test_a_practitioner_sets_up_two_factor_and_logs_in_with_a_code(live, desktop, seed):
    clinic = seed.clinic(two_factor_required=True)
    practitioner = seed.practitioner(clinic, display_name="Dr Lee")
    page = desktop.new_page()
    page.set_default_timeout(8000)
    _panel_login(page, practitioner.email)
    # The clinic requires it: the panel waits until it is set up.
    page.get_by_text("Your clinic asks every practitioner").wait_for()
    page.get_by_role("button", name="Set up two-factor login").click()
    assert page.locator(".qr svg").count() == 1
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn two-factor login on").click()
    page.get_by_text("These are your recovery codes").wait_for()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("button", name="Log out").click()

    _panel_login(page, practitioner.email)
    page.get_by_role("heading", name="Enter your code").wait_for()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("That code isn't right").wait_for()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Audit log").wait_for()
    assert page.url.endswith("/panel/")
    page.get_by_role("button", name="Log out").click()

    # A recovery code stands in for a lost phone, once.
    _panel_login(page, practitioner.email)
    page.get_by_label("Code").fill(codes[3])
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Audit log").wait_for()
