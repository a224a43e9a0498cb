"""Access matrix for the push and reminder routes (see tests/access.py).

Every route here is about the caller's own devices and settings: other patients succeed
with their own, practitioners and anonymous callers are refused, nobody sees the victim's.
"""

import pytest

from backend.extensions import db
from backend.push.standin import StandIn
from tests.access import SECRET, Row, build_world, check_row
from tests.conftest import ApiClient

KEYS = {
    "p256dh": (
        "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
    ),
    "auth": "tBHItJI5svbpez7KI4CCXg",
}
PREFERENCES = {
    "timezone": "Europe/London",
    "days": [1, 2, 3],
    "checkin_enabled": True,
    "checkin_time": "20:00",
    "homework_enabled": False,
    "homework_times": [],
    "sitting_breaks_enabled": False,
    "sitting_start": "09:00",
    "sitting_end": "17:00",
    "sitting_interval_minutes": 45,
    "appointment_enabled": True,
    "quiet_start": None,
    "quiet_end": None,
}

ROWS = [
    Row("GET", "/api/push/key", lambda w: "/api/push/key", "victim", own=True),
    Row(
        "POST",
        "/api/push/subscriptions",
        lambda w: "/api/push/subscriptions",
        "victim",
        own=True,
        json=lambda w: {"endpoint": "https://fcm.googleapis.com/fcm/send/matrix", "keys": KEYS},
    ),
    Row(
        "DELETE",
        "/api/push/subscriptions",
        lambda w: "/api/push/subscriptions",
        "victim",
        own=True,
        json=lambda w: {"endpoint": w.subscription.endpoint},
    ),
    # Another patient without a device is told to turn notifications on first (409).
    Row("POST", "/api/push/test", lambda w: "/api/push/test", "victim", own=True, ok=(200, 409)),
    Row(
        "GET",
        "/api/reminders/preferences",
        lambda w: "/api/reminders/preferences",
        "victim",
        own=True,
    ),
    Row(
        "PUT",
        "/api/reminders/preferences",
        lambda w: "/api/reminders/preferences",
        "victim",
        own=True,
        json=lambda w: PREFERENCES,
    ),
]


@pytest.fixture
def world(factory):
    world = build_world(factory)
    with StandIn() as service:
        # The victim's phone lives on the local stand-in, so the test button sends nowhere real.
        world.subscription.endpoint = f"{service.origin}/push/{SECRET}"
        db.session.commit()
        yield world


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_only_the_owner_reaches_it(row, world, app):
    check_row(row, world, lambda: ApiClient(app.test_client()))
