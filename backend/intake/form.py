"""The intake questionnaire, held as data: sections of items, each with its kind.

Kinds: ``date``, ``text`` (free, optional), ``choice`` (one of ``options``), ``yesno``
(required true/false) and ``consent`` (must be true). An item with ``raises`` puts that short
label at the top of the patient page when answered yes, until the intake changes.
The history red flags come from the one vocabulary in ``checkins/red_flags.py``.
"""

from __future__ import annotations

from typing import Any

from ..checkins.red_flags import HISTORY, LABELS

Item = dict[str, Any]


def _yesno(key: str, text: str, raises: str | None = None, **extra: Any) -> Item:
    return {"key": key, "kind": "yesno", "text": text, "raises": raises, **extra}


def _text(key: str, text: str, required: bool = False) -> Item:
    return {"key": key, "kind": "text", "text": text, "required": required, "max_length": 1000}


HISTORY_PREFIX = "history_"

INTAKE_FORM: dict[str, Any] = {
    "slug": "intake",
    "title": "Before your first session",
    "instructions": (
        "Your practitioner reads this before treating you. Answer what you can; "
        "you can change your answers later."
    ),
    "sections": [
        {
            "title": "About you",
            "items": [
                {"key": "date_of_birth", "kind": "date", "text": "Date of birth", "required": True},
            ],
        },
        {
            "title": "What brings you here",
            "items": [
                _text("complaint_where", "Where do you feel it?", required=True),
                {
                    "key": "complaint_side",
                    "kind": "choice",
                    "text": "Which side?",
                    "options": [["left", "Left"], ["right", "Right"], ["both", "Both"]],
                    "required": False,
                },
                _text("complaint_since", "Since when?"),
                _text("complaint_start", "How did it start?"),
                _text("complaint_worse", "What makes it worse?"),
                _text("complaint_better", "What makes it better?"),
                _text("earlier_treatment", "Earlier treatment for it"),
                _text("imaging", "Scans or X-rays (what and when)"),
            ],
        },
        {
            "title": "Your health history",
            "grade": "history",
            "items": [
                _yesno(HISTORY_PREFIX + key, text, LABELS[key], history=True)
                for key, text in HISTORY
            ],
        },
        {
            "title": "Medicines and conditions",
            "items": [
                _text("medication", "Medicines you take now"),
                _yesno(
                    "blood_thinners",
                    "Do you take blood thinners (e.g. warfarin, apixaban, aspirin daily)?",
                    "Blood thinners",
                ),
                _yesno("bleeding_disorder", "A bleeding disorder?", "Bleeding disorder"),
                _yesno("pregnant", "Are you pregnant, or might you be?", "Pregnant"),
                _yesno(
                    "pacemaker",
                    "A pacemaker or another implanted device?",
                    "Pacemaker or implant: no electro-acupuncture",
                ),
                _yesno("epilepsy", "Epilepsy?", "Epilepsy"),
                _yesno(
                    "diabetes_sensation",
                    "Diabetes, or reduced feeling in your skin?",
                    "Diabetes or reduced sensation: care with heat, ice and needles",
                ),
                _yesno(
                    "skin_problems",
                    "Skin problems where you may be treated?",
                    "Skin problems at the treatment area",
                ),
                _yesno(
                    "fainting_needles",
                    "Have you ever fainted with needles or injections?",
                    "Fainting with needles",
                ),
                _yesno("metal_allergy", "An allergy to metal (e.g. nickel)?", "Metal allergy"),
            ],
        },
        {
            "title": "Consent",
            "items": [
                {
                    "key": "consent_treatment",
                    "kind": "consent",
                    "text": "I agree to be treated, and know I can stop at any time.",
                },
                {
                    "key": "consent_data",
                    "kind": "consent",
                    "text": "I agree that the clinic keeps my answers and check-ins in this app "
                    "as part of my clinical record.",
                },
            ],
        },
    ],
}


def items() -> list[Item]:
    return [item for section in INTAKE_FORM["sections"] for item in section["items"]]


ITEMS: dict[str, Item] = {item["key"]: item for item in items()}
