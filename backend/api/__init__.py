"""The JSON API under /api/: its error shape, declared routes and OpenAPI document."""

from flask import Blueprint, current_app, jsonify

from . import openapi
from .errors import ApiError, error_response
from .routing import ANY_USER, route

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.build(current_app))


__all__ = ["bp", "route", "ApiError", "error_response", "ANY_USER"]
