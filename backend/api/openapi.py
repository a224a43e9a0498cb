"""The OpenAPI 3.1 document, built from the schemas declared on each route."""

from __future__ import annotations

import re

from flask import Flask
from pydantic import BaseModel

from ..database import MAX_ID
from ..models import Role
from ..security import API_HEADER
from .routing import IDEMPOTENCY_KEY, JSON, OPERATIONS, UNSAFE, Operation

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}
PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _schema_ref(model: type[BaseModel], components: dict) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_schema(schema: dict) -> dict:
    """A query parameter's schema: an optional one is simply left out, never ``null``."""
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        schema = {**options[0], **rest}
    if schema.get("default", 0) is None:
        schema = {k: v for k, v in schema.items() if k != "default"}
    return schema


def _responses(op: Operation, components: dict) -> dict:
    if op.status == 204:
        ok: dict = {"description": "No Content"}
    elif op.produces != JSON:
        ok = {
            "description": "A download",
            "content": {op.produces: {"schema": {"type": "string"}}},
        }
    else:
        assert op.response is not None  # route() allows no JSON answer without a model
        ok = {
            "description": "OK" if op.status == 200 else "Created",
            "content": {JSON: {"schema": _schema_ref(op.response, components)}},
        }
    error = {
        "description": "The request was refused; the error says why",
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    return {str(op.status): ok, "4XX": error}


def _operation(op: Operation, method: str, params: list[dict], components: dict) -> dict:
    out: dict = {"summary": op.summary, "tags": op.tags, "parameters": list(params)}
    if op.query is not None:
        properties = op.query.model_json_schema()["properties"]
        for name, info in op.query.model_fields.items():
            out["parameters"].append(
                {
                    "name": name,
                    "in": "query",
                    "required": info.is_required(),
                    "schema": _query_schema(properties[name]),
                }
            )
    if method in UNSAFE:
        out["parameters"].append(
            {
                "name": API_HEADER[0],
                "in": "header",
                "required": True,
                "description": "Proves the request comes from a page of this site (CSRF)",
                "schema": {"type": "string", "const": API_HEADER[1]},
            }
        )
    if op.idempotent:
        out["parameters"].append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY.pattern},
            }
        )
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": _schema_ref(op.body, components)}},
        }
    out["responses"] = _responses(op, components)
    out["security"] = [] if op.role is None else [{"session": []}]
    if isinstance(op.role, Role):
        out["description"] = f"For {op.role.value}s only."
    return out


def _path_parameter(converter: str | None, name: str) -> dict:
    if converter == "int":
        schema: dict = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    else:  # Werkzeug's default converter: one path segment
        schema = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def build(app: Flask) -> dict:
    components: dict = {"Error": ERROR_SCHEMA}
    paths: dict = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op = OPERATIONS.get(view) if view else None
        if op is None:
            continue
        path = PATH_PARAM.sub(r"{\2}", rule.rule)
        params = [_path_parameter(conv, name) for conv, name in PATH_PARAM.findall(rule.rule)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(op, method, params, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Between API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "between_session"}
            },
        },
    }
