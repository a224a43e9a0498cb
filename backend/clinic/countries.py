"""What the patient app tells a patient to do, by the clinic's country: one table, one home.

A clinic's settings start from its country's row (emergency number, same-day advice and a
time zone to suggest); the owner may change them afterwards. Nothing here imports the
models, so the models can take their defaults from it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str
    emergency_number: str
    same_day_advice: str
    timezone: str  # the zone a new clinic there is offered first


EU_SAME_DAY = "See a doctor today."

_EU = [
    ("AT", "Austria", "Europe/Vienna"),
    ("BE", "Belgium", "Europe/Brussels"),
    ("BG", "Bulgaria", "Europe/Sofia"),
    ("HR", "Croatia", "Europe/Zagreb"),
    ("CY", "Cyprus", "Asia/Nicosia"),
    ("CZ", "Czechia", "Europe/Prague"),
    ("DK", "Denmark", "Europe/Copenhagen"),
    ("EE", "Estonia", "Europe/Tallinn"),
    ("FI", "Finland", "Europe/Helsinki"),
    ("FR", "France", "Europe/Paris"),
    ("DE", "Germany", "Europe/Berlin"),
    ("GR", "Greece", "Europe/Athens"),
    ("HU", "Hungary", "Europe/Budapest"),
    ("IE", "Ireland", "Europe/Dublin"),
    ("IT", "Italy", "Europe/Rome"),
    ("LV", "Latvia", "Europe/Riga"),
    ("LT", "Lithuania", "Europe/Vilnius"),
    ("LU", "Luxembourg", "Europe/Luxembourg"),
    ("MT", "Malta", "Europe/Malta"),
    ("NL", "Netherlands", "Europe/Amsterdam"),
    ("PL", "Poland", "Europe/Warsaw"),
    ("PT", "Portugal", "Europe/Lisbon"),
    ("RO", "Romania", "Europe/Bucharest"),
    ("SK", "Slovakia", "Europe/Bratislava"),
    ("SI", "Slovenia", "Europe/Ljubljana"),
    ("ES", "Spain", "Europe/Madrid"),
    ("SE", "Sweden", "Europe/Stockholm"),
]

COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in [
        Country("GB", "United Kingdom", "999", "See a GP today, or call NHS 111.", "Europe/London"),
        *(Country(code, name, "112", EU_SAME_DAY, tz) for code, name, tz in _EU),
        Country("IS", "Iceland", "112", EU_SAME_DAY, "Atlantic/Reykjavik"),
        Country("NO", "Norway", "112", EU_SAME_DAY, "Europe/Oslo"),
        Country("CH", "Switzerland", "112", EU_SAME_DAY, "Europe/Zurich"),
        Country(
            "US",
            "United States",
            "911",
            "See a doctor today, or go to an urgent care clinic.",
            "America/New_York",
        ),
        Country(
            "CA",
            "Canada",
            "911",
            "See a doctor today, or go to a walk-in clinic.",
            "America/Toronto",
        ),
        Country(
            "AU",
            "Australia",
            "000",
            "See a GP today, or call healthdirect on 1800 022 222.",
            "Australia/Sydney",
        ),
        Country(
            "NZ",
            "New Zealand",
            "111",
            "See a GP today, or call Healthline on 0800 611 116.",
            "Pacific/Auckland",
        ),
    ]
}

DEFAULT_COUNTRY = "GB"


def country(code: str) -> Country:
    """The row for ``code`` (the default country's for an unknown code)."""
    return COUNTRIES.get(code.upper(), COUNTRIES[DEFAULT_COUNTRY])


def choices() -> list[Country]:
    """Every country, by name, for a form's list."""
    return sorted(COUNTRIES.values(), key=lambda c: c.name)
