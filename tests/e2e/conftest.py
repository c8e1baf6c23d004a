"""End-to-end fixtures: a served demo store and a headless browser.

The browser is Debian's chromium at /usr/bin/chromium driven by Playwright's sync API:
`playwright install` cannot download browsers here, so `make browser` (a step of `make test`)
installs the package with apt-get where it is missing. Where it cannot, the browser tests
skip with the reason instead of failing. The sync API refuses to run inside an asyncio loop;
pytest calls fixtures and tests outside one.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.served import REPO_ROOT, ServedDemo, ServerStartError, serve_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that reaches out to the network on its own: CI machines have no
# outside access and the tests must not depend on it.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.fixture(scope="session")
def served_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedDemo]:
    """One demo store, bootstrapped as `make run` does and served by `tradematch serve`,
    shared by every end-to-end test of the session (the bootstrap takes minutes)."""
    try:
        with serve_demo(tmp_path_factory.mktemp("served-demo")) as demo:
            yield demo
    except ServerStartError as failure:
        pytest.fail(str(failure), pytrace=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless chromium for the session; skips (saying how to install) where Playwright or
    the browser is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(
            "playwright is not installed: run `make install-dev` "
            "(or `.venv/bin/pip install -e '.[dev]'`)"
        )
    if not CHROMIUM.is_file():
        pytest.skip(
            f"{CHROMIUM} is missing: run `make browser` as root "
            "(apt-get install -y --no-install-recommends chromium); "
            "`playwright install` cannot download browsers here"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_FLAGS)
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def screenshot_dir(request: pytest.FixtureRequest) -> Path:
    """``test-output/screenshots/<test name>/`` (git-ignored), emptied first so a test never
    finds a previous run's pictures."""
    path = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, screenshot_dir: Path) -> Iterator[Page]:
    """A page in a fresh context (no cookies or storage shared between tests), Korean locale
    like the trade centers' staff. A failing test leaves ``failure.png`` in its screenshot
    dir, which is what one needs to see why."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    try:
        new_page = context.new_page()
        yield new_page
        report = request.node.stash.get(_CALL_REPORT, None)
        if report is not None and report.failed:
            # Best effort: a crashed page must not turn the failure into a teardown error.
            with contextlib.suppress(Exception):
                new_page.screenshot(path=str(screenshot_dir / "failure.png"), full_page=True)
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep the call phase's report on the item so ``page`` can tell a failed test."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report
