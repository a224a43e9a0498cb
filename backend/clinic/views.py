"""The public pages of a clinic's set-up: the first run's setup link and a practitioner's
invite link. Both work without JavaScript; a used, expired or forged link gets a page that
says so (404) and changes nothing."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_user

from ..auth import service as auth
from ..auth.passwords import MIN_PASSWORD_LENGTH, password_problem
from ..extensions import db
from ..models import Role
from ..panel.forms import Form, FormError
from . import service
from .countries import DEFAULT_COUNTRY, choices, country

bp = Blueprint("clinic", __name__)


def _password(form: Form, *user_inputs: str) -> str:
    """The new password, typed twice the same, by the one rule for passwords (not a common
    one, nor one guessable from the person's name or email: see auth/passwords.py)."""
    password = form.data.get("password") or ""
    problem = password_problem(password[:1025], user_inputs) if "\x00" not in password else None
    form.check(problem is None, "Password", problem or "")
    form.check(password == (form.data.get("confirm") or ""), "Password", "was not the same twice")
    form.check("\x00" not in password, "Password", "must not contain a NUL character")
    return password


def _start_session(user) -> None:
    session.clear()  # no fixation: a fresh session for the new account
    login_user(user)
    session.permanent = True


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str):
    """The first run: the owner names the clinic and makes their own account."""
    try:
        link = service.open_setup_link(token)
    except service.LinkInvalid:
        return render_template("clinic/link_invalid.html", setup=True), 404
    form = Form()
    errors: dict[str, str] = {}
    if request.method == "POST":
        name = form.text("clinic_name", "Clinic name", 200, required=True)
        code = form.choice("country", "Country", [c.code for c in choices()])
        timezone = form.choice("timezone", "Time zone", service.timezones())
        owner_name = form.text("owner_name", "Your name", 120, required=True)
        email = form.email("email", "Your email")
        form.check(not (email and service.email_taken(email)), "Your email", "has an account")
        password = _password(form, owner_name, email or "")
        try:
            form.done()
            owner = service.create_clinic(
                name=name,
                country_code=code or DEFAULT_COUNTRY,
                timezone=timezone or "UTC",
                owner_email=email,
                owner_name=owner_name,
                owner_password=password,
            )
            service.use_setup_link(link, owner.clinic)
        except (FormError, service.EmailTaken) as error:
            db.session.rollback()
            errors = error.fields if isinstance(error, FormError) else {"Your email": "is taken"}
        except service.LinkInvalid:
            db.session.rollback()
            return render_template("clinic/link_invalid.html", setup=True), 404
        else:
            db.session.commit()
            _start_session(owner)
            flash(
                f"{owner.clinic.name} is set up. Invite your team here; patients are invited "
                "from the patients list."
            )
            return redirect(url_for("panel.team"), code=303)
    home = country(DEFAULT_COUNTRY)
    return render_template(
        "clinic/setup.html",
        errors=errors,
        values=form.data,
        countries=choices(),
        timezones=sorted(service.timezones()),
        default_country=home.code,
        default_timezone=home.timezone,
        min_length=MIN_PASSWORD_LENGTH,
    ), 422 if errors else 200


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    """A practitioner invited to a clinic's team (or its owner, set up from the command
    line) chooses their name and password."""
    try:
        invite = auth.open_invite(token, Role.PRACTITIONER)
    except auth.InviteInvalid:
        return render_template("clinic/link_invalid.html", setup=False), 404
    person = invite.patient  # the invited account (the column predates practitioners)
    form = Form()
    errors: dict[str, str] = {}
    if request.method == "POST":
        name = form.text("display_name", "Your name", 120, required=True)
        password = _password(form, name, person.email)
        try:
            form.done()
        except FormError as error:
            errors = error.fields
        else:
            person.display_name = name
            try:
                auth.accept_invite(token, password, Role.PRACTITIONER)  # commits, logs in
            except auth.InviteInvalid:  # used up by another form in the meantime
                db.session.rollback()
                return render_template("clinic/link_invalid.html", setup=False), 404
            except auth.PasswordRejected as rejected:
                db.session.rollback()
                return render_template(
                    "clinic/join.html",
                    person=person,
                    errors={"Password": str(rejected)},
                    values=form.data,
                    min_length=MIN_PASSWORD_LENGTH,
                ), 422
            return redirect(url_for("panel.index"), code=303)
    return render_template(
        "clinic/join.html",
        person=person,
        errors=errors,
        values=form.data,
        min_length=MIN_PASSWORD_LENGTH,
    ), 422 if errors else 200
