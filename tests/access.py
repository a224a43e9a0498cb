"""The access matrix: every route x every kind of caller x someone else's object.

Each area lists its routes as ``Row``s in ``tests/test_access_<area>.py`` (``ROWS = [...]``)
and runs ``check_row`` on each. For every row:
- the allowed caller gets a success (a positive control: the path really reaches the object);
- every other caller (anonymous, another patient of the same clinic, the patient's own
  practitioner where the route is the patient's, a practitioner of another clinic (who
  owns that clinic), and for the owner's pages a practitioner of the clinic who is not its
  owner) gets
  401/403/404 (or, for HTML pages, a redirect to log in), never sees the patient's data
  (a marker string planted in it), and changes nothing in the database.
``tests/test_access_matrix.py`` fails when a route of the app is in no ``ROWS``.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text

from backend.database import audit_erase
from backend.extensions import db
from backend.models import (
    Alert,
    AlertKind,
    Appointment,
    Clinic,
    Completion,
    Course,
    Intake,
    OutboxMessage,
    PushSubscription,
    Questionnaire,
    QuestionnaireResponse,
    User,
    utcnow,
)

SECRET = "VICTIM-SECRET-7f3a"
# Tables that legitimately change on any request (bookkeeping, not patient data).
BOOKKEEPING = {"login_attempt", "audit_event"}


@dataclass
class World:
    """Two clinics. ``victim`` is the patient whose data everyone else tries to reach."""

    clinic: Clinic
    practitioner: User
    victim: User
    other_patient: User
    other_clinic: Clinic
    other_practitioner: User
    owner: User
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:  # world.checkin, world.assignment, ...
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


def intake_answers(**changes) -> dict:
    """A complete, valid intake as the patient app sends it."""
    from backend.intake.form import ITEMS

    answers: dict = {key: False for key, item in ITEMS.items() if item["kind"] == "yesno"}
    answers |= {
        "date_of_birth": "1968-03-14",
        "complaint_where": "Left buttock",
        "consent_treatment": True,
        "consent_data": True,
    }
    return answers | changes


def intake_form(**changes) -> dict:
    """The same intake as the panel's form posts it."""
    return {
        key: "yes" if value is True else "no" if value is False else value
        for key, value in intake_answers(**changes).items()
    }


def build_world(factory) -> World:
    clinic = factory.clinic(name="Clinic A")
    practitioner = factory.practitioner(clinic)  # leads the victim; not the owner
    victim = factory.patient(practitioner, display_name=f"Victim {SECRET}")
    other_patient = factory.patient(practitioner)
    other_clinic = factory.clinic(name="Clinic B")
    other_practitioner = factory.practitioner(other_clinic, is_owner=True)
    owner = factory.practitioner(clinic, is_owner=True)
    world = World(
        clinic, practitioner, victim, other_patient, other_clinic, other_practitioner, owner
    )

    objects = world.objects
    # Closed their app account nine years ago: past the clinic's retention (8 years).
    objects["closed_patient"] = factory.patient(
        practitioner, active=False, closed_at=utcnow() - timedelta(days=9 * 366)
    )
    objects["exercise"] = factory.exercise(clinic, name=f"Clinic stretch {SECRET}")
    objects["checkin"] = factory.checkin(victim, note=SECRET)
    objects["assignment"] = factory.assignment(victim, objects["exercise"], note=SECRET)
    course = Course(
        patient_id=victim.id,
        practitioner_id=practitioner.id,
        planned_sessions=10,
        start_date=utcnow().date() - timedelta(days=7),
        weeks=4,
    )
    db.session.add(course)
    db.session.flush()
    objects["course"] = course
    objects["appointment"] = Appointment(
        patient_id=victim.id,
        practitioner_id=practitioner.id,
        course_id=course.id,
        note=SECRET,
        starts_at=utcnow() + timedelta(days=2),
    )
    objects["completion"] = Completion(
        assignment_id=objects["assignment"].id,
        patient_id=victim.id,
        local_date=utcnow().date(),
        feeling="worse",
        note=SECRET,
    )
    db.session.add_all([objects["appointment"], objects["completion"]])
    db.session.flush()
    objects["alert"] = Alert(
        patient_id=victim.id,
        kind=AlertKind.RED_FLAG,
        check_in_id=objects["checkin"].id,
        details={"note": SECRET},
    )
    objects["subscription"] = PushSubscription(
        user_id=victim.id,
        endpoint=f"https://fcm.googleapis.com/fcm/send/{SECRET}",
        p256dh="BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        auth="tBHItJI5svbpez7KI4CCXg",
    )
    objects["outbox"] = OutboxMessage(
        user_id=victim.id,
        kind="checkin",
        occurrence_key=f"{victim.id}:checkin:test",
        payload={"title": "t", "body": "b", "url": "/app/"},
        expires_at=utcnow() + timedelta(hours=1),
    )
    db.session.add_all([objects["alert"], objects["subscription"], objects["outbox"]])
    sbi = db.session.scalar(select(Questionnaire).filter_by(slug="sbi", clinic_id=None))
    if sbi is None:
        from backend.course.questionnaires import seed_questionnaires

        seed_questionnaires()
        db.session.flush()
        sbi = db.session.scalars(select(Questionnaire).filter_by(slug="sbi", clinic_id=None)).one()
    objects["questionnaire"] = sbi
    objects["response"] = QuestionnaireResponse(
        questionnaire_id=sbi.id,
        patient_id=victim.id,
        timepoint="start",
        score=12,
        answers={"leg_pain": 4, "numbness_tingling": 3, "weakness": 2, "sitting_pain": 3},
    )
    objects["intake"] = Intake(patient_id=victim.id, answers=intake_answers(complaint_where=SECRET))
    db.session.add_all([objects["response"], objects["intake"]])
    db.session.commit()
    return world


