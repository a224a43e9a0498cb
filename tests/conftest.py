"""Shared fixtures: an app on each database, clients that speak the API, and factories.

Every database test runs on SQLite and on PostgreSQL: ``TEST_DATABASE_URL`` when set, else a
private server started for the run (tests/pgserver.py). The schema is built once per database by the real migrations; each test
starts from empty tables.
"""

from __future__ import annotations

import itertools
import os
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from backend import create_app
from backend.auth.passwords import hash_password
from backend.database import audit_erase
from backend.extensions import db
from backend.models import RED_FLAGS, Assignment, CheckIn, Clinic, Exercise, Role, User, utcnow
from tests.pgserver import PostgresNotAvailable, PrivatePostgres

PASSWORD = "correct horse battery"
CHEAP_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
TESTS = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    """Everything under tests/browser is a browser test: ``-m "not browser"`` is the quick loop."""
    browser = TESTS / "browser"
    for item in items:
        if browser in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def postgres_url():
    """``TEST_DATABASE_URL`` when set; otherwise a private server started for this run.

    Nothing is skipped for want of PostgreSQL: without the server binaries this fails and says
    how to get them.
    """
    configured = os.environ.get("TEST_DATABASE_URL", "")
    if configured:
        yield configured
        return
    try:
        server = PrivatePostgres()
        url = server.start()
    except PostgresNotAvailable as exc:
        pytest.fail(str(exc), pytrace=False)
    # Processes the tests start (gunicorn, the clock) find the same server.
    os.environ["TEST_DATABASE_URL"] = url
    try:
        yield url
    finally:
        os.environ.pop("TEST_DATABASE_URL", None)
        server.stop()


def _backends():
    yield "sqlite"
    yield pytest.param("postgresql", marks=pytest.mark.postgres)


