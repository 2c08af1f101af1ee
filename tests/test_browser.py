"""The HTML report in a real browser: headless Chromium opens it from disk, renders it, takes a
screenshot, and makes no network request and logs no console message."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import run

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
