"""The check-in and homework vocabularies: one home for the values and their plain labels.

The API's schemas, the models and the patient app all take them from here; the app gets them
as a generated module (``/app/js/vocab.js``, see backend/frontend.py). The red-flag questions
are not here: they carry their own grades and advice (backend/models/checkins.py).
"""

from __future__ import annotations

# Where it hurts (DOMAIN.md: lower back, buttock, back of thigh, calf, foot).
LOCATIONS: dict[str, str] = {
    "lower_back": "Lower back",
    "buttock": "Buttock",
    "thigh": "Back of thigh",
    "calf": "Calf",
    "foot": "Foot",
}
SIDES: dict[str, str] = {"left": "Left", "right": "Right", "both": "Both"}
SENSATIONS: dict[str, str] = {
    "sharp": "Sharp",
    "burning": "Burning",
    "shooting": "Shooting",
    "tingling": "Tingling",
    "numbness": "Numbness",
    "weakness": "Weakness",
}
# How an exercise felt; "spreading": leg pain went further down the leg.
FEELINGS: dict[str, str] = {
    "better": "Better",
    "same": "Same",
    "worse": "Worse",
    "spreading": "Pain spreading",
}
# The feelings that reach the practitioner and pause the exercise until they have looked.
WORSE_FEELINGS: frozenset[str] = frozenset({"worse", "spreading"})

# What can go wrong at an acupuncture session, noted with the session.
ADVERSE_EVENTS: dict[str, str] = {
    "bruising": "Bruising",
    "bleeding": "Bleeding",
    "fainting": "Fainting or feeling faint",
    "lasting_pain": "Pain that lasted after the session",
}

VOCABULARIES: dict[str, dict[str, str]] = {
    "LOCATIONS": LOCATIONS,
    "SIDES": SIDES,
    "SENSATIONS": SENSATIONS,
    "FEELINGS": FEELINGS,
}


def label(vocabulary: dict[str, str], value: str) -> str:
    return vocabulary.get(value, value.replace("_", " "))
