"""Questionnaires are data: shipped ones are seeded here and scored on the server.

The Oswestry Disability Index is licensed (Mapi Research Trust) and is not shipped; a clinic
that holds a licence adds it as data like any other questionnaire.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Questionnaire

SBI_LABELS = {
    "0": "Not at all bothersome",
    "1": "",
    "2": "",
    "3": "Somewhat bothersome",
    "4": "",
    "5": "",
    "6": "Extremely bothersome",
}

SCIATICA_BOTHERSOMENESS_INDEX = dict(
    slug="sbi",
    title="Sciatica Bothersomeness Index",
    instructions="During the last week, how bothersome have these symptoms been?",
    items=[
        {"key": "leg_pain", "text": "Leg pain", "min": 0, "max": 6, "labels": SBI_LABELS},
        {
            "key": "numbness_tingling",
            "text": "Numbness or tingling in leg, foot or groin",
            "min": 0,
            "max": 6,
            "labels": SBI_LABELS,
        },
        {
            "key": "weakness",
            "text": "Weakness in leg or foot",
            "min": 0,
            "max": 6,
            "labels": SBI_LABELS,
        },
        {
            "key": "sitting_pain",
            "text": "Back or leg pain while sitting",
            "min": 0,
            "max": 6,
            "labels": SBI_LABELS,
        },
    ],
    scoring="sum",
    min_important_change=None,
    higher_is_worse=True,
)

SHIPPED = [SCIATICA_BOTHERSOMENESS_INDEX]


class InvalidAnswers(ValueError):
    def __init__(self, fields: dict[str, str]):
        super().__init__("invalid answers")
        self.fields = fields


def score(questionnaire: Questionnaire, answers: dict[str, int]) -> float:
    """The questionnaire's score; every item must be answered within its range."""
    fields = {}
    for item in questionnaire.items:
        value = answers.get(item["key"])
        if not isinstance(value, int) or isinstance(value, bool):
            fields[item["key"]] = "is required"
        elif not item["min"] <= value <= item["max"]:
            fields[item["key"]] = f"must be from {item['min']} to {item['max']}"
    unknown = set(answers) - {item["key"] for item in questionnaire.items}
    fields.update({key: "is not a question of this questionnaire" for key in unknown})
    if fields:
        raise InvalidAnswers(fields)
    total = sum(answers[item["key"]] for item in questionnaire.items)
    if questionnaire.scoring == "percent":
        return round(100 * total / questionnaire.max_score, 1)
    return float(total)


def seed_questionnaires() -> int:
    """Add shipped questionnaires that are missing. Does not commit."""
    existing = set(
        db.session.scalars(select(Questionnaire.slug).where(Questionnaire.clinic_id.is_(None)))
    )
    added = 0
    for spec in SHIPPED:
        if spec["slug"] not in existing:
            db.session.add(Questionnaire(clinic_id=None, **spec))
            added += 1
    return added
