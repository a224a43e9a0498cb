"""Red flags in real Chromium: each grade's screen with the clinic's numbers (offline too), the
confirmation and its undo, a flag sent alone, a fast phone clock, a history "yes" at intake,
"When to get help" from every screen, and the check-in screen's error, toast and focus."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import Alert, AlertKind, CheckIn, Clinic, Intake, utcnow
from tests.browser.test_patient_app import count, log_in, wait_for_worker, wait_until

FAST_CLOCK = """(() => {
  const shift = 15 * 60 * 1000;  // this phone's clock runs 15 minutes fast
  const RealDate = Date;
  class FastDate extends RealDate {
    constructor(...args) { if (args.length) super(...args); else super(RealDate.now() + shift); }
    static now() { return RealDate.now() + shift; }
  }
  globalThis.Date = FastDate;
})();"""


@pytest.fixture
def clinic_world(live, patient_world):
    """The patient's clinic is in Ireland: 112, and its own same-day words."""
    with live.app_context():
        clinic = db.session.get(Clinic, patient_world["patient"].clinic_id)
        clinic.country, clinic.emergency_number = "IE", "112"
        clinic.same_day_advice = "Ring your GP surgery today, or the out-of-hours doctor."
        db.session.commit()
    return patient_world


def question(page, text):
    return page.get_by_role("group", name=text)


def say_yes(page, text):
    question(page, text).get_by_role("radio", name="Yes").click()


def test_an_emergency_flag_is_confirmed_undone_then_sent_alone_offline(
    live, context, page, clinic_world
):
    log_in(page, clinic_world["patient"])
    wait_for_worker(page)
    context.set_offline(True)
    page.goto("/app/#/checkin")
    # A mis-tap: the confirmation asks, and Undo takes the "yes" back. Nothing is sent.
    say_yes(page, "New trouble controlling your bladder or bowels")
    page.get_by_role("button", name="No, undo").click()
    bladder = question(page, "New trouble controlling your bladder or bowels")
    assert not bladder.get_by_role("radio", name="Yes").is_checked()
    assert page.get_by_role("heading", name="Check in").is_visible()
    # Then meant: nothing else of the check-in is filled in, and it goes all the same.
    say_yes(page, "New trouble controlling your bladder or bowels")
    page.get_by_role("button", name="Yes, that's right").click()
    page.get_by_role("heading", name="Go to an emergency department now").wait_for()
    call = page.get_by_role("link", name="Call 112")
    assert call.get_attribute("href") == "tel:112"
    page.get_by_text("will be notified as soon as your phone is back online").wait_for()
    assert "call you" not in page.locator("main").inner_text().lower()
    assert count(live, Alert) == 0
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    assert wait_until(lambda: count(live, Alert, kind=AlertKind.RED_FLAG) == 1)
    with live.app_context():
        entry = db.session.scalar(select(CheckIn))
        assert entry.leg_pain is None and entry.back_pain is None
        assert entry.red_flag_answers["bladder_bowel"] is True
        assert entry.red_flag_answers["fever"] is None  # never seen: not asked, not "no"
        assert entry.urgency == "emergency"


def test_a_same_day_flag_says_see_a_doctor_today_in_the_clinics_words(live, page, clinic_world):
    log_in(page, clinic_world["patient"])
    page.goto("/app/#/checkin")
    page.get_by_role("group", name="Leg pain").get_by_role("radio", name="5", exact=True).check()
    say_yes(page, "A fever, or feeling generally unwell")
    page.get_by_role("button", name="Yes, that's right").click()
    page.get_by_role("heading", name="See a doctor today").wait_for()
    assert page.get_by_text("Ring your GP surgery today, or the out-of-hours doctor.").is_visible()
    page.get_by_text("Your practitioner has been notified.").wait_for()
    assert page.get_by_role("heading", name="Go to an emergency department now").count() == 0
    with live.app_context():
        alert = db.session.scalar(select(Alert))
        assert alert.urgency == "same_day"
        assert db.session.scalar(select(CheckIn)).leg_pain == 5


def test_a_phone_clock_15_minutes_fast_is_accepted(live, context, page, clinic_world):
    context.add_init_script(FAST_CLOCK)
    log_in(page, clinic_world["patient"])
    page.goto("/app/#/checkin")
    page.get_by_role("group", name="Leg pain").get_by_role("radio", name="4", exact=True).check()
    page.get_by_role("group", name="Back pain").get_by_role("radio", name="2", exact=True).check()
    say_yes(page, "Weight loss you cannot explain")
    page.get_by_role("button", name="Yes, that's right").click()
    page.get_by_role("heading", name="See a doctor today").wait_for()
    assert wait_until(lambda: count(live, Alert) == 1)
    with live.app_context():
        entry = db.session.scalar(select(CheckIn))
        ahead = entry.device_recorded_at - entry.received_at
        assert timedelta(minutes=14) < ahead < timedelta(minutes=16)
        assert entry.recorded_at <= entry.received_at  # clamped to its arrival


