"""How we talk to the database: SQLite tuned for several workers, PostgreSQL as it is.

One place owns the session's lifecycle: a request commits nothing by itself; route code
adds and calls ``db.session.commit()`` once, and a failed request rolls back at teardown.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from flask import Flask, g, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from .extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_writing: ContextVar[bool] = ContextVar("writing", default=False)
_reading: ContextVar[bool] = ContextVar("reading", default=False)
_audit_erase: ContextVar[bool] = ContextVar("audit_erase", default=False)


MAX_ID = 2**31 - 1  # primary keys are INTEGER on both databases


def record_id(text: str) -> int:
    """An id from a query string, within the databases' range (else ValueError, which
    ``request.args.get(..., type=record_id)`` turns into "not given")."""
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"id {value} is out of range")
    return value


def has_nul(value) -> bool:
    """Whether text (or a list or dict of it) holds a NUL character, which PostgreSQL can
    neither store nor compare: such input is refused before it reaches a query."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple, set)):
        return any(has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    return False


@contextmanager
def writing():
    """Mark code outside a request (scheduler jobs, CLI) that reads and then writes."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


@contextmanager
def reading():
    """Transactions begun inside only read, even in a POST: they begin deferred and never
    hold the write lock. A login looks the account up in one, checks the password (Argon2,
    about 100 ms) with no transaction open, and only then begins its write."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


_writes_on_get: set[str] = set()


def writes_on_get(name: str) -> None:
    """Every request to this blueprint or endpoint may write, GETs too (the panel's pages
    and the data exports record who read what): its transactions begin IMMEDIATE, whatever
    touches the database first."""
    _writes_on_get.add(name)


_reads_first: set[str] = set()


def reads_first(endpoint: str) -> None:
    """Requests to this endpoint begin by only reading: an Idempotency-Key's stored answer
    is all a replay needs. Their first transaction begins deferred, so a replay never waits
    for SQLite's write lock; ``end_reads()`` closes it before the first write."""
    _reads_first.add(endpoint)


def end_reads() -> None:
    """The reads of a ``reads_first`` request are over and it will write.

    SQLite: a deferred transaction that writes after reading may fail with SQLITE_BUSY, so
    the read transaction ends and, on the same connection, a write transaction begins
    IMMEDIATE: it waits for the lock as any write does. Nothing was written, so ending it
    with COMMIT loses nothing, and the session goes on (what it loaded stays loaded; a write
    that depends on a row reads it again, and an Idempotency-Key is unique in the table).
    PostgreSQL: reads take no lock, so the transaction simply goes on."""
    g.between_reads_done = True
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("COMMIT")
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def write_lock() -> None:
    """This request will write, although it is a GET: its transactions from now on begin
    IMMEDIATE. Call before the request first touches the database."""
    g.between_write_lock = True


# pg_advisory_lock's key for preparing the database: "betw" in ASCII, any fixed number will do.
STARTUP_LOCK_KEY = 0x62657477


@contextmanager
def startup_lock() -> Iterator[None]:
    """One process at a time prepares the database (migrations, shipped library).

    Several ``between serve`` or ``between db upgrade`` starting at once on an empty
    database would otherwise each create the same tables and rows, and all but one fail.
    PostgreSQL: a session advisory lock, released when we are done or our connection ends.
    SQLite: an exclusive ``flock`` on a file beside the database, released when we are done
    or our process ends. The others wait, then find the work done.
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK_KEY}
                )
                connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield  # a private in-memory database has nobody to race with
        return
    with open(Path(database).with_name(Path(database).name + ".startup-lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _wants_write_lock() -> bool:
    """Writes take SQLite's lock when they begin, not halfway through.

    A read-then-write transaction that starts deferred fails with SQLITE_BUSY when another
    worker wrote in between, busy_timeout or not. Requests with an unsafe method, GETs that
    called ``write_lock()``, and code inside ``writing()`` begin IMMEDIATE; reads stay
    deferred and never block writers, and so does a ``reads_first`` request until it calls
    ``end_reads()``.
    """
    if _reading.get():
        return False
    if has_request_context():
        if request.endpoint in _reads_first and not g.get("between_reads_done", False):
            return False
        return (
            request.method not in SAFE_METHODS
            or request.blueprint in _writes_on_get
            or request.endpoint in _writes_on_get
            or g.get("between_write_lock", False)
        )
    return _writing.get()


@contextmanager
def audit_erase(connection):
    """Inside, ``connection`` may delete audit events (a retention erase, test set-up).
    Everywhere else the database refuses it, and any change to one: triggers from the
    migration, which ask ``between_audit_erase()`` on SQLite and the ``between.audit_erase``
    setting (local to the transaction) on PostgreSQL."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL between.audit_erase = 'on'")
    token = _audit_erase.set(True)
    try:
        yield connection
    finally:
        _audit_erase.reset(token)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, say when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.create_function(
            "between_audit_erase", 0, lambda: int(_audit_erase.get()), deterministic=False
        )

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


def _private_sqlite_files(url: str) -> None:
    """The database and its -wal/-shm files readable by their owner only (0600), from the
    first start: the file is created 0600 before SQLite opens it, and SQLite gives its
    -wal and -shm files the database file's permissions. Older files are tightened."""
    if not url.startswith("sqlite:///") or ":memory:" in url:
        return
    path = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
    if not path.name:
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    except OSError:
        return  # a folder that does not exist yet: SQLite will say so clearly
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except OSError:
            pass  # not there (yet), or not ours to change


def init_app(app: Flask) -> None:
    _private_sqlite_files(app.config["SQLALCHEMY_DATABASE_URI"])
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _tune_sqlite(db.engine)

    @app.teardown_appcontext
    def rollback_unfinished(exc):
        # Anything not committed by the route is dropped, never half-written.
        if exc is not None:
            db.session.rollback()
