"""One error shape for the whole JSON API: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from ..extensions import db

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raise from a route to answer with a JSON error."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, fields: dict | None = None, headers=None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return jsonify(body), status, headers or {}


def validation_fields(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors as {"field.path": "what is wrong"}, the first message per field."""
    fields: dict[str, str] = {}
    for err in exc.errors():
        path = ".".join(str(part) for part in err["loc"]) or "body"
        fields.setdefault(path, err["msg"])
    return fields


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"
    )


def _code_for(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def on_api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @app.errorhandler(ValidationError)
    def on_validation_error(exc: ValidationError):
        return error_response(
            422, "invalid", "Some fields need another look.", validation_fields(exc)
        )

    @app.errorhandler(HTTPException)
    def on_http_error(exc: HTTPException):
        if not wants_json():
            return exc
        headers = {}
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            headers["Retry-After"] = str(retry_after)
        message = exc.description or exc.name
        return error_response(exc.code or 500, _code_for(exc), message, None, headers)

    @app.errorhandler(Exception)
    def on_unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not wants_json():
            return InternalServerError()
        return error_response(
            500, "internal_error", "Something went wrong on our side; nothing was saved."
        )
