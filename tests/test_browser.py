"""The HTML report and `troubleshooter serve` in a real browser: headless Chromium opens the
report from disk and the served TUI from 127.0.0.1; neither makes a request anywhere else."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import free_port, run

from troubleshooter.report import export

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("CI"):
    pytest.fail("CI must have Debian's chromium for the browser test (.ci/run installs it)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

# The flags that keep Chromium from reaching out on its own (see the machine notes).
QUIET = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
]


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *QUIET, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from troubleshooter.diagnosis.diagnose import Library
    from troubleshooter.infra.resources import demo_scenario
    from troubleshooter.sandbox.app import Sandbox
    from troubleshooter.sandbox.scenario import load_scenario

    diagnosis = run(Sandbox(load_scenario(demo_scenario())), Library.load())
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(export(diagnosis, "html"), encoding="utf-8")
    return path


def page_requests(netlog: Path) -> set[str]:
    """Network requests the page made. Chromium's own background requests (time, updates,
    sign-in) carry the initiator "not an origin"; a page opened from disk has "null"."""
    data = json.loads(netlog.read_text(encoding="utf-8") or "{}")
    names = {v: k for k, v in data.get("constants", {}).get("logEventTypes", {}).items()}
    found = set()
    for event in data.get("events", []):
        params = event.get("params")
        if names.get(event.get("type")) != "URL_REQUEST_START_JOB" or not isinstance(params, dict):
            continue
        if "url" in params and params.get("initiator") != "not an origin":
            found.add(str(params["url"]))
    return {u for u in found if not u.startswith("file:")}


def open_page(page: Path, tmp_path: Path, width: int) -> tuple[Path, list[str], set[str]]:
    """Opens a page; returns its screenshot, its console messages and its network requests."""
    screenshot = tmp_path / "page.png"
    netlog = tmp_path / "netlog.json"
    proc = chromium(
        tmp_path / "profile",
        "--enable-logging=stderr",
        "--v=0",
        f"--log-net-log={netlog}",
        f"--window-size={width},2000",
        f"--screenshot={screenshot}",
        page.as_uri(),
    )
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert screenshot.exists(), proc.stderr[-2000:]
    return screenshot, console, page_requests(netlog)


@pytest.mark.parametrize("width", [1280, 390])  # a desktop and a phone
def test_the_report_renders_without_requests_or_console_errors(
    report_file: Path, tmp_path: Path, width: int
) -> None:
    screenshot, console, requests = open_page(report_file, tmp_path, width)
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000  # a real, non-blank page
    assert int.from_bytes(png[16:20], "big") == width
    assert console == []
    assert requests == set()


def test_the_checks_catch_a_leaky_page(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.html"
    leaky.write_text(
        '<html><body><img src="http://127.0.0.1:9/pixel.png">'
        '<script>console.error("boom")</script></body></html>',
        encoding="utf-8",
    )
    _, console, requests = open_page(leaky, tmp_path, 800)
    assert any("boom" in line for line in console)
    assert requests == {"http://127.0.0.1:9/pixel.png"}


def test_the_report_dom_holds_the_diagnosis(report_file: Path, tmp_path: Path) -> None:
    proc = chromium(tmp_path / "profile", "--dump-dom", report_file.as_uri())
    dom = proc.stdout
    assert "5 items stopped on the way from Xero to Dext" in dom
    assert "What to do, in this order" in dom and "Staff Wellbeing" in dom


# -- `troubleshooter serve` in a real browser --------------------------------------------------
#
# Playwright drives the system's Chromium (no browser of its own is downloaded). Every request
# the page makes goes through a route that lets 127.0.0.1 through and stops anything else before
# it leaves, recording it: so the test sees what the page would ask of other machines, and no
# such request is ever sent.


@contextlib.contextmanager
def serving(*options: str) -> Iterator[str]:
    """`troubleshooter serve` with `options`, in its own process: the address it prints (with
    its token) on one of its first lines of stderr, for as long as the block runs."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "troubleshooter", "serve", *options, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        seen = []
        for _ in range(5):
            seen.append(proc.stderr.readline())
            found = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", seen[-1])
            if found:
                break
        assert found, seen
        yield found.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def served_page() -> Iterator[str]:
    with serving("--demo") as address:
        yield address


