"""A live web server and Debian's Chromium, driven by Playwright.

Playwright never downloads a browser here: it drives ``/usr/bin/chromium``. The server
is uvicorn in a background thread on a free port of 127.0.0.1, serving
``create_app(container)`` — the real app on a real database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from codeservice.bootstrap import Container
from codeservice.web import create_app
from tests.e2e.browser import BrowserProblems
from tests.integration.web.links import NOW
from tests.support.clock import Clock
from tests.support.live_server import serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Module scope, not session: while Playwright's sync API runs, its event loop is the
# thread's running loop, and tests elsewhere that call asyncio.run() would fail.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def web_container(container: Container, clock: Clock) -> Iterator[Container]:
    built = Container(container.settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def live_server(web_container: Container) -> Iterator[str]:
    """The base URL of the app, served by uvicorn until the test ends."""
    with serving(create_app(web_container)) as url:
        yield url


@pytest.fixture
def problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def page(browser: Browser, problems: BrowserProblems) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    yield problems.watch(context.new_page())
    context.close()
