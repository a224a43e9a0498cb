"""Between: self-care between sessions for people with sciatica.

``create_app`` builds the web app. Nothing here starts a scheduler: reminders run in their
own clock process (``between clock``), so that several web workers never send twice.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import config, database, security
from .extensions import db, login_manager, migrate

FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend"


class IdConverter(IntegerConverter):
    """``<int:id>`` limited to the database's integer range: a 40-digit id is a 404, not a
    PostgreSQL overflow error."""

    def __init__(self, url_map, **kwargs):
        super().__init__(
            url_map, min=kwargs.pop("min", 1), max=kwargs.pop("max", database.MAX_ID), **kwargs
        )


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("BETWEEN_INSTANCE") or None,
        instance_relative_config=True,
    )
    app.url_map.converters["int"] = IdConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.load(Path(app.instance_path)))
    app.config["FRONTEND_DIR"] = str(FRONTEND_DIR)
    if test_config:
        app.config.update(test_config)
    if app.config["PRODUCTION"] and not app.testing:
        config.check_secret_key(app.config["SECRET_KEY"])
    if os.environ.get("BETWEEN_PROXIES"):
        hops = int(os.environ["BETWEEN_PROXIES"])
        # Flask's documented way to wrap the WSGI app, which its types call a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    database.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # "basic", not "strong": a phone that changes network (new IP) must stay logged in.
    login_manager.session_protection = "basic"
    security.init_app(app)

    from . import api, cli, frontend, panel
    from .api import errors
    from .auth import api as auth_api
    from .auth import views as auth_views
    from .checkins import api as checkins_api
    from .clinic import views as clinic_views
    from .course import api as course_api
    from .homework import api as homework_api
    from .progress import api as progress_api
    from .reminders import api as reminders_api

    errors.init_app(app)
    for blueprint in (
        api.bp,
        auth_api.bp,
        auth_views.bp,
        clinic_views.bp,
        checkins_api.bp,
        homework_api.bp,
        progress_api.bp,
        panel.bp,
        reminders_api.bp,
        course_api.bp,
        frontend.bp,
    ):
        app.register_blueprint(blueprint)
    # The JSON API checks its own CSRF rule (see security.py); forms use Flask-WTF tokens.
    from .extensions import csrf

    for blueprint in (
        api.bp,
        auth_api.bp,
        checkins_api.bp,
        homework_api.bp,
        reminders_api.bp,
        progress_api.bp,
        course_api.bp,
    ):
        csrf.exempt(blueprint)
    cli.init_app(app)
    return app
