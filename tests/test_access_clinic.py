"""Access matrix for the clinic's team, settings and each patient's lead (see tests/access.py).

The team and settings pages are the owner's: a practitioner of the clinic who is not its
owner gets 403, and the owner of another clinic reaches only their own team.
"""

import itertools

import pytest

from tests.access import Row, build_world, check_row
from tests.conftest import ApiClient

_emails = itertools.count(1)


def _member(suffix=""):
    return lambda w: f"/panel/team/{w.newcomer.id}{suffix}"


SETTINGS = {
    "name": "Clinic A",
    "country": "GB",
    "timezone": "Europe/London",
    "emergency_number": "999",
    "same_day_advice": "",
    "escalation_hours": "4",
    "retention_years": "8",
    "checkin_time": "20:00",
    "homework_time": "09:00",
}

ROWS = [
    Row("GET", "/panel/team", lambda w: "/panel/team", "owner", own=True),
    Row(
        "POST",
        "/panel/team",
        lambda w: "/panel/team",
        "owner",
        own=True,
        form=lambda w: {"display_name": "New Colleague", "email": f"col{next(_emails)}@ex.test"},
    ),
    Row("POST", "/panel/team/<int:user_id>/invite", _member("/invite"), "owner", form=lambda w: {}),
    Row(
        "POST",
        "/panel/team/<int:user_id>/active",
        _member("/active"),
        "owner",
        form=lambda w: {"active": "0"},
    ),
    Row("GET", "/panel/clinic", lambda w: "/panel/clinic", "owner", own=True),
    Row(
        "POST",
        "/panel/clinic",
        lambda w: "/panel/clinic",
        "owner",
        own=True,
        form=lambda w: SETTINGS,
    ),
    Row(
        "POST",
        "/panel/patients/<int:patient_id>/lead",
        lambda w: f"/panel/patients/{w.victim.id}/lead",
        "practitioner",
        form=lambda w: {"practitioner_id": str(w.owner.id)},
    ),
]


@pytest.fixture
def world(factory):
    world = build_world(factory)
    # Invited to clinic A's team, not joined yet.
    world.objects["newcomer"] = factory.practitioner(world.clinic, password_hash=None)
    return world


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_only_the_owner_reaches_it(row, world, app):
    check_row(row, world, lambda: ApiClient(app.test_client()))
