"""A clinic sets itself up: the first run's setup link, ``between clinic create``, the team,
the clinic's settings, each patient's lead, and the invite emails."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from backend.clinic import service
from backend.clinic.cli import announce_setup_link
from backend.clinic.countries import COUNTRIES
from backend.extensions import db
from backend.models import Clinic, MailMessage, Role, SetupLink, User, utcnow
from backend.reminders import outbox
from tests.conftest import PASSWORD, ApiClient

NEW_PASSWORD = "a long new password"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _post_form(api: ApiClient, path: str, data: dict, token_from: str | None = None):
    token = api.form_token(token_from or path)
    return api.client.post(path, data={**data, "csrf_token": token})


def _setup_token(app, capsys) -> str:
    with app.test_request_context():
        announce_setup_link()
    printed = capsys.readouterr().out
    match = re.search(r"http://localhost/setup/(\S+)", printed)
    assert match, printed
    return match.group(1)


def _setup_form(**over) -> dict:
    return {
        "clinic_name": "Harbour Physio",
        "country": "FR",
        "timezone": "Europe/Paris",
        "owner_name": "Dr Ana Roux",
        "email": "Ana@Harbour.example",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        **over,
    }


# -- the first run -------------------------------------------------------------------------


def test_the_setup_link_sets_up_the_clinic_and_its_owner_once(app, api, capsys):
    token = _setup_token(app, capsys)
    assert token not in db.session.scalar(select(SetupLink.token_hash))  # only a hash
    response = _post_form(api, f"/setup/{token}", _setup_form())
    assert response.status_code == 303 and response.headers["Location"].endswith("/panel/team")
    clinic = db.session.scalar(select(Clinic))
    assert (clinic.name, clinic.country, clinic.timezone) == (
        "Harbour Physio",
        "FR",
        "Europe/Paris",
    )
    assert (clinic.emergency_number, clinic.same_day_advice) == ("112", "See a doctor today.")
    owner = db.session.scalar(select(User))
    assert owner.is_owner and owner.role is Role.PRACTITIONER and owner.clinic_id == clinic.id
    assert owner.email == "ana@harbour.example" and owner.display_name == "Dr Ana Roux"
    assert "Dr Ana Roux" in api.get("/panel/team").get_data(as_text=True)  # logged in
    # Used: a clear page, and nothing changes.
    again = ApiClient(app.test_client())
    assert again.get(f"/setup/{token}").status_code == 404
    page = again.client.post(
        f"/setup/{token}",
        data={**_setup_form(email="b@x.example"), "csrf_token": again.form_token("/login")},
    )
    assert page.status_code == 404 and "no longer works" in page.get_data(as_text=True)
    assert (_count(Clinic), _count(User)) == (1, 1)
    # With a clinic, `serve` prints no more setup links.
    with app.test_request_context():
        announce_setup_link()
    assert "setup" not in capsys.readouterr().out


def test_each_start_prints_a_new_setup_link_until_one_is_used(app, api, capsys):
    first, second = _setup_token(app, capsys), _setup_token(app, capsys)
    assert first != second
    assert _post_form(api, f"/setup/{second}", _setup_form()).status_code == 303
    assert ApiClient(app.test_client()).get(f"/setup/{first}").status_code == 404


@pytest.mark.parametrize("problem", ["expired", "forged"])
def test_an_expired_or_forged_setup_link_gets_a_clear_page(app, capsys, problem):
    token = _setup_token(app, capsys)
    if problem == "expired":
        db.session.scalar(select(SetupLink)).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    else:
        token = token[:-4] + "AAAA"
    api = ApiClient(app.test_client())
    page = api.get(f"/setup/{token}")
    assert page.status_code == 404 and "no longer works" in page.get_data(as_text=True)
    response = api.client.post(
        f"/setup/{token}", data={**_setup_form(), "csrf_token": api.form_token("/login")}
    )
    assert response.status_code == 404 and _count(Clinic) == 0


def test_a_bad_setup_form_says_what_to_fix_and_keeps_the_link(app, api, capsys):
    token = _setup_token(app, capsys)
    response = _post_form(
        api, f"/setup/{token}", _setup_form(confirm="something else", timezone="Mars/Olympus")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Password was not the same twice" in html and "Time zone" in html
    assert "Harbour Physio" in html  # what was typed stays
    assert _count(Clinic) == 0 and db.session.scalar(select(SetupLink.used_at)) is None
    assert _post_form(api, f"/setup/{token}", _setup_form()).status_code == 303


def test_clinic_create_prints_the_owners_one_time_link(app):
    result = app.test_cli_runner().invoke(
        args=["clinic", "create", "--name", "Bay Acupuncture", "--owner-email", "Lee@Bay.example"]
    )
    assert result.exit_code == 0, result.output
    owner = db.session.scalar(select(User).filter_by(email="lee@bay.example"))
    assert owner.is_owner and owner.password_hash is None
    assert owner.clinic.emergency_number == "999"
    assert owner.clinic.timezone == "Europe/London"
    token = re.search(r"http://localhost/join/(\S+)", result.output).group(1)
    api = ApiClient(app.test_client())
    assert "You run this clinic" in api.get(f"/join/{token}").get_data(as_text=True)
    response = _post_form(
        api,
        f"/join/{token}",
        {"display_name": "Lee Chan", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/panel/")
    assert api.get("/panel/team").status_code == 200
    db.session.expire_all()
    assert owner.display_name == "Lee Chan"
    assert ApiClient(app.test_client()).get(f"/join/{token}").status_code == 404


def test_clinic_create_refuses_a_taken_email_and_a_bad_zone(app, factory):
    factory.practitioner(email="taken@bay.example")
    runner = app.test_cli_runner()
    taken = runner.invoke(
        args=["clinic", "create", "--name", "X", "--owner-email", "taken@bay.example"]
    )
    assert taken.exit_code != 0 and "already has an account" in taken.output
    zone = runner.invoke(
        args=[
            "clinic",
            "create",
            "--name",
            "X",
            "--owner-email",
            "n@b.example",
            "--timezone",
            "Nowhere",
        ]
    )
    assert zone.exit_code != 0 and _count(Clinic) == 1


def test_every_country_has_its_numbers():
    assert COUNTRIES["GB"].emergency_number == "999"
    assert COUNTRIES["GB"].same_day_advice == "See a GP today, or call NHS 111."
    assert COUNTRIES["DE"].emergency_number == COUNTRIES["IE"].emergency_number == "112"
    assert COUNTRIES["US"].emergency_number == "911"
    assert COUNTRIES["AU"].emergency_number == "000"
    assert all(c.timezone in service.timezones() for c in COUNTRIES.values())


# -- the team ------------------------------------------------------------------------------


@pytest.fixture
def owner(factory):
    return factory.practitioner(is_owner=True, display_name="Owner Olu")


def test_the_owner_invites_a_practitioner_who_joins(app, api, owner):
    api.login(owner)
    page = _post_form(
        api, "/panel/team", {"display_name": "Kim Park", "email": "kim@clinic.example"}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 201 and "<svg" in html
    assert "Email is not set up for this clinic" in html and _count(MailMessage) == 0
    url = re.search(r'value="(http://localhost/join/[^"]+)"', html).group(1)
    kim = db.session.scalar(select(User).filter_by(email="kim@clinic.example"))
    assert kim.role is Role.PRACTITIONER and not kim.is_owner and kim.clinic_id == owner.clinic_id
    # A patient's invite page does not open a practitioner's link.
    token = url.rsplit("/", 1)[1]
    assert ApiClient(app.test_client()).get(f"/invite/{token}").status_code == 404
    joining = ApiClient(app.test_client())
    response = _post_form(
        joining,
        f"/join/{token}",
        {"display_name": "Kim Park", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert joining.get("/panel/").status_code == 200
    assert joining.get("/panel/team").status_code == 403  # not the owner


def test_invites_are_emailed_when_mail_is_set_up(app, api, owner):
    app.config["MAIL_URL"] = "smtp://127.0.0.1:2525"
    api.login(owner)
    page = _post_form(
        api, "/panel/team", {"display_name": "Kim Park", "email": "kim@clinic.example"}
    )
    assert "We are emailing the invite to kim@clinic.example" in page.get_data(as_text=True)
    patient_page = _post_form(
        api,
        "/panel/patients",
        {"display_name": "Pat Jones", "email": "pat@home.example"},
        token_from="/panel/patients/new",
    )
    assert "We are emailing the invite to pat@home.example" in patient_page.get_data(as_text=True)
    mails = {m.to_address: m for m in db.session.scalars(select(MailMessage))}
    assert set(mails) == {"kim@clinic.example", "pat@home.example"}
    kim, pat = mails["kim@clinic.example"], mails["pat@home.example"]
    assert (kim.kind, pat.kind) == ("practitioner_invite", "patient_invite")
    assert kim.clinic_id == pat.clinic_id == owner.clinic_id
    assert re.search(r"http://localhost/join/\S+", kim.text_body)
    assert re.search(r"http://localhost/invite/\S+", pat.text_body)
    assert "<a href=" in pat.html_body and owner.clinic.name in pat.subject
    # No health data: nothing about pain, sciatica or red flags.
    for word in ("pain", "sciatica", "red flag", "leg", "back"):
        assert word not in pat.text_body.lower() and word not in pat.subject.lower()


def test_without_mail_the_patient_invite_says_to_give_the_link(api, owner):
    api.login(owner)
    page = _post_form(
        api,
        "/panel/patients",
        {"display_name": "Pat Jones", "email": "pat@home.example"},
        token_from="/panel/patients/new",
    )
    assert (
        "Email is not set up for this clinic, so give the patient this link or QR code"
        in page.get_data(as_text=True)
    )
    assert _count(MailMessage) == 0


def test_a_deactivated_practitioner_is_logged_out_and_their_patients_stay(app, api, owner, factory):
    kim = factory.practitioner(owner.clinic, display_name="Kim Park")
    patient = factory.patient(kim)
    kims = ApiClient(app.test_client())
    kims.login(kim)
    api.login(owner)
    response = _post_form(api, f"/panel/team/{kim.id}/active", {"active": "0"}, "/panel/team")
    assert response.status_code == 303
    assert kims.get("/panel/").status_code == 302  # logged out
    db.session.expire_all()
    assert not kim.active and patient.practitioner_id == kim.id
    assert db.session.get(User, kim.id) is not None
    assert "Deactivated" in api.get("/panel/team").get_data(as_text=True)
    # The owner cannot lock themself out.
    me = _post_form(api, f"/panel/team/{owner.id}/active", {"active": "0"}, "/panel/team")
    assert me.status_code == 422 and db.session.get(User, owner.id).active


def test_the_owner_pages_are_the_owners(app, api, owner, factory):
    colleague = factory.practitioner(owner.clinic)
    api.login(colleague)
    for path in ("/panel/team", "/panel/clinic"):
        assert api.get(path).status_code == 403
    token = api.form_token("/panel/")
    for path in ("/panel/team", "/panel/clinic", f"/panel/team/{owner.id}/active"):
        assert api.client.post(path, data={"csrf_token": token, "active": "0"}).status_code == 403
    assert "Clinic settings" not in api.get("/panel/").get_data(as_text=True)


# -- settings ------------------------------------------------------------------------------


def _settings(**over) -> dict:
    return {
        "name": "Harbour Physio",
        "country": "GB",
        "timezone": "Europe/London",
        "emergency_number": "999",
        "same_day_advice": "See a GP today, or call NHS 111.",
        "escalation_hours": "4",
        "retention_years": "8",
        "checkin_enabled": "1",
        "checkin_time": "20:00",
        "homework_enabled": "1",
        "homework_time": "09:00",
        "appointment_enabled": "1",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        **over,
    }


def test_the_owner_edits_the_clinics_settings(api, owner, factory):
    api.login(owner)
    response = _post_form(
        api,
        "/panel/clinic",
        _settings(
            country="US",
            timezone="America/Chicago",
            escalation_hours="2",
            retention_years="10",
            two_factor_required="1",
        ),
    )
    assert response.status_code == 303
    clinic = db.session.get(Clinic, owner.clinic_id)
    db.session.refresh(clinic)
    # The old country's numbers follow the new country.
    assert (clinic.country, clinic.emergency_number) == ("US", "911")
    assert clinic.same_day_advice == COUNTRIES["US"].same_day_advice
    assert (clinic.escalation_hours, clinic.retention_years) == (2, 10)
    assert clinic.two_factor_required and clinic.timezone == "America/Chicago"
    # The clinic now requires a second factor: the owner sets theirs up before going on
    # (enrolment itself is tested in test_two_factor.py).
    me = db.session.get(User, owner.id)
    me.totp_secret, me.two_factor_since = "JBSWY3DPEHPK3PXP", utcnow()
    db.session.commit()
    # A number of the clinic's own stays when the country changes.
    _post_form(
        api,
        "/panel/clinic",
        _settings(country="AU", emergency_number="+61 2 5550 1234", same_day_advice=""),
    )
    db.session.refresh(clinic)
    assert clinic.emergency_number == "+61 2 5550 1234"
    assert clinic.same_day_advice == COUNTRIES["AU"].same_day_advice
    bad = _post_form(api, "/panel/clinic", _settings(emergency_number="call me", name=""))
    assert bad.status_code == 422
    db.session.refresh(clinic)
    assert clinic.name == "Harbour Physio" and clinic.emergency_number == "+61 2 5550 1234"


def test_reminder_defaults_have_one_home_and_apply_to_new_patients(api, owner, factory):
    patient = factory.patient(owner)
    shipped = outbox.default_preferences(patient)
    assert (shipped.checkin_time, shipped.quiet_start) == (time(20, 0), time(22, 0))
    api.login(owner)
    response = _post_form(
        api,
        "/panel/clinic",
        _settings(checkin_time="19:30", homework_time="08:15", quiet_start="", quiet_end=""),
    )
    assert response.status_code == 303
    db.session.expire_all()
    clinic = db.session.get(Clinic, owner.clinic_id)
    assert clinic.reminder_defaults == {
        "checkin_time": "19:30",
        "homework_times": ["08:15"],
        "quiet_start": None,
        "quiet_end": None,
    }
    pref = outbox.default_preferences(db.session.get(User, patient.id))
    assert pref.checkin_time == time(19, 30) and pref.homework_times == ["08:15"]
    assert pref.quiet_start is None and pref.quiet_end is None
    page = api.get("/panel/clinic").get_data(as_text=True)
    assert 'value="19:30"' in page


# -- each patient's lead -------------------------------------------------------------------


def test_the_list_shows_mine_first_and_everyone_on_one_click(api, owner, factory):
    kim = factory.practitioner(owner.clinic, display_name="Kim Park")
    factory.patient(owner, display_name="Mine Alone")
    factory.patient(kim, display_name="Kims Patient")
    api.login(owner)
    mine = api.get("/panel/").get_data(as_text=True)
    assert "Mine Alone" in mine and "Kims Patient" not in mine
    everyone = api.get("/panel/?who=all").get_data(as_text=True)
    assert "Mine Alone" in everyone and "Kims Patient" in everyone and "Kim Park" in everyone


def test_any_practitioner_changes_a_patients_lead(app, api, owner, factory):
    kim = factory.practitioner(owner.clinic, display_name="Kim Park")
    patient = factory.patient(owner)
    api.login(kim)  # not the owner: access stays clinic-wide
    page = api.get(f"/panel/patients/{patient.id}").get_data(as_text=True)
    assert "Lead practitioner" in page
    response = _post_form(
        api,
        f"/panel/patients/{patient.id}/lead",
        {"practitioner_id": str(kim.id)},
        f"/panel/patients/{patient.id}",
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, patient.id).practitioner_id == kim.id
    assert patient.display_name in api.get("/panel/").get_data(as_text=True)
    other = factory.practitioner()  # another clinic's: not a choice
    bad = _post_form(
        api,
        f"/panel/patients/{patient.id}/lead",
        {"practitioner_id": str(other.id)},
        f"/panel/patients/{patient.id}",
    )
    assert bad.status_code == 422
    assert db.session.get(User, patient.id).practitioner_id == kim.id


def test_the_demo_practitioner_owns_the_demo_clinic(app):
    from backend.demo import PRACTITIONER_EMAIL, seed_demo

    seed_demo()
    assert db.session.scalar(select(User).filter_by(email=PRACTITIONER_EMAIL)).is_owner


def test_factory_password_still_logs_in(api, owner):
    assert api.login(owner, PASSWORD).status_code == 200


def test_a_setup_link_used_by_two_forms_at_once_makes_one_clinic(app, capsys):
    token = _setup_token(app, capsys)
    first, second = service.open_setup_link(token), service.open_setup_link(token)
    with app.test_request_context():
        owner = service.create_clinic(
            name="A", country_code="GB", timezone="UTC", owner_email="a@a.example"
        )
        service.use_setup_link(first, owner.clinic)
        db.session.commit()
        late = service.create_clinic(
            name="B", country_code="GB", timezone="UTC", owner_email="b@b.example"
        )
        with pytest.raises(service.LinkInvalid):
            service.use_setup_link(second, late.clinic)
        db.session.rollback()
    assert [c.name for c in db.session.scalars(select(Clinic))] == ["A"]


@pytest.mark.parametrize("problem", ["used", "expired", "deactivated", "forged", "patients"])
def test_a_join_link_that_no_longer_works_gets_a_clear_page(app, owner, factory, problem):
    from backend.auth.service import create_invite
    from backend.models import Invite

    kim = factory.practitioner(owner.clinic, password_hash=None, display_name="Kim Park")
    with app.test_request_context():
        token = create_invite(kim, owner)
        db.session.commit()
    if problem == "used":
        joining = ApiClient(app.test_client())
        form = {"display_name": "Kim", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        assert _post_form(joining, f"/join/{token}", form).status_code == 303
    elif problem == "expired":
        db.session.scalar(select(Invite)).expires_at = utcnow() - timedelta(seconds=1)
    elif problem == "deactivated":
        service.set_practitioner_active(kim, False)
    elif problem == "forged":
        token = token[:-4] + "AAAA"
    elif problem == "patients":  # a patient's link does not open the team's page
        patient = factory.patient(owner, password_hash=None)
        with app.test_request_context():
            token = create_invite(patient, owner)
    db.session.commit()
    before = db.session.scalar(select(User.password_hash).filter_by(id=kim.id))
    api = ApiClient(app.test_client())
    page = api.get(f"/join/{token}")
    assert page.status_code == 404 and "no longer works" in page.get_data(as_text=True)
    response = api.client.post(
        f"/join/{token}",
        data={
            "display_name": "Mallory",
            "password": "another long password",
            "confirm": "another long password",
            "csrf_token": api.form_token("/login"),
        },
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(User.password_hash).filter_by(id=kim.id)) == before
    assert "Mallory" not in [u.display_name for u in db.session.scalars(select(User))]
