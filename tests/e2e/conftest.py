"""Real-browser fixtures: Debian's chromium driven by Playwright's sync API against pytest-django's live server.

See ../shared/notes/browser-tests.md: the Playwright browser download does not work on our machines, so the
tests launch /usr/bin/chromium (`apt-get install -y chromium`) and fail, rather than skip, when it is missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

CHROMIUM = Path(os.environ.get("XIETONG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # The machine has no network: without these Chromium keeps trying to reach the internet.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last: from the first of them on, Playwright's event loop runs in the test thread."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)  # stable: keeps each group's order


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the real-browser tests need Debian's chromium "
            "(as root: apt-get update && apt-get install -y chromium). "
            "Playwright's own browser download does not work here.",
            pytrace=False,
        )
    # Playwright's sync API keeps an asyncio event loop running in the test thread, so every ORM call the test
    # makes itself (fixtures, assertions on the database) would raise SynchronousOnlyOperation. The live server
    # answers from its own thread; the test thread only touches the database between browser calls. Set for as
    # long as the browser runs (the e2e tests come last), not for the whole test session.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class ConsoleErrors:
    """Console errors, uncaught exceptions and CSP violations seen by one page, with the URL they came from."""

    # Chromium reports a CSP refusal as a console error ("Refused to load/execute/apply … because it violates
    # the following Content Security Policy directive …"); pages also report it as a securitypolicyviolation
    # event, which the init script below turns into a console error too, so nothing slips through.
    _INIT_SCRIPT = """
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
                    `(${e.sourceFile || ""}:${e.lineNumber || ""})`);
    });
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.seen: list[str] = []
        self.expected: list[re.Pattern[str]] = []
        page.add_init_script(self._INIT_SCRIPT)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.seen.append(f"{page.url}: uncaught {error}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.seen.append(f"{self.page.url}: {message.text}")

    def expect(self, pattern: str) -> None:
        """Declare an error the next check should tolerate (e.g. the 429 status of the lock-out page)."""
        self.expected.append(re.compile(pattern))

    def assert_none(self, where: str = "") -> None:
        """Fail on any error since the last check, then start afresh for the next page."""
        unexpected = [e for e in self.seen if not any(p.search(e) for p in self.expected)]
        self.seen.clear()
        self.expected.clear()
        assert unexpected == [], f"console errors on {where or self.page.url}:\n" + "\n".join(unexpected)


@pytest.fixture
def new_page(browser: Browser, live_server: Any, transactional_db: Any) -> Iterator[Any]:
    """Opens fresh pages (own cookies) on the live server: `page, console = new_page(viewport={...})`."""
    opened: list[tuple[BrowserContext, ConsoleErrors]] = []

    def make(viewport: dict[str, int] | None = None) -> tuple[Page, ConsoleErrors]:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport or DESKTOP,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        console = ConsoleErrors(page)
        opened.append((context, console))
        return page, console

    yield make
    for context, _console in opened:
        context.close()
    # Errors that arrived after the test's last check still fail it.
    for _context, console in opened:
        console.assert_none("the last page of the test")


@pytest.fixture
def page_and_console(new_page: Any) -> tuple[Page, ConsoleErrors]:
    return new_page()


@pytest.fixture
def page(page_and_console: tuple[Page, ConsoleErrors]) -> Page:
    return page_and_console[0]


@pytest.fixture
def console(page_and_console: tuple[Page, ConsoleErrors]) -> ConsoleErrors:
    return page_and_console[1]
