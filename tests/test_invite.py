"""A practitioner invites a patient: a one-time, expiring link where they set a password."""

from datetime import timedelta

from sqlalchemy import select

from backend.auth import service
from backend.extensions import db
from backend.models import Invite, User, utcnow
from tests.conftest import ApiClient


def _invite(factory, app):
    practitioner = factory.practitioner()
    patient = factory.patient(practitioner, password_hash=None)
    with app.test_request_context():
        token = service.create_invite(patient, practitioner)
        db.session.commit()
    return patient, token


def test_invite_link_lets_the_patient_set_a_password_once(app, api, factory):
    patient, token = _invite(factory, app)
    response = api.post(
        "/api/invites/accept", json={"token": token, "password": "a new long password"}
    )
    assert response.status_code == 200 and response.get_json()["id"] == patient.id
    assert api.get("/api/me").status_code == 200
    again = ApiClient(app.test_client()).post(
        "/api/invites/accept", json={"token": token, "password": "another password"}
    )
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "invite_invalid"


def test_only_a_hash_of_the_invite_token_is_stored(app, factory):
    _, token = _invite(factory, app)
    stored = db.session.scalar(select(Invite))
    assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_an_expired_invite_does_not_work(app, api, factory):
    patient, token = _invite(factory, app)
    db.session.scalar(select(Invite)).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = api.post("/api/invites/accept", json={"token": token, "password": "long enough pw"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, patient.id).password_hash is None


def test_a_new_invite_revokes_the_old_link(app, api, factory):
    patient, first = _invite(factory, app)
    with app.test_request_context():
        second = service.create_invite(patient, db.session.get(User, patient.practitioner_id))
        db.session.commit()
    assert (
        api.post(
            "/api/invites/accept", json={"token": first, "password": "long enough pw"}
        ).status_code
        == 404
    )
    assert (
        api.post(
            "/api/invites/accept", json={"token": second, "password": "long enough pw"}
        ).status_code
        == 200
    )


def test_a_short_password_is_refused_with_the_field_named(app, api, factory):
    _, token = _invite(factory, app)
    response = api.post("/api/invites/accept", json={"token": token, "password": "short"})
    assert response.status_code == 422
    assert "password" in response.get_json()["error"]["fields"]


def test_invite_page_works_without_javascript(app, api, factory):
    patient, token = _invite(factory, app)
    page = api.client.get(f"/invite/{token}")
    assert page.status_code == 200 and patient.display_name in page.get_data(as_text=True)
    csrf = api.form_token(f"/invite/{token}")
    mismatch = api.client.post(
        f"/invite/{token}",
        data={"password": "long enough pw", "confirm": "other", "csrf_token": csrf},
    )
    assert mismatch.status_code == 422
    done = api.client.post(
        f"/invite/{token}",
        data={"password": "long enough pw", "confirm": "long enough pw", "csrf_token": csrf},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/app/"
    assert api.client.get(f"/invite/{token}").status_code == 404


def test_invite_url_uses_the_public_address(app, factory):
    with app.test_request_context():
        assert service.invite_url("abc") == "http://localhost/invite/abc"
