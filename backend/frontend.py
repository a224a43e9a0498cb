"""Serves the patient app (the static PWA in ``frontend/``) under /app/."""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("frontend", __name__)


@bp.get("/app/")
@bp.get("/app/<path:path>")
def app_file(path: str = "index.html"):
    response = send_from_directory(current_app.config["FRONTEND_DIR"], path)
    if path in ("index.html", "sw.js", "manifest.webmanifest"):
        # The shell and the worker must be re-checked on every load, or updates never arrive.
        response.headers["Cache-Control"] = "no-cache"
    return response
