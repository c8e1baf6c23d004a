"""The browser infrastructure itself: chromium loads a page over HTTP, runs its script,
takes a click, and writes a screenshot. When this fails, the UI tests' failures say nothing
about the UI."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("playwright", reason="playwright is not installed: run `make install-dev`")
from playwright.sync_api import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

PAGE = """<!doctype html>
<html lang="ko">
<head><meta charset="utf-8"><title>smoke</title></head>
<body>
  <p id="lang"></p>
  <button id="go" type="button">확인</button>
  <script>
    document.getElementById("lang").textContent = navigator.language;
    document.getElementById("go").addEventListener("click", (event) => {
      event.target.textContent = "완료";
    });
  </script>
</body>
</html>
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep request lines out of the test output."""


@pytest.fixture
def static_site(tmp_path: Path) -> Iterator[str]:
    """``tmp_path`` served over HTTP on a free port, in a thread, for the test's duration."""
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_click_changes_the_page_and_a_screenshot_is_saved(
    page: Page, static_site: str, screenshot_dir: Path
) -> None:
    page.goto(f"{static_site}/index.html")
    assert page.title() == "smoke"
    assert page.text_content("#lang") == "ko-KR"  # the page fixture's locale
    button = page.locator("#go")
    assert button.text_content() == "확인"
    button.click()
    expect(button).to_have_text("완료")
    shot = screenshot_dir / "after-click.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
