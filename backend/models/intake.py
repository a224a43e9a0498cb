"""The intake questionnaire's answers: one per patient, updatable, reviewed by a practitioner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ._types import UTCDateTime, utcnow


class Intake(Model):
    """The patient's intake answers (the form itself is data: ``backend/intake/form.py``).

    Part of the clinic's clinical record: closing the app account does not erase it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), unique=True, index=True
    )
    # {"date_of_birth": "1970-04-01", "blood_thinners": true, "history_cancer": false, ...}
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    # Who filled it in: None = the patient in the app, else the practitioner who entered it.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    patient = relationship("User", foreign_keys=[patient_id])
    entered_by = relationship("User", foreign_keys=[entered_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
