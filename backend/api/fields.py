"""Field types shared by the API's request schemas."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

from ..models import utcnow

OLDEST_ENTRY = timedelta(days=60)  # an offline phone may come back after a long trip
CLOCK_SKEW = timedelta(minutes=10)  # a phone's clock may run a little fast


def _when_made(value: datetime) -> datetime:
    now = utcnow()
    if value > now + CLOCK_SKEW:
        raise ValueError("is in the future")
    if value < now - OLDEST_ENTRY:
        raise ValueError("is more than 60 days ago")
    return value


# When the patient made an entry, sent later if they were offline: with a time zone, not in
# the future, at most 60 days old. Bounded so every later date sum stays in range.
EntryTime = Annotated[AwareDatetime, AfterValidator(_when_made)]
