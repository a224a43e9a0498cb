"""No input gives a 500: every route, as the caller allowed to use it, with hostile input.

One small world (tests/access.py) gives real ids, so each handler's body runs. Every field of
every form and JSON body gets each hostile value in turn (one field at a time, the others
valid), forms also get each field twice, and the GET pages get odd query strings. The cases
run in one order in one world: what an earlier case saved (long notes, far dates, emoji)
is rendered by the pages after it. Each answer must be below 500; a 4xx from the JSON API
has the error shape; and a refused request (4xx) changes nothing.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import text

from backend.auth.service import create_invite, create_reset
from backend.clinic.service import new_setup_link
from backend.extensions import db
from backend.reminders import api as reminders_api
from tests.access import BOOKKEEPING, World, build_world, intake_answers, intake_form
from tests.conftest import ApiClient, checkin_body

LONG = "x" * 100_000
# A lone surrogate cannot be UTF-8 encoded: forms and URLs carry its CESU bytes (and an
# invalid byte) instead; JSON carries it escaped ("\ud800"), which is valid JSON text.
SURROGATE = "\ud800"
SURROGATE_BYTES = b"\xed\xa0\x80\xff"
NUMBERS = ["-1", "0", str(2**31), str(2**63), str(10**30), "1e309", "NaN", "Infinity", "1.5"]
DATES = [
    "0001-01-01",
    "9999-12-31T23:59",
    "2026-02-30",
    "2026-01-05T10:00+14:00",
    "2026-01-05T10:00-12:00",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-12:00",
    "24:00",
    "23:59:60",
]
HOSTILE = [
    "",
    "   ",
    "\t\n",
    LONG,
    "😀🔥🌶️",
    "\u202eRTL\u202c שלום",
    "a\x00b",
    SURROGATE,
    *NUMBERS,
    *DATES,
]
RAW_1E309 = "__raw_1e309__"  # written into JSON text as the literal 1e309
# What JSON can carry besides strings: wrong types, out-of-range numbers, NaN and infinity.
JSON_ONLY = [
    None,
    True,
    [],
    {},
    ["a", 1],
    {"a": {"b": [None]}},
    -1,
    0,
    2**31,
    2**63,
    10**30,
    1.5,
    RAW_1E309,
    float("nan"),
    float("-inf"),
]
HOSTILE_JSON = HOSTILE + JSON_ONLY
HOSTILE_IDS = ["-1", "0", str(2**31), str(2**63), str(10**30)]
HOSTILE_SEGMENTS = [
    "%20",
    quote(LONG),
    quote("😀"),
    "%00",
    quote(SURROGATE_BYTES),
    "..%2F..",
    "NaN",
    *HOSTILE_IDS,
]
QUERY_NAMES = ["page", "q", "before", "patient", "next", "since", "limit", "who"]


@dataclass
class Case:
    """One request. ``form`` is a list of pairs (keys may repeat); ``body`` is JSON text."""

    caller: str
    method: str
    path: str
    what: str
    form: list | None = None
    body: str | None = None
    query: str = ""

    def __str__(self):
        return f"{self.caller} {self.method} {self.path[:80]}?{self.query[:60]} [{self.what}]"


@dataclass
class Spec:
    """A route: who may use it and how its hostile requests are built against the world."""

    method: str
    rule: str
    caller: str  # practitioner, patient, anonymous; leaving_*: one who logs out
    cases: Callable[[World], Iterator[Case]]


_n = itertools.count(1)


def _short(value) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _encoded(value) -> str | bytes:
    return SURROGATE_BYTES if value == SURROGATE else value


def _query(pairs) -> str:
    return urlencode([(k, _encoded(v)) for k, v in pairs])


def _json_text(body) -> str:
    return json.dumps(body).replace(f'"{RAW_1E309}"', "1e309")


def form_cases(
    caller,
    method,
    path,
    base: Callable[[], dict],
    fields=None,
    query="",
    extra: list[dict] | None = None,
) -> Callable:
    """Each field of the form with each hostile value, and each field sent twice.

    ``base()`` is called for every case (a fresh email, a fresh invite...), so a value
    that is accepted does not make the next case fail for another reason."""

    def build(world) -> Iterator[Case]:
        url = path(world) if callable(path) else path
        names = fields or list(base()) or ["extra"]
        for name in names:
            for value in HOSTILE:
                form = base()
                form[name] = value
                yield Case(
                    caller,
                    method,
                    url,
                    f"{name}={_short(value)}",
                    form=[(k, _encoded(v)) for k, v in form.items()],
                    query=query,
                )
            good = base().get(name, "1")
            for first, second in ((good, "😀" * 3), ("a\x00", good), (LONG, good)):
                form = base()
                form.pop(name, None)
                pairs = [(k, v) for k, v in form.items()] + [(name, first), (name, second)]
                yield Case(
                    caller,
                    method,
                    url,
                    f"{name} twice {_short(first)}, {_short(second)}",
                    form=pairs,
                    query=query,
                )
        for form in extra or []:
            yield Case(
                caller,
                method,
                url,
                f"both {_short(form)}",
                form=[(k, _encoded(v)) for k, v in {**base(), **form}.items()],
            )
        yield Case(caller, method, url, "no fields", form=[])

    return build


def _set(body: dict, dotted: str, value) -> dict:
    target = body
    *parents, last = dotted.split(".")
    for key in parents:
        target = target[key]
    target[last] = value
    return body


def json_cases(caller, method, path, base: Callable[[], dict], fields: list[str]) -> Callable:
    """Each field (``a.b`` for nested ones) with each hostile value, the rest valid; then
    the body missing each field, an unknown field and a few bodies that are not objects."""

    def build(world) -> Iterator[Case]:
        url = path(world) if callable(path) else path
        for name in fields:
            for value in HOSTILE_JSON:
                body = _set(base(), name, value)
                yield Case(caller, method, url, f"{name}={_short(value)}", body=_json_text(body))
            body = base()
            if "." not in name:
                body.pop(name, None)
                yield Case(caller, method, url, f"without {name}", body=_json_text(body))
        yield Case(
            caller, method, url, "unknown field", body=_json_text({**base(), "surprise": "😀"})
        )
        for raw in ("", "[]", "null", '"text"', "1e309", "{", '{"a": 1, "a": [2]}'):
            yield Case(caller, method, url, f"body {raw!r}", body=raw)

    return build


def query_cases(caller, path, names=QUERY_NAMES, method="GET") -> Callable:
    """Each query parameter the page reads with each hostile value, and each one twice."""

    def build(world) -> Iterator[Case]:
        url = path(world) if callable(path) else path
        for name in names:
            for value in HOSTILE:
                yield Case(
                    caller, method, url, f"?{name}={_short(value)}", query=_query([(name, value)])
                )
            yield Case(
                caller, method, url, f"?{name} twice", query=_query([(name, "1"), (name, LONG)])
            )
        yield Case(caller, method, url, "odd query", query="&&=&%ZZ&page&q=%00&" + "a=1&" * 500)

    return build


def id_cases(caller, method, template: str, body: str | None = None) -> Callable:
    """Out-of-range ids in the path: the id converter answers 404."""

    def build(world) -> Iterator[Case]:
        for ident in HOSTILE_IDS:
            yield Case(
                caller,
                method,
                template.format(ident),
                f"id {ident}",
                form=[] if body is None and method != "GET" else None,
                body=body,
            )

    return build


def segment_cases(
    caller, method, template: str, form: dict | None = None, body: str | None = None
) -> Callable:
    """Hostile text where the path takes a slug, token or file name."""

    def build(world) -> Iterator[Case]:
        for segment in HOSTILE_SEGMENTS:
            yield Case(
                caller,
                method,
                template.format(world=world, segment=segment),
                f"segment {_short(segment)}",
                form=None if form is None else list(form.items()),
                body=body,
            )

    return build


def chain(*builders) -> Callable:
    return lambda world: itertools.chain.from_iterable(b(world) for b in builders)


# -- valid bodies (each case replaces one of their fields) ---------------------------------


def dosage() -> dict:
    return {
        "sets": "1",
        "reps": "5",
        "hold_seconds": "30",
        "times_per_day": "2",
        "days_per_week": "7",
    }


def homework_form(world) -> Callable[[], dict]:
    return lambda: {
        **dosage(),
        "start_date": "2026-01-05",
        "end_date": "2026-02-05",
        "note": "Gently",
    }


def exercise_form() -> dict:
    return {
        "name": f"Wall slide {next(_n)}",
        "summary": "For the back",
        "instructions": "Stand tall.\nSlide down.",
        "caution": "Stop if it hurts",
        "image": "",
        **dosage(),
    }


def preferences() -> dict:
    return {
        "timezone": "America/New_York",
        "days": [1, 2, 3, 4, 5],
        "checkin_enabled": True,
        "checkin_time": "20:30",
        "homework_enabled": True,
        "homework_times": ["08:00"],
        "sitting_breaks_enabled": True,
        "sitting_start": "09:00",
        "sitting_end": "17:30",
        "sitting_interval_minutes": 50,
        "appointment_enabled": False,
        "quiet_start": "22:00",
        "quiet_end": "07:00",
    }


def fresh_reset(world) -> str:
    """A new reset link for ``world.newcomer`` (an accepted case uses one up)."""
    token, _ = create_reset(world.newcomer)
    db.session.commit()
    return token


def fresh_invite(world) -> str:
    """A new open invite for ``world.newcomer`` (an accepted case uses one up)."""
    token = create_invite(world.newcomer, world.practitioner)
    db.session.commit()
    return token


def fresh_join(world) -> str:
    """A new open invite for ``world.joiner`` (a practitioner invited to the team)."""
    token = create_invite(world.joiner, world.owner)
    db.session.commit()
    return token


def fresh_setup() -> str:
    """A new first-run setup link (an accepted case uses one up, and every other)."""
    token = new_setup_link()
    db.session.commit()
    return token


def setup_form() -> dict:
    return {
        "clinic_name": "Harbour Physio",
        "country": "FR",
        "timezone": "Europe/Paris",
        "owner_name": "Ana Roux",
        "email": f"owner{next(_n)}@example.test",
        "password": "a long new password",
        "confirm": "a long new password",
    }


def clinic_settings() -> dict:
    return {
        "name": "Clinic A",
        "country": "GB",
        "timezone": "Europe/London",
        "emergency_number": "999",
        "same_day_advice": "See a GP today.",
        "escalation_hours": "4",
        "retention_years": "8",
        "two_factor_required": "1",
        "checkin_enabled": "1",
        "checkin_time": "20:00",
        "homework_enabled": "1",
        "homework_time": "09:00",
        "sitting_breaks_enabled": "1",
        "appointment_enabled": "1",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
    }


def _on_fresh(path: str, fresh: Callable[[], str], cases) -> Callable:
    """Each case of ``cases`` sent to ``path`` with a fresh token (an accepted one is used up)."""
    return lambda w: (
        Case(c.caller, c.method, path.format(fresh()), c.what, form=c.form) for c in cases(w)
    )


QUESTIONNAIRE = {
    "timepoint": "mid",
    "item-leg_pain": "3",
    "item-numbness_tingling": "2",
    "item-weakness": "1",
    "item-sitting_pain": "3",
}
ANSWERS = {"leg_pain": 2, "numbness_tingling": 1, "weakness": 0, "sitting_pain": 2}


def patient_path(suffix=""):
    return lambda w: f"/panel/patients/{w.victim.id}{suffix}"


# In this order: the panel's forms first, so that the pages after them show what was saved.
SPECS = [
    Spec(
        "POST",
        "/panel/clinic",
        "owner",
        form_cases("owner", "POST", "/panel/clinic", clinic_settings),
    ),
    Spec(
        "POST",
        "/panel/team",
        "owner",
        form_cases(
            "owner",
            "POST",
            "/panel/team",
            lambda: {"display_name": "Kim Park", "email": f"kim{next(_n)}@example.test"},
        ),
    ),
    Spec(
        "POST",
        "/panel/team/<int:user_id>/invite",
        "owner",
        lambda w: chain(
            form_cases("owner", "POST", f"/panel/team/{w.joiner.id}/invite", dict),
            id_cases("owner", "POST", "/panel/team/{}/invite"),
        )(w),
    ),
    Spec(
        "POST",
        "/panel/patients/<int:patient_id>/lead",
        "practitioner",
        lambda w: chain(
            form_cases(
                "practitioner",
                "POST",
                patient_path("/lead"),
                lambda: {"practitioner_id": str(w.practitioner.id)},
            ),
            id_cases("practitioner", "POST", "/panel/patients/{}/lead"),
        )(w),
    ),
    Spec("GET", "/panel/team", "owner", query_cases("owner", "/panel/team", ["q"])),
    Spec("GET", "/panel/clinic", "owner", query_cases("owner", "/panel/clinic", ["q"])),
    Spec(
        "POST",
        "/panel/exercises",
        "practitioner",
        form_cases("practitioner", "POST", "/panel/exercises", exercise_form),
    ),
    Spec(
        "POST",
        "/panel/patients/<int:patient_id>/assignments",
        "practitioner",
        lambda w: chain(
            form_cases(
                "practitioner",
                "POST",
                patient_path("/assignments"),
                lambda: {**homework_form(w)(), "exercise_id": str(w.exercise.id)},
            ),
            id_cases("practitioner", "POST", "/panel/patients/{}/assignments"),
        )(w),
    ),
    Spec(
        "POST",
        "/panel/assignments/<int:assignment_id>",
        "practitioner",
        lambda w: chain(
            form_cases(
                "practitioner", "POST", f"/panel/assignments/{w.assignment.id}", homework_form(w)
            ),
            id_cases("practitioner", "POST", "/panel/assignments/{}"),
        )(w),
    ),
    Spec(
        "POST",
        "/panel/patients/<int:patient_id>/course",
        "practitioner",
        form_cases(
            "practitioner",
            "POST",
            patient_path("/course"),
            lambda: {
                "title": "Course",
                "planned_sessions": "10",
                "weeks": "4",
                "start_date": "2026-01-05",
                "time": "10:00",
            },
        ),
    ),
    Spec(
        "POST",
        "/panel/patients/<int:patient_id>/appointments",
        "practitioner",
        form_cases(
            "practitioner",
            "POST",
            patient_path("/appointments"),
            lambda: {"starts_at": "2026-01-05T10:00", "duration_minutes": "45"},
        ),
    ),
    Spec(
        "POST",
        "/panel/appointments/<int:appointment_id>",
        "practitioner",
        lambda w: chain(
            form_cases(
                "practitioner",
                "POST",
                f"/panel/appointments/{w.appointment.id}",
                lambda: {
                    "status": "attended",
                    "starts_at": "2026-01-05T10:00",
                    "note": "Fine",
                    "acupoints": "GB30 L, EX-B2, Huan Tiao R, Ashi: calf",
                    "needles": "8",
                    "retention_minutes": "20",
                    "electro": "1",
                    "adverse_events": "bruising",
                    "adverse_note": "Small bruise",
                },
            ),
            id_cases("practitioner", "POST", "/panel/appointments/{}"),
        )(w),
    ),
    Spec(
        "POST",
        "/panel/patients/<int:patient_id>/questionnaires/<slug>",
        "practitioner",
        chain(
            form_cases(
                "practitioner",
                "POST",
                patient_path("/questionnaires/sbi"),
                lambda: dict(QUESTIONNAIRE),
            ),
            segment_cases(
                "practitioner",
                "POST",
                "/panel/patients/{world.victim.id}/questionnaires/{segment}",
                form=QUESTIONNAIRE,
            ),
        ),
    ),
    Spec(
        "POST",
        "/panel/patients",
        "practitioner",
        form_cases(
            "practitioner",
            "POST",
            "/panel/patients",
            lambda: {"display_name": "New Person", "email": f"new.person{next(_n)}@example.test"},
        ),
    ),
    Spec(
        "POST",
        "/panel/alerts/<int:alert_id>/acknowledge",
        "practitioner",
        lambda w: chain(
            form_cases(
                "practitioner",
                "POST",
                f"/panel/alerts/{w.alert.id}/acknowledge",
                lambda: {"action": "called_patient", "note": "Advised A&E"},
            ),
            id_cases("practitioner", "POST", "/panel/alerts/{}/acknowledge"),
        )(w),
    ),
    Spec(
        "POST",
        "/panel/assignments/<int:assignment_id>/end",
        "practitioner",
        form_cases(
            "practitioner", "POST", lambda w: f"/panel/assignments/{w.assignment.id}/end", dict
        ),
    ),
    Spec(
        "POST",
        "/panel/patients/<int:patient_id>/invite",
        "practitioner",
        form_cases("practitioner", "POST", patient_path("/invite"), dict),
    ),
    Spec(
        "POST",
        "/panel/patients/<int:patient_id>/invite/revoke",
        "practitioner",
        form_cases("practitioner", "POST", patient_path("/invite/revoke"), dict),
    ),
    # The panel's pages, with what the forms above saved.
    Spec("GET", "/panel/", "practitioner", query_cases("practitioner", "/panel/", ["q", "page"])),
    Spec(
        "GET",
        "/panel/audit",
        "practitioner",
        query_cases("practitioner", "/panel/audit", ["patient", "before"]),
    ),
    Spec(
        "GET",
        "/panel/exercises",
        "practitioner",
        query_cases("practitioner", "/panel/exercises", ["page"]),
    ),
    Spec(
        "GET",
        "/panel/patients/new",
        "practitioner",
        query_cases("practitioner", "/panel/patients/new", ["q"]),
    ),
    Spec(
        "GET",
        "/panel/patients/<int:patient_id>",
        "practitioner",
        chain(
            query_cases("practitioner", patient_path(), ["page", "before"]),
            id_cases("practitioner", "GET", "/panel/patients/{}"),
        ),
    ),
    Spec(
        "GET",
        "/panel/patients/<int:patient_id>/report",
        "practitioner",
        query_cases("practitioner", patient_path("/report"), ["page"]),
    ),
    Spec(
        "GET",
        "/panel/patients/<int:patient_id>/report.pdf",
        "practitioner",
        query_cases("practitioner", patient_path("/report.pdf"), ["page"]),
    ),
    # The patient app's JSON API.
    Spec(
        "POST",
        "/api/checkins",
        "patient",
        json_cases(
            "patient",
            "POST",
            "/api/checkins",
            checkin_body,
            [
                "recorded_at",
                "leg_pain",
                "back_pain",
                "locations",
                "side",
                "sensations",
                "sitting_minutes",
                "note",
                "red_flags",
                "red_flags.fever",
            ],
        ),
    ),
    Spec(
        "GET",
        "/api/checkins",
        "patient",
        query_cases("patient", "/api/checkins", ["since", "limit"]),
    ),
    Spec(
        "GET",
        "/api/checkins/<int:checkin_id>",
        "patient",
        lambda w: chain(
            query_cases("patient", f"/api/checkins/{w.checkin.id}", ["page"]),
            id_cases("patient", "GET", "/api/checkins/{}"),
        )(w),
    ),
    Spec(
        "POST",
        "/api/homework/<int:assignment_id>/completions",
        "patient",
        lambda w: chain(
            json_cases(
                "patient",
                "POST",
                f"/api/homework/{w.assignment.id}/completions",
                lambda: {"completed_at": None, "feeling": "same", "note": "Fine"},
                ["completed_at", "feeling", "note"],
            ),
            id_cases("patient", "POST", "/api/homework/{}/completions", body="{}"),
        )(w),
    ),
    Spec(
        "POST",
        "/api/questionnaires/<slug>/responses",
        "patient",
        chain(
            json_cases(
                "patient",
                "POST",
                "/api/questionnaires/sbi/responses",
                lambda: {"answers": dict(ANSWERS), "timepoint": "other"},
                ["answers", "answers.leg_pain", "timepoint", "completed_at"],
            ),
            segment_cases(
                "patient",
                "POST",
                "/api/questionnaires/{segment}/responses",
                body=json.dumps({"answers": ANSWERS}),
            ),
        ),
    ),
    Spec(
        "PUT",
        "/api/reminders/preferences",
        "patient",
        json_cases(
            "patient", "PUT", "/api/reminders/preferences", preferences, list(preferences())
        ),
    ),
    Spec(
        "POST",
        "/api/push/subscriptions",
        "patient",
        lambda w: json_cases(
            "patient",
            "POST",
            "/api/push/subscriptions",
            lambda: {
                "endpoint": f"https://fcm.googleapis.com/fcm/send/device-{next(_n)}",
                "keys": {"p256dh": w.subscription.p256dh, "auth": w.subscription.auth},
                "expirationTime": None,
            },
            ["endpoint", "keys", "keys.p256dh", "keys.auth", "expirationTime"],
        )(w),
    ),
    Spec(
        "DELETE",
        "/api/push/subscriptions",
        "patient",
        json_cases(
            "patient",
            "DELETE",
            "/api/push/subscriptions",
            lambda: {"endpoint": "https://fcm.googleapis.com/fcm/send/none"},
            ["endpoint"],
        ),
    ),
    Spec(
        "POST",
        "/api/push/test",
        "patient",
        json_cases("patient", "POST", "/api/push/test", dict, []),
    ),
    Spec("GET", "/api/push/key", "patient", query_cases("patient", "/api/push/key", ["q"])),
    Spec(
        "GET",
        "/api/reminders/preferences",
        "patient",
        query_cases("patient", "/api/reminders/preferences", ["q"]),
    ),
    Spec(
        "GET",
        "/api/questionnaires",
        "patient",
        query_cases("patient", "/api/questionnaires", ["q"]),
    ),
    Spec("GET", "/api/homework", "patient", query_cases("patient", "/api/homework", ["q"])),
    Spec("GET", "/api/today", "patient", query_cases("patient", "/api/today", ["q"])),
    Spec("GET", "/api/progress", "patient", query_cases("patient", "/api/progress", ["q"])),
    Spec("GET", "/api/export.json", "patient", query_cases("patient", "/api/export.json", ["q"])),
    Spec("GET", "/api/export.csv", "patient", query_cases("patient", "/api/export.csv", ["q"])),
    Spec("GET", "/api/me", "patient", query_cases("patient", "/api/me", ["q"])),
    Spec("GET", "/api/safety", "patient", query_cases("patient", "/api/safety", ["q"])),
    Spec(
        "POST",
        "/api/safety/disclaimer",
        "patient",
        json_cases("patient", "POST", "/api/safety/disclaimer", dict, []),
    ),
    Spec("GET", "/api/intake", "patient", query_cases("patient", "/api/intake", ["q"])),
    Spec(
        "POST",
        "/api/intake",
        "patient",
        json_cases(
            "patient",
            "POST",
            "/api/intake",
            lambda: {"answers": intake_answers()},
            [
                "answers",
                "answers.date_of_birth",
                "answers.pacemaker",
                "answers.complaint_where",
                "answers.consent_data",
                "answers.complaint_side",
            ],
        ),
    ),
    Spec(
        "GET",
        "/api/panel/push/key",
        "practitioner",
        query_cases("practitioner", "/api/panel/push/key", ["q"]),
    ),
    Spec(
        "POST",
        "/api/panel/push/subscriptions",
        "practitioner",
        lambda w: json_cases(
            "practitioner",
            "POST",
            "/api/panel/push/subscriptions",
            lambda: {
                "endpoint": f"https://fcm.googleapis.com/fcm/send/panel-{next(_n)}",
                "keys": {"p256dh": w.subscription.p256dh, "auth": w.subscription.auth},
            },
            ["endpoint", "keys", "keys.p256dh", "keys.auth"],
        )(w),
    ),
    Spec(
        "DELETE",
        "/api/panel/push/subscriptions",
        "practitioner",
        json_cases(
            "practitioner",
            "DELETE",
            "/api/panel/push/subscriptions",
            lambda: {"endpoint": "https://fcm.googleapis.com/fcm/send/none"},
            ["endpoint"],
        ),
    ),
    Spec("GET", "/panel/sw.js", "anonymous", query_cases("anonymous", "/panel/sw.js", ["q"])),
    Spec(
        "POST",
        "/panel/patients/<int:patient_id>/intake",
        "practitioner",
        form_cases(
            "practitioner",
            "POST",
            patient_path("/intake"),
            lambda: intake_form(),
            fields=[
                "date_of_birth",
                "pacemaker",
                "complaint_where",
                "consent_data",
                "complaint_side",
            ],
        ),
    ),
    Spec(
        "POST",
        "/panel/patients/<int:patient_id>/intake/review",
        "practitioner",
        chain(
            form_cases("practitioner", "POST", patient_path("/intake/review"), dict),
            id_cases("practitioner", "POST", "/panel/patients/{}/intake/review"),
        ),
    ),
    Spec(
        "GET",
        "/api/openapi.json",
        "anonymous",
        query_cases("anonymous", "/api/openapi.json", ["q"]),
    ),
    # Never the right password: the account stays.
    Spec(
        "DELETE",
        "/api/me",
        "patient",
        json_cases(
            "patient", "DELETE", "/api/me", lambda: {"password": "not the password"}, ["password"]
        ),
    ),
    # Logging in, invites, the patient app's files: anonymous callers.
    Spec(
        "POST",
        "/api/auth/login",
        "anonymous",
        json_cases(
            "anonymous",
            "POST",
            "/api/auth/login",
            lambda: {
                "email": f"nobody{next(_n)}@example.test",
                "password": "wrong password",
                "remember": False,
            },
            ["email", "password", "remember"],
        ),
    ),
    Spec(
        "POST",
        "/api/invites/accept",
        "anonymous",
        lambda w: json_cases(
            "anonymous",
            "POST",
            "/api/invites/accept",
            lambda: {"token": fresh_invite(w), "password": "a long new password"},
            ["token", "password"],
        )(w),
    ),
    Spec("GET", "/login", "anonymous", query_cases("anonymous", "/login", ["next"])),
    Spec(
        "POST",
        "/login",
        "anonymous",
        chain(
            form_cases(
                "anonymous",
                "POST",
                "/login",
                lambda: {"email": f"nobody{next(_n)}@example.test", "password": "wrong password"},
            ),
            form_cases(
                "anonymous",
                "POST",
                "/login",
                lambda: {"email": "a@b.c", "password": "x"},
                fields=["email"],
                query=_query([("next", "/panel/")]),
            ),
        ),
    ),
    Spec(
        "GET",
        "/invite/<token>",
        "anonymous",
        lambda w: chain(
            query_cases("anonymous", f"/invite/{fresh_invite(w)}", ["q"]),
            segment_cases("anonymous", "GET", "/invite/{segment}"),
        )(w),
    ),
    Spec(
        "POST",
        "/invite/<token>",
        "anonymous",
        lambda w: chain(
            # Each case on a fresh invite: a password that is accepted uses the invite up.
            lambda w2: (
                Case(c.caller, c.method, f"/invite/{fresh_invite(w2)}", c.what, form=c.form)
                for c in form_cases(
                    "anonymous",
                    "POST",
                    "/invite/unused",
                    lambda: {"password": "a long new password", "confirm": "a long new password"},
                    extra=[{"password": v, "confirm": v} for v in HOSTILE],
                )(w2)
            ),
            segment_cases(
                "anonymous",
                "POST",
                "/invite/{segment}",
                form={"password": "a long new password", "confirm": "a long new password"},
            ),
        )(w),
    ),
    Spec(
        "GET",
        "/setup/<token>",
        "anonymous",
        lambda w: chain(
            query_cases("anonymous", f"/setup/{fresh_setup()}", ["q"]),
            segment_cases("anonymous", "GET", "/setup/{segment}"),
        )(w),
    ),
    Spec(
        "POST",
        "/setup/<token>",
        "anonymous",
        chain(
            _on_fresh(
                "/setup/{}",
                fresh_setup,
                form_cases("anonymous", "POST", "/setup/unused", setup_form),
            ),
            segment_cases("anonymous", "POST", "/setup/{segment}", form=setup_form()),
        ),
    ),
    Spec(
        "GET",
        "/join/<token>",
        "anonymous",
        lambda w: chain(
            query_cases("anonymous", f"/join/{fresh_join(w)}", ["q"]),
            segment_cases("anonymous", "GET", "/join/{segment}"),
        )(w),
    ),
    Spec(
        "POST",
        "/join/<token>",
        "anonymous",
        lambda w: chain(
            _on_fresh(
                "/join/{}",
                lambda: fresh_join(w),
                form_cases(
                    "anonymous",
                    "POST",
                    "/join/unused",
                    lambda: {
                        "display_name": "Kim Park",
                        "password": "a long new password",
                        "confirm": "a long new password",
                    },
                ),
            ),
            segment_cases(
                "anonymous",
                "POST",
                "/join/{segment}",
                form={"password": "a long new password", "confirm": "a long new password"},
            ),
        )(w),
    ),
    Spec("GET", "/forgot", "anonymous", query_cases("anonymous", "/forgot", ["q"])),
    Spec(
        "POST",
        "/forgot",
        "anonymous",
        form_cases("anonymous", "POST", "/forgot", lambda: {"email": "nobody@example.test"}),
    ),
    Spec(
        "POST",
        "/api/auth/forgot",
        "anonymous",
        json_cases(
            "anonymous",
            "POST",
            "/api/auth/forgot",
            lambda: {"email": f"nobody{next(_n)}@example.test"},
            ["email"],
        ),
    ),
    Spec(
        "GET",
        "/reset/<token>",
        "anonymous",
        lambda w: chain(
            query_cases("anonymous", f"/reset/{fresh_reset(w)}", ["q"]),
            segment_cases("anonymous", "GET", "/reset/{segment}"),
        )(w),
    ),
    Spec(
        "POST",
        "/reset/<token>",
        "anonymous",
        lambda w: chain(
            # Each case on a fresh link: a password that is accepted uses the link up.
            lambda w2: (
                Case(c.caller, c.method, f"/reset/{fresh_reset(w2)}", c.what, form=c.form)
                for c in form_cases(
                    "anonymous",
                    "POST",
                    "/reset/unused",
                    lambda: {"password": "a long new password", "confirm": "a long new password"},
                    extra=[{"password": v, "confirm": v} for v in HOSTILE],
                )(w2)
            ),
            segment_cases(
                "anonymous",
                "POST",
                "/reset/{segment}",
                form={"password": "a long new password", "confirm": "a long new password"},
            ),
        )(w),
    ),
    Spec(
        "POST",
        "/api/auth/password",
        "patient",
        json_cases(
            "patient",
            "POST",
            "/api/auth/password",
            lambda: {"current_password": "not the password", "new_password": "a long new one"},
            ["current_password", "new_password"],
        ),
    ),
    Spec("GET", "/account", "practitioner", query_cases("practitioner", "/account", ["q"])),
    Spec(
        "GET",
        "/account/two-factor",
        "practitioner",
        query_cases("practitioner", "/account/two-factor", ["q"]),
    ),
    Spec(
        "POST",
        "/account/two-factor/setup",
        "practitioner",
        form_cases("practitioner", "POST", "/account/two-factor/setup", dict),
    ),
    Spec(
        "POST",
        "/account/two-factor/confirm",
        "practitioner",
        form_cases(
            "practitioner", "POST", "/account/two-factor/confirm", lambda: {"code": "000000"}
        ),
    ),
    Spec(
        "POST",
        "/account/two-factor/off",
        "practitioner",
        form_cases("practitioner", "POST", "/account/two-factor/off", lambda: {"code": "0"}),
    ),
    Spec(
        "POST",
        "/account/two-factor/reset/<int:user_id>",
        "practitioner",
        lambda w: chain(
            form_cases("practitioner", "POST", f"/account/two-factor/reset/{w.victim.id}", dict),
            id_cases("practitioner", "POST", "/account/two-factor/reset/{}"),
        )(w),
    ),
    Spec("GET", "/login/code", "anonymous", query_cases("anonymous", "/login/code", ["next"])),
    Spec(
        "POST",
        "/login/code",
        "anonymous",
        form_cases("anonymous", "POST", "/login/code", lambda: {"code": "123456"}),
    ),
    Spec(
        "GET",
        "/account/password",
        "practitioner",
        query_cases("practitioner", "/account/password", ["q"]),
    ),
    Spec(
        "POST",
        "/account/password",
        "practitioner",
        form_cases(
            "practitioner",
            "POST",
            "/account/password",
            lambda: {"current": "not the password", "password": "a long new one", "confirm": "x"},
        ),
    ),
    Spec("GET", "/", "anonymous", query_cases("anonymous", "/", ["next"])),
    Spec("GET", "/app/", "anonymous", query_cases("anonymous", "/app/", ["q"])),
    Spec(
        "GET", "/app/<path:path>", "anonymous", segment_cases("anonymous", "GET", "/app/{segment}")
    ),
    Spec(
        "GET",
        "/static/<path:filename>",
        "anonymous",
        segment_cases("anonymous", "GET", "/static/{segment}"),
    ),
    # Erasing the closed record (past retention) removes it: late, once it was read.
    Spec(
        "POST",
        "/panel/patients/<int:patient_id>/erase",
        "owner",
        lambda w: chain(
            id_cases("owner", "POST", "/panel/patients/{}/erase"),
            form_cases("owner", "POST", f"/panel/patients/{w.closed_patient.id}/erase", dict),
        )(w),
    ),
    # Last: these log their caller out ("0" deactivates the patient or practitioner).
    Spec(
        "POST",
        "/panel/team/<int:user_id>/active",
        "owner",
        lambda w: chain(
            form_cases(
                "owner", "POST", f"/panel/team/{w.joiner.id}/active", lambda: {"active": "1"}
            ),
            id_cases("owner", "POST", "/panel/team/{}/active"),
        )(w),
    ),
    Spec(
        "POST",
        "/panel/patients/<int:patient_id>/active",
        "practitioner",
        form_cases("practitioner", "POST", patient_path("/active"), lambda: {"active": "1"}),
    ),
    Spec(
        "POST",
        "/api/auth/logout",
        "leaving_patient",
        json_cases("leaving_patient", "POST", "/api/auth/logout", dict, []),
    ),
    Spec(
        "POST",
        "/logout",
        "leaving_practitioner",
        form_cases("leaving_practitioner", "POST", "/logout", dict),
    ),
]


def test_every_route_has_hostile_cases(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = [(spec.method, spec.rule) for spec in SPECS]
    assert len(listed) == len(set(listed))
    assert routes == set(listed)


def assert_error_shape(response, case):
    body = response.get_json(silent=True)
    assert isinstance(body, dict) and set(body) == {"error"}, f"{case}: {response.data[:200]}"
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, f"{case}: {error}"
    assert isinstance(error["message"], str) and error["message"], case
    assert isinstance(error["fields"], dict), case


class Callers:
    """One logged-in browser per role, with the panel's form token. Anonymous forms get a
    new browser each (accepting an invite logs that browser in and ends its form token)."""

    def __init__(self, app, world):
        self.app = app
        self.apis, self.tokens = {}, {}
        for caller, user in (
            ("practitioner", world.practitioner),
            ("owner", world.owner),
            ("patient", world.victim),
            ("leaving_patient", world.other_patient),
            ("leaving_practitioner", world.colleague),
        ):
            self.apis[caller] = api = ApiClient(app.test_client())
            api.login(user)
            if user.is_practitioner:
                self.tokens[caller] = api.form_token("/panel/")

    def _client(self, case: Case):
        if case.caller != "anonymous":
            return self.apis[case.caller].client, self.tokens.get(case.caller, "")
        api = ApiClient(self.app.test_client())
        return api.client, api.form_token("/login") if case.form is not None else ""

    def send(self, case: Case):
        client, token = self._client(case)
        count = next(_n)
        headers = {"X-Requested-With": "between", "Idempotency-Key": f"no500-{count:08d}"}
        kwargs = {
            "method": case.method,
            "query_string": case.query,
            "headers": headers,
            # One address per case, so that login throttling lets each case through.
            "environ_base": {"REMOTE_ADDR": f"10.0.{count // 250}.{count % 250 + 1}"},
        }
        if case.form is not None:
            kwargs["data"] = urlencode([("csrf_token", token), *case.form])
            kwargs["content_type"] = "application/x-www-form-urlencoded"
        elif case.body is not None:
            kwargs["data"] = case.body
            kwargs["content_type"] = "application/json"
        return client.open(case.path, **kwargs)


def row_counts() -> tuple:
    """How many rows each table of patient data has (one query: cheap enough per case)."""
    tables = [t.name for t in db.metadata.sorted_tables if t.name not in BOOKKEEPING]
    counts = ", ".join(f'(SELECT count(*) FROM "{name}")' for name in tables)
    with db.engine.connect() as conn:
        return tuple(conn.execute(text(f"SELECT {counts}")).one())


@pytest.fixture
def no_push(monkeypatch):
    """A test notification is queued but not sent over the network."""
    monkeypatch.setattr(
        reminders_api.outbox,
        "send_now",
        lambda sender, message_id, who: {"sent": 1, "sent_messages": 1},
    )


def test_no_input_gives_a_500(app, factory, no_push):
    """Every route, as the caller allowed to use it, with every kind of hostile input."""
    world = build_world(factory)
    world.objects["newcomer"] = factory.patient(world.practitioner)  # accepts invites
    world.objects["colleague"] = factory.practitioner(world.clinic)  # logs out at the end
    world.objects["joiner"] = factory.practitioner(world.clinic, password_hash=None)  # joins
    callers = Callers(app, world)
    failures, count, started = [], 0, time.monotonic()
    for spec in SPECS:
        for case in spec.cases(world):
            count += 1
            before = row_counts() if case.method != "GET" else None
            response = callers.send(case)
            status = response.status_code
            if status >= 500:
                failures.append(f"{status} {spec.method} {spec.rule}: {case}")
                continue
            if 400 <= status and case.path.startswith("/api/"):
                assert_error_shape(response, case)
            if 400 <= status and before is not None:
                assert row_counts() == before, f"refused but saved: {case}"
    elapsed = time.monotonic() - started
    print(f"{count} hostile requests in {elapsed:.1f}s")
    assert not failures, f"{len(failures)} answers were 500:\n" + "\n".join(failures[:60])


# Each of these once answered 500 on PostgreSQL, which can neither store nor compare a NUL
# character, and whose login_attempt.email holds at most 254 characters.
ONCE_500 = [
    (
        "practitioner",
        "POST",
        "/panel/exercises",
        {"form": {**dosage(), "name": "a\x00b", "instructions": "Stand."}},
        422,
    ),
    (
        "practitioner",
        "POST",
        "/panel/patients",
        {"form": {"display_name": "New", "email": "a\x00b@example.test"}},
        422,
    ),
    ("practitioner", "GET", "/panel/", {"query": "q=a%00b"}, 400),
    (
        "practitioner",
        "POST",
        "/panel/patients/{victim}/questionnaires/%00",
        {"form": QUESTIONNAIRE},
        400,
    ),
    ("patient", "POST", "/api/questionnaires/%00/responses", {"json": {"answers": ANSWERS}}, 400),
    ("patient", "POST", "/api/checkins", {"json": checkin_body(note="a\x00b")}, 422),
    ("patient", "POST", "/api/homework/{assignment}/completions", {"json": {"note": "\x00"}}, 422),
    ("patient", "DELETE", "/api/push/subscriptions", {"json": {"endpoint": "https://a\x00"}}, 422),
    (
        "anonymous",
        "POST",
        "/api/auth/login",
        {"json": {"email": "a\x00@b.c", "password": "x"}},
        422,
    ),
    ("anonymous", "POST", "/login", {"form": {"email": "a\x00@b.c", "password": "x"}}, 401),
    ("anonymous", "POST", "/login", {"form": {"email": LONG, "password": "x"}}, 401),
]


@pytest.mark.parametrize(
    "caller, method, path, request_, status",
    ONCE_500,
    ids=[f"{m} {p} {s}" for _, m, p, _, s in ONCE_500],
)
def test_what_once_gave_a_500_is_refused(app, factory, caller, method, path, request_, status):
    world = build_world(factory)
    world.objects["colleague"] = factory.practitioner(world.clinic)
    callers = Callers(app, world)
    form = request_.get("form")
    case = Case(
        caller,
        method,
        path.format(victim=world.victim.id, assignment=world.assignment.id),
        "regression",
        form=None if form is None else list(form.items()),
        body=json.dumps(request_["json"]) if "json" in request_ else None,
        query=request_.get("query", ""),
    )
    before = row_counts()
    response = callers.send(case)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if path.startswith("/api/"):
        assert_error_shape(response, case)
    assert row_counts() == before
    if status == 422 and path.startswith("/api/") and "json" in request_:
        assert "NUL" in json.dumps(response.get_json()["error"]["fields"])
