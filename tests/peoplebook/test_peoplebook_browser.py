"""End to end in a real browser: Playwright driving Debian's Chromium.

Playwright's own browser download is not used: the test points it at the
system Chromium (``ERLEN_CHROMIUM`` or ``/usr/bin/chromium``).  The app runs
on erlen's dev server in a thread, on a free loopback port, with a SQLite
database made by the committed migrations.  A screenshot of the dashboard is
saved in ``tests/artifacts/`` (``ERLEN_TEST_ARTIFACTS`` moves it).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import typing as t
from pathlib import Path

import pytest
from pb_helpers import ARTIFACTS
from pb_helpers import dispose
from pb_helpers import missing
from pb_helpers import require_program

from erlen.serving import DevServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def server(template_db: Path, tmp_path: Path) -> t.Iterator[str]:
    import peoplebook

    path = tmp_path / "peoplebook.db"
    shutil.copyfile(template_db, path)
    app = peoplebook.create_app(
        {"SECRET_KEY": "browser test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
    )
    httpd = DevServer("127.0.0.1", 0, app, quiet=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.url
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
        dispose(app)


@pytest.fixture
def page(server: str) -> t.Iterator[t.Any]:
    chromium = os.environ.get("ERLEN_CHROMIUM") or require_program(
        "chromium", "/usr/bin/chromium", "chromium-browser"
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (pip install -e '.[browser]')")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            timeout=30_000,
        )
        try:
            context = browser.new_context(base_url=server)
            # Generous: a loaded CI machine is slow, and a pass is still fast.
            context.set_default_timeout(20_000)
            yield context.new_page()
        finally:
            browser.close()


def test_register_login_add_theme_logout(page: t.Any) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    page.goto("/")
    page.click("text=Create an account")
    page.fill("input[name=name]", "Ada Lovelace")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=password]", "analytical engine")
    page.fill("input[name=confirm]", "analytical engine")
    page.click("button:has-text('Register')")
    expect(page.locator(".flash.success")).to_contain_text("Your account is ready")

    page.fill("input[name=password]", "analytical engine")  # email is filled in
    page.check("input[name=remember]")
    page.click("button:has-text('Log in')")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("#welcome")).to_have_text("Welcome Ada Lovelace!")
    folder = Path(os.environ.get("ERLEN_TEST_ARTIFACTS") or ARTIFACTS)
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "peoplebook-dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000

    page.click("nav >> text=People")
    page.fill("#add-person input[name=name]", "Grace Hopper")
    page.fill("#add-person input[name=email]", "grace@example.com")
    page.fill("#add-person input[name=age]", "85")
    page.click("#add-person button")
    expect(page.locator(".flash.success")).to_have_text("Added Grace Hopper.")
    expect(page.locator("#people tbody tr")).to_have_count(1)
    expect(page.locator("#people")).to_contain_text("grace@example.com")

    page.click("nav >> text=Preferences")
    expect(page.locator("body")).to_have_class("theme-light")
    page.check("input[value=dark]")
    page.click("button:has-text('Save')")
    expect(page.locator("body")).to_have_class("theme-dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(23, 25, 28)"  # the stylesheet's dark theme applies
    page.click("nav >> text=Dashboard")
    expect(page.locator("body")).to_have_class("theme-dark")

    # The API's documentation: /docs lists the typed endpoints, and its
    # explorer calls them with this browser's login.
    page.goto("/docs")
    page.wait_for_selector("details.op")
    ops = page.locator("details.op")
    expect(ops.filter(has_text="/api/people/{person_id}").first).to_be_attached()
    listing = ops.filter(has_text="List the people of your book").first
    listing.locator("summary").click()
    listing.get_by_role("button", name="Send").click()
    expect(listing.locator("p.status")).to_contain_text("200")
    expect(listing.locator("pre").first).to_contain_text("grace@example.com")
    page.goto("/dashboard")

    page.click("#logout")
    expect(page.locator(".flash.info")).to_have_text("You are logged out.")
    cookies = {c["name"] for c in page.context.cookies()}
    assert "remember_token" not in cookies
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fdashboard$"))
    expect(page.locator("h1")).to_have_text("Log in")
    expect(page.locator("body")).to_have_class("theme-dark")  # still the cookie
