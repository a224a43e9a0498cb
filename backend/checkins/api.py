"""Check-in endpoints for the patient app."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy import bindparam, insert, select

from ..alerts import notify
from ..api import ApiError, fields, route
from ..extensions import db
from ..models import Alert, AlertKind, CheckIn, Role
from ..timeutil import local_date
from .red_flags import answered_yes, urgency
from .schemas import CheckInIn, CheckInList, CheckInOut, CheckInQuery

# Before this the phone's clock is plainly broken: a red flag then counts from its arrival.
EARLIEST_CLOCK = datetime(2000, 1, 1, tzinfo=UTC)

bp = Blueprint("checkins", __name__, url_prefix="/api")


# A page of the history, newest first: the columns of CheckInOut (its red flags are worked
# out from the answers), as plain rows through SQLAlchemy Core. Built once; no ORM object is
# made for a page that is only read.
_check_in = CheckIn.__table__
HISTORY = (
    select(*(_check_in.c[name] for name in CheckInOut.model_fields if name != "red_flags"))
    .where(_check_in.c.patient_id == bindparam("patient_id"))
    .order_by(_check_in.c.recorded_at.desc())
    .limit(bindparam("limit"))
)


def checkin_out(entry: CheckIn) -> CheckInOut:
    """A stored check-in as the app sees it."""
    return CheckInOut(
        id=entry.id,
        recorded_at=entry.recorded_at,
        local_date=entry.local_date,
        leg_pain=entry.leg_pain,
        back_pain=entry.back_pain,
        locations=entry.locations,
        side=entry.side,
        sensations=entry.sensations,
        sitting_minutes=entry.sitting_minutes,
        note=entry.note,
        red_flags=answered_yes(entry.red_flag_answers),
        red_flag_answers=entry.red_flag_answers,
        has_red_flag=entry.has_red_flag,
        urgency=entry.urgency,
    )


def entry_time(phone_time: datetime | None, has_red_flag: bool) -> datetime:
    """When the entry counts as made. A phone clock that runs fast is clamped to now; only an
    entry without a red flag is refused for being old: a red flag is never lost to a clock."""
    now = fields.utcnow()  # the one clock of the entry-age rule (api/fields.py)
    if phone_time is None or phone_time > now:
        return now
    if has_red_flag:
        return phone_time if phone_time >= EARLIEST_CLOCK else now
    if phone_time < now - fields.OLDEST_ENTRY:
        raise ApiError(
            422,
            "invalid",
            "Some fields need another look.",
            {"recorded_at": "is more than 60 days ago"},
        )
    return phone_time


def _already_stored(phone_time: datetime | None, answers: dict) -> CheckIn | None:
    """The same red-flag entry, stored before. A red flag has no age limit, so its replay may
    come after its Idempotency-Key answer was pruned (api/routing.py KEEP_ANSWERS): the
    phone's own time and answers then find it, and it is not stored (or alerted) twice."""
    if phone_time is None or phone_time > fields.utcnow() - fields.OLDEST_ENTRY:
        return None  # recent: the Idempotency-Key answer is still kept
    for entry in db.session.scalars(
        select(CheckIn).where(
            CheckIn.patient_id == current_user.id, CheckIn.device_recorded_at == phone_time
        )
    ):
        if entry.red_flag_answers == answers:
            return entry
    return None


@route(
    bp,
    "/checkins",
    methods=["POST"],
    body=CheckInIn,
    response=CheckInOut,
    status=201,
    role=Role.PATIENT,
    idempotent=True,
)
def create_checkin(body: CheckInIn):
    """Record a check-in. An emergency or same-day red flag alerts the practitioner at once.

    Pain scores may be left out when a red flag is answered yes: the flag is sent alone."""
    answers = body.red_flags.model_dump()
    flags = body.flags_yes
    if not flags:
        missing = {n: "is required" for n in ("leg_pain", "back_pain") if getattr(body, n) is None}
        if missing:
            raise ApiError(422, "invalid", "Some fields need another look.", missing)
    grade = urgency(flags)
    recorded_at = entry_time(body.recorded_at, bool(flags))
    same = _already_stored(body.recorded_at, answers) if flags else None
    if same is not None:
        return checkin_out(same)
    values = {
        "patient_id": current_user.id,
        "recorded_at": recorded_at,
        "device_recorded_at": body.recorded_at,
        "local_date": local_date(recorded_at, current_user.timezone),
        "leg_pain": body.leg_pain,
        "back_pain": body.back_pain,
        "locations": body.locations,
        "side": body.side,
        "sensations": body.sensations,
        "sitting_minutes": body.sitting_minutes,
        "note": body.note or None,
        "red_flag_answers": answers,
        "has_red_flag": bool(flags),
        "urgency": grade,
    }
    # The app's busiest write is one row: a Core INSERT costs a third of what the ORM's
    # unit of work adds to it (tests/perf/PROFILE-api.md). Column defaults apply as in the ORM.
    inserted = db.session.connection().execute(insert(CheckIn).returning(CheckIn.id), values)
    entry_id = inserted.scalar_one()
    red_flags = answered_yes(answers)
    if grade is not None:
        alert = Alert(
            patient_id=current_user.id,
            kind=AlertKind.RED_FLAG,
            check_in_id=entry_id,
            urgency=grade,
            details={"red_flags": red_flags, "urgency": grade},
        )
        db.session.add(alert)
        db.session.flush()
        notify.new_alert(alert, current_user)
    return CheckInOut.model_validate({**values, "id": entry_id, "red_flags": red_flags})


@route(bp, "/checkins", query=CheckInQuery, response=CheckInList, role=Role.PATIENT)
def list_checkins(query: CheckInQuery):
    """My check-ins, newest first."""
    stmt = HISTORY
    if query.since:
        stmt = stmt.where(_check_in.c.local_date >= bindparam("since"))
    rows = db.session.connection().execute(
        stmt, {"patient_id": current_user.id, "limit": query.limit, "since": query.since}
    )
    # Plain dicts: the route checks the whole page against CheckInList in one pass.
    return {
        "items": [
            {**row._asdict(), "red_flags": answered_yes(row.red_flag_answers)} for row in rows
        ]
    }


@route(bp, "/checkins/<int:checkin_id>", response=CheckInOut, role=Role.PATIENT)
def get_checkin(checkin_id: int):
    """One of my check-ins."""
    entry = db.session.get(CheckIn, checkin_id)
    if entry is None or entry.patient_id != current_user.id:
        abort(404)
    return checkin_out(entry)
