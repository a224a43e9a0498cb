"""The practitioner's browser: "Notify me in this browser" subscribes it, and a red flag then
arrives there as a notification with no health data (the panel's own service worker)."""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from backend.extensions import db
from backend.models import OutboxMessage, PushSubscription
from tests.browser.test_panel import API_HEADERS, clinic, log_in, patient_api  # noqa: F401
from tests.browser.test_patient_push import STUB


def test_a_practitioner_allows_alerts_in_the_browser_and_a_red_flag_shows_there(
    desktop,
    chromium,
    live,
    clinic,  # noqa: F811
):
    practitioner, patient = clinic
    desktop.add_init_script(STUB)
    desktop.grant_permissions(["notifications"], origin=live.url)
    page = desktop.new_page()
    log_in(page, practitioner)
    page.get_by_role("button", name="Notify me in this browser").click()
    page.get_by_text("Alerts come to this browser too.").wait_for()
    with live.app_context():
        sub = db.session.scalar(select(PushSubscription))
        assert sub.user_id == practitioner.id

    phone = patient_api(chromium, live, patient)
    answer = phone.request.post(
        "/api/checkins",
        headers={**API_HEADERS, "Idempotency-Key": "panel-push-test-1"},
        data={"red_flags": {"both_legs": True}},
    )
    assert answer.status == 201, answer.text()
    phone.close()
    with live.app_context():
        db.session.remove()
        message = db.session.scalar(select(OutboxMessage).filter_by(user_id=practitioner.id))
        payload = message.payload
    assert message.kind == "clinic_alert" and message.urgency == "high"
    assert "Maya" not in json.dumps(payload) and "legs" not in json.dumps(payload)

    # The push service's delivery, as DevTools gives it to the panel's worker.
    cdp = desktop.new_cdp_session(page)
    registrations = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if any(r["scopeURL"].endswith("/panel/") for r in registrations):
            break
        page.wait_for_timeout(100)
    [registration] = [r for r in registrations if r["scopeURL"].endswith("/panel/")][:1]
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live.url,
            "registrationId": registration["registrationId"],
            "data": json.dumps(payload),
        },
    )
    shown = []
    deadline = time.monotonic() + 8
    while not shown and time.monotonic() < deadline:
        shown = page.evaluate("""() => navigator.serviceWorker.getRegistration('/panel/')
            .then(r => r.getNotifications()).then(list => list.map(n => n.title))""")
        page.wait_for_timeout(100)
    assert shown == ["Between: a patient needs your attention"]
