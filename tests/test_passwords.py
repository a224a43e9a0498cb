"""Passwords: one rule for a new password everywhere, forgot/reset by email, change."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.auth import service
from backend.auth.passwords import common_passwords, password_problem
from backend.extensions import db
from backend.models import AuditEvent, MailMessage, PasswordReset, utcnow
from tests.conftest import PASSWORD, ApiClient

NEW = "quiet river lantern"


@pytest.fixture
def mail(app):
    app.config["MAIL_URL"] = "smtp://127.0.0.1:2525"
    return app


def test_the_common_list_holds_ten_thousand_passwords():
    common = common_passwords()
    assert len(common) == 10_000 and {"123456", "password", "iloveyou"} <= common


@pytest.mark.parametrize(
    "password",
    ["short", "password123", "iloveyou12", "qwertyuiop", "Ana Silva 1990", "ana.silva@clinic"],
)
def test_passwords_people_use_are_refused(password):
    assert password_problem(password, ["Ana Silva", "ana.silva@clinic.example"])


@pytest.mark.parametrize("password", [PASSWORD, NEW, "  spaced-password  "])
def test_strong_passwords_pass(password):
    assert password_problem(password, ["Ana Silva", "ana.silva@clinic.example"]) is None


def _invite(app, factory, **kw):
    patient = factory.patient(**kw)
    token = service.create_invite(patient, patient.practitioner)
    db.session.commit()
    return patient, token


def test_the_same_rule_on_the_invite_api_and_form(app, api, factory):
    patient, token = _invite(app, factory, display_name="Ana Silva")
    answer = api.post("/api/invites/accept", json={"token": token, "password": "password123"})
    assert answer.status_code == 422 and "password" in answer.get_json()["error"]["fields"]
    csrf = api.form_token(f"/invite/{token}")
    form = api.client.post(
        f"/invite/{token}",
        data={"password": "Ana Silva 1990", "confirm": "Ana Silva 1990", "csrf_token": csrf},
    )
    assert form.status_code == 422 and "easy to guess" in form.get_data(as_text=True)


def test_spaces_around_a_password_are_kept_everywhere(app, api, factory):
    """Set on the invite page with spaces around it, it logs in from the app as typed."""
    patient, token = _invite(app, factory)
    spaced = "  spaced-password  "
    csrf = api.form_token(f"/invite/{token}")
    done = api.client.post(
        f"/invite/{token}", data={"password": spaced, "confirm": spaced, "csrf_token": csrf}
    )
    assert done.status_code == 302
    app_client = ApiClient(app.test_client())
    stripped = {"email": patient.email, "password": spaced.strip()}
    assert app_client.post("/api/auth/login", json=stripped).status_code == 401
    exact = {"email": patient.email, "password": spaced}
    assert app_client.post("/api/auth/login", json=exact).status_code == 200


def _reset_link(email: str) -> str:
    message = db.session.scalar(
        select(MailMessage).filter_by(to_address=email, kind="password_reset")
    )
    assert message is not None
    found = re.search(r"http://localhost(/reset/\S+)", message.text_body)
    assert found is not None
    return found.group(1)


def test_forgot_password_mails_a_one_time_link(mail, api, other_api, factory):
    user = factory.patient()
    other_api.login(user)  # a session elsewhere, which the reset must end
    answer = api.post("/api/auth/forgot", json={"email": user.email.upper()})
    assert answer.status_code == 200 and answer.get_json()["mail_configured"] is True
    link = _reset_link(user.email)
    assert user.display_name in db.session.scalar(select(MailMessage.text_body))
    page = api.client.get(link)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    csrf = api.form_token(link)
    weak = api.client.post(
        link, data={"password": "password123", "confirm": "password123", "csrf_token": csrf}
    )
    assert weak.status_code == 422
    done = api.client.post(link, data={"password": NEW, "confirm": NEW, "csrf_token": csrf})
    assert done.status_code == 302 and done.headers["Location"] == "/app/"
    assert api.get("/api/me").status_code == 200  # logged in by the link
    assert other_api.get("/api/me").status_code == 401  # every other session ended
    assert api.client.get(link).status_code == 404  # once only
    fresh = ApiClient(mail.test_client())
    assert (
        fresh.post("/api/auth/login", json={"email": user.email, "password": NEW}).status_code
        == 200
    )
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"password.reset_requested", "password.reset"} <= actions


def test_a_reset_link_lasts_one_hour(mail, api, factory):
    user = factory.patient()
    api.post("/api/auth/forgot", json={"email": user.email})
    link = _reset_link(user.email)
    reset = db.session.scalar(select(PasswordReset))
    assert timedelta(minutes=59) < reset.expires_at - reset.created_at <= timedelta(hours=1)
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert api.client.get(link).status_code == 404


def test_forgot_answers_the_same_in_the_same_time_with_or_without_an_account(mail, api, factory):
    user = factory.patient()
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    bodies = set()
    for n in range(3):
        for kind, email in (("known", user.email), ("unknown", f"nobody{n}@example.test")):
            started = time.perf_counter()
            answer = api.post("/api/auth/forgot", json={"email": email})
            timings[kind].append(time.perf_counter() - started)
            bodies.add((answer.status_code, answer.get_data(as_text=True)))
    assert len(bodies) == 1
    known, unknown = (statistics.median(timings[k]) for k in ("known", "unknown"))
    assert abs(known - unknown) < 0.05, timings
    assert known >= service.RESET_ANSWER_SECONDS
    # At most a few mails an hour to one address, however often someone asks.
    assert db.session.query(MailMessage).count() == service.RESETS_PER_HOUR


def test_without_mail_the_invite_link_is_the_way_back(app, api, factory):
    user = factory.patient()
    answer = api.post("/api/auth/forgot", json={"email": user.email})
    assert answer.get_json()["mail_configured"] is False
    assert "new invite link" in answer.get_json()["message"]
    page = api.client.get("/forgot").get_data(as_text=True)
    assert "ask your practitioner for a new invite link" in page
    assert db.session.query(MailMessage).count() == 0


def test_change_password_in_the_app_ends_other_sessions(app, api, other_api, factory):
    user = factory.patient(display_name="Ana Silva")
    api.login(user)
    other_api.login(user)
    wrong = api.post("/api/auth/password", json={"current_password": "not it", "new_password": NEW})
    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["error"]["fields"]
    weak = api.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": "anasilva12"}
    )
    assert weak.status_code == 422 and "password" in weak.get_json()["error"]["fields"]
    done = api.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW})
    assert done.status_code == 204
    assert api.get("/api/me").status_code == 200
    assert other_api.get("/api/me").status_code == 401
    assert "password.change" in set(db.session.scalars(select(AuditEvent.action)))


def test_change_password_in_the_panel(app, api, other_api, factory):
    user = factory.practitioner()
    api.login(user)
    other_api.login(user)
    csrf = api.form_token("/account/password")
    wrong = api.client.post(
        "/account/password",
        data={"current": "nope", "password": NEW, "confirm": NEW, "csrf_token": csrf},
    )
    assert wrong.status_code == 422 and "current password" in wrong.get_data(as_text=True)
    done = api.client.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW, "confirm": NEW, "csrf_token": csrf},
    )
    assert done.status_code == 302
    assert api.client.get("/panel/").status_code == 200
    assert other_api.client.get("/panel/").status_code == 302


def test_the_reset_mail_arrives_through_a_real_smtp_server(app, api, other_api, factory):
    """The whole way: asked for, sent by the clock's sender, read from the mailbox, used."""
    from backend.mail.sending import send_due
    from tests.mailserver import running_inbox

    user = factory.patient(display_name="Ana Silva")
    other_api.login(user)
    with running_inbox() as inbox:
        app.config["MAIL_URL"] = inbox.url
        assert api.post("/api/auth/forgot", json={"email": user.email}).status_code == 200
        api.post("/api/auth/forgot", json={"email": "nobody@example.test"})
        send_due(app)
        [mail] = inbox.to(user.email)
        assert len(inbox.received) == 1  # nothing to an address without an account
    assert mail["Subject"] == "Choose a new password for Between"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Ana Silva" in body and "within an hour" in body
    link = re.search(r"http://localhost(/reset/\S+)", body).group(1)
    csrf = api.form_token(link)
    done = api.client.post(link, data={"password": NEW, "confirm": NEW, "csrf_token": csrf})
    assert done.status_code == 302
    assert other_api.get("/api/me").status_code == 401


def test_without_mail_the_patient_page_names_the_way_back(app, api, factory):
    practitioner = factory.practitioner()
    patient = factory.patient(practitioner)
    api.login(practitioner)
    page = api.client.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert "a <strong>new invite link</strong> lets them choose a new password" in page
    app.config["MAIL_URL"] = "smtp://127.0.0.1:2525"
    page = api.client.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert "lets them choose a new password" not in page
