"""Two-factor login for practitioners: enrolment, codes that work once, recovery codes,
the clinic's requirement and the owner's reset."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from backend.auth import throttle, two_factor
from backend.extensions import db
from backend.models import AuditEvent, LoginAttempt, RecoveryCode, utcnow
from tests.conftest import PASSWORD, ApiClient


def _enrol(api, user) -> tuple[str, list[str]]:
    """Set up two-factor login through the pages, as a practitioner would."""
    csrf = api.form_token("/account/two-factor")
    page = api.client.post("/account/two-factor/setup", data={"csrf_token": csrf})
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    found = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.get_data(as_text=True))
    assert found is not None
    secret = found.group(1)
    wrong = api.client.post(
        "/account/two-factor/confirm", data={"code": "000000", "csrf_token": csrf}
    )
    assert wrong.status_code == 422
    done = api.client.post(
        "/account/two-factor/confirm",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf},
    )
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", done.get_data(as_text=True))
    return secret, codes


def _password_step(app, user):
    browser = ApiClient(app.test_client())
    token = browser.form_token("/login")
    answer = browser.client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    if answer.status_code == 302 and answer.headers["Location"].startswith("/login/code"):
        token = browser.form_token("/login/code")  # a fresh session, a fresh token
    return browser, token, answer


def _code_step(browser, token, code):
    return browser.client.post("/login/code", data={"code": code, "csrf_token": token})


def test_enrolment_shows_a_qr_code_and_ten_recovery_codes(app, api, factory):
    user = factory.practitioner()
    api.login(user)
    secret, codes = _enrol(api, user)
    db.session.refresh(user)
    assert two_factor.is_on(user) and user.totp_secret == secret
    assert len(codes) == two_factor.RECOVERY_CODES == len(set(codes))
    stored = list(db.session.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == 10 and not set(codes) & set(stored)  # hashed, not kept as shown
    assert "two_factor.on" in set(db.session.scalars(select(AuditEvent.action)))


def test_login_asks_for_a_code_that_works_once(app, api, factory):
    user = factory.practitioner()
    api.login(user)
    secret, _ = _enrol(api, user)
    browser, token, answer = _password_step(app, user)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login/code")
    assert browser.client.get("/panel/").status_code == 302  # not in yet
    assert _code_step(browser, token, "123456").status_code == 401
    code = pyotp.TOTP(secret).now()
    assert _code_step(browser, token, code).headers["Location"] == "/panel/"
    assert browser.client.get("/panel/").status_code == 200
    again, token2, _ = _password_step(app, user)
    assert _code_step(again, token2, code).status_code == 401  # the same code, replayed


def test_a_recovery_code_works_once(app, api, factory):
    user = factory.practitioner()
    api.login(user)
    _, codes = _enrol(api, user)
    browser, token, _ = _password_step(app, user)
    assert _code_step(browser, token, codes[0].upper()).status_code == 302
    other, token2, _ = _password_step(app, user)
    assert _code_step(other, token2, codes[0]).status_code == 401
    assert two_factor.recovery_codes_left(user) == 9


def test_the_api_refuses_a_password_alone(app, api, factory):
    user = factory.practitioner()
    api.login(user)
    _enrol(api, user)
    answer = ApiClient(app.test_client()).post(
        "/api/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "two_factor_required"


def test_wrong_codes_are_throttled_like_passwords(app, api, factory):
    user = factory.practitioner()
    api.login(user)
    _enrol(api, user)
    browser, token, _ = _password_step(app, user)
    for _ in range(throttle.PAIR_LIMIT):
        assert _code_step(browser, token, "000000").status_code == 401
    blocked = _code_step(browser, token, "000000")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


def test_a_second_factor_lets_the_owner_past_the_account_wide_limit(app, api, factory):
    user = factory.practitioner()
    api.login(user)
    secret, _ = _enrol(api, user)
    for n in range(throttle.ACCOUNT_LIMIT):
        db.session.add(LoginAttempt(email=user.email, ip=f"198.51.100.{n}", at=utcnow()))
    db.session.commit()
    browser, token, answer = _password_step(app, user)  # a new device
    assert answer.status_code == 302
    assert _code_step(browser, token, pyotp.TOTP(secret).now()).status_code == 302


def test_the_clinic_can_require_it(app, api, factory):
    clinic = factory.clinic(two_factor_required=True)
    user = factory.practitioner(clinic)
    api.login(user)
    page = api.client.get("/panel/")
    assert page.status_code == 302 and page.headers["Location"].endswith("/account/two-factor")
    assert api.get("/api/me").status_code == 403
    _enrol(api, user)
    assert api.client.get("/panel/").status_code == 200
    csrf = api.form_token("/account/two-factor")
    off = api.client.post("/account/two-factor/off", data={"code": "000000", "csrf_token": csrf})
    assert off.status_code == 422 and two_factor.is_on(user)


@pytest.mark.parametrize("owner", [False, True])
def test_only_the_owner_resets_a_lost_second_factor(app, api, factory, owner):
    clinic = factory.clinic()
    boss = factory.practitioner(clinic, is_owner=owner)
    colleague = factory.practitioner(clinic)
    colleague_api = ApiClient(app.test_client())
    colleague_api.login(colleague)
    _enrol(colleague_api, colleague)
    api.login(boss)
    csrf = api.form_token("/account/two-factor")
    answer = api.client.post(f"/account/two-factor/reset/{colleague.id}", data={"csrf_token": csrf})
    db.session.refresh(colleague)
    if not owner:
        assert answer.status_code == 404 and two_factor.is_on(colleague)
        return
    assert answer.status_code == 303 and not two_factor.is_on(colleague)
    assert colleague_api.client.get("/panel/").status_code == 302  # their sessions ended
    assert db.session.scalar(select(RecoveryCode.id)) is None
    event = db.session.scalar(select(AuditEvent).filter_by(action="two_factor.reset"))
    assert event.actor_id == boss.id and event.details["person"] == colleague.id


def test_an_owner_cannot_reset_another_clinics_practitioner(app, api, factory):
    boss = factory.practitioner(is_owner=True)
    stranger = factory.practitioner()
    stranger_api = ApiClient(app.test_client())
    stranger_api.login(stranger)
    _enrol(stranger_api, stranger)
    api.login(boss)
    csrf = api.form_token("/account/two-factor")
    answer = api.client.post(f"/account/two-factor/reset/{stranger.id}", data={"csrf_token": csrf})
    assert answer.status_code == 404


def test_hostile_codes_are_wrong_codes_never_a_500(app, api, factory):
    from tests.test_no_500 import HOSTILE

    user = factory.practitioner()
    api.login(user)
    _enrol(api, user)
    for value in HOSTILE[:7]:
        browser, token, _ = _password_step(app, user)
        answer = browser.client.post(
            "/login/code",
            data={"code": value, "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"10.1.0.{len(value) % 250 + 1}"},
        )
        assert answer.status_code in (401, 429), (value[:20], answer.status_code)


def test_a_reset_link_replaces_the_password_not_the_second_factor(app, api, factory):
    from backend.auth import service

    user = factory.practitioner()
    api.login(user)
    _enrol(api, user)
    app.config["WTF_CSRF_ENABLED"] = False
    token, _ = service.create_reset(user)
    db.session.commit()
    browser = ApiClient(app.test_client())
    new = "quiet river lantern"
    done = browser.client.post(f"/reset/{token}", data={"password": new, "confirm": new})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert browser.client.get("/panel/").status_code == 302  # not logged in by the link
    answer = browser.client.post("/login", data={"email": user.email, "password": new})
    assert answer.headers["Location"].startswith("/login/code")