@pytest.fixture(scope="session", params=list(_backends()))
def database_url(request, tmp_path_factory):
    """One database per backend for the whole run, built by the migrations."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


_migrated: set[str] = set()


class IsolatedClient(FlaskClient):
    """A test client whose requests do not share ``g`` with the test's app context.

    Flask reuses an already pushed app context for requests, so what extensions cache in
    ``g`` (Flask-Login's user, Flask-WTF's token) would leak from one client to another.
    """

    def open(self, *args, **kwargs):
        self._forget_g()
        try:
            return super().open(*args, **kwargs)
        finally:
            self._forget_g()

    @staticmethod
    def _forget_g():
        if has_app_context():
            for name in list(g):
                g.pop(name)


def make_app(database_url: str, instance, **extra):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ARGON2_PARAMS": CHEAP_ARGON2,
        "PUBLIC_URL": "http://localhost",
        "PUSH_ALLOW_LOOPBACK": True,
        **extra,
    }
    os.environ.setdefault("BETWEEN_ENV", "development")
    os.environ["BETWEEN_INSTANCE"] = str(instance)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


def reset_database(app) -> None:
    """Schema by migration (once per database), then empty every table."""
    from flask_migrate import upgrade

    with app.app_context():
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        if url not in _migrated:
            if url.startswith("postgresql"):
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            upgrade()
            _migrated.add(url)
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn, audit_erase(conn):
            if db.engine.dialect.name == "postgresql":
                quoted = ", ".join(f'"{name}"' for name in tables)
                conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            else:
                for name in reversed(tables):
                    conn.execute(text(f'DELETE FROM "{name}"'))
        db.session.remove()


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance")
    reset_database(app)
    with app.app_context():
        yield app
        db.session.remove()
    with app.app_context():
        db.engine.dispose()


class ApiClient:
    """A test client that speaks to the JSON API as the patient app does."""

    def __init__(self, client):
        self.client = client

    def _headers(self, headers, key):
        out = {"X-Requested-With": "between", **(headers or {})}
        if key is not None:
            out["Idempotency-Key"] = key
        return out

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, json=None, key=None, headers=None, **kw):
        return self.client.post(path, json=json, headers=self._headers(headers, key), **kw)

    def put(self, path, json=None, headers=None, **kw):
        return self.client.put(path, json=json, headers=self._headers(headers, None), **kw)

    def patch(self, path, json=None, headers=None, **kw):
        return self.client.patch(path, json=json, headers=self._headers(headers, None), **kw)

    def delete(self, path, json=None, headers=None, **kw):
        return self.client.delete(path, json=json, headers=self._headers(headers, None), **kw)

    def login(self, user: User, password: str = PASSWORD):
        response = self.post("/api/auth/login", json={"email": user.email, "password": password})
        assert response.status_code == 200, response.get_json()
        return response

    def logout(self):
        return self.post("/api/auth/logout")

    def form_token(self, path: str) -> str:
        """The CSRF token of a server-rendered form, as a browser would read it."""
        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login_form(self, user: User, password: str = PASSWORD):
        token = self.form_token("/login")
        return self.client.post(
            "/login", data={"email": user.email, "password": password, "csrf_token": token}
        )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(app):
    return ApiClient(app.test_client())


@pytest.fixture
def other_api(app):
    """A second browser, for someone else."""
    return ApiClient(app.test_client())


def new_key() -> str:
    return uuid.uuid4().hex


class Factory:
    """Builds rows with sensible defaults; every keyword can be overridden. Commits."""

    _seq = itertools.count(1)

    def clinic(self, **kw) -> Clinic:
        clinic = Clinic(name=kw.pop("name", f"Clinic {next(self._seq)}"), **kw)
        db.session.add(clinic)
        db.session.commit()
        return clinic

    def practitioner(self, clinic: Clinic | None = None, **kw) -> User:
        clinic = clinic or self.clinic()
        n = next(self._seq)
        user = User(
            clinic_id=clinic.id,
            role=Role.PRACTITIONER,
            email=kw.pop("email", f"pract{n}@example.test"),
            display_name=kw.pop("display_name", f"Practitioner {n}"),
            password_hash=kw.pop("password_hash", hash_password(PASSWORD)),
            **kw,
        )
        db.session.add(user)
        db.session.commit()
        return user

    def patient(self, practitioner: User | None = None, **kw) -> User:
        practitioner = practitioner or self.practitioner()
        n = next(self._seq)
        user = User(
            clinic_id=practitioner.clinic_id,
            role=Role.PATIENT,
            practitioner_id=practitioner.id,
            email=kw.pop("email", f"patient{n}@example.test"),
            display_name=kw.pop("display_name", f"Patient {n}"),
            password_hash=kw.pop("password_hash", hash_password(PASSWORD)),
            timezone=kw.pop("timezone", "Europe/London"),
            **kw,
        )
        db.session.add(user)
        db.session.commit()
        return user

    def exercise(self, clinic: Clinic | None = None, **kw) -> Exercise:
        n = next(self._seq)
        exercise = Exercise(
            clinic_id=clinic.id if clinic else None,
            slug=kw.pop("slug", f"exercise-{n}"),
            name=kw.pop("name", f"Exercise {n}"),
            instructions=kw.pop("instructions", ["Move gently."]),
            sets=kw.pop("sets", 1),
            reps=kw.pop("reps", 10),
            **kw,
        )
        db.session.add(exercise)
        db.session.commit()
        return exercise

    def assignment(self, patient: User, exercise: Exercise | None = None, **kw) -> Assignment:
        exercise = exercise or self.exercise()
        assignment = Assignment(
            patient_id=patient.id,
            exercise_id=exercise.id,
            assigned_by_id=patient.practitioner_id,
            sets=kw.pop("sets", exercise.sets),
            reps=kw.pop("reps", exercise.reps),
            start_date=kw.pop("start_date", date.today() - timedelta(days=7)),
            **kw,
        )
        db.session.add(assignment)
        db.session.commit()
        return assignment

    def checkin(self, patient: User, **kw) -> CheckIn:
        recorded_at = kw.pop("recorded_at", utcnow())
        answers = kw.pop("red_flag_answers", {flag: False for flag in RED_FLAGS})
        entry = CheckIn(
            patient_id=patient.id,
            recorded_at=recorded_at,
            local_date=kw.pop("local_date", recorded_at.date()),
            leg_pain=kw.pop("leg_pain", 5),
            back_pain=kw.pop("back_pain", 3),
            red_flag_answers=answers,
            has_red_flag=any(answers.values()),
            **kw,
        )
        db.session.add(entry)
        db.session.commit()
        return entry


@pytest.fixture
def factory(app) -> Factory:
    return Factory()


def checkin_body(**overrides) -> dict:
    """A complete, valid check-in as the patient app sends it."""
    body = {
        "leg_pain": 6,
        "back_pain": 4,
        "locations": ["buttock", "thigh"],
        "side": "left",
        "sensations": ["shooting", "tingling"],
        "sitting_minutes": 240,
        "note": "Long drive",
        "red_flags": {flag: False for flag in RED_FLAGS},
    }
    body.update(overrides)
    return body


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
