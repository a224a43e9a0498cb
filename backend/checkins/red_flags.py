"""The red-flag questions: the one home of their keys, grades and wording.

Three kinds (see DOMAIN.md and the README's design section):

- **emergency**, asked at every check-in: possible cauda equina syndrome. The app says "go to
  an emergency department now"; the practitioner is told at once and the owner if nobody
  acknowledges in time.
- **same_day**, asked at every check-in: the app says "see a doctor today" in the clinic's
  own words; the practitioner is told the same way.
- **history**, asked once at intake (and updatable there): for the practitioner to review
  before treatment. Never an emergency screen, never a new alert at each check-in.

The patient app gets this vocabulary from ``GET /api/safety``; it never keeps its own copy.
"""

from __future__ import annotations

from typing import Literal

Grade = Literal["emergency", "same_day", "history"]

EMERGENCY: tuple[tuple[str, str], ...] = (
    (
        "bladder_bowel",
        "New trouble controlling your bladder or bowels, trouble starting to pee, "
        "or less feeling when you pee?",
    ),
    (
        "saddle_numbness",
        "Numbness or pins and needles around your groin, genitals, bottom or inner thighs?",
    ),
    ("sexual_dysfunction", "New loss of feeling in your genitals, or new problems with sex?"),
    ("both_legs", "Sciatica, numbness or weakness in both legs?"),
    (
        "worsening_weakness",
        "Leg weakness that is getting worse (for example your foot drags or you trip)?",
    ),
)
SAME_DAY: tuple[tuple[str, str], ...] = (
    ("fever", "A fever, or feeling generally unwell, along with your back pain?"),
    ("night_pain", "New severe pain at night that does not ease when you rest or move?"),
    ("weight_loss", "Weight loss you cannot explain?"),
    ("fall_accident", "A new fall or accident?"),
)
HISTORY: tuple[tuple[str, str], ...] = (
    ("cancer", "Have you had cancer, now or in the past?"),
    ("osteoporosis_steroids", "Osteoporosis, or steroid tablets taken for a long time?"),
    ("weak_immune", "A weakened immune system (from an illness or its treatment)?"),
    ("injected_drugs", "Have you ever injected drugs?"),
    ("age_onset", "Did your back pain first start after age 50, or before age 20?"),
)

# Asked "since your last check-in", at every check-in.
CHECKIN_FLAGS: tuple[str, ...] = tuple(key for key, _ in EMERGENCY + SAME_DAY)
HISTORY_FLAGS: tuple[str, ...] = tuple(key for key, _ in HISTORY)

# Keys older versions of the app sent; kept so old entries still read right.
LEGACY: dict[str, tuple[Grade, str]] = {
    "both_legs_or_weakness": ("emergency", "Pain in both legs, or leg weakness getting worse"),
    "after_trauma": ("same_day", "Started after a serious fall or accident"),
    "cancer_history": ("history", "Cancer, now or in the past"),
}

GRADES: dict[str, Grade] = {
    **{key: "emergency" for key, _ in EMERGENCY},
    **{key: "same_day" for key, _ in SAME_DAY},
    **{key: "history" for key, _ in HISTORY},
    **{key: grade for key, (grade, _) in LEGACY.items()},
}
QUESTIONS: dict[str, str] = {
    **dict(EMERGENCY + SAME_DAY + HISTORY),
    **{key: text for key, (_, text) in LEGACY.items()},
}

# What the panel and report call each answer, short.
LABELS: dict[str, str] = {
    "bladder_bowel": "Bladder or bowel change",
    "saddle_numbness": "Saddle numbness",
    "sexual_dysfunction": "New sexual dysfunction",
    "both_legs": "Symptoms in both legs",
    "worsening_weakness": "Leg weakness getting worse",
    "fever": "Fever or unwell",
    "night_pain": "Night pain not easing",
    "weight_loss": "Unexplained weight loss",
    "fall_accident": "New fall or accident",
    "cancer": "Cancer history",
    "osteoporosis_steroids": "Osteoporosis or long-term steroids",
    "weak_immune": "Weakened immune system",
    "injected_drugs": "Injected drug use",
    "age_onset": "First back pain after 50 or before 20",
    **{key: text for key, (_, text) in LEGACY.items()},
}


# Where each question stands in GRADES: emergency first, then same day, then history.
_RANK = {flag: place for place, flag in enumerate(GRADES)}


def answered_yes(answers: dict[str, bool | None]) -> list[str]:
    """The flags answered yes, most urgent first (old entries' keys included, last)."""
    yes = [flag for flag, answer in answers.items() if answer is True]
    return sorted(yes, key=lambda flag: _RANK.get(flag, len(_RANK)))


def urgency(flags: list[str]) -> Grade | None:
    """The most urgent grade among the flags answered "yes" at a check-in (history excluded)."""
    grades = {GRADES.get(flag) for flag in flags}
    if "emergency" in grades:
        return "emergency"
    if "same_day" in grades:
        return "same_day"
    return None


def vocabulary() -> dict[str, list[dict[str, str]]]:
    """What ``GET /api/safety`` serves: every question with its key, grade and wording."""
    return {
        grade: [{"key": key, "text": text, "label": LABELS[key]} for key, text in questions]
        for grade, questions in (
            ("emergency", EMERGENCY),
            ("same_day", SAME_DAY),
            ("history", HISTORY),
        )
    }
