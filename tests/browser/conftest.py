"""A real Chromium (Debian's, not Playwright's download) driving pytest-django's live_server.

Tests here need `transactional_db`: the live server answers from another thread, so the data a
test creates must be committed for it to see.
"""
import os
from pathlib import Path

import pytest

from tests.factories import DEFAULT_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output"
# Long enough for an import on a slow CI machine; short enough that a hang fails the test.
TIMEOUT_MS = 20_000
# Waiting for a page's goodbye requests at teardown: at most 50 × 100 ms.
LEAVE_WAIT_STEPS = 50
LEAVE_WAIT_STEP_MS = 100


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on this thread, which makes Django refuse ORM
    # calls from the test body ("cannot call this from an async context"). The test thread
    # does no async work of its own, so the guard is safe to lift for browser tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    # A page error fails the test instead of being lost in the browser.
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    in_flight: set = set()
    context.on("request", lambda request: in_flight.add(request))
    context.on("requestfinished", lambda request: in_flight.discard(request))
    context.on("requestfailed", lambda request: in_flight.discard(request))
    yield tab
    _leave_quietly(tab, in_flight)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _leave_quietly(tab, in_flight: set) -> None:
    """Leave the page and wait for what leaving sends (the workspace and review pages give
    their held item back on `pagehide`): a request still running while pytest-django empties
    the database deadlocks the flush."""
    try:
        tab.goto("about:blank")
    except Exception:  # a test may have closed the tab itself
        return
    for _ in range(LEAVE_WAIT_STEPS):
        if not in_flight:
            return
        tab.wait_for_timeout(LEAVE_WAIT_STEP_MS)


@pytest.fixture
def login(page):
    """login(user) -> signs in through the login page, as a person would."""

    def sign_in(user, password: str = DEFAULT_PASSWORD):
        page.goto("/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        return page

    return sign_in


@pytest.fixture
def screenshot(page):
    """screenshot(name) -> saves a full-page PNG into test-output/ (git-ignored)."""

    def save(name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


# ── Labeling workspace (tests/browser/test_label_*.py) ───────────────────────────────────────


@pytest.fixture
def open_workspace(page, login):
    """open_workspace(user, project) -> signs in, opens the labeling page and waits until it has
    a task on screen or says the queue is empty."""

    def open_(user, project):
        login(user)
        page.goto(f"/projects/{project.id}/label/")
        page.locator("#workspace[data-state=task], #workspace[data-state=done]").wait_for()
        return page

    return open_
