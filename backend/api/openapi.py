"""The OpenAPI 3.1 document, built from the schemas declared on each route."""

from __future__ import annotations

import re

from flask import Flask
from pydantic import BaseModel

from ..models import Role
from .routing import OPERATIONS, Operation

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


def _operation(op: Operation, params: list[dict], components: dict) -> dict:
    out: dict = {"summary": op.summary, "tags": op.tags, "parameters": list(params)}
    if op.query is not None:
        for name, info in op.query.model_fields.items():
            out["parameters"].append(
                {
                    "name": name,
                    "in": "query",
                    "required": info.is_required(),
                    "schema": {"type": "string"},
                }
            )
    if op.idempotent:
        out["parameters"].append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{8,100}$"},
            }
        )
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_ref(op.body, components)}},
        }
    ok: dict = {"description": "OK"}
    if op.response is not None:
        ok["content"] = {"application/json": {"schema": _schema_ref(op.response, components)}}
    error = {
        "description": "Error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    out["responses"] = {str(op.status): ok, "4XX": error}
    out["security"] = [] if op.role is None else [{"session": []}]
    if isinstance(op.role, Role):
        out["description"] = f"For {op.role.value}s only."
    return out


def build(app: Flask) -> dict:
    components: dict = {"Error": ERROR_SCHEMA}
    paths: dict = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op = OPERATIONS.get(view) if view else None
        if op is None:
            continue
        path = PATH_PARAM.sub(r"{\2}", rule.rule)
        params = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if conv == "int" else "string"},
            }
            for conv, name in PATH_PARAM.findall(rule.rule)
        ]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(op, params, components)
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
