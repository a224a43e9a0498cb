"""The clock process (filled in by the reminders work)."""
from __future__ import annotations

from flask import Flask


def run(app: Flask) -> None:
    raise SystemExit("The reminder clock is not built yet.")
