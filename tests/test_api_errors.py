"""One error shape for every failure of the JSON API, and no 500 for any input."""

import pytest

from backend.api import errors
from tests.conftest import ApiClient, checkin_body, new_key

GARBAGE = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"text"',
    b"12",
    b'{"a": 1}',
    b'{"leg_pain": 1e999}',
    b'{"leg_pain": 99999999999999999999999}',
    b'{"note": "\\ud800"}',
    b"[" * 5000 + b"]" * 5000,
    '{"n": "\u00e9\u2603"}'.encode(),
    b'{"red_flags": []}',
    b'{"locations": "buttock"}',
    b"\xff\xfe\x00",
]


def assert_error_shape(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    if code:
        assert body["error"]["code"] == code


def test_unknown_api_address_is_a_json_404(api):
    assert_error_shape(api.get("/api/nothing-here"), 404, "not_found")


def test_wrong_method_is_a_json_405_with_allow(api, factory):
    response = api.put("/api/checkins", json={})
    assert_error_shape(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_anonymous_callers_are_asked_to_log_in(api):
    assert_error_shape(api.get("/api/checkins"), 401, "login_required")


def test_practitioners_cannot_use_patient_endpoints(api, factory):
    api.login(factory.practitioner())
    assert_error_shape(api.get("/api/checkins"), 403, "forbidden")


@pytest.fixture
def patient_api(api, factory):
    api.login(factory.patient())
    return api


def test_a_body_that_is_not_json_is_a_400(patient_api):
    response = patient_api.client.post(
        "/api/checkins",
        data="leg_pain=3",
        headers={
            "X-Requested-With": "between",
            "Idempotency-Key": new_key(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert_error_shape(response, 400)


def test_state_changes_need_the_api_header(patient_api):
    response = patient_api.client.post(
        "/api/checkins", json=checkin_body(), headers={"Idempotency-Key": new_key()}
    )
    assert_error_shape(response, 403, "forbidden")


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_cross_site_state_changes_are_refused(patient_api, headers):
    response = patient_api.post(
        "/api/checkins", json=checkin_body(), key=new_key(), headers=headers
    )
    assert_error_shape(response, 403)


def test_same_origin_requests_from_the_app_pass(patient_api):
    response = patient_api.post(
        "/api/checkins",
        json=checkin_body(),
        key=new_key(),
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 201


def test_a_huge_body_is_a_json_413(patient_api):
    response = patient_api.post(
        "/api/checkins", json=checkin_body(note="x" * 2_000_000), key=new_key()
    )
    assert_error_shape(response, 413)


def test_an_unexpected_failure_is_a_json_500_and_saves_nothing(patient_api, monkeypatch):
    from backend.checkins import api as checkins_api

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(checkins_api, "answered_yes", broken)  # after the row is written
    response = patient_api.post("/api/checkins", json=checkin_body(), key=new_key())
    assert_error_shape(response, 500, "internal_error")
    monkeypatch.undo()
    assert patient_api.get("/api/checkins").get_json()["items"] == []


def _api_requests(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for ident in ("1", "999999999999999999999"):
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<int:{arg}>", ident).replace(f"<{arg}>", ident)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                yield method, path


def test_no_input_gives_a_500(app, factory):
    """Every API route, as each kind of user, with every kind of garbage body."""
    callers = [None, factory.patient(), factory.practitioner()]
    for user in callers:
        api = ApiClient(app.test_client())
        if user:
            api.login(user)
        for method, path in _api_requests(app):
            if path == "/api/auth/logout":
                continue  # would end this caller's session mid-loop
            bodies = GARBAGE if method in ("POST", "PUT", "PATCH", "DELETE") else [b""]
            for body in bodies:
                response = api.client.open(
                    path,
                    method=method,
                    data=body,
                    headers={
                        "X-Requested-With": "between",
                        "Content-Type": "application/json",
                        "Idempotency-Key": new_key(),
                    },
                )
                assert response.status_code < 500, (method, path, body[:40], response.data[:200])
                if response.status_code >= 400:
                    assert_error_shape(response, response.status_code)


def test_openapi_document_describes_every_api_route(api, app):
    doc = api.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    described = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.rule != "/api/openapi.json":
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method.lower()) in described, (path, method)
    checkin = doc["paths"]["/api/checkins"]["post"]
    schema = doc["components"]["schemas"][
        checkin["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    ]
    leg = schema["properties"]["leg_pain"]  # optional when a red flag is sent alone
    assert any(part.get("maximum") == 10 for part in leg.get("anyOf", [leg]))
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in checkin["parameters"])


def test_openapi_document_says_what_each_route_answers(api):
    doc = api.get("/api/openapi.json").get_json()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            success = [code for code in op["responses"] if code.startswith("2")]
            assert len(success) == 1, (path, method)
            answer = op["responses"][success[0]]
            # 204 has no body; every other answer says what its body is.
            assert ("content" in answer) is (success[0] != "204"), (path, method)
    for path, method in [
        ("/api/auth/logout", "post"),
        ("/api/push/subscriptions", "delete"),
    ]:
        assert list(doc["paths"][path][method]["responses"]) == ["204", "4XX"]
    # Closing the app account answers with the patient's copy of their data.
    closing = doc["paths"]["/api/me"]["delete"]["responses"]["200"]["content"]
    assert closing["application/json"]["schema"]["$ref"] == "#/components/schemas/ExportOut"
    for path, model in [("/api/today", "TodayOut"), ("/api/progress", "ProgressOut")]:
        schema = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        assert schema["schema"]["$ref"] == f"#/components/schemas/{model}"
    csv = doc["paths"]["/api/export.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv) == ["text/csv"]


def test_openapi_parameters_have_their_real_types(api):
    doc = api.get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/api/checkins"]["get"]["parameters"]}
    assert params["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "default": 100,
        "title": "Limit",
    }
    assert params["since"]["schema"]["type"] == "string"
    assert params["since"]["schema"]["format"] == "date"
    assert not params["since"]["required"]
    one = doc["paths"]["/api/checkins/{checkin_id}"]["get"]["parameters"]
    assert one[0]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_a_json_answer_without_a_declared_model_is_refused_when_declared():
    from flask import Blueprint

    from backend.api import route

    with pytest.raises(TypeError):
        route(Blueprint("x", __name__), "/x", status=200)


def test_a_boolean_is_no_integer_in_any_json_body(patient_api):
    """JSON bodies are read by their JSON types, as the OpenAPI document declares them."""
    response = patient_api.put(
        "/api/reminders/preferences",
        json={
            "timezone": "Europe/London",
            "days": [True, 2],
            "checkin_enabled": True,
            "checkin_time": "20:00",
            "homework_enabled": True,
            "homework_times": ["09:00"],
            "sitting_breaks_enabled": False,
            "sitting_start": "09:00",
            "sitting_end": "17:00",
            "sitting_interval_minutes": 60,
            "appointment_enabled": True,
        },
    )
    assert_error_shape(response, 422, "invalid")
    assert "days.0" in response.get_json()["error"]["fields"]


def test_validation_errors_name_each_field(patient_api):
    body = {"leg_pain": 12, "back_pain": "x", "red_flags": {"fever": "maybe"}}
    response = patient_api.post("/api/checkins", json=body, key=new_key())
    assert_error_shape(response, 422, "invalid")
    fields = response.get_json()["error"]["fields"]
    assert {"leg_pain", "back_pain", "red_flags.fever"} <= set(fields)


def test_error_helper_shape():
    with pytest.raises(errors.ApiError) as raised:
        raise errors.ApiError(409, "conflict", "Already there", {"x": "taken"})
    assert raised.value.fields == {"x": "taken"}
