"""Declare an API route with its schemas next to it: validation and OpenAPI come from them.

    @route(bp, "/checkins", methods=["POST"], body=CheckInIn, response=CheckInOut,
           status=201, role=Role.PATIENT, idempotent=True)
    def create_checkin(body: CheckInIn): ...

The view receives validated models (``body``, ``query``) and returns its ``response`` model
(a dict is checked against it), a ``Response`` for a download, or None for 204 No Content
(a route that declares no response model). It adds to ``db.session`` but never commits: the
route commits once, after the view, together with the stored answer for an Idempotency-Key.

A JSON body is read strictly by its JSON types: ``false`` is no integer and ``"5"`` no number,
as the OpenAPI document says (query strings are text and are converted).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Blueprint, Response, current_app, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError
from sqlalchemy import Text, bindparam, delete, insert, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from ..database import end_reads, reads_first
from ..extensions import db
from ..models import IdempotentRequest, Role, utcnow
from ..security import check_api_csrf
from .errors import ApiError
from .fields import CLOCK_SKEW, OLDEST_ENTRY

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
ANY_USER = "any"
JSON = "application/json"
# How long an Idempotency-Key's answer is kept. The patient app keeps a queued entry until
# the server takes it, however long that is, but every entry it sends carries the time it
# was made, and the API refuses entries made more than OLDEST_ENTRY (60 days) ago. The first
# copy was stored after the entry was made, so once its answer is older than 60 days no
# replay of it can be accepted again (a phone clock running fast is allowed CLOCK_SKEW);
# a month more is margin.
KEEP_ANSWERS = OLDEST_ENTRY + CLOCK_SKEW + timedelta(days=30)


@dataclass
class Operation:
    """What OpenAPI needs to know about one route."""

    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    role: Role | str | None
    idempotent: bool
    tags: list[str] = field(default_factory=list)
    produces: str = JSON  # a download's media type, e.g. text/csv


# Each declared view function's operation, for the OpenAPI document.
OPERATIONS: dict[Callable, Operation] = {}


def _answer(operation: Operation, result: Any) -> str | None:
    """The view's result as JSON text, checked against the declared response model.

    Pydantic writes the JSON itself (in compiled code): a page of check-ins is not turned
    into Python dicts first and then encoded again."""
    if operation.response is None:
        if result is not None:
            raise TypeError(f"{operation.summary!r} declares no response model (204)")
        return None
    return operation.response.model_validate(result).model_dump_json()


def _json_response(text: str, status: int) -> Response:
    return current_app.response_class(text, status=status, mimetype=JSON)


def _check_role(role: Role | str | None) -> None:
    if role is None:
        return
    if not current_user.is_authenticated:
        raise ApiError(401, "login_required", "Please log in.")
    if role != ANY_USER and current_user.role is not role:
        raise ApiError(403, "forbidden", "This is not available to your account.")


def _json_body():
    """The request's JSON, or None when it is missing or unreadable (nested too deep too)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def _json_object() -> dict:
    """The request's JSON object, or the client's error for anything else."""
    data = _json_body()
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "Send a JSON object as the request body.")
    return data


def _parse_body(model: type[BaseModel]) -> BaseModel:
    data = _json_object()
    # Strict JSON mode: each value must have its schema's JSON type (a date is still ISO text).
    return model.model_validate_json(json.dumps(data), strict=True)


def _parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise ApiError(
            400,
            "invalid_query",
            "Some query parameters need another look.",
            {".".join(map(str, e["loc"])): e["msg"] for e in exc.errors()},
        ) from exc


def _request_hash() -> str:
    body = _json_body()
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


# Built once: a replay is answered from these three columns, with no ORM object made.
STORED_ANSWER = select(
    IdempotentRequest.request_hash,
    IdempotentRequest.status_code,
    sql_cast(IdempotentRequest.response, Text).label("response"),  # sent as stored, as JSON text
).where(
    IdempotentRequest.user_id == bindparam("user_id"), IdempotentRequest.key == bindparam("key")
)


def _stored_answer(key: str, request_hash: str):
    stored = db.session.execute(STORED_ANSWER, {"user_id": current_user.id, "key": key}).first()
    if stored is None:
        return None
    if stored.request_hash != request_hash:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request.",
        )
    replay = _json_response(stored.response, stored.status_code)
    replay.headers["Idempotent-Replayed"] = "true"
    return replay


