"""The patient app's push and reminder endpoints: subscribe, unsubscribe, test, preferences."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from backend.extensions import db
from backend.models import PushSubscription, ReminderPreference, User
from backend.push.standin import StandIn

SUBS = "/api/push/subscriptions"
PREFS = "/api/reminders/preferences"


@pytest.fixture
def service():
    with StandIn() as running:
        yield running


@pytest.fixture
def patient(factory):
    return factory.patient(timezone="Europe/London")


@pytest.fixture
def logged_in(api, patient):
    api.login(patient)
    return api


def owners() -> dict[str, int]:
    db.session.rollback()
    rows = db.session.execute(db.select(PushSubscription.endpoint, PushSubscription.user_id))
    return dict(rows.all())


def valid_preferences(**changes) -> dict:
    body = {
        "timezone": "America/New_York",
        "days": [1, 2, 3, 4, 5],
        "checkin_enabled": True,
        "checkin_time": "20:30",
        "homework_enabled": True,
        "homework_times": ["08:00", "18:00"],
        "sitting_breaks_enabled": True,
        "sitting_start": "09:00",
        "sitting_end": "17:30",
        "sitting_interval_minutes": 50,
        "appointment_enabled": False,
        "quiet_start": "22:00",
        "quiet_end": "07:00",
    }
    body.update(changes)
    return body


def test_the_public_key_is_a_p256_point_kept_in_the_instance_folder(app, logged_in):
    response = logged_in.get("/api/push/key")
    assert response.status_code == 200
    raw = base64.urlsafe_b64decode(response.get_json()["public_key"] + "==")
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    assert len(raw) == 65 and raw[0] == 4
    key_file = Path(app.instance_path) / "vapid_private.pem"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert logged_in.get("/api/push/key").get_json() == response.get_json()


def test_subscribing_twice_from_one_browser_keeps_one_subscription(logged_in, patient, service):
    phone = service.subscriber()
    first = logged_in.post(SUBS, json={**phone.info, "expirationTime": None})
    again = logged_in.post(SUBS, json=phone.info)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert owners() == {phone.endpoint: patient.id}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"endpoint": "https://evil.test/push/1"}, "endpoint"),
        ({"endpoint": "http://fcm.googleapis.com/fcm/send/1"}, "endpoint"),
        ({"keys": {"p256dh": "bm90LWEta2V5", "auth": "c2VjcmV0c2VjcmV0c2VjcmV0"}}, "keys.p256dh"),
        ({"keys": {"p256dh": None, "auth": "x"}}, "keys.p256dh"),
        ({"keys": {"auth": "x"}}, "keys.p256dh"),
        ({"endpoint": ""}, "endpoint"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_subscription_is_refused_with_the_field_named(logged_in, service, change, field):
    body = {**service.subscriber().info, **change}
    response = logged_in.post(SUBS, json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert field in error["fields"]
    assert owners() == {}


def test_a_bad_auth_secret_is_refused(logged_in, service):
    info = service.subscriber().info
    info["keys"]["auth"] = "c2hvcnQ"
    response = logged_in.post(SUBS, json=info)
    assert response.status_code == 422
    assert "keys.auth" in response.get_json()["error"]["fields"]


def test_loopback_endpoints_are_refused_outside_tests(app, logged_in, service):
    app.config["PUSH_ALLOW_LOOPBACK"] = False
    response = logged_in.post(SUBS, json=service.subscriber().info)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["endpoint"] == "must be an https URL"


def test_unsubscribing_removes_only_my_own_subscription(api, other_api, factory, service):
    me, someone = factory.patient(), factory.patient()
    mine, theirs = service.subscriber(), service.subscriber()
    api.login(me)
    other_api.login(someone)
    assert api.post(SUBS, json=mine.info).status_code == 201
    assert other_api.post(SUBS, json=theirs.info).status_code == 201

    response = api.delete(SUBS, json={"endpoint": theirs.endpoint})
    assert response.status_code == 204
    assert owners() == {mine.endpoint: me.id, theirs.endpoint: someone.id}

    assert api.delete(SUBS, json={"endpoint": mine.endpoint}).status_code == 204
    assert owners() == {theirs.endpoint: someone.id}


def test_a_shared_browser_moves_to_the_patient_now_logged_in(api, other_api, factory, service):
    first, second = factory.patient(), factory.patient()
    browser = service.subscriber()
    api.login(first)
    api.post(SUBS, json=browser.info)
    other_api.login(second)
    assert other_api.post(SUBS, json=browser.info).status_code == 201
    assert owners() == {browser.endpoint: second.id}


def test_an_endpoint_alone_does_not_take_over_someone_elses_subscription(
    api, other_api, factory, service
):
    owner, intruder = factory.patient(), factory.patient()
    browser, other = service.subscriber(), service.subscriber()
    api.login(owner)
    api.post(SUBS, json=browser.info)
    other_api.login(intruder)
    forged = {"endpoint": browser.endpoint, "keys": other.info["keys"]}
    response = other_api.post(SUBS, json=forged)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "subscription_conflict"
    assert owners() == {browser.endpoint: owner.id}


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "/api/push/key", None),
        (
            "post",
            SUBS,
            {"endpoint": "https://fcm.googleapis.com/x", "keys": {"p256dh": "a", "auth": "b"}},
        ),
        ("delete", SUBS, {"endpoint": "https://fcm.googleapis.com/x"}),
        ("post", "/api/push/test", None),
        ("get", PREFS, None),
        ("put", PREFS, valid_preferences()),
    ],
)
def test_push_endpoints_are_for_logged_in_patients_only(api, factory, method, path, body):
    kwargs = {} if body is None else {"json": body}
    anonymous = getattr(api, method)(path, **kwargs)
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["code"] == "login_required"
    api.login(factory.practitioner())
    practitioner = getattr(api, method)(path, **kwargs)
    assert practitioner.status_code == 403


def test_unsafe_requests_without_the_app_header_are_refused(logged_in, service):
    response = logged_in.client.post(SUBS, json=service.subscriber().info)
    assert response.status_code in (400, 403)
    assert owners() == {}


def test_the_test_button_sends_to_every_device_and_says_what_happened(logged_in, service):
    phone, laptop = service.subscriber(), service.subscriber()
    logged_in.post(SUBS, json=phone.info)
    logged_in.post(SUBS, json=laptop.info)
    service.forget(laptop)  # the laptop's browser dropped its subscription

    response = logged_in.post("/api/push/test")

    assert response.status_code == 200
    assert response.get_json() == {
        "devices": 2,
        "sent": 1,
        "removed": 1,
        "failed": 0,
        "status": "sent",
    }
    [shown] = service.payloads(phone)
    assert shown == {
        "title": "Reminders are on",
        "body": "This is how your reminders will look.",
        "url": "/app/",
        "tag": shown["tag"],
    }
    assert shown["tag"].startswith("test:")
    assert list(owners()) == [phone.endpoint]
    again = logged_in.post("/api/push/test")
    assert again.status_code == 429


def test_the_test_button_without_a_device_explains_what_to_do(logged_in):
    response = logged_in.post("/api/push/test")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "no_device"


def test_preferences_start_from_defaults_in_my_time_zone(logged_in):
    response = logged_in.get(PREFS)
    assert response.status_code == 200
    body = response.get_json()
    assert body["timezone"] == "Europe/London"
    assert body["checkin_time"] == "20:00" and body["days"] == [1, 2, 3, 4, 5, 6, 7]
    assert (body["quiet_start"], body["quiet_end"]) == ("22:00", "07:00")


def test_saved_preferences_come_back_and_set_my_time_zone(logged_in, patient):
    body = valid_preferences(days=[5, 1, 1], quiet_start=None, quiet_end=None)
    response = logged_in.put(PREFS, json=body)
    assert response.status_code == 200
    expected = {**body, "days": [1, 5]}
    assert response.get_json() == expected
    assert logged_in.get(PREFS).get_json() == expected
    db.session.rollback()
    assert db.session.get(User, patient.id).timezone == "America/New_York"
    assert db.session.get(ReminderPreference, patient.id).quiet_start is None


@pytest.mark.parametrize(
    "change, field",
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"checkin_time": "24:00"}, "checkin_time"),
        ({"checkin_time": "8:00"}, "checkin_time"),
        ({"days": [0, 8]}, "days.0"),
        ({"homework_times": ["25:00"]}, "homework_times.0"),
        ({"sitting_interval_minutes": 5}, "sitting_interval_minutes"),
        ({"sitting_start": "18:00"}, "body"),
        ({"quiet_end": None}, "body"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_bad_preferences_are_refused_with_the_field_named(logged_in, change, field):
    response = logged_in.put(PREFS, json=valid_preferences(**change))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert logged_in.get(PREFS).get_json()["timezone"] == "Europe/London"


def test_an_empty_body_is_a_400_not_a_crash(logged_in):
    response = logged_in.put(PREFS, data="not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"
