"""Debian's Chromium driven by Playwright, for the tests of the web page.

Playwright never downloads a browser here: it launches ``/usr/bin/chromium``
(``.ci/chromium.sh`` installs it). :func:`skip_reason` says why browser tests cannot run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tracklayer.service.app import STATIC_DIR

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Waits are generous: Cesium renders in software (SwiftShader) on a 2-core CI machine.
WAIT_MS = 90_000


def skip_reason() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} missing (install it with .ci/chromium.sh)"
    if not (STATIC_DIR / "index.html").is_file() or not (STATIC_DIR / "cesium").is_dir():
        return f"web page not built in {STATIC_DIR} (cd web && npm ci && node build.mjs)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    return None


def skip_without_browser() -> None:
    """Skip the calling test module, saying why, when the browser tests cannot run."""
    reason = skip_reason()
    if reason is not None:
        pytest.skip(reason, allow_module_level=True)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched by Playwright (never downloaded)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Watched:
    """A page with every request URL and every console error or page error it produced."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("websocket", lambda ws: self.requests.append(ws.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = self.page.evaluate("window.tracklayer.summary()")
        return out

    def wait(self, condition: str, timeout_ms: int = WAIT_MS) -> None:
        """Wait until the JS expression (over ``s``, the page's summary) is true."""
        self.page.wait_for_function(
            f"(() => {{ const s = window.tracklayer && window.tracklayer.summary(); "
            f"return !!s && ({condition}); }})()",
            timeout=timeout_ms,
        )


def foreign(urls: list[str], base: str) -> list[str]:
    """Request URLs that do not go to the local server (blob: and data: URLs are local)."""
    origin = base.rstrip("/")
    local = (f"{origin}/", f"blob:{origin}/", f"ws://{origin.split('://', 1)[1]}/", "data:")
    return [u for u in urls if not u.startswith(local)]


def start_view(run_dir: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """``python -m tracklayer.service.view RUN_DIR`` on ``port``, once ``/health`` answers.

    Returns the process and the URL it printed.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracklayer.service.view", str(run_dir), "--port", str(port),
         "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    base = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            if httpx.get(base + "health", timeout=1.0).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read() if proc.stderr else "view exited")
        time.sleep(0.1)
    stop_view(proc)
    raise AssertionError("tracklayer view did not answer /health in 60 s")


def stop_view(proc: subprocess.Popen[str]) -> None:
    """Stop a view process and close its pipes."""
    proc.terminate()
    proc.wait(10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
