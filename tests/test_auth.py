"""Logging in and out: hashing, throttling, identical refusals, sessions that really end."""

import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from backend.auth import throttle
from backend.config import load
from backend.extensions import db
from backend.models import LoginAttempt, User
from tests.conftest import PASSWORD, ApiClient


def test_passwords_are_stored_as_argon2id(factory):
    user = factory.patient()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_login_sets_a_hardened_session_cookie_and_me_answers(api, factory):
    user = factory.patient(display_name="Maya")
    response = api.login(user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    me = api.get("/api/me").get_json()
    assert me["id"] == user.id and me["role"] == "patient" and me["display_name"] == "Maya"


def test_unknown_email_and_wrong_password_get_the_same_answer(api, factory):
    user = factory.patient()
    wrong = api.post("/api/auth/login", json={"email": user.email, "password": "nope-nope-nope"})
    unknown = api.post(
        "/api/auth/login", json={"email": "nobody@example.test", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_email_is_matched_without_case_or_spaces(api, factory):
    factory.patient(email="maya@example.test")
    response = api.post(
        "/api/auth/login", json={"email": "  Maya@Example.TEST ", "password": PASSWORD}
    )
    assert response.status_code == 200


def test_login_is_throttled_per_account_even_with_the_right_password(api, factory):
    user = factory.patient()
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        assert (
            api.post(
                "/api/auth/login", json={"email": user.email, "password": "wrong-password"}
            ).status_code
            == 401
        )
    blocked = api.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["code"] == "too_many_attempts"
    assert int(blocked.get_json()["error"]["fields"]["retry_after"]) > 0


def test_login_is_throttled_per_ip_across_accounts(api, factory):
    user = factory.patient()
    for n in range(throttle.MAX_FAILURES_PER_IP):
        api.post("/api/auth/login", json={"email": f"guess{n}@example.test", "password": "x"})
    assert (
        api.post("/api/auth/login", json={"email": user.email, "password": PASSWORD}).status_code
        == 429
    )


def test_throttle_counts_are_shared_through_the_database(app, factory):
    """Another worker process sees the same failures: they live in a table, not in memory."""
    user = factory.patient()
    for _ in range(throttle.MAX_FAILURES_PER_ACCOUNT):
        db.session.add(LoginAttempt(email=user.email, ip="127.0.0.1", succeeded=False))
    db.session.commit()
    fresh_worker = ApiClient(app.test_client())
    assert (
        fresh_worker.post(
            "/api/auth/login", json={"email": user.email, "password": PASSWORD}
        ).status_code
        == 429
    )


def test_logout_really_ends_the_session_even_if_the_cookie_is_replayed(app, api, factory):
    user = factory.patient()
    api.login(user)
    stolen = api.client.get_cookie("between_session").value
    assert api.logout().status_code == 204
    replay = ApiClient(app.test_client())
    replay.client.set_cookie("between_session", stolen, domain="localhost")
    assert replay.get("/api/me").status_code == 401


def test_a_changed_password_is_rehashed_with_new_parameters_on_login(app, api, factory):
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    user = factory.patient(password_hash=old)
    app.config["ARGON2_PARAMS"] = {"time_cost": 2, "memory_cost": 16, "parallelism": 1}
    api.login(user)
    db.session.expire_all()
    new_hash = db.session.get(User, user.id).password_hash
    assert new_hash != old and "m=16,t=2" in new_hash


def test_inactive_accounts_cannot_log_in(api, factory):
    user = factory.patient(active=False)
    assert (
        api.post("/api/auth/login", json={"email": user.email, "password": PASSWORD}).status_code
        == 401
    )


def test_deactivating_an_account_ends_its_open_sessions(api, factory):
    user = factory.patient()
    api.login(user)
    user.active = False
    db.session.commit()
    assert api.get("/api/me").status_code == 401


def test_html_login_form_needs_its_csrf_token(client, factory):
    user = factory.practitioner()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400  # no token: refused before the password is checked
    assert db.session.scalar(select(LoginAttempt)) is None


def test_html_login_sends_practitioners_to_the_panel_and_patients_to_the_app(api, factory):
    response = api.login_form(factory.practitioner())
    assert response.status_code == 302 and response.headers["Location"].endswith("/panel/")
    other = ApiClient(api.client.application.test_client())
    response = other.login_form(factory.patient())
    assert response.headers["Location"].endswith("/app/")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_login_never_redirects_to_another_site(api, factory, target):
    token = api.form_token("/login")
    user = factory.practitioner()
    response = api.client.post(
        f"/login?next={target}",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]
    assert not re.match(
        r"^(https?:)?//", response.headers["Location"].replace("http://localhost", "")
    )


def test_panel_pages_refuse_patients_and_send_strangers_to_log_in(api, client, factory):
    assert client.get("/panel/").status_code == 302
    api.login(factory.patient())
    assert api.get("/panel/").status_code == 403


@pytest.mark.parametrize("target", ["/%0d%0aX:1", "/panel/%0aSet-Cookie:x=1", "/\\\\evil.test"])
def test_a_next_that_could_split_the_header_is_ignored(api, factory, target):
    """Once a 500: a line break in ``next`` reached the Location header."""
    user = factory.practitioner()
    token = api.form_token("/login")
    answer = api.client.post(
        f"/login?next={target}",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/panel/"


def test_sessions_end_thirty_days_after_login_however_active(api, factory):
    user = factory.patient()
    api.login(user)
    assert api.get("/api/me").status_code == 200
    with api.client.session_transaction() as session:
        session["login_at"] -= 30 * 24 * 3600 + 60
        session["seen_at"] = session["login_at"] + 29 * 24 * 3600
    assert api.get("/api/me").status_code == 401


def test_a_panel_session_ends_after_twelve_idle_hours(api, factory):
    user = factory.practitioner()
    api.login(user)
    assert api.client.get("/panel/").status_code == 200
    with api.client.session_transaction() as session:
        session["seen_at"] -= 11 * 3600
    assert api.client.get("/panel/").status_code == 200  # used again: the clock restarts
    with api.client.session_transaction() as session:
        session["seen_at"] -= 12 * 3600 + 60
    assert api.client.get("/panel/").status_code == 302


def cookies_set(response, name: str) -> list[str]:
    """The Set-Cookie headers of an answer for the cookie ``name``."""
    return [
        header for header in response.headers.getlist("Set-Cookie") if header.startswith(f"{name}=")
    ]


def test_a_patient_who_asks_is_remembered_on_their_phone(api, factory):
    user = factory.patient()
    answer = api.post(
        "/api/auth/login", json={"email": user.email, "password": PASSWORD, "remember": True}
    )
    assert answer.status_code == 200 and len(cookies_set(answer, "between_remember")) == 1


def test_a_practitioner_is_never_remembered_past_the_idle_limit(api, factory):
    """A remember-me cookie would restore a panel session that idling had ended."""
    user = factory.practitioner()
    answer = api.post(
        "/api/auth/login", json={"email": user.email, "password": PASSWORD, "remember": True}
    )
    assert answer.status_code == 200 and cookies_set(answer, "between_remember") == []
    with api.client.session_transaction() as session:
        session["seen_at"] -= 12 * 3600 + 60
    assert api.client.get("/panel/").status_code == 302
    assert api.client.get("/panel/").status_code == 302  # and it stays ended


def test_the_session_cookie_is_set_again_only_when_the_session_changes(app, api, factory):
    """A login lasts 30 days from the login however active, so answers do not re-sign the
    cookie; the panel's last use is written down by the minute."""
    api.login(factory.patient())
    for _ in range(3):
        answer = api.get("/api/checkins")
        assert answer.status_code == 200 and cookies_set(answer, "between_session") == []
    api.logout()
    api.login_form(factory.practitioner())
    assert api.client.get("/panel/").status_code == 200
    assert cookies_set(api.client.get("/panel/"), "between_session") == []  # within the minute
    with api.client.session_transaction() as session:
        session["seen_at"] -= 61
    answer = api.client.get("/panel/")
    assert answer.status_code == 200 and len(cookies_set(answer, "between_session")) == 1


def test_a_patient_session_survives_idle_days(api, factory):
    user = factory.patient()
    api.login(user)
    with api.client.session_transaction() as session:
        session["login_at"] -= 20 * 24 * 3600
        session["seen_at"] -= 20 * 24 * 3600
    assert api.get("/api/me").status_code == 200


def test_cookies_take_the_host_prefix_under_https(tmp_path, monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://between.example")
    config = load(tmp_path)
    assert config["SESSION_COOKIE_NAME"] == "__Host-between_session"
    assert config["REMEMBER_COOKIE_NAME"] == "__Host-between_remember"
    assert config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("PUBLIC_URL", "http://127.0.0.1:5000")
    assert load(tmp_path)["SESSION_COOKIE_NAME"] == "between_session"


def test_invite_pages_are_never_cached(app, api, factory):
    from backend.auth.service import create_invite

    patient = factory.patient()
    token = create_invite(patient, patient.practitioner)
    db.session.commit()
    assert api.client.get(f"/invite/{token}").headers["Cache-Control"] == "no-store"
    assert api.client.get("/invite/not-a-token-at-all").headers["Cache-Control"] == "no-store"


def test_flash_messages_carry_no_patient_names(app, api, factory):
    """Flash messages travel in the session cookie (signed, not encrypted)."""
    import base64
    import zlib

    practitioner = factory.practitioner()
    patient = factory.patient(practitioner, display_name="Zebedee Quartermain")
    api.login(practitioner)
    token = api.form_token("/panel/")
    api.client.post(
        f"/panel/patients/{patient.id}/active", data={"active": "0", "csrf_token": token}
    )
    cookie = api.client.get_cookie("between_session").value
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()
    assert "_flashes" in text and "Zebedee" not in text


def test_the_shipped_argon2id_parameters_and_session_lifetimes(app, tmp_path):
    """The figures the README's security section gives."""
    from datetime import timedelta

    from backend.auth import service
    from backend.auth.passwords import hash_password

    app.config.pop("ARGON2_PARAMS")  # the tests' cheap parameters: use what ships
    assert hash_password("quiet river lantern").startswith("$argon2id$v=19$m=47104,t=2,p=1$")
    assert service.SESSION_MAX_AGE == timedelta(days=30)
    assert service.PANEL_IDLE == timedelta(hours=12)
    assert service.RESET_LIFETIME == timedelta(hours=1)
    config = load(tmp_path)
    assert config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=30)
    assert config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    assert (throttle.PAIR_LIMIT, throttle.PAIR_WINDOW) == (5, timedelta(minutes=15))
    assert (throttle.ADDRESS_LIMIT, throttle.ADDRESS_WINDOW) == (30, timedelta(minutes=15))
    assert (throttle.ACCOUNT_LIMIT, throttle.ACCOUNT_WINDOW) == (50, timedelta(hours=1))
