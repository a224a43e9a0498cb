"""The WSGI entry point for gunicorn: ``gunicorn backend.wsgi:app``."""

from . import create_app

app = create_app()
