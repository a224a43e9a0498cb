"""Command line: ``between serve`` runs everything on one machine; the rest are its parts.

between serve [--demo]   migrate, seed, then run the web server and the clock together
                         (--demo: also a local push service for the demo patients' phones)
between demo             seed the demo clinic and print how to log in
between clock            the reminder scheduler (one process; the Procfile's clock)
between db upgrade       apply migrations (Flask-Migrate)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

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
    """Bring the schema up to date and add the shipped library. Safe at every start."""
    from .course.questionnaires import seed_questionnaires
    from .homework.library import seed_library

    upgrade()
    seed_library()
    seed_questionnaires()
    db.session.commit()


@click.command("demo")
@with_appcontext
def demo_command():
    """Seed a demo clinic with six weeks of data and print how to log in."""
    from .demo import seed_demo

    prepare_database()
    _print_logins(seed_demo())


@click.command("serve")
@click.option("--demo", is_flag=True, help="Seed the demo clinic first.")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--workers", default=2, type=int)
@click.option(
    "--push-port",
    default=8090,
    type=int,
    help="With --demo: the port of the local push service the demo phones use.",
)
@with_appcontext
def serve_command(demo: bool, host: str, port: int, workers: int, push_port: int):
    """Run the web app (gunicorn) and the reminder clock together on this machine."""
    env = dict(os.environ)
    if "PUBLIC_URL" not in env:  # links (invites, push) point where we really listen
        env["PUBLIC_URL"] = current_app.config["PUBLIC_URL"] = f"http://{host}:{port}"
    prepare_database()
    helpers = []
    if demo:
        from .demo import give_demo_phones, seed_demo

        logins = seed_demo()
        # The demo's patients get phones on a local push service, so reminders really go
        # out. Loopback push endpoints are accepted for this run (it is on this machine).
        push_origin = f"http://127.0.0.1:{push_port}"
        helpers.append(_start_push_standin(push_port))
        env["PUSH_ALLOW_LOOPBACK"] = f"port:{push_port}"  # the stand-in's port, no other
        _print_logins(logins)
        for email, inbox in give_demo_phones(push_origin).items():
            click.echo(f"  Pushes to {email}'s demo phone: {inbox}")
        click.echo("")
    helpers.append(subprocess.Popen([sys.executable, "-m", "backend.cli", "clock"], env=env))
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"{host}:{port}",
                "--access-logfile",
                "-",
                "backend.wsgi:app",
            ],
            env=env,
            check=False,
        )
    finally:
        for process in helpers:
            process.terminate()
            process.wait(timeout=10)


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


@click.command("clock")
@with_appcontext
def clock_command():
    """Run the reminder scheduler: one process, never inside web workers."""
    from .reminders import clock

    # Flask types current_app as the app; it is a proxy, and the clock needs the app itself.
    clock.run(current_app._get_current_object())  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    for command in (demo_command, serve_command, clock_command):
        app.cli.add_command(command)


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app)(prog_name="between")


if __name__ == "__main__":
    main()
