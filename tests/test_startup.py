"""Preparing the database: ``between db upgrade`` seeds too, and start-ups at once take turns.

Real processes on an empty database of each kind (a new SQLite file, a new PostgreSQL
schema), started together, several trials each.
"""

from __future__ import annotations

import time

from sqlalchemy import create_engine, func, select, text

from backend.course.questionnaires import SHIPPED
from backend.extensions import db
from backend.homework.library import EXERCISES
from backend.models import Exercise, Questionnaire
from tests.processes import (
    between,
    between_env,
    drop_schema,
    free_port,
    fresh_database,
    stop,
    wait_until_answering,
)

UPGRADE_TRIALS = 5
SERVE_TRIALS = 3


def shipped_counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            exercises = conn.scalar(
                select(func.count()).select_from(Exercise).where(Exercise.clinic_id.is_(None))
            )
            questionnaires = conn.scalar(
                select(func.count())
                .select_from(Questionnaire)
                .where(Questionnaire.clinic_id.is_(None))
            )
            [version] = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert version and exercises is not None and questionnaires is not None
    return exercises, questionnaires


def test_db_upgrade_adds_the_shipped_library(app):
    """The Procfile's release step alone gives a fresh deployment its exercises and
    questionnaires, as ``between serve`` does on one machine."""
    assert db.session.scalar(select(func.count()).select_from(Exercise)) == 0
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Exercise)) == len(EXERCISES)
    assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == len(SHIPPED)
    # and again: nothing doubled
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Exercise)) == len(EXERCISES)


def test_migrate_commands_are_still_there(app):
    result = app.test_cli_runner().invoke(args=["db", "--help"])
    assert result.exit_code == 0
    for command in ("upgrade", "downgrade", "migrate", "current", "history"):
        assert command in result.output


def test_two_db_upgrades_at_once_on_an_empty_database_both_succeed(database_url, tmp_path):
    timings = []
    for trial in range(UPGRADE_TRIALS):
        url = fresh_database(database_url, tmp_path, f"race_upgrade_{trial}")
        try:
            started = time.monotonic()
            processes = [
                between("db", "upgrade", env=between_env(tmp_path / f"i{trial}-{n}", url))
                for n in range(2)
            ]
            results = [(p.wait(timeout=180), *p.communicate()) for p in processes]
            timings.append(time.monotonic() - started)
            for code, out, err in results:
                assert code == 0, f"trial {trial}: exit {code}\n{out}\n{err}"
            assert shipped_counts(url) == (len(EXERCISES), len(SHIPPED))
        finally:
            drop_schema(database_url, f"race_upgrade_{trial}")
    print(
        f"\n{UPGRADE_TRIALS} trials of two db upgrades at once: all succeeded, "
        f"{min(timings):.1f}-{max(timings):.1f} s per trial"
    )


def test_two_serves_at_once_on_an_empty_database_both_come_up(database_url, tmp_path):
    timings = []
    for trial in range(SERVE_TRIALS):
        url = fresh_database(database_url, tmp_path, f"race_serve_{trial}")
        processes = []
        try:
            started = time.monotonic()
            ports = [free_port(), free_port()]
            processes = [
                between(
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    "1",
                    env=between_env(tmp_path / f"s{trial}-{n}", url),
                )
                for n, port in enumerate(ports)
            ]
            for port, process in zip(ports, processes, strict=True):
                wait_until_answering(f"http://127.0.0.1:{port}/login", process, timeout=120)
            timings.append(time.monotonic() - started)
            assert shipped_counts(url) == (len(EXERCISES), len(SHIPPED))
        finally:
            for process in processes:
                stop(process)
            drop_schema(database_url, f"race_serve_{trial}")
    print(
        f"\n{SERVE_TRIALS} trials of two serves at once: both up every time, "
        f"{min(timings):.1f}-{max(timings):.1f} s"
    )
