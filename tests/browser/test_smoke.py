"""The browser test: Debian's chromium, driven by Playwright, through the real pages."""

import os
import shutil
from pathlib import Path

import pytest

from karte.core.demo import DEMO_DIR
from karte.core.tests.factories import PASSWORD, build_world

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make browser-deps)"
    ),
]


@pytest.fixture
def page(live_server):
    # Playwright's sync API runs an event loop in this thread; the test's own DB calls are synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.csp_errors = []
        page.on(
            "console",
            lambda msg: page.csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        yield page
        browser.close()


def test_office_logs_in_and_imports_the_organisation_sheet(page, live_server, transactional_db):
    world = build_world()
    RESULTS.mkdir(exist_ok=True)

    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.fill("input[name=username]", world.users["office_a"].username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator(".k-stat").count() >= 2
    page.screenshot(path=RESULTS / "dashboard.png", full_page=True)

    page.goto(live_server.url + "/imports/new/organisation/")
    page.set_input_files("input[type=file]", str(DEMO_DIR / "organisation.xlsx"))
    page.locator("form.k-form button[type=submit]").click()
    page.wait_for_url("**/imports/*/")
    new_count = page.locator(".k-stat__value").first.inner_text()
    assert int(new_count) > 0
    page.screenshot(path=RESULTS / "import-preview.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[data-confirm] button[type=submit]").click()
    page.wait_for_selector(".k-alert--success")
    page.screenshot(path=RESULTS / "import-applied.png", full_page=True)

    page.goto(live_server.url + "/org/?kind=section")
    assert page.get_by_text("高齢介護室介護事業者課").count() == 1
    page.screenshot(path=RESULTS / "organisation.png", full_page=True)
    assert page.csp_errors == []