def test_a_history_yes_at_intake_gives_no_emergency_screen_and_one_review_item(
    live, page, clinic_world
):
    log_in(page, clinic_world["patient"])
    page.get_by_role("heading", name="Before your first session").wait_for()
    page.get_by_role("link", name="Answer the questions").click()
    page.get_by_label("Date of birth").fill("1961-05-02")
    page.get_by_label("Where do you feel it?").fill("Left buttock and calf")
    for group in page.locator("fieldset.yn").all():
        group.get_by_role("radio", name="No").check()
    say_yes(page, "Have you had cancer, now or in the past?")
    say_yes(page, "Do you take blood thinners")
    page.get_by_label("I agree to be treated").check()
    page.get_by_label("I agree that the clinic keeps").check()
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    assert page.get_by_role("heading", name="Go to an emergency department now").count() == 0
    assert page.get_by_role("link", name="Answer the questions").count() == 0
    assert wait_until(lambda: count(live, Intake) == 1)
    assert count(live, Alert, kind=AlertKind.INTAKE_REVIEW) == 1
    assert count(live, Alert, kind=AlertKind.RED_FLAG) == 0
    with live.app_context():
        review = db.session.scalar(select(Alert))
        assert review.details["history_flags"] == ["cancer"]
        assert "Blood thinners" in review.details["raises"]


def test_when_to_get_help_is_one_tap_from_every_screen_offline(live, context, page, clinic_world):
    log_in(page, clinic_world["patient"])
    page.get_by_role("button", name="I understand").click()  # the disclaimer, once
    wait_for_worker(page)
    context.set_offline(True)
    for screen in ("#/", "#/checkin", "#/progress", "#/settings", "#/urgent"):
        page.goto(f"/app/{screen}")
        page.locator("main h1").first.wait_for()
        page.get_by_role("banner").get_by_role("link", name="When to get help").click()
        page.get_by_role("heading", name="When to get help").wait_for()
        assert page.get_by_role("link", name="Call 112").is_visible()
        assert page.get_by_text("Ring your GP surgery today").is_visible()
    context.set_offline(False)
    page.goto("/app/#/")
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    assert page.get_by_role("button", name="I understand").count() == 0  # shown once


@pytest.mark.parametrize("text_size", ["100%", "200%"])
def test_the_check_in_error_is_in_view_and_toast_and_focus_stay_clear_of_the_save_bar(
    live, context, page, clinic_world, text_size
):
    context.add_init_script(
        f"document.addEventListener('DOMContentLoaded', () => "
        f"{{ document.documentElement.style.fontSize = '{text_size}'; }})"
    )
    page.emulate_media(reduced_motion="reduce")  # measure where scrolling ends, not mid-way
    log_in(page, clinic_world["patient"])
    page.goto("/app/#/checkin")
    page.get_by_role("heading", name="Check in").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    # Save before the safety questions: the error shows where the patient is looking.
    page.get_by_role("button", name="Save check-in").click()
    error = page.get_by_role("alert").filter(has_text="Please answer")
    error.wait_for()
    box = error.bounding_box()
    bar = page.locator(".bottom-action").bounding_box()
    viewport = page.viewport_size
    assert 0 <= box["y"] and box["y"] + box["height"] <= bar["y"], (box, bar)
    assert box["y"] + box["height"] <= viewport["height"]
    # Keyboard focus never hides under the sticky Save bar.
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#note").focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const r = document.activeElement.getBoundingClientRect();"
            " return {top: r.top, bottom: r.bottom, tag: document.activeElement.tagName}; }"
        )
        bar = page.locator(".bottom-action").bounding_box()
        if page.evaluate(
            "() => document.activeElement.closest('.bottom-action, nav.tabs, header') !== null"
        ):
            continue  # the bars themselves
        assert focused["bottom"] <= bar["y"] + 1, (focused, bar)
    # A saved check-in's toast neither covers the Check in button nor takes its taps.
    page.get_by_role("button", name="None of these").click()
    page.get_by_role("group", name="Leg pain").get_by_role("radio", name="3", exact=True).check()
    page.get_by_role("group", name="Back pain").get_by_role("radio", name="2", exact=True).check()
    page.get_by_role("button", name="Save check-in").click()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    toast = page.locator("#toast")
    toast.wait_for()
    assert toast.evaluate("el => getComputedStyle(el).pointerEvents") == "none"
    button = page.locator(".bottom-action").get_by_role("link", name="Check in")
    t, b = toast.bounding_box(), button.bounding_box()
    assert t["y"] + t["height"] <= b["y"] or b["y"] + b["height"] <= t["y"], (t, b)
    button.click(timeout=2000)  # while the toast shows
    page.get_by_role("heading", name="Check in").wait_for()
    with live.app_context():
        assert db.session.scalar(select(CheckIn)).recorded_at <= utcnow()
