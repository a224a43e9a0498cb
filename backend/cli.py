"""Command line: ``between serve`` runs everything on one machine; the rest are its parts.

between serve [--demo]   migrate, seed, then run the web server and the clock together
                         (--demo: also a local push service for the demo patients' phones)
between demo             seed the demo clinic and print how to log in
between clock            the reminder scheduler (one process; the Procfile's clock)
between clinic create    create a clinic and print its owner's one-time link
between db upgrade       apply migrations and add the shipped library (the Procfile's release)
between backup PATH      a consistent copy of the database and the instance's keys, online
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade

from .extensions import db


def _print_logins(logins: dict) -> None:
    url = current_app.config["PUBLIC_URL"]
    click.echo(f"\nBetween demo clinic at {url}")
    click.echo(f"  Practitioner panel: {url}/login  as {logins['practitioner']}")
    click.echo(
        f"  Patient app:        {url}/app/   as {logins['patients'][0]}"
        f" (or {', '.join(logins['patients'][1:])})"
    )
    click.echo(f"  Password for every demo account: {logins['password']}\n")


def prepare_database() -> None:
    """Bring the schema up to date and add the shipped library. Safe at every start, and
    when several processes start at once: one prepares, the others wait and find it done."""
    from .course.questionnaires import seed_questionnaires
    from .database import startup_lock
    from .homework.library import seed_library

    with startup_lock():
        upgrade()
        seed_library()
        seed_questionnaires()
        db.session.commit()
    db.session.remove()


@click.command("upgrade")
@with_appcontext
def db_upgrade_command():
    """Apply every migration, then add the shipped exercise library and questionnaires.

    The Procfile's ``release`` step: a fresh deployment gets the same library as
    ``between serve`` gives one machine.
    """
    prepare_database()
    click.echo("The database is up to date, with the shipped exercises and questionnaires.")


@click.command("demo")
@with_appcontext
def demo_command():
    """Seed a demo clinic with six weeks of data and print how to log in."""
    from .demo import seed_demo

    prepare_database()
    _print_logins(seed_demo())


@click.command("serve")
@click.option("--demo", is_flag=True, help="Seed the demo clinic first.")
@click.option("--host", default="127.0.0.1", help="0.0.0.0 lets phones on this network in.")
@click.option("--port", default=5000, type=int)
@click.option("--workers", default=2, type=int, help="gunicorn workers (32 threads each).")
@click.option(
    "--push-port",
    default=8090,
    type=int,
    help="With --demo: the port of the local push service the demo phones use.",
)
@with_appcontext
def serve_command(demo: bool, host: str, port: int, workers: int, push_port: int):
    """Run the web app (gunicorn) and the reminder clock together on this machine.

    They run as one group: a stop signal to this process stops them all, and if one of them
    stops by itself the others are stopped too and the exit code says so.
    """
    from . import serve

    try:
        listener = serve.bind(host, port)
    except serve.PortInUse as exc:
        raise click.ClickException(f"{exc}. Is Between already running?") from exc
    env = dict(os.environ)
    public_url, notes = serve.phone_notes(host, port, os.environ.get("PUBLIC_URL"))
    # Links (invites, QR codes, push) carry an address a phone can open.
    env["PUBLIC_URL"] = current_app.config["PUBLIC_URL"] = public_url
    prepare_database()
    children: dict[str, subprocess.Popen] = {}
    try:
        if demo:
            from .demo import give_demo_phones, seed_demo

            logins = seed_demo()
            # The demo's patients get phones on a local push service, so reminders really go
            # out. Loopback push endpoints are accepted for this run (it is on this machine).
            push_origin = f"http://127.0.0.1:{push_port}"
            children["demo push service"] = _start_push_standin(push_port)
            env["PUSH_ALLOW_LOOPBACK"] = f"port:{push_port}"  # the stand-in's port, no other
            _print_logins(logins)
            for email, inbox in give_demo_phones(push_origin).items():
                click.echo(f"  Pushes to {email}'s demo phone: {inbox}")
            click.echo("")
        click.echo(f"Between at {public_url}")
        for note in notes:
            click.echo(f"  {note}")
        if not demo:  # on a database with no clinic yet: the one-time setup link
            from .clinic.cli import announce_setup_link

            announce_setup_link()
        sys.stdout.flush()
        db.engine.dispose()  # the children open their own connections
        children["clock"] = serve.start([sys.executable, "-m", "backend.cli", "clock"], env)
        fd = listener.fileno()
        children["web server"] = serve.start(
            serve.gunicorn_command(fd, workers), env, pass_fds=[fd]
        )
        listener.close()  # gunicorn has its own copy
        code = serve.supervise(children, say=click.echo)
    except BaseException:
        serve.stop_all(children)
        raise
    sys.exit(code)


def _start_push_standin(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.push.standin", "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=1).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.terminate()
    raise click.ClickException(f"the demo push service could not start on port {port}")


@click.command("backup")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """Copy the database and the instance's keys into the new folder PATH, while the app
    keeps running (SQLite: one-step online copy; PostgreSQL: pg_dump). See RESTORE.txt."""
    from .backup import BackupError, make_backup

    try:
        backup = make_backup(
            current_app.config["SQLALCHEMY_DATABASE_URI"], Path(current_app.instance_path), path
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Backed up {backup.size / 1e6:.1f} MB in {backup.seconds:.2f} s to {backup.database}"
        + (f" (integrity check: {backup.integrity})" if backup.integrity else "")
    )
    for name in backup.keys:
        click.echo(f"  with {name}")
    for note in backup.not_included:
        click.echo(f"  {note}")
    click.echo(f"  How to restore: {path / 'RESTORE.txt'}")


@click.command("clock")
@with_appcontext
def clock_command():
    """Run the reminder scheduler: one process, never inside web workers."""
    from .reminders import clock

    # Flask types current_app as the app; it is a proxy, and the clock needs the app itself.
    clock.run(current_app._get_current_object())  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    from .clinic.cli import clinic_cli

    for command in (demo_command, serve_command, clock_command, backup_command, clinic_cli):
        app.cli.add_command(command)
    # Flask-Migrate's ``db`` group, with ``upgrade`` that also seeds (see prepare_database).
    migrate_group = app.cli.commands.get("db")
    if isinstance(migrate_group, click.Group):
        # Keep the group's own options and callback: its subcommands read what it sets up.
        group = click.Group(
            "db",
            help=migrate_group.help,
            commands=dict(migrate_group.commands),
            params=list(migrate_group.params),
            callback=migrate_group.callback,
        )
        group.add_command(db_upgrade_command)
        app.cli.add_command(group)


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app)(prog_name="between")


if __name__ == "__main__":
    main()
