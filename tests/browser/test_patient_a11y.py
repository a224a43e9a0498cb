"""Accessibility of every patient screen: axe-core finds no violations, and at 360 px with
200 % zoom nothing scrolls sideways."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_patient_app import log_in

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENS = [
    ("#/", "Hello, Maya"),
    ("#/checkin", "Check in"),
    ("#/exercise/{assignment}", "Piriformis stretch"),
    ("#/homework", "Today's homework"),
    ("#/questionnaire/sbi", "Sciatica Bothersomeness Index"),
    ("#/progress", "Your progress"),
    ("#/settings", "Settings"),
    ("#/urgent", "Go to an emergency department now"),
    ("#/urgent/same-day", "See a doctor today"),
    ("#/help", "When to get help"),
    ("#/intake", "Before your first session"),
]


@pytest.fixture
def axe_page(chromium, live):
    # Injecting axe needs a script the page's CSP would refuse: this context alone bypasses it.
    context = chromium.new_context(
        base_url=live.url,
        viewport={"width": 360, "height": 780},
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,
    )
    page = context.new_page()
    yield page
    context.close()


def run_axe(page) -> list:
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.failureSummary)}));
    }""")


def test_axe_finds_no_violations_on_any_screen(axe_page, patient_world):
    page = axe_page
    page.set_default_timeout(8000)
    page.goto("/app/")
    page.get_by_role("heading", name="Log in to Between").wait_for()
    assert run_axe(page) == [], "login"
    log_in(page, patient_world["patient"])
    assignment = patient_world["assignments"][0].id
    for route, heading in SCREENS:
        page.goto("/app/" + route.format(assignment=assignment))
        page.get_by_role("heading", name=heading).first.wait_for()
        page.locator("#main:not([aria-busy])").wait_for()
        if route == "#/progress":
            page.locator("figure.chart canvas").first.wait_for()
        assert run_axe(page) == [], route


def test_axe_finds_no_violations_with_the_both_legs_note_showing(axe_page, patient_world):
    page = axe_page
    log_in(page, patient_world["patient"])
    page.goto("/app/#/checkin")
    page.get_by_role("checkbox", name="Foot").check()
    page.get_by_role("radio", name="Both").check()
    page.get_by_role("button", name="Go to that question").wait_for()
    assert run_axe(page) == []


def test_no_sideways_scrolling_at_360px_and_200_percent_zoom(chromium, live, patient_world):
    # 200 % zoom on a 360 px phone is a 180 CSS px wide layout viewport.
    context = chromium.new_context(
        base_url=live.url,
        viewport={"width": 180, "height": 390},
        device_scale_factor=4,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    try:
        log_in(page, patient_world["patient"])
        assignment = patient_world["assignments"][0].id
        for route, heading in SCREENS:
            page.goto("/app/" + route.format(assignment=assignment))
            page.get_by_role("heading", name=heading).first.wait_for()
            page.locator("#main:not([aria-busy])").wait_for()
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *'))
                .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .slice(0, 5).map(el => el.tagName + '.' + el.className + ' ' + (el.textContent || '').slice(0, 30))""")
            assert overflow <= 0, f"{route} scrolls sideways by {overflow}px: {wide}"
    finally:
        context.close()