def _parse_input(operation: Operation, kwargs: dict) -> None:
    """The view's validated ``body`` and ``query`` models."""
    if operation.body is not None:
        kwargs["body"] = _parse_body(operation.body)
    if operation.query is not None:
        kwargs["query"] = _parse_query(operation.query)


def _run_idempotent(view: Callable, operation: Operation, args, kwargs):
    """Run a creating view at most once per (user, Idempotency-Key).

    A replay is answered before the body is validated: the stored answer belongs to a body
    that was valid, and the hash proves this one is the same."""
    if operation.body is not None:
        _json_object()  # not even JSON: that error first, as for any other route
    key = request.headers.get("Idempotency-Key", "")
    if not IDEMPOTENCY_KEY.match(key):
        raise ApiError(
            400,
            "idempotency_key_required",
            "Send an Idempotency-Key header (8-100 letters, digits, . _ : -).",
            {"Idempotency-Key": "required"},
        )
    request_hash = _request_hash()
    replay = _stored_answer(key, request_hash)  # a replay only reads (reads_first)
    if replay is not None:
        return replay
    _parse_input(operation, kwargs)
    # A copy of this request that raced us since this read is caught by the unique key at
    # commit below.
    end_reads()
    status = operation.status
    text = _answer(operation, view(*args, **kwargs))
    try:
        # One row, through Core as the check-in itself (checkins/api.py); a copy that won
        # the race has the same key: the unique index refuses this one.
        db.session.connection().execute(
            insert(IdempotentRequest),
            {
                "user_id": current_user.id,
                "key": key,
                "request_hash": request_hash,
                "status_code": status,
                "response": json.loads(text) if text is not None else None,
            },
        )
        db.session.commit()
    except IntegrityError:
        # The same entry arrived twice at once; the other copy won. Answer as it did.
        db.session.rollback()
        replay = _stored_answer(key, request_hash)
        if replay is None:
            raise
        return replay
    return _json_response(text, status) if text is not None else ("", status)


def prune_answers(now: datetime | None = None) -> int:
    """Forget answers older than KEEP_ANSWERS (run by the clock). Does not commit."""
    cutoff = (now or utcnow()) - KEEP_ANSWERS
    result = db.session.execute(
        delete(IdempotentRequest)
        .where(IdempotentRequest.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult, result).rowcount  # a DELETE gives a CursorResult


def route(
    bp: Blueprint,
    rule: str,
    *,
    methods=("GET",),
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int | None = None,
    produces: str = JSON,
    role: Role | str | None = ANY_USER,
    idempotent: bool = False,
    summary: str = "",
):
    """Register ``view`` on ``bp`` with declared validation, access and OpenAPI metadata.

    ``response`` is the model of the JSON answer (200, or ``status``); a route without one
    answers 204 No Content. ``produces`` names a download's media type (the view returns a
    ``Response``).
    """
    methods = list(methods)
    no_content = response is None and produces == JSON
    if status is None:
        status = 204 if no_content else 200
    if (status == 204) != no_content:
        raise TypeError(f"{rule}: a JSON answer needs a response model; 204 has none")

    def decorator(view: Callable):
        operation = Operation(
            summary or (view.__doc__ or "").strip().split("\n")[0],
            body,
            query,
            response,
            status,
            role,
            idempotent,
            [bp.name],
            produces,
        )

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            _check_role(role)
            if request.method in UNSAFE:
                check_api_csrf()
            if idempotent:
                return _run_idempotent(view, operation, args, kwargs)
            _parse_input(operation, kwargs)
            result = view(*args, **kwargs)
            if request.method in UNSAFE:
                db.session.commit()
            if isinstance(result, Response):  # a download: the CSV or JSON export
                return result
            text = _answer(operation, result)
            return ("", 204) if text is None else _json_response(text, status)

        OPERATIONS[wrapper] = operation
        bp.add_url_rule(rule, view_func=wrapper, methods=methods)
        if idempotent:
            reads_first(f"{bp.name}.{wrapper.__name__}")
        return wrapper

    return decorator
