"""The demo starts in a plain terminal: tmux runs `troubleshooter demo`, we read the screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
if TMUX is None and os.environ.get("CI"):
    pytest.fail("CI must have tmux for the terminal test (.ci/run installs it)")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


def tmux(*args: str) -> str:
    assert TMUX is not None
    return subprocess.run([TMUX, *args], capture_output=True, text=True, check=False).stdout


def wait_for(session: str, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-t", session, "-p")
        if text in screen:
            return screen
        time.sleep(0.3)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


def test_the_demo_starts_and_quits_in_tmux(tmp_path: Path) -> None:
    session = f"ts-{uuid.uuid4().hex[:8]}"
    done = tmp_path / "exit-code"
    command = f"{sys.executable} -m troubleshooter demo; echo $? > {done}"
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "45", command)
    # Detached, tmux sizes the window itself unless told otherwise.
    tmux("set-option", "-t", session, "window-size", "manual")
    tmux("resize-window", "-t", session, "-x", "160", "-y", "45")
    try:
        wait_for(session, "5 items stopped")
        screen = wait_for(session, "Staff Wellbeing")
        assert "Harbour Street Coffee Roasters Ltd" in screen
        tmux("send-keys", "-t", session, "p")
        assert "5 of 79 items" in wait_for(session, "5 of 79 items")
        tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 15
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert done.exists() and done.read_text().strip() == "0"
    finally:
        tmux("kill-session", "-t", session)
