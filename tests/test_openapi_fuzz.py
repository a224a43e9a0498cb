"""Schemathesis against the API, as a logged-in patient: the OpenAPI document tells the truth.

Stateless: for every operation in /api/openapi.json, requests generated from its schema
(valid ones, and invalid ones that must be refused with a 4XX) go to the app; each answer
must not be a 5XX, and its status, media type, headers and body must be the ones the
document declares. Seeded (derandomized), so a failure reproduces; bounded to about a minute.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.course.questionnaires import seed_questionnaires
from backend.extensions import db
from backend.homework.library import seed_library
from backend.models import Appointment, Course, utcnow
from tests.conftest import PASSWORD

CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Some twenty operations, valid and invalid requests, on both databases: about a minute.
EXAMPLES_PER_OPERATION = 20


@pytest.fixture
def patient_session(app, factory) -> dict[str, str]:
    """A patient mid-course, with entries, homework and questionnaires; their session cookie."""
    seed_library()
    seed_questionnaires()
    db.session.commit()
    practitioner = factory.practitioner()
    patient = factory.patient(practitioner)
    course = Course(
        patient_id=patient.id,
        practitioner_id=practitioner.id,
        planned_sessions=8,
        weeks=4,
        start_date=utcnow().date() - timedelta(days=10),
    )
    db.session.add(course)
    db.session.flush()
    db.session.add(
        Appointment(
            patient_id=patient.id, course_id=course.id, starts_at=utcnow() + timedelta(days=1)
        )
    )
    db.session.commit()
    factory.assignment(patient)
    for days_ago in range(10):
        factory.checkin(patient, recorded_at=utcnow() - timedelta(days=days_ago))
    client = app.test_client()
    response = client.post(
        "/api/auth/login",
        json={"email": patient.email, "password": PASSWORD},
        headers={"X-Requested-With": "between"},
    )
    assert response.status_code == 200
    cookie = client.get_cookie("between_session")
    assert cookie is not None
    return {"between_session": cookie.value}


def test_the_api_answers_as_its_openapi_document_says(app, patient_session):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: list[str] = []
    operations = calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/auth/logout":
            continue  # would end the session the other operations run in
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(mode, cookies=patient_session))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],  # no shrinking: report, don't minimise
            )
            def check(case):
                nonlocal calls
                calls += 1
                case.call_and_validate(checks=CHECKS)

            try:
                check()
            except Unsatisfiable:  # nothing to make invalid: an operation without inputs
                assert mode is GenerationMode.NEGATIVE and not operation.body, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # one failure must not hide another
                failures.append(f"{operation.label} ({mode}): {exc}")
    print(f"schemathesis: {operations} operations, {calls} calls")
    assert operations >= 20 and calls >= operations * EXAMPLES_PER_OPERATION, (operations, calls)
    assert not failures, "\n\n".join(failures)
