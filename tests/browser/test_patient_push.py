"""Push in real Chromium: subscribing from Settings, a push shown by the service worker, and
a tap on it opening the check-in.

Headless Chromium has no push service, so ``pushManager.subscribe`` is stubbed to return a
subscription on loopback (see TECH-NOTES); the push itself is a real push event delivered
by DevTools ``ServiceWorker.deliverPushMessage``.
"""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from backend.extensions import db
from backend.models import PushSubscription
from tests.browser.test_patient_app import log_in, wait_for_worker

ENDPOINT = "http://127.0.0.1:9/push/between-test-device"
P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
AUTH = "tBHItJI5svbpez7KI4CCXg"

STUB = f"""(() => {{
  if (typeof PushManager === 'undefined') return;
  const fake = {{endpoint: {json.dumps(ENDPOINT)}, expirationTime: null, options: {{}},
    getKey() {{ return null; }},
    toJSON() {{ return {{endpoint: this.endpoint, expirationTime: null,
                       keys: {{p256dh: {json.dumps(P256DH)}, auth: {json.dumps(AUTH)}}}}}; }},
    unsubscribe() {{ window.__subscribed = false; return Promise.resolve(true); }}}};
  PushManager.prototype.subscribe = function () {{ window.__subscribed = true; return Promise.resolve(fake); }};
  PushManager.prototype.getSubscription = function () {{
    return Promise.resolve(window.__subscribed ? fake : null); }};
}})();"""


def test_a_push_shows_a_notification_and_a_tap_opens_the_checkin(
    live, context, page, patient_world
):
    context.add_init_script(STUB)
    context.grant_permissions(["notifications"], origin=live.url)
    log_in(page, patient_world["patient"])
    wait_for_worker(page)

    page.goto("/app/#/settings")
    page.get_by_role("button", name="Turn reminders on").click()
    page.get_by_text("Reminders are on for this phone.").wait_for()
    with live.app_context():
        sub = db.session.scalar(select(PushSubscription))
        assert sub.endpoint == ENDPOINT and sub.user_id == patient_world["patient"].id

    # A real push event, through DevTools.
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):  # Playwright delivers CDP events only while it is waiting
        if registrations:
            break
        page.wait_for_timeout(100)
    assert registrations
    registration_id = registrations[0]["registrationId"]
    payload = {
        "title": "Time for your check-in",
        "body": "How is your leg today?",
        "url": "/app/#/checkin",
        "tag": "checkin:q0mvYk1xW2hZ3pJa",  # one reminder's own tag (its occurrence)
    }
    page.goto("/app/#/")
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live.url, "registrationId": registration_id, "data": json.dumps(payload)},
    )
    shown = []
    deadline = time.monotonic() + 8
    while not shown and time.monotonic() < deadline:
        shown = page.evaluate("""() => navigator.serviceWorker.ready
            .then(r => r.getNotifications())
            .then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url,
                                          actions: n.actions.map(a => a.action)})))""")
        page.wait_for_timeout(100)
    assert shown == [
        {
            "title": "Time for your check-in",
            "body": "How is your leg today?",
            "tag": "checkin:q0mvYk1xW2hZ3pJa",
            "url": "/app/#/checkin",
            "actions": ["checkin"],
        }
    ]

    # The same reminder again (a sender died before recording it): it replaces the first.
    again = {**payload, "body": "How is your leg today? (sent again)"}
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live.url, "registrationId": registration_id, "data": json.dumps(again)},
    )
    deadline = time.monotonic() + 8
    while shown[0]["body"] != again["body"] and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        shown = page.evaluate("""() => navigator.serviceWorker.ready
            .then(r => r.getNotifications())
            .then(list => list.map(n => ({body: n.body, tag: n.tag})))""")
    assert shown == [{"body": again["body"], "tag": "checkin:q0mvYk1xW2hZ3pJa"}]

    # The tap: the service worker's notificationclick handler with that very notification.
    worker = context.service_workers[0]
    worker.evaluate("""async () => {
        const [notification] = await self.registration.getNotifications();
        self.dispatchEvent(new NotificationEvent('notificationclick', {notification}));
    }""")
    page.get_by_role("heading", name="Check in").wait_for()
    assert page.url.endswith("#/checkin")


def test_an_unreadable_push_still_shows_a_notification(live, context, page, patient_world):
    context.grant_permissions(["notifications"], origin=live.url)
    log_in(page, patient_world["patient"])
    wait_for_worker(page)
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):  # Playwright delivers CDP events only while it is waiting
        if registrations:
            break
        page.wait_for_timeout(100)
    assert registrations
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live.url,
            "registrationId": registrations[0]["registrationId"],
            "data": "not json",
        },
    )
    titles = []
    deadline = time.monotonic() + 8
    while not titles and time.monotonic() < deadline:
        titles = page.evaluate("""() => navigator.serviceWorker.ready
            .then(r => r.getNotifications()).then(list => list.map(n => n.title))""")
        page.wait_for_timeout(100)
    assert titles == ["Between"]


def _subscriptions(live) -> int:
    with live.app_context():
        db.session.remove()
        return len(db.session.scalars(select(PushSubscription)).all())


def _with_reminders_on(live, context, page, patient, stub: str) -> None:
    """Log the patient in on a phone whose push subscription is ``stub``; turn reminders on."""
    context.add_init_script(stub)
    context.grant_permissions(["notifications"], origin=live.url)
    log_in(page, patient)
    wait_for_worker(page)
    page.goto("/app/#/settings")
    page.get_by_role("button", name="Turn reminders on").click()
    page.get_by_text("Reminders are on for this phone.").wait_for()


