"""/docs in a real browser: the explorer loads the document and sends a request.

Playwright drives the system Chromium (``ERLEN_CHROMIUM`` or
``/usr/bin/chromium``); skipped when either is missing, failed when CI is set.
The page runs under its strict Content-Security-Policy, so a console error
(a blocked inline script, a CDN fetch) fails the test.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import threading
import typing as t
from pathlib import Path

import pytest

from erlen.serving import DevServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
APP = Path(__file__).parent.parent / "apps" / "typed_api.py"


def _missing(reason: str) -> t.NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI requires it")
    pytest.skip(reason)


@pytest.fixture
def server() -> t.Iterator[str]:
    spec = importlib.util.spec_from_file_location("typed_api_browser", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    httpd = DevServer("127.0.0.1", 0, module.create_app(), quiet=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.url
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
        sys.modules.pop(spec.name, None)


def test_docs_page_lists_operations_and_sends_a_request(server: str) -> None:
    chromium = os.environ.get("ERLEN_CHROMIUM") or next(
        (p for p in ("chromium", "/usr/bin/chromium") if shutil.which(p)), None
    )
    if chromium is None:
        _missing("chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[browser]')")
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which(chromium) or chromium,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            timeout=30_000,
        )
        try:
            page = browser.new_page(base_url=server)
            page.set_default_timeout(10_000)
            # HTTP error statuses are logged too; the 422 below is expected.
            page.on(
                "console",
                lambda m: (
                    problems.append(m.text)
                    if m.type == "error" and "status of 422" not in m.text
                    else None
                ),
            )
            page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
            page.goto("/docs")
            page.wait_for_selector("details.op")
            assert page.locator("details.op").count() == 4
            assert page.locator("h2").first.inner_text() == "tasks"
            create = page.locator('details[id="tasks.create_task"]')
            create.locator("summary").click()
            body = create.locator("textarea")
            assert '"title": "string"' in body.input_value()
            body.fill('{"title": "write docs", "labels": ["docs"]}')
            create.get_by_role("button", name="Send").click()
            status = create.locator("p.status")
            status.wait_for()
            assert status.inner_text().startswith("201")
            assert '"write docs"' in create.locator("pre").first.inner_text()
            body.fill('{"title": 5}')
            create.get_by_role("button", name="Send").click()
            page.wait_for_function(
                "document.querySelector('[id=\"tasks.create_task\"] p.status')"
                ".textContent.startsWith('422')"
            )
        finally:
            browser.close()
    assert problems == []
