"""Access matrix for the foundation routes (see tests/access.py)."""

import pytest

from tests.access import Row, build_world, check_row
from tests.conftest import ApiClient, checkin_body

ROWS = [
    Row("GET", "/api/checkins", lambda w: "/api/checkins", "victim", own=True),
    Row(
        "POST",
        "/api/checkins",
        lambda w: "/api/checkins",
        "victim",
        own=True,
        json=lambda w: checkin_body(),
    ),
    Row(
        "GET", "/api/checkins/<int:checkin_id>", lambda w: f"/api/checkins/{w.checkin.id}", "victim"
    ),
    Row("GET", "/api/homework", lambda w: "/api/homework", "victim", own=True),
    Row(
        "POST",
        "/api/homework/<int:assignment_id>/completions",
        lambda w: f"/api/homework/{w.assignment.id}/completions",
        "victim",
        json=lambda w: {"feeling": "same"},
    ),
    Row("GET", "/panel/", lambda w: "/panel/", "practitioner", own=True),
    Row("GET", "/account", lambda w: "/account", "practitioner", own=True),
    Row("GET", "/account/password", lambda w: "/account/password", "practitioner", own=True),
    Row("GET", "/account/two-factor", lambda w: "/account/two-factor", "practitioner", own=True),
    *(
        Row(
            "POST",
            path,
            (lambda w, path=path: path),  # type: ignore[misc]
            "practitioner",
            own=True,
            form=lambda w: {"code": "000000"},
        )
        for path in (
            "/account/two-factor/setup",
            "/account/two-factor/confirm",
            "/account/two-factor/off",
        )
    ),
    Row(
        "POST",
        "/account/password",
        lambda w: "/account/password",
        "practitioner",
        own=True,
        form=lambda w: {"current": "not it", "password": "x", "confirm": "x"},
        ok=(422,),
    ),
]

# Routes open to anyone by design, or about the caller only (who am I, log me out): tested
# in test_auth.py.
PUBLIC = {
    "/api/openapi.json",
    "/api/auth/login",
    "/api/auth/logout",
    "/api/invites/accept",
    "/api/me",
    "/login",
    "/logout",
    "/invite/<token>",
    "/forgot",
    "/reset/<token>",
    "/api/auth/forgot",
    "/api/auth/password",
    "/login/code",
    # Owner-only, on a colleague (not a patient): tested in test_two_factor.py.
    "/account/two-factor/reset/<int:user_id>",
    "/setup/<token>",  # tested in test_clinic.py
    "/join/<token>",
    "/",
    "/app/",
    "/app/<path:path>",
    "/static/<path:filename>",
    "/panel/sw.js",  # the panel's service worker: a static script, no data
}


@pytest.fixture
def world(factory):
    return build_world(factory)


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_only_the_owner_reaches_it(row, world, app):
    check_row(row, world, lambda: ApiClient(app.test_client()))