def test_logging_out_switches_reminders_off_for_this_phone(live, context, page, patient_world):
    _with_reminders_on(live, context, page, patient_world["patient"], STUB)
    assert _subscriptions(live) == 1

    page.goto("/app/#/settings")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in to Between").wait_for()
    assert _subscriptions(live) == 0  # the server was told
    assert page.evaluate("() => window.__subscribed") is False  # and the browser let go


def test_logging_out_offline_still_wipes_the_phone_and_drops_the_subscription(
    live, context, page, patient_world
):
    from tests.browser.test_patient_app import HEALTH_DATA_PROBE

    _with_reminders_on(live, context, page, patient_world["patient"], STUB)
    context.set_offline(True)
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in to Between").wait_for()
    after = page.evaluate(HEALTH_DATA_PROBE)
    assert after["records"] == 0 and after["storage"] == 0
    assert page.evaluate("() => window.__subscribed") is False
    # The server could not be told; the push service refuses the dropped endpoint from now
    # on, and the server deletes a subscription the push service calls gone.
    assert _subscriptions(live) == 1


# Like STUB, but the browser's subscription survives a reload (kept in localStorage), and
# calls are counted, so a test can tell whether the app subscribed again on its own.
PERSISTENT_STUB = f"""(() => {{
  if (typeof PushManager === 'undefined') return;
  const fake = {{endpoint: {json.dumps(ENDPOINT)}, expirationTime: null, options: {{}},
    getKey() {{ return null; }},
    toJSON() {{ return {{endpoint: this.endpoint, expirationTime: null,
                       keys: {{p256dh: {json.dumps(P256DH)}, auth: {json.dumps(AUTH)}}}}}; }},
    unsubscribe() {{ localStorage.removeItem('stub-push'); return Promise.resolve(true); }}}};
  window.__pushCalls = {{subscribe: 0, getSubscription: 0}};
  PushManager.prototype.subscribe = function () {{
    window.__pushCalls.subscribe += 1;
    localStorage.setItem('stub-push', '1');
    return Promise.resolve(fake); }};
  PushManager.prototype.getSubscription = function () {{
    window.__pushCalls.getSubscription += 1;
    return Promise.resolve(localStorage.getItem('stub-push') ? fake : null); }};
}})();"""


def _forget_on_server(live):
    with live.app_context():
        db.session.remove()
        db.session.execute(PushSubscription.__table__.delete())
        db.session.commit()


def _wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.1)
    return predicate()


def test_each_open_sends_the_subscription_to_the_server_again(live, context, page, patient_world):
    _with_reminders_on(live, context, page, patient_world["patient"], PERSISTENT_STUB)
    _forget_on_server(live)  # e.g. the server dropped it after a push service hiccup
    page.goto("/app/#/")
    page.reload()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    assert _wait(lambda: _subscriptions(live) == 1)
    assert page.evaluate("() => window.__pushCalls.subscribe") == 0  # the same one, re-sent


def test_a_subscription_the_browser_dropped_is_made_again_at_the_next_open(
    live, context, page, patient_world
):
    """pushsubscriptionchange could not finish (offline, logged out): the next open does."""
    _with_reminders_on(live, context, page, patient_world["patient"], PERSISTENT_STUB)
    page.evaluate("() => localStorage.removeItem('stub-push')")  # the browser lost it
    _forget_on_server(live)
    page.goto("/app/#/")
    page.reload()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    assert _wait(lambda: _subscriptions(live) == 1)
    assert page.evaluate("() => window.__pushCalls.subscribe") == 1


def test_reminders_switched_off_in_settings_stay_off_at_the_next_open(
    live, context, page, patient_world
):
    _with_reminders_on(live, context, page, patient_world["patient"], PERSISTENT_STUB)
    page.get_by_role("button", name="Turn reminders off on this phone").click()
    page.get_by_text("Reminders are off for this phone.").wait_for()
    assert _subscriptions(live) == 0
    page.goto("/app/#/")
    page.reload()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    page.wait_for_function("() => window.__pushCalls.getSubscription > 0")  # the check ran
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__pushCalls.subscribe") == 0
    assert _subscriptions(live) == 0


IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_iphone_safari_is_guided_to_the_home_screen_before_reminders(chromium, live, patient_world):
    def settings_on_iphone(standalone: bool):
        context = chromium.new_context(
            base_url=live.url,
            viewport={"width": 390, "height": 844},
            user_agent=IPHONE_SAFARI,
            is_mobile=True,
            has_touch=True,
        )
        if standalone:  # opened from the Home Screen
            context.add_init_script(
                "Object.defineProperty(Navigator.prototype, 'standalone', {get: () => true});"
            )
        page = context.new_page()
        log_in(page, patient_world["patient"])
        page.goto("/app/#/settings")
        page.get_by_role("heading", name="Reminders on this phone").wait_for()
        page.locator("#main:not([aria-busy])").wait_for()
        return context, page

    context, page = settings_on_iphone(standalone=False)
    try:
        section = page.get_by_role("region", name="Reminders on this phone")
        assert section.get_by_text("only work once Between is on your Home Screen").is_visible()
        assert section.get_by_text("Choose “Add to Home Screen”").is_visible()
        assert section.get_by_role("button", name="Turn reminders on").count() == 0
    finally:
        context.close()

    context, page = settings_on_iphone(standalone=True)
    try:
        section = page.get_by_role("region", name="Reminders on this phone")
        section.get_by_role("button", name="Turn reminders on").wait_for()
        assert section.get_by_text("Add to Home Screen").count() == 0
    finally:
        context.close()
