"""The practitioner panel: server-rendered pages for desktops.

The blueprint lives here; ``views`` holds the pages that read, and each job that changes
data has its own module of form routes. They are imported last so that each can import
``bp`` from here without a cycle.
"""

from flask import Blueprint

from ..database import writes_on_get
from ..mail.failures import failed_mail

bp = Blueprint("panel", __name__, url_prefix="/panel")
bp.add_app_template_global(failed_mail)
# Every panel page records who read what in the audit log: a GET writes too, so it takes
# SQLite's write lock when it begins, not after its reads (which fails with "database is
# locked" when another worker wrote in between).
writes_on_get(bp.name)

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
