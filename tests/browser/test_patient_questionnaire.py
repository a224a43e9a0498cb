"""Questionnaires in the patient app: the prompt on Today, the screen drawn from the API's
items, and answers sent through the offline queue and scored on the server."""

from __future__ import annotations

import re

from sqlalchemy import select

from backend.extensions import db
from backend.models import QuestionnaireResponse
from tests.browser.test_patient_app import count, log_in, wait_for_worker, wait_until

SBI_ITEMS = [
    "Leg pain",
    "Numbness or tingling in leg, foot or groin",
    "Weakness in leg or foot",
    "Back or leg pain while sitting",
]


def item(page, text):
    """An item's group; its name is the item's text followed by the anchor labels."""
    return page.get_by_role("group", name=re.compile("^" + re.escape(text)))


def answer(page, values):
    for text, value in zip(SBI_ITEMS, values, strict=False):
        item(page, text).get_by_role("radio", name=str(value), exact=True).check()


def test_a_due_questionnaire_is_prompted_on_today_answered_and_scored(live, page, patient_world):
    log_in(page, patient_world["patient"])
    prompt = page.get_by_role("region", name="A few questions for your practitioner")
    prompt.get_by_role("link", name="Answer: Sciatica Bothersomeness Index").click()
    page.get_by_role("heading", name="Sciatica Bothersomeness Index").wait_for()
    assert page.get_by_text("During the last week, how bothersome").is_visible()
    # Drawn from the data: four items, each 0 to 6, with the anchor labels.
    for text in SBI_ITEMS:
        radios = item(page, text).get_by_role("radio")
        assert [radios.nth(i).get_attribute("value") for i in range(radios.count())] == [
            str(n) for n in range(7)
        ]
        assert item(page, text).locator("legend").text_content() == text + (
            "0 = Not at all bothersome, 3 = Somewhat bothersome, 6 = Extremely bothersome"
        )

    answer(page, [5, 3])  # two of four
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_text(
        "Please answer: Weakness in leg or foot; Back or leg pain while sitting."
    ).wait_for()
    assert count(live, QuestionnaireResponse, timepoint="mid") == 0

    answer(page, [5, 3, 1, 6])
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    page.get_by_text("Thank you. Your answers are saved.").wait_for()
    with live.app_context():
        db.session.remove()
        response = db.session.scalar(select(QuestionnaireResponse).filter_by(timepoint="mid"))
        assert response.answers == {
            "leg_pain": 5,
            "numbness_tingling": 3,
            "weakness": 1,
            "sitting_pain": 6,
        }
        assert response.score == 15 and response.timepoint == "mid"
    assert page.get_by_role("region", name="A few questions for your practitioner").count() == 0
    page.reload()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    page.locator("#main:not([aria-busy])").wait_for()
    assert page.get_by_role("region", name="A few questions for your practitioner").count() == 0


def test_answers_given_offline_are_sent_once_when_back_online(live, context, page, patient_world):
    log_in(page, patient_world["patient"])  # the questionnaire is saved on the phone
    page.get_by_role("region", name="A few questions for your practitioner").wait_for()
    wait_for_worker(page)
    context.set_offline(True)
    page.goto("/app/#/questionnaire/sbi")
    page.get_by_role("heading", name="Sciatica Bothersomeness Index").wait_for()
    answer(page, [2, 2, 0, 4])
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_text("Saved on this phone. It will be sent when you're online.").wait_for()
    page.get_by_text("1 entry waiting to send").wait_for()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    page.locator("#main:not([aria-busy])").wait_for()
    # Answered here already: Today doesn't ask again, offline or not.
    assert page.get_by_role("region", name="A few questions for your practitioner").count() == 0
    assert count(live, QuestionnaireResponse, timepoint="mid") == 0
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    assert wait_until(lambda: count(live, QuestionnaireResponse, timepoint="mid") == 1)
    page.wait_for_function(
        "() => !document.getElementById('sync-status').textContent.includes('waiting')"
    )
    with live.app_context():
        db.session.remove()
        response = db.session.scalar(select(QuestionnaireResponse).filter_by(timepoint="mid"))
        assert (response.score, response.timepoint) == (8, "mid")
