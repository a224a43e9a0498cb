"""The patients list's per-patient figures, kept between views (``PatientSummary``).

The list ranks every patient of a clinic to show a page of them; computing each one's first
week, last 7 days and homework from a year of check-ins on every view is what made it slow.
So the figures (computed by ``triage.compute_figures`` with progress.maths, the one home of
the rules) are kept per patient, and computed again only when they may have changed:

- any write to a patient's check-ins, homework sessions, assignments, doses or courses (a
  late entry back-dated by weeks included) bumps the patient's ``generation`` in the same
  transaction, whatever code wrote it through the ORM session: objects flushed
  (``_inputs_changed``) and bulk ``insert``/``update``/``delete`` statements run with
  ``session.execute`` (``_bulk_write``). A write around the session (a raw SQL string, a
  Core connection) must call ``invalidate`` itself; nothing in the app does;
- the clinic's day moved on (the last 7 days are another week) or its time zone changed.

Open alerts, names and who leads whom are read live on every view; they are cheap.

Concurrency: the figures are written back only if the generation they were computed at is
still current (``UPDATE ... WHERE generation = :seen``; a new row with ``ON CONFLICT DO
NOTHING``), so a check-in committed while a list was computing leaves the figures stale,
never wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from itertools import chain
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history

from ..models import Assignment, AssignmentDose, CheckIn, Completion, Course, PatientSummary

if TYPE_CHECKING:
    from .triage import Figures

# What the figures are computed from: a write to any of these changes a patient's figures.
_WATCHED = (CheckIn, Completion, Assignment, Course)


def _insert(connection):
    """INSERT with ON CONFLICT for the connection's database."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(PatientSummary.__table__)


def invalidate(connection, patient_ids: Iterable[int]) -> None:
    """The figures of these patients may have changed: bump each one's generation."""
    ids = sorted(set(patient_ids))  # in one order, so two writers never deadlock
    if not ids:
        return
    table = PatientSummary.__table__
    statement = _insert(connection)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.patient_id],
            set_={"generation": table.c.generation + 1},
        ),
        [{"patient_id": i, "generation": 1} for i in ids],
    )


@event.listens_for(Session, "before_flush")
def _inputs_changed(session: Session, _context, _instances) -> None:
    ids: set[int] = set()
    doses: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, _WATCHED):
            patient_id = obj.patient_id
            if patient_id is None:  # maybe set by relationship (not every model has one)
                patient_id = getattr(getattr(obj, "patient", None), "id", None)
            if patient_id is not None:  # None: a new patient, with nothing kept yet
                ids.add(patient_id)
            # Moved to another patient: the one it left changed too.
            ids.update(v for v in get_history(obj, "patient_id").deleted if v is not None)
        elif isinstance(obj, AssignmentDose):
            if obj.assignment is not None and obj.assignment.patient_id is not None:
                ids.add(obj.assignment.patient_id)
            elif obj.assignment_id is not None:
                doses.add(obj.assignment_id)
    connection = None
    if doses:
        connection = session.connection()
        ids.update(
            connection.scalars(
                select(Assignment.patient_id).where(Assignment.id.in_(sorted(doses)))
            )
        )
    if ids:
        invalidate(connection or session.connection(), ids)


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    entity = state.bind_mapper.class_
    if entity not in (*_WATCHED, AssignmentDose):
        return
    connection = state.session.connection()
    if state.is_insert:
        params = state.parameters
        rows = params if isinstance(params, list) else [params or {}]
        if not any(rows):  # the values written in the statement: insert(X).values(...)
            rows = _inline_values(state.statement)
        if entity is AssignmentDose:
            assignments = sorted({r["assignment_id"] for r in rows if "assignment_id" in r})
            ids = set(
                connection.scalars(
                    select(Assignment.patient_id).where(Assignment.id.in_(assignments))
                )
            )
        else:
            ids = {r["patient_id"] for r in rows if r.get("patient_id") is not None}
    else:  # the rows it will change, found before it runs
        where = state.statement.whereclause
        if entity is AssignmentDose:
            found = select(Assignment.patient_id).join(
                AssignmentDose, AssignmentDose.assignment_id == Assignment.id
            )
        else:
            found = select(entity.patient_id)
        ids = set(connection.scalars(found.where(where) if where is not None else found))
    invalidate(connection, ids)


def _inline_values(statement) -> list[dict]:
    """The rows of ``insert(X).values(...)`` (one row, or several: ``name_m0``, ``name_m1``)."""
    rows: dict[int, dict] = {}
    for key, value in statement.compile().params.items():
        name, _, index = key.rpartition("_m")
        if name and index.isdigit():
            rows.setdefault(int(index), {})[name] = value
        else:
            rows.setdefault(-1, {})[key] = value
    return list(rows.values())


def is_fresh(
    generation: int | None,
    computed_generation: int | None,
    computed_for: date | None,
    tz: str | None,
    today: date,
    tz_name: str,
) -> bool:
    return (
        generation is not None
        and computed_generation == generation
        and computed_for == today
        and tz == tz_name
    )


def store(
    connection,
    figures: dict[int, Figures],
    seen: dict[int, int | None],
    today: date,
    tz_name: str,
) -> None:
    """Keep freshly computed figures, each only if its generation is still ``seen[id]``."""
    table = cast(Table, PatientSummary.__table__)

    def values(patient_id: int) -> dict:
        f = figures[patient_id]
        return {
            "computed_for": today,
            "tz": tz_name,
            "baseline_leg": f.baseline_leg,
            "recent_leg": f.recent_leg,
            "worsening": f.worsening,
            "last_checkin": f.last_checkin,
            "adherence": f.adherence,
        }

    new = [
        {"patient_id": i, "generation": 0, "computed_generation": 0, **values(i)}
        for i in sorted(figures)
        if seen.get(i) is None
    ]
    if new:
        connection.execute(
            _insert(connection).on_conflict_do_nothing(index_elements=[table.c.patient_id]),
            new,
        )
    known = [
        {"pid": i, "seen": seen[i], "v_computed_generation": seen[i]}
        | {f"v_{name}": value for name, value in values(i).items()}
        for i in sorted(figures)
        if seen.get(i) is not None
    ]
    if known:
        columns = [name[2:] for name in known[0] if name.startswith("v_")]
        connection.execute(
            update(table)
            .where(table.c.patient_id == bindparam("pid"), table.c.generation == bindparam("seen"))
            .values({name: bindparam(f"v_{name}") for name in columns}),
            known,
        )
