"""The patients list's figures per patient, kept so that the list need not recompute a year
of history on every view (backend/panel/summary.py keeps them; progress.maths computes them)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model


class PatientSummary(Model):
    """One patient's figures as the list computed them for one clinic day.

    Every write to a check-in, a homework session, an assignment, a dose or a course bumps
    ``generation``; the figures hold while ``computed_generation`` equals it, ``computed_for``
    is the clinic's today and ``tz`` its time zone. Otherwise the list computes them again.
    """

    __tablename__ = "patient_summary"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    generation: Mapped[int] = mapped_column(default=0, server_default="0")
    computed_generation: Mapped[int | None]
    computed_for: Mapped[date | None]
    tz: Mapped[str | None] = mapped_column(String(64))
    # Leg pain in the first week and in the last 7 days (a mean of per-day means); the
    # recent one only once the first week is over.
    baseline_leg: Mapped[float | None]
    recent_leg: Mapped[float | None]
    worsening: Mapped[bool | None]
    last_checkin: Mapped[date | None]
    adherence: Mapped[float | None]  # percent of the homework due in the last 7 days
