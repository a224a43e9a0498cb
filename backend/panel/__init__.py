"""The practitioner panel: server-rendered pages for desktops.

The blueprint lives here; ``views`` holds the pages that read, and each job that changes
data has its own module of form routes. They are imported last so that each can import
``bp`` from here without a cycle.
"""

from flask import Blueprint

from ..mail.failures import failed_mail

bp = Blueprint("panel", __name__, url_prefix="/panel")
bp.add_app_template_global(failed_mail)

from . import (  # noqa: E402,F401  (registers the routes)
    alerts,
    course,
    exercises,
    homework,
    intake,
    invites,
    questionnaires,
    team,
    views,
)
