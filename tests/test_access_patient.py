"""Access matrix for the patient app's own routes (see tests/access.py)."""

import pytest

from tests.access import Row, build_world, check_row, intake_answers
from tests.conftest import PASSWORD, ApiClient

ROWS = [
    Row("GET", "/api/today", lambda w: "/api/today", "victim", own=True),
    Row("GET", "/api/progress", lambda w: "/api/progress", "victim", own=True),
    Row("GET", "/api/export.csv", lambda w: "/api/export.csv", "victim", own=True),
    Row("GET", "/api/export.json", lambda w: "/api/export.json", "victim", own=True),
    Row("GET", "/api/safety", lambda w: "/api/safety", "victim", own=True),
    Row("POST", "/api/safety/disclaimer", lambda w: "/api/safety/disclaimer", "victim", own=True),
    Row("GET", "/api/intake", lambda w: "/api/intake", "victim", own=True),
    Row(
        "POST",
        "/api/intake",
        lambda w: "/api/intake",
        "victim",
        own=True,
        json=lambda w: {"answers": intake_answers(pacemaker=True)},
    ),
    # Last: the owner's positive control deletes the account.
    Row(
        "DELETE",
        "/api/me",
        lambda w: "/api/me",
        "victim",
        own=True,
        json=lambda w: {"password": PASSWORD},
    ),
]


@pytest.fixture
def world(factory):
    return build_world(factory)


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_only_the_owner_reaches_it(row, world, app):
    check_row(row, world, lambda: ApiClient(app.test_client()))
