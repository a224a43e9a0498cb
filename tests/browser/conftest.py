"""Real headless Chromium against the app served on loopback.

Debian's chromium, driven by Playwright for Python. The app runs in a thread of this
process on SQLite, so tests can seed data with the ``factory`` inside ``live.app_context()``.
"""

from __future__ import annotations

import os
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.conftest import Factory, make_app, reset_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)

    def app_context(self):
        return self.app.app_context()


@pytest.fixture
def live(tmp_path):
    """The app on a free loopback port, with an empty SQLite database."""
    app = make_app(f"sqlite:///{tmp_path / 'live.sqlite3'}", tmp_path / "instance")
    reset_database(app)
    app.config["PUBLIC_URL"] = "http://127.0.0.1"  # fixed below once the port is known
    server = LiveServer(app)
    app.config["PUBLIC_URL"] = server.url
    server.start()
    yield server
    server.stop()


@pytest.fixture
def seed(live):
    """A Factory bound to the live app: ``seed.patient()`` etc."""
    with live.app_context():
        yield Factory()


@pytest.fixture(scope="session")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: run the test command `bash tests/run` (it installs "
            "Debian's chromium) or `sudo apt-get install -y chromium`",
            pytrace=False,
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def context(chromium, live):
    """A fresh browser profile at phone size (360 px wide)."""
    context = chromium.new_context(
        base_url=live.url,
        viewport={"width": 360, "height": 780},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield context
    context.close()


@pytest.fixture
def desktop(chromium, live):
    """A fresh browser profile at desktop size, for the practitioner panel."""
    context = chromium.new_context(base_url=live.url, viewport={"width": 1366, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    yield page
    page.close()


# ---- Patient app (tests/browser/test_patient*.py) ----------------------------------------


@pytest.fixture
def patient_world(seed):
    """A patient mid-course: 5 of 10 sessions done, one coming up, two exercises assigned,
    the start questionnaire answered and the mid-course one (halfway through the 4 weeks)
    due today."""
    from datetime import timedelta

    from backend.course.questionnaires import seed_questionnaires
    from backend.extensions import db
    from backend.homework.library import seed_library
    from backend.models import (
        Appointment,
        AppointmentStatus,
        Course,
        Exercise,
        Questionnaire,
        QuestionnaireResponse,
        utcnow,
    )

    practitioner = seed.practitioner(display_name="Dr Rivera")
    patient = seed.patient(practitioner, display_name="Maya Chen")
    seed_library()
    seed_questionnaires()
    db.session.commit()
    course = Course(
        patient_id=patient.id,
        practitioner_id=practitioner.id,
        planned_sessions=10,
        weeks=4,
        start_date=utcnow().date() - timedelta(days=14),
    )
    db.session.add(course)
    db.session.flush()
    for n in range(5):
        db.session.add(
            Appointment(
                patient_id=patient.id,
                course_id=course.id,
                starts_at=utcnow() - timedelta(days=2 * n + 1),
                status=AppointmentStatus.ATTENDED,
            )
        )
    db.session.add(
        Appointment(
            patient_id=patient.id, course_id=course.id, starts_at=utcnow() + timedelta(days=1)
        )
    )
    db.session.commit()
    sbi = db.session.query(Questionnaire).filter_by(slug="sbi", clinic_id=None).one()
    db.session.add(
        QuestionnaireResponse(  # answered at the first session
            questionnaire_id=sbi.id,
            patient_id=patient.id,
            timepoint="start",
            score=18,
            answers={"leg_pain": 5, "numbness_tingling": 4, "weakness": 3, "sitting_pain": 6},
            completed_at=utcnow() - timedelta(days=14),
        )
    )
    db.session.commit()
    exercises = {e.slug: e for e in db.session.query(Exercise).filter_by(clinic_id=None)}
    assignments = [
        seed.assignment(patient, exercises["piriformis-stretch"]),
        seed.assignment(patient, exercises["walking-break"]),
    ]
    return {
        "patient": patient,
        "practitioner": practitioner,
        "course": course,
        "assignments": assignments,
    }
