"""Reading the panel's HTML forms: one small parser, one error.

A bad value raises ``FormError`` with a message per field; the blueprint turns it into a
422 page that says what to fix, and nothing is saved (the session is rolled back).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from flask import request

from ..auth.service import normalize_email
from ..database import has_nul

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FormError(Exception):
    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class Form:
    """Collects every problem of a form, so the practitioner sees them all at once."""

    def __init__(self, data=None):
        self.data = request.form if data is None else data
        self.errors: dict[str, str] = {}

    def text(self, name: str, label: str, max_length: int, required: bool = False) -> str:
        value = (self.data.get(name) or "").strip()
        if required and not value:
            self.errors[label] = "is required"
        elif len(value) > max_length:
            self.errors[label] = f"must be at most {max_length} characters"
        elif has_nul(value):
            self.errors[label] = "must not contain a NUL character"
            return ""  # the database cannot even compare it: no check may query with it
        return value

    def email(self, name: str, label: str, required: bool = True) -> str:
        """An email address, lower-cased (as every account's is stored)."""
        value = normalize_email(self.text(name, label, 254, required=required))
        if value and label not in self.errors and not EMAIL.match(value):
            self.errors[label] = "does not look like an email address"
        return value

    def flag(self, name: str) -> bool:
        """A checkbox: ticked when sent with any value."""
        return bool(self.data.get(name))

    def _parsed(self, name: str, label: str, required: bool, parse, problem: str):
        """The field read by ``parse`` (None when empty); ``problem`` when it cannot be."""
        raw = (self.data.get(name) or "").strip()
        if not raw:
            if required:
                self.errors[label] = "is required"
            return None
        try:
            return parse(raw)
        except ValueError:
            self.errors[label] = problem
            return None

    def _within(self, value, label: str, ok, problem: str):
        """``value`` if it is None or ``ok(value)``; else None, with ``problem`` noted."""
        if value is None or ok(value):
            return value
        self.errors[label] = problem
        return None

    def integer(
        self, name: str, label: str, low: int, high: int, required: bool = False
    ) -> int | None:
        value = self._parsed(name, label, required, int, "must be a whole number")
        return self._within(
            value, label, lambda v: low <= v <= high, f"must be from {low} to {high}"
        )

    def day(self, name: str, label: str, required: bool = False) -> date | None:
        value = self._parsed(
            name, label, required, date.fromisoformat, "must be a date (YYYY-MM-DD)"
        )
        return self._within(
            value, label, lambda v: 2000 <= v.year <= 2100, "must be a date between 2000 and 2100"
        )

    def clock(self, name: str, label: str, required: bool = False) -> time | None:
        return self._parsed(name, label, required, time.fromisoformat, "must be a time (HH:MM)")

    def moment(self, name: str, label: str, required: bool = False) -> datetime | None:
        """A local date and time from <input type="datetime-local"> (naive)."""
        value = self._parsed(
            name, label, required, datetime.fromisoformat, "must be a date and time"
        )
        return self._within(
            value,
            label,
            lambda v: v.tzinfo is None and 2000 <= v.year <= 2100,
            "must be a local date and time between 2000 and 2100",
        )

    def choice(self, name: str, label: str, choices, required: bool = True) -> str | None:
        value = (self.data.get(name) or "").strip()
        if not value and not required:
            return None
        if value not in choices:
            self.errors[label] = "is not one of the choices"
            return None
        return value

    def check(self, ok: bool, label: str, message: str) -> None:
        if ok is False and label not in self.errors:
            self.errors[label] = message

    def done(self) -> None:
        if self.errors:
            raise FormError(self.errors)
