"""The patient app at 360 px, at 200 % text size and at 200 % zoom: every tab reachable,
no pinned bars covering the screen, Settings shown even before the service worker exists,
and "Send me a test" saying what really happened."""

from __future__ import annotations

import pytest

from tests.browser.test_patient_a11y import run_axe
from tests.browser.test_patient_app import log_in, wait_for_worker
from tests.browser.test_patient_push import STUB

BIG_TEXT = """document.addEventListener('DOMContentLoaded', () => {
  const style = document.createElement('style');
  style.textContent = 'html { font-size: 200% !important; }';
  document.head.append(style);
});"""
# (name, viewport, init script): 200 % zoom on a 360 px phone is a 180 CSS px wide viewport.
SETUPS = [
    ("360px", {"width": 360, "height": 780}, None),
    ("200% text", {"width": 360, "height": 780}, BIG_TEXT),
    ("200% zoom", {"width": 180, "height": 390}, None),
]
ROUTES = [("#/", "Hello, Maya"), ("#/checkin", "Check in"), ("#/progress", "Your progress")]

PINNED = """() => {
  let covered = 0;
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (!['fixed', 'sticky'].includes(style.position) || style.display === 'none') continue;
    if (el.closest('.toast') || el.classList.contains('skip')) continue;
    const r = el.getBoundingClientRect();
    if (r.height && r.bottom > 0 && r.top < innerHeight) covered += Math.min(r.bottom, innerHeight) - Math.max(r.top, 0);
  }
  return covered / innerHeight;
}"""


@pytest.mark.parametrize("name, viewport, script", SETUPS, ids=[s[0] for s in SETUPS])
def test_every_tab_is_reachable_and_pinned_bars_leave_the_screen_free(
    chromium, live, patient_world, name, viewport, script
):
    context = chromium.new_context(
        base_url=live.url, viewport=viewport, is_mobile=True, has_touch=True, bypass_csp=True
    )
    if script:
        context.add_init_script(script)
    page = context.new_page()
    try:
        log_in(page, patient_world["patient"])
        for route, heading in ROUTES:
            page.goto("/app/" + route)
            page.get_by_role("heading", name=heading).first.wait_for()
            page.locator("#main:not([aria-busy])").wait_for()
            covered = page.evaluate(PINNED)
            assert covered < 0.25, f"{name} {route}: pinned bars cover {covered:.0%}"
            tab = page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")
            box = tab.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, (
                f"{name} {route}: Settings tab at {box}"
            )
        tab.click()
        page.get_by_role("heading", name="Settings").wait_for()
        page.get_by_role("heading", name="Reminders on this phone").wait_for()
    finally:
        context.close()


def test_settings_is_not_blank_when_it_is_the_first_screen_before_the_worker_exists(
    live, context, page, patient_world
):
    context.route("**/sw.js", lambda route: route.abort())  # no service worker, ever
    log_in(page, patient_world["patient"])
    page.goto("/app/#/settings")
    page.reload()
    page.get_by_role("heading", name="Reminders on this phone").wait_for(timeout=5000)
    page.get_by_role("heading", name="When to remind me").wait_for()
    page.get_by_role("button", name="Log out").wait_for()
    assert page.evaluate("navigator.serviceWorker.getRegistration()") is None


def test_send_me_a_test_says_what_happened_not_test_sent(live, context, page, patient_world):
    context.add_init_script(STUB)  # a subscription whose push service never answers
    context.grant_permissions(["notifications"], origin=live.url)
    log_in(page, patient_world["patient"])
    wait_for_worker(page)
    page.goto("/app/#/settings")
    page.get_by_role("button", name="Turn reminders on").click()
    page.get_by_text("Reminders are on for this phone.").wait_for()
    toast = page.locator("#toast")

    page.get_by_role("button", name="Send me a test").click()
    toast.filter(has_text="could not be delivered").wait_for(timeout=20000)
    assert "Test sent" not in toast.inner_text()

    # The browser dropped the subscription behind the app's back: reminders are off.
    page.evaluate("window.__subscribed = false")
    page.get_by_role("button", name="Send me a test").click()
    toast.filter(has_text="Reminders are off on this phone").wait_for()
    page.get_by_text("Reminders are off for this phone.").wait_for()
    assert not page.get_by_role("button", name="Send me a test").is_visible()


def test_stop_this_exercise_stays_on_it_until_the_practitioner_has_looked(
    live, page, patient_world
):
    from backend.extensions import db
    from backend.models import Alert, utcnow

    log_in(page, patient_world["patient"])
    assignment = patient_world["assignments"][0]
    card = page.locator("li.card.homework").filter(has_text="Piriformis stretch")
    card.get_by_role("radio", name="Worse", exact=True).check()
    card.get_by_role("button", name="Done: Piriformis stretch").click()
    advice = card.locator(".stop")
    advice.wait_for()
    assert "Stop this exercise for now" in advice.inner_text()
    page.wait_for_timeout(5500)  # longer than a toast lasts
    assert advice.is_visible()

    page.reload()  # and it is still there, on Today and on the exercise page
    card.locator(".stop").wait_for()
    page.goto(f"/app/#/exercise/{assignment.id}")
    page.get_by_role("heading", name="Piriformis stretch").wait_for()
    page.locator(".stop").wait_for()

    with live.app_context():  # the practitioner has looked
        alert = db.session.query(Alert).one()
        alert.acknowledged_at = utcnow()
        db.session.commit()
    page.goto("/app/#/")
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    page.locator("#main:not([aria-busy])").wait_for()
    card.wait_for()
    assert card.locator(".stop").count() == 0


@pytest.fixture
def axe_phone(chromium, live):
    """A phone that lets axe in (the page's CSP would refuse its script)."""
    context = chromium.new_context(
        base_url=live.url,
        viewport={"width": 360, "height": 780},
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,
    )
    yield context.new_page()
    context.close()


def test_axe_finds_no_violations_with_the_stop_advice_and_large_text(
    axe_phone, live, patient_world
):
    page = axe_phone
    page.set_default_timeout(8000)
    log_in(page, patient_world["patient"])
    assignment = patient_world["assignments"][0]
    card = page.locator("li.card.homework").filter(has_text="Piriformis stretch")
    card.get_by_role("radio", name="Pain spreading").check()
    card.get_by_role("button", name="Done: Piriformis stretch").click()
    card.locator(".stop").wait_for()
    assert run_axe(page) == [], "today with the stop advice"
    page.goto(f"/app/#/exercise/{assignment.id}")
    page.locator(".stop").wait_for()
    assert run_axe(page) == [], "exercise with the stop advice"
    page.add_style_tag(content="html { font-size: 200% !important; }")
    page.goto("/app/#/settings")
    page.get_by_role("heading", name="Reminders on this phone").wait_for()
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    assert run_axe(page) == [], "settings at 200 % text"
