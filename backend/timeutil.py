"""Dates in the patient's own time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .models import utcnow


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_timezone(name: str) -> bool:
    return name in _zones()


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


_ZONES: set[str] | None = None


def local_date(moment: datetime, tz_name: str | None) -> date:
    return moment.astimezone(zone(tz_name)).date()


def today_for(tz_name: str | None) -> date:
    return local_date(utcnow(), tz_name)
