"""The patient app in real headless Chromium: check in, homework, progress, offline, logout."""

from __future__ import annotations

import json
import struct
import time

from sqlalchemy import func, select

from backend.extensions import db
from backend.models import Alert, CheckIn, Completion
from tests.conftest import PASSWORD


def log_in(page, patient):
    page.set_default_timeout(8000)
    page.goto("/app/")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    page.locator("#main:not([aria-busy])").wait_for()  # the whole screen, not its first line


def wait_for_worker(page):
    """The service worker is active and controls the page (installable, works offline)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=10000)


def quick_checkin(page, leg: int, back: int, lands_on: str = "Hello, Maya"):
    """Pain scores, no red flags, save; wait for the screen it lands on."""
    page.goto("/app/#/checkin")
    page.get_by_role("group", name="Leg pain").get_by_role(
        "radio", name=str(leg), exact=True
    ).check()
    page.get_by_role("group", name="Back pain").get_by_role(
        "radio", name=str(back), exact=True
    ).check()
    page.get_by_role("button", name="None of these").click()
    page.get_by_role("button", name="Save check-in").click()
    page.get_by_role("heading", name=lands_on).wait_for()


def count(live, model, **where) -> int:
    with live.app_context():
        db.session.remove()
        return db.session.execute(
            select(func.count()).select_from(model).filter_by(**where)
        ).scalar_one()


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_a_patient_checks_in_ticks_homework_and_sees_the_chart(live, page, patient_world):
    patient = patient_world["patient"]
    log_in(page, patient)
    assert page.get_by_text("Session 6 of 10").is_visible()
    assert page.get_by_text("Piriformis stretch").first.is_visible()

    page.get_by_role("link", name="Check in").last.click()
    started = time.monotonic()
    page.get_by_role("group", name="Leg pain").get_by_role("radio", name="6", exact=True).check()
    page.get_by_role("group", name="Back pain").get_by_role("radio", name="3", exact=True).check()
    page.get_by_role("checkbox", name="Buttock").check()
    page.get_by_role("radio", name="Left").check()
    page.get_by_role("checkbox", name="Tingling").check()
    page.get_by_role("radio", name="4–6 h").check()
    page.get_by_role("button", name="None of these").click()
    page.get_by_role("button", name="Save check-in").click()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    assert time.monotonic() - started < 20  # a full check-in: eight taps
    with live.app_context():
        entry = db.session.scalar(select(CheckIn))
        assert (entry.leg_pain, entry.back_pain, entry.sitting_minutes) == (6, 3, 300)
        assert entry.locations == ["buttock"] and entry.side == "left"
        assert entry.has_red_flag is False

    item = page.get_by_role("listitem").filter(has_text="Piriformis stretch")
    item.get_by_role("radio", name="Better").check()
    item.get_by_role("button", name="Done: Piriformis stretch").click()
    item.get_by_text("Done 1 of 1 today").wait_for()
    assert wait_until(lambda: count(live, Completion, feeling="better") == 1)

    page.get_by_role("link", name="Progress").click()
    page.get_by_role("heading", name="Your progress").wait_for()
    page.locator("figure.chart canvas").first.wait_for()
    assert page.locator("figure.chart canvas").count() >= 3
    assert page.get_by_text("Homework done:").is_visible()


def test_entries_made_offline_reach_the_server_exactly_once(live, context, page, patient_world):
    log_in(page, patient_world["patient"])
    wait_for_worker(page)
    context.set_offline(True)
    for leg in (7, 6, 5):
        quick_checkin(page, leg, 2)
    page.get_by_text("3 entries waiting to send").wait_for()
    page.reload()  # offline: the service worker serves the shell, the queue is still there
    page.get_by_text("3 entries waiting to send").wait_for()
    assert count(live, CheckIn) == 0
    context.set_offline(False)
    assert wait_until(lambda: count(live, CheckIn) == 3)
    page.wait_for_function(
        "() => !document.getElementById('sync-status').textContent.includes('waiting')"
    )
    # Sending everything again (a retry after a lost answer) stores nothing new.
    page.reload()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    with live.app_context():
        legs = sorted(c.leg_pain for c in db.session.scalars(select(CheckIn)))
    assert legs == [5, 6, 7]


def test_a_queued_entry_is_replayed_with_its_key_and_stored_once(
    live, context, page, patient_world
):
    """The answer to a send is lost: the entry is sent again with the same key."""
    log_in(page, patient_world["patient"])
    key = page.evaluate("""async () => {
        const me = (await BetweenQueue.loadData('me')).value.id;
        const item = await BetweenQueue.add({kind: 'checkin', path: '/api/checkins', userId: me,
            body: {leg_pain: 4, back_pain: 1, red_flags: {bladder_bowel: false, saddle_numbness: false,
                   both_legs: false, fever: false, weight_loss: false}}});
        const copy = Object.assign({}, item);
        await BetweenQueue.flush(me);            // stored, removed from the queue
        await BetweenQueue.put(copy);            // as if the answer never arrived
        await BetweenQueue.flush(me);            // replayed with the same Idempotency-Key
        return (await BetweenQueue.all()).length;
    }""")
    assert key == 0
    assert count(live, CheckIn) == 1


def test_a_red_flag_shows_the_urgent_screen_offline_and_alerts_when_back_online(
    live, context, page, patient_world
):
    log_in(page, patient_world["patient"])
    wait_for_worker(page)
    context.set_offline(True)
    page.goto("/app/#/checkin")
    page.get_by_role("group", name="Leg pain").get_by_role("radio", name="8", exact=True).check()
    page.get_by_role("group", name="Back pain").get_by_role("radio", name="5", exact=True).check()
    question = page.get_by_role("group", name="Numbness or pins and needles around your groin")
    question.get_by_role("radio", name="Yes").click()
    page.get_by_role("button", name="Yes, that's right").click()
    heading = page.get_by_role("heading", name="Go to an emergency department now")
    heading.wait_for()
    assert page.get_by_text("emergency department (A&E / ER)").is_visible()
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    assert wait_until(lambda: count(live, Alert) == 1)
    with live.app_context():
        assert db.session.scalar(select(CheckIn)).red_flags == ["saddle_numbness"]


def _png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", body[16:24])


def test_the_manifest_and_service_worker_make_the_app_installable(live, page, patient_world):
    page.goto("/app/")
    manifest = json.loads(page.request.get("/app/manifest.webmanifest").text())
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/app/")
    assert manifest["name"] and manifest["short_name"] and manifest["theme_color"]
    sizes = {}
    for icon in manifest["icons"]:
        response = page.request.get("/app/" + icon["src"])
        assert response.ok, icon
        if icon["type"] == "image/png":
            assert _png_size(response.body()) == tuple(map(int, icon["sizes"].split("x")))
            sizes[icon["sizes"], icon.get("purpose", "any")] = True
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(sizes)
    assert page.locator("link[rel=manifest]").count() == 1
    wait_for_worker(page)
    state = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)")
    assert state == "activated"
    caches = page.evaluate("caches.keys()")
    assert any(name.startswith("between-shell-") for name in caches)


HEALTH_DATA_PROBE = """async () => {
    const dbs = await indexedDB.databases();
    let records = 0;
    for (const info of dbs) {
        const db = await new Promise((ok, fail) => {
            const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = fail; });
        for (const store of db.objectStoreNames) {
            records += await new Promise((ok) => {
                const r = db.transaction(store).objectStore(store).count(); r.onsuccess = () => ok(r.result); });
        }
        db.close();
    }
    const cached = [];
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) cached.push(request.url);
    }
    return {dbs: dbs.map(d => d.name), records, cached, storage: localStorage.length + sessionStorage.length};
}"""


def test_logout_leaves_no_health_data_on_the_device(live, context, page, patient_world):
    log_in(page, patient_world["patient"])
    wait_for_worker(page)
    page.goto("/app/#/progress")
    page.get_by_role("heading", name="Your progress").wait_for()
    page.goto("/app/#/checkin")
    page.get_by_role("button", name="I'm sitting down").click()  # the timer: localStorage
    before = page.evaluate(HEALTH_DATA_PROBE)
    assert before["records"] >= 3  # me, today, progress
    page.goto("/app/#/settings")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in to Between").wait_for()
    after = page.evaluate(HEALTH_DATA_PROBE)
    assert after["records"] == 0  # the app may reopen an empty database for the next login
    assert after["storage"] == 0
    assert not [url for url in after["cached"] if "/api/" in url]
    # And the health data is really gone, not just hidden: reopening offline shows nothing.
    context.set_offline(True)
    page.reload()
    page.get_by_role("heading", name="Log in to Between").wait_for()


def test_server_errors_keep_the_entry_and_a_refused_entry_waits_for_the_patient(
    live, chromium, patient_world
):
    # Playwright cannot route requests made under a service worker: this test runs without.
    context = chromium.new_context(
        base_url=live.url, viewport={"width": 360, "height": 780}, service_workers="block"
    )
    page = context.new_page()
    log_in(page, patient_world["patient"])
    answers = iter(
        [
            (500, {"error": {"code": "internal", "message": "Oops", "fields": {}}}),
            (
                422,
                {
                    "error": {
                        "code": "invalid",
                        "message": "Some fields need another look.",
                        "fields": {"note": "too long"},
                    }
                },
            ),
        ]
    )

    def fault(route):
        status, body = next(answers, (None, None))
        if status is None:
            route.continue_()
        else:
            route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    page.route("**/api/checkins", fault)
    quick_checkin(page, 4, 2)  # 500: kept, waiting
    page.get_by_text("1 entry waiting to send").wait_for()
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # retry: 422 now
    page.get_by_text("1 needs your attention").wait_for()
    page.reload()
    attention = page.get_by_role("region", name="Entries that need your attention")
    attention.get_by_text("Some fields need another look.").wait_for()
    assert count(live, CheckIn) == 0
    attention.get_by_role("button", name="Edit").click()
    page.get_by_role("heading", name="Check in").wait_for()
    assert page.get_by_role("group", name="Leg pain").get_by_role("radio", name="4").is_checked()
    page.get_by_role("button", name="Save check-in").click()
    page.get_by_role("heading", name="Hello, Maya").wait_for()
    assert wait_until(lambda: count(live, CheckIn) == 1)
    assert page.evaluate("() => BetweenQueue.all().then(items => items.length)") == 0
    context.close()


def test_an_expired_session_asks_to_log_in_and_keeps_the_queue(live, context, page, patient_world):
    patient = patient_world["patient"]
    log_in(page, patient)
    with live.app_context():  # the session ends (e.g. logged out elsewhere)
        from backend.models import User

        db.session.get(User, patient.id).session_version += 1
        db.session.commit()
    quick_checkin(page, 3, 1, lands_on="Please log in again")
    page.get_by_text("1 entry is saved on this phone").wait_for()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert wait_until(lambda: count(live, CheckIn) == 1)


def test_reminder_times_are_saved_from_settings(live, page, patient_world):
    from backend.models import ReminderPreference

    log_in(page, patient_world["patient"])
    page.goto("/app/#/settings")
    page.get_by_label("Check-in time").fill("19:30")
    page.get_by_role("checkbox", name="Sun").uncheck()
    page.get_by_role("button", name="Save reminder times").click()
    page.get_by_text("Reminder times saved.").wait_for()
    with live.app_context():
        pref = db.session.get(ReminderPreference, patient_world["patient"].id)
        assert pref.checkin_time.strftime("%H:%M") == "19:30"
        assert 7 not in pref.days


def test_an_exercise_opens_offline_from_today_without_having_been_opened_before(
    live, context, page, patient_world
):
    log_in(page, patient_world["patient"])  # Today is saved on the phone
    wait_for_worker(page)
    context.set_offline(True)
    page.reload()
    page.get_by_text("Offline: showing what was saved").wait_for()
    page.get_by_role("link", name="Piriformis stretch").click()
    page.get_by_role("heading", name="Piriformis stretch", level=1).wait_for()  # Today's is h3
    page.get_by_role("heading", name="How to do it").wait_for()
    assert page.locator("ol.steps li").count() >= 2
    assert page.get_by_role("heading", name="Exercise not found").count() == 0


def test_a_homework_reminder_link_opens_today_at_the_homework(live, page, patient_world):
    log_in(page, patient_world["patient"])
    page.goto("/app/#/homework")
    heading = page.get_by_role("heading", name="Today's homework")
    # Today was already showing: wait for the new render to put focus on its homework.
    page.wait_for_function(
        '() => document.activeElement && document.activeElement.textContent === "Today\'s homework"'
    )
    page.locator("#main:not([aria-busy])").wait_for()
    top = heading.bounding_box()["y"]
    assert 0 <= top < 100, top  # scrolled to it, not left lower down
    assert page.evaluate("() => window.scrollY") > 0
    assert page.get_by_role("link", name="Today").get_attribute("aria-current") == "page"
    # The Done buttons are right there, and Today's other parts are still above.
    assert page.get_by_role("button", name="Done: Piriformis stretch").is_visible()
    assert page.get_by_role("heading", name="Your next session").count() == 1


def test_both_sides_in_the_leg_points_to_the_both_legs_safety_question(live, page, patient_world):
    from playwright.sync_api import expect

    log_in(page, patient_world["patient"])
    page.goto("/app/#/checkin")
    question = page.get_by_role("group", name="Sciatica, numbness or weakness in both legs")
    pointer = page.get_by_text("You marked pain in both legs. Please answer the safety question")

    page.get_by_role("checkbox", name="Buttock").check()
    page.get_by_role("radio", name="Both").check()
    assert pointer.count() == 0  # both buttocks: not the legs
    assert question.get_attribute("aria-describedby") == "both-legs-note"
    assert page.locator("#both-legs-note").text_content() == ""

    page.get_by_role("checkbox", name="Calf").check()
    pointer.wait_for()
    assert page.locator(".both-legs-pointer").get_attribute("aria-live") == "polite"
    expect(question).to_have_accessible_description(
        "You marked pain in both legs. Pain in both legs can need a doctor quickly, "
        "so please answer this question carefully."
    )
    assert question.get_by_text("You marked pain in both legs").is_visible()
    page.get_by_role("button", name="Go to that question").click()
    focused = page.evaluate("() => document.activeElement.closest('fieldset').id")
    assert focused == "rf-both_legs"
    # Pointed to, never answered for the patient.
    assert not question.get_by_role("radio", name="Yes").is_checked()
    assert not question.get_by_role("radio", name="No").is_checked()
    assert page.get_by_role("heading", name="Check in").is_visible()

    page.get_by_role("radio", name="Left").check()  # one side again: the note goes
    pointer.wait_for(state="detached")
    expect(question).to_have_accessible_description("")
