"""No lock-out by strangers: guesses are limited per (account, address), per address, and
account-wide more slowly, which still lets the owner in from a device they used before."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.auth import throttle
from backend.extensions import db
from backend.models import LoginAttempt, utcnow
from tests.conftest import PASSWORD, ApiClient

STRANGER = {"REMOTE_ADDR": "203.0.113.7"}


def _login(api, email, password, environ=None):
    extra = {"environ_base": environ} if environ else {}
    return api.post("/api/auth/login", json={"email": email, "password": password}, **extra)


def _failures(email: str, count: int, ip=None, ago=timedelta(0)) -> None:
    """``count`` wrong passwords, each from its own address unless ``ip`` is given."""
    for n in range(count):
        db.session.add(
            LoginAttempt(
                email=email,
                ip=ip or f"198.51.{n // 250}.{n % 250}",
                succeeded=False,
                at=utcnow() - ago,
            )
        )
    db.session.commit()


def test_a_stranger_guessing_cannot_lock_the_owner_out(api, factory):
    user = factory.practitioner()
    stranger = ApiClient(api.client.application.test_client())
    for _ in range(throttle.PAIR_LIMIT * 3):
        _login(stranger, user.email, "wrong password", STRANGER)
    assert _login(stranger, user.email, PASSWORD, STRANGER).status_code == 429
    assert _login(api, user.email, PASSWORD).status_code == 200


@pytest.mark.parametrize("form", [False, True], ids=["api", "html"])
def test_a_429_says_when_to_try_again(app, api, factory, form):
    user = factory.patient()
    _failures(user.email, throttle.PAIR_LIMIT, ip="127.0.0.1")
    if form:
        app.config["WTF_CSRF_ENABLED"] = False
        answer = api.client.post("/login", data={"email": user.email, "password": PASSWORD})
    else:
        answer = _login(api, user.email, PASSWORD)
        assert answer.get_json()["error"]["code"] == "too_many_attempts"
    assert answer.status_code == 429
    wait = int(answer.headers["Retry-After"])
    window = throttle.PAIR_WINDOW.total_seconds()
    assert window - 60 < wait <= window + 1


def test_the_wait_ends_with_the_window(api, factory):
    user = factory.patient()
    _failures(user.email, throttle.PAIR_LIMIT, ip="127.0.0.1", ago=throttle.PAIR_WINDOW)
    assert _login(api, user.email, PASSWORD).status_code == 200


def test_an_address_guessing_many_accounts_waits_for_all(api, factory):
    user = factory.patient()
    for n in range(throttle.ADDRESS_LIMIT):
        assert _login(api, f"guess{n}@example.test", "wrong password").status_code == 401
    answer = _login(api, user.email, PASSWORD)
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0


def test_guesses_from_many_addresses_slow_the_account_but_not_a_known_device(app, factory):
    user = factory.patient()
    known = ApiClient(app.test_client())
    assert _login(known, user.email, PASSWORD).status_code == 200
    known.logout()
    _failures(user.email, throttle.ACCOUNT_LIMIT)
    new_device = ApiClient(app.test_client())
    refused = _login(new_device, user.email, PASSWORD)
    assert refused.status_code == 429
    window = throttle.ACCOUNT_WINDOW.total_seconds()
    assert window - 60 < int(refused.headers["Retry-After"]) <= window + 1
    assert _login(known, user.email, PASSWORD).status_code == 200


def test_a_forged_device_cookie_is_no_known_device(app, factory):
    user = factory.patient()
    _failures(user.email, throttle.ACCOUNT_LIMIT)
    forger = ApiClient(app.test_client())
    forger.client.set_cookie(throttle.DEVICE_COOKIE, f"[{user.id}]")
    assert _login(forger, user.email, PASSWORD).status_code == 429


def test_the_device_cookie_is_private_and_signed(api, factory):
    user = factory.patient()
    answer = _login(api, user.email, PASSWORD)
    cookie = next(c for c in answer.headers.getlist("Set-Cookie") if "between_device=" in c)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert str(user.id) != cookie.split("=", 1)[1].split(";")[0]
