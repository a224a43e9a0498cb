"""The app factory, configuration and database set-up."""

import pytest
from sqlalchemy import text

from backend import config, create_app
from backend.extensions import db
from tests.conftest import make_app


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.load(tmp_path)["SECRET_KEY"]
    second = config.load(tmp_path)["SECRET_KEY"]
    assert first == second and len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("weak", ["", "dev", "changeme", "short-key"])
def test_production_refuses_a_weak_secret_key(weak, tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", weak or " ")
    monkeypatch.setenv("BETWEEN_ENV", "production")
    monkeypatch.setenv("BETWEEN_INSTANCE", str(tmp_path))
    if not weak:  # empty means "generate one": that one is strong and accepted
        monkeypatch.delenv("SECRET_KEY")
        assert create_app().config["SECRET_KEY"]
        return
    with pytest.raises(config.ConfigError):
        create_app()


def test_database_url_selects_postgresql_with_psycopg(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/between")
    url = config.load(tmp_path)["SQLALCHEMY_DATABASE_URI"]
    assert url == "postgresql+psycopg://u:p@db.example/between"
    monkeypatch.delenv("DATABASE_URL")
    assert config.load(tmp_path)["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_cookies_are_secure_when_served_over_https(tmp_path, monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://between.example")
    cfg = config.load(tmp_path)
    assert cfg["SESSION_COOKIE_SECURE"] and cfg["REMEMBER_COOKIE_SECURE"]
    assert cfg["SESSION_COOKIE_SAMESITE"] == cfg["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert cfg["SESSION_COOKIE_HTTPONLY"] and cfg["REMEMBER_COOKIE_HTTPONLY"]


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'wal.sqlite3'}", tmp_path / "instance")
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_migrations_match_the_models(app):
    """A model changed without a migration fails here, on both databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_security_headers_on_every_response(client):
    for path in ("/login", "/app/", "/api/me", "/nowhere"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


def test_api_answers_are_never_cached(api, factory):
    api.login(factory.patient())
    assert api.get("/api/me").headers["Cache-Control"] == "no-store"
