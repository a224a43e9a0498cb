"""``between clinic create`` for scripted installs, and the setup link ``between serve``
prints while the database has no clinic. Both use ``clinic.service``, as the web pages do."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..auth.service import create_invite
from ..database import writing
from ..extensions import db
from . import service
from .countries import COUNTRIES, DEFAULT_COUNTRY, country

clinic_cli = AppGroup("clinic", help="Set up a clinic.")


@clinic_cli.command("create")
@click.option("--name", required=True, help="The clinic's name.")
@click.option("--owner-email", required=True, help="The email the owner logs in with.")
@click.option(
    "--country",
    "country_code",
    default=DEFAULT_COUNTRY,
    show_default=True,
    type=click.Choice(sorted(COUNTRIES), case_sensitive=False),
    help="Sets the emergency number and same-day advice the patient app shows.",
)
@click.option("--timezone", default=None, help="IANA time zone (default: the country's).")
def create_command(name: str, owner_email: str, country_code: str, timezone: str | None):
    """Create a clinic and print its owner's one-time link (they choose name and password)."""
    from ..cli import prepare_database

    prepare_database()
    timezone = timezone or country(country_code).timezone
    if timezone not in service.timezones():
        raise click.BadParameter(f"unknown time zone {timezone!r}", param_hint="--timezone")
    name = name.strip()
    if not name or len(name) > 200:
        raise click.BadParameter("must be 1 to 200 characters", param_hint="--name")
    with writing():
        try:
            owner = service.create_clinic(
                name=name, country_code=country_code, timezone=timezone, owner_email=owner_email
            )
        except service.EmailTaken:
            raise click.ClickException(f"{owner_email} already has an account") from None
        token = create_invite(owner, owner)
        db.session.commit()
    click.echo(f"Clinic {owner.clinic.name!r} created ({country(country_code).name}, {timezone}).")
    click.echo(f"The owner, {owner.email}, chooses their name and password here (once, 7 days):")
    click.echo(f"  {service.join_url(token)}")


def announce_setup_link() -> None:
    """On a database with no clinic: a new one-time setup link, printed for the operator."""
    with writing():
        if not service.needs_setup():
            db.session.rollback()
            return
        token = service.new_setup_link()
        db.session.commit()
    click.echo("\nNo clinic is set up yet. Open this link to set up yours (once, for an hour):")
    click.echo(f"  {service.setup_url(token)}")
    click.echo("A new link is printed at each start until the clinic is set up.\n")