class Browser:
    """One page in Chromium, with what it asked for and what the app sent it."""

    def __init__(self, playwright: Any, width: int) -> None:
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=QUIET[1:])
        self.context = self.browser.new_context(
            viewport={"width": width, "height": 800},
            accept_downloads=True,
            permissions=["clipboard-read", "clipboard-write"],  # y copies (OSC 52)
        )
        self.requests: list[str] = []
        self.stopped: list[str] = []
        self.console: list[str] = []
        self.received = b""
        self.sent: list[str] = []
        self.focus_at: int | None = None
        self.downloads: list[Any] = []
        self.context.route("**/*", self._route)
        self.context.on(
            "page", lambda page: page.on("download", lambda d: self.downloads.append(d))
        )
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("websocket", self._websocket)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith("file:"):  # the page itself, opened from disk
            route.continue_()
            return
        self.requests.append(url)
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.stopped.append(url)
            route.abort()

    def _websocket(self, socket: Any) -> None:
        self.requests.append(socket.url)

        def received(frame: bytes | str) -> None:
            self.received += frame if isinstance(frame, bytes) else frame.encode()

        def sent(frame: bytes | str) -> None:
            text = frame if isinstance(frame, str) else frame.decode()
            if text == '["focus"]' and self.focus_at is None:
                self.focus_at = len(self.received)  # what came before the focus was given
            self.sent.append(text)

        socket.on("framereceived", received)
        socket.on("framesent", sent)

    def wait_for(self, text: str, timeout: float = 30, *, after: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.received[after:]:
            assert time.monotonic() < deadline, f"{text!r} never reached the page"
            self.page.wait_for_timeout(100)

    def focused(self, timeout: float = 30) -> int:
        """Waits until the page has given the terminal the focus, unasked; returns how much
        the page had received when it did (taken as the frame went, not when this looked:
        the app may answer the focus before this polls)."""
        deadline = time.monotonic() + timeout
        while self.focus_at is None:
            assert time.monotonic() < deadline, "the page never gave the terminal the focus"
            self.page.wait_for_timeout(100)
        return self.focus_at

    def keys(self, *keys: str) -> None:
        self.page.locator(".xterm-helper-textarea").focus()
        for key in keys:
            self.page.keyboard.press(key)

    def close(self) -> None:
        self.browser.close()


@pytest.mark.parametrize("width", [1280, 390])  # a desktop and a phone
def test_serve_in_a_browser(served_page: str, tmp_path: Path, width: int) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = Browser(playwright, width)
        try:
            browser.page.goto(served_page)
            browser.wait_for("Harbour Street Coffee Roasters Ltd")  # the organisation's name
            browser.wait_for("79 of 79 items")
            browser.wait_for("Quit")  # the footer, with no click: the page gave the keys focus
            browser.page.keyboard.press("p")  # a key works, typed at once: problems only
            browser.wait_for("5 of 79 items")
            browser.keys("y")  # the selected item's story, onto the browser's clipboard
            deadline = time.monotonic() + 30
            while not (copied := browser.page.evaluate("navigator.clipboard.readText()")):
                assert time.monotonic() < deadline, "nothing was copied"
                browser.page.wait_for_timeout(100)
            assert copied.startswith("### Client Entertainment: account (code 420)\n")
            browser.keys("e")  # export: the dialog, then Download
            browser.wait_for("Download")
            browser.keys("Enter")
            deadline = time.monotonic() + 30
            while not browser.downloads:
                assert time.monotonic() < deadline, "no download started"
                browser.page.wait_for_timeout(100)
            [download] = browser.downloads
            assert download.suggested_filename.endswith(".md")
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
            assert saved.read_text(encoding="utf-8").startswith("# Harbour Street Coffee")
            browser.page.screenshot(path=str(tmp_path / "page.png"))
        finally:
            browser.close()
    hosts = {urlsplit(url).hostname for url in browser.requests}
    assert hosts == {"127.0.0.1"} and browser.stopped == []  # nothing leaves this computer
    assert any(url.startswith("ws://127.0.0.1") for url in browser.requests)
    assert [line for line in browser.console if line.startswith("error")] == []
    if width == 390:  # the phone: the stage columns are there, and the search box
        assert b"ApprovalMax" in browser.received and b"search items" in browser.received


def test_serve_with_nothing_connected_takes_typing_at_once(tmp_path: Path) -> None:
    """The guided check in a browser: its field has the keys as soon as the page is up, with
    no click (Textual gives a screen's first field the focus only once the app has it)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with serving() as address, sync_api.sync_playwright() as playwright:
        # Nothing is connected in a test's data folder.
        browser = Browser(playwright, 390)
        try:
            browser.page.goto(address)
            browser.wait_for("What can't you find in Dext?")
            # The footer drawn again once the app has the focus: its field has it then.
            browser.wait_for("Start again", after=browser.focused())
            browser.page.keyboard.type("Staff Wellbeing")
            browser.page.keyboard.press("Enter")
            browser.wait_for("What kind of thing is")
        finally:
            browser.close()
    assert {urlsplit(url).hostname for url in browser.requests} == {"127.0.0.1"}


def test_the_browser_check_catches_a_page_that_asks_elsewhere(tmp_path: Path) -> None:
    """textual-serve's stock page asks Google for a font: the route sees it (and stops it)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    page = tmp_path / "stock.html"
    page.write_text(
        '<html><head><link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto%20Mono">'
        "</head><body>stock</body></html>",
        encoding="utf-8",
    )
    with sync_api.sync_playwright() as playwright:
        browser = Browser(playwright, 800)
        try:
            browser.page.goto(page.as_uri())
            browser.page.wait_for_timeout(500)
        finally:
            browser.close()
    assert browser.stopped == ["https://fonts.googleapis.com/css?family=Roboto%20Mono"]
