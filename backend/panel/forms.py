"""Reading the panel's HTML forms: one small parser, one error.

A bad value raises ``FormError`` with a message per field; the blueprint turns it into a
422 page that says what to fix, and nothing is saved (the session is rolled back).
"""
from __future__ import annotations

from datetime import date, datetime, time

from flask import request


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
        return value

    def integer(self, name: str, label: str, low: int, high: int,
                required: bool = False) -> int | None:
        raw = (self.data.get(name) or "").strip()
        if not raw:
            if required:
                self.errors[label] = "is required"
            return None
        try:
            value = int(raw)
        except ValueError:
            self.errors[label] = "must be a whole number"
            return None
        if not low <= value <= high:
            self.errors[label] = f"must be from {low} to {high}"
            return None
        return value

    def day(self, name: str, label: str, required: bool = False) -> date | None:
        raw = (self.data.get(name) or "").strip()
        if not raw:
            if required:
                self.errors[label] = "is required"
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            self.errors[label] = "must be a date (YYYY-MM-DD)"
            return None
        if not 2000 <= value.year <= 2100:
            self.errors[label] = "must be a date between 2000 and 2100"
            return None
        return value

    def clock(self, name: str, label: str, required: bool = False) -> time | None:
        raw = (self.data.get(name) or "").strip()
        if not raw:
            if required:
                self.errors[label] = "is required"
            return None
        try:
            return time.fromisoformat(raw)
        except ValueError:
            self.errors[label] = "must be a time (HH:MM)"
            return None

    def moment(self, name: str, label: str, required: bool = False) -> datetime | None:
        """A local date and time from <input type="datetime-local"> (naive)."""
        raw = (self.data.get(name) or "").strip()
        if not raw:
            if required:
                self.errors[label] = "is required"
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            self.errors[label] = "must be a date and time"
            return None
        if value.tzinfo is not None or not 2000 <= value.year <= 2100:
            self.errors[label] = "must be a local date and time between 2000 and 2100"
            return None
        return value

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
