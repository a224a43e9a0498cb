"""Declare an API route with its schemas next to it: validation and OpenAPI come from them.

    @route(bp, "/checkins", methods=["POST"], body=CheckInIn, response=CheckInOut,
           status=201, role=Role.PATIENT, idempotent=True)
    def create_checkin(body: CheckInIn): ...

The view receives validated models (``body``, ``query``) and returns a model or a dict.
It adds to ``db.session`` but never commits: the route commits once, after the view,
together with the stored answer for an Idempotency-Key.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import IdempotentRequest, Role, utcnow
from ..security import check_api_csrf
from .errors import ApiError
from .fields import CLOCK_SKEW, OLDEST_ENTRY

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
ANY_USER = "any"
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


def _dump(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, list):
        return [_dump(item) for item in result]
    return result


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


def _parse_body(model: type[BaseModel]) -> BaseModel:
    data = _json_body()
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "Send a JSON object as the request body.")
    return model.model_validate(data)


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


def _stored_answer(key: str, request_hash: str):
    stored = db.session.scalar(
        select(IdempotentRequest).filter_by(user_id=current_user.id, key=key)
    )
    if stored is None:
        return None
    if stored.request_hash != request_hash:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request.",
        )
    return jsonify(stored.response), stored.status_code, {"Idempotent-Replayed": "true"}


def _run_idempotent(view: Callable, status: int, args, kwargs):
    """Run a creating view at most once per (user, Idempotency-Key)."""
    key = request.headers.get("Idempotency-Key", "")
    if not IDEMPOTENCY_KEY.match(key):
        raise ApiError(
            400,
            "idempotency_key_required",
            "Send an Idempotency-Key header (8-100 letters, digits, . _ : -).",
            {"Idempotency-Key": "required"},
        )
    request_hash = _request_hash()
    replay = _stored_answer(key, request_hash)
    if replay is not None:
        return replay
    body = _dump(view(*args, **kwargs))
    db.session.add(
        IdempotentRequest(
            user_id=current_user.id,
            key=key,
            request_hash=request_hash,
            status_code=status,
            response=body,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        # The same entry arrived twice at once; the other copy won. Answer as it did.
        db.session.rollback()
        replay = _stored_answer(key, request_hash)
        if replay is None:
            raise
        return replay
    return jsonify(body), status


def prune_answers(now: datetime | None = None) -> int:
    """Forget answers older than KEEP_ANSWERS (run by the clock). Does not commit."""
    cutoff = (now or utcnow()) - KEEP_ANSWERS
    result = db.session.execute(
        delete(IdempotentRequest)
        .where(IdempotentRequest.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def route(
    bp: Blueprint,
    rule: str,
    *,
    methods=("GET",),
    body=None,
    query=None,
    response=None,
    status: int = 200,
    role: Role | str | None = ANY_USER,
    idempotent: bool = False,
    summary: str = "",
):
    """Register ``view`` on ``bp`` with declared validation, access and OpenAPI metadata."""
    methods = list(methods)

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
        )

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            _check_role(role)
            if request.method in UNSAFE:
                check_api_csrf()
            if body is not None:
                kwargs["body"] = _parse_body(body)
            if query is not None:
                kwargs["query"] = _parse_query(query)
            if idempotent:
                return _run_idempotent(view, status, args, kwargs)
            result = view(*args, **kwargs)
            if request.method in UNSAFE:
                db.session.commit()
            if result is None:
                return "", 204
            if isinstance(result, Response):  # files, e.g. a CSV export
                return result
            return jsonify(_dump(result)), status

        wrapper.openapi = operation
        bp.add_url_rule(rule, view_func=wrapper, methods=methods)
        return wrapper

    return decorator