@dataclass
class Row:
    """One route. ``path`` and ``json``/``form`` build the request against the world."""

    method: str
    rule: str
    path: Callable[[World], str]
    # "victim" (the patient themself), "practitioner" (their clinic) or "owner" (the
    # clinic's owner: the team and the settings)
    allowed: str
    json: Callable[[World], dict] | None = None
    form: Callable[[World], dict] | None = None
    ok: tuple[int, ...] = (200, 201, 204, 302, 303)
    # True for routes on the caller's own data (e.g. GET /api/checkins): callers of the same
    # role succeed with their own data, and must still never see the victim's.
    own: bool = False

    def __str__(self):
        return f"{self.method} {self.rule}"


def snapshot() -> str:
    """Every row of every patient-data table, to prove a refused request changed nothing."""
    db.session.expire_all()
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            rows = conn.execute(table.select().order_by(*table.primary_key.columns)).all()
            out[table.name] = [list(map(str, row)) for row in rows]
    return jsonlib.dumps(out, sort_keys=True)


def _send(api, row: Row, world: World, form_token: str | None):
    path = row.path(world)
    if row.form is not None:
        data = {**row.form(world), "csrf_token": form_token or ""}
        return api.client.open(path, method=row.method, data=data)
    method = getattr(api, row.method.lower())
    kwargs: dict[str, Any] = {}
    if row.json is not None:
        kwargs["json"] = row.json(world)
    if row.method == "POST":
        kwargs["key"] = "access-matrix-key-1"
    return method(path, **kwargs)


def _is_refusal(response, html: bool) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    return html and response.status_code == 302 and "/login" in response.headers["Location"]


def check_row(row: Row, world: World, make_api) -> None:
    """Assert the matrix for one route. ``make_api()`` returns a fresh ApiClient."""
    html = not row.rule.startswith("/api/")
    callers = {
        "anonymous": None,
        "other_patient": world.other_patient,
        "other_practitioner": world.other_practitioner,
    }
    if row.allowed == "victim":
        callers["own_practitioner"] = world.practitioner
    else:
        callers["the_patient_themself"] = world.victim
    if row.allowed == "owner":
        callers["practitioner_not_owner"] = world.practitioner
    owner = {"victim": world.victim, "practitioner": world.practitioner, "owner": world.owner}[
        row.allowed
    ]

    def same_kind(user) -> bool:  # may use the route on their own data
        return user.role is owner.role and (row.allowed != "owner" or user.is_owner)

    for name, user in callers.items():
        api = make_api()
        token = None
        if user is not None:
            api.login(user)
            if row.form is not None:
                token = _token_for(api, user)
        before = snapshot()
        response = _send(api, row, world, token)
        assert SECRET not in response.get_data(as_text=True), f"{row} as {name} leaked data"
        if row.own and user is not None and same_kind(user):
            assert response.status_code in row.ok, f"{row} as {name}: {response.status_code}"
            continue  # acted on their own data, which is theirs to change
        assert _is_refusal(response, html), (
            f"{row} as {name}: expected a refusal, got {response.status_code}"
        )
        assert snapshot() == before, f"{row} as {name} changed the database"
    # The positive control: the allowed caller reaches the very same object.
    api = make_api()
    api.login(owner)
    token = _token_for(api, owner) if row.form is not None else None
    response = _send(api, row, world, token)
    assert response.status_code in row.ok, (
        f"{row} as its owner: got {response.status_code} {response.get_data(as_text=True)[:300]}"
    )


def _token_for(api, user) -> str:
    """A form token from a page the user can open (forms reuse the session's token).

    Patients have no server-rendered form (their app speaks JSON), so they post with none."""
    return api.form_token("/panel/") if user.is_practitioner else ""


def clear_bookkeeping() -> None:
    with db.engine.begin() as conn, audit_erase(conn):
        for name in BOOKKEEPING:
            conn.execute(text(f'DELETE FROM "{name}"'))
