"""The browser stack works: Chromium reaches the live app and a patient can log in."""

from tests.conftest import PASSWORD


def test_login_page_renders_and_logs_a_practitioner_into_the_panel(desktop, seed):
    practitioner = seed.practitioner(display_name="Dr Rivera")
    seed.patient(practitioner, display_name="Maya Chen")
    page = desktop.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(practitioner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/panel/")
    assert "Maya Chen" in page.content()
