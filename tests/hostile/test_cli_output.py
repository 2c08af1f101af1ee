"""What the command line prints and writes, under attack: a server that echoes the token, names
that try to drive the terminal, output paths that are folders, pipes, devices or existing
files (issue 15 items 3, 12, 14 and 15's busy port; the last is in test_cli_usage.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import invoke

from troubleshooter.errors import ExitCode
from troubleshooter.sandbox.connect import SANDBOX_TOKEN

ESC = "\x1b"


def test_a_server_that_echoes_the_token_does_not_put_it_on_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An adapter answers 400 with the request's Authorization header in its body: the
    progress line (shown when a person watches) says it failed, without the token."""
    body = json.dumps(
        {"message": "bad request; headers: Authorization: Bearer abcDEF0123456789; "
         f"X-Api-Key: {SANDBOX_TOKEN}"}
    )  # fmt: skip
    scenario = tmp_path / "echo.yaml"
    scenario.write_text(
        "clock: 2026-11-25T10:00:00Z\norganisation: {name: Echo Co}\n"
        "xero: {accounts: [{code: '200', name: Sales}]}\n"
        f"faults: [{{system: dext_adapter, status: 400, body: {json.dumps(body)}}}]\n",
        encoding="utf-8",
    )
    monkeypatch.setattr("troubleshooter.cli.output.stderr_is_terminal", lambda: True)
    code, out, err = invoke("diagnose", "--scenario", str(scenario), "--format", "json")
    assert code == ExitCode.INCOMPLETE
    assert "Dext" in err and "failed" in err  # the reason is shown…
    assert "abcDEF0123456789" not in err  # …without a token it looks like…
    assert SANDBOX_TOKEN not in err  # …or the one this run uses
    assert "[redacted]" in err
    assert SANDBOX_TOKEN not in out  # and the report, as before


def test_a_name_that_clears_the_screen_is_shown_escaped_by_sandbox_check(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "wipe.yaml"
    scenario.write_text(
        'clock: 2026-11-25T10:00:00Z\norganisation: {name: "Wipe\\e[2J\\e]0;owned\\a Co"}\n',
        encoding="utf-8",
    )
    code, out, err = invoke("sandbox", "check", "--scenario", str(scenario))
    assert code == ExitCode.OK, err
    assert ESC not in out and "\a" not in out
    assert "Wipe\\x1b[2J\\x1b]0;owned\\x07 Co" in out


def test_an_error_quoting_typed_text_is_escaped() -> None:
    code, _, err = invoke("knowledge", "show", f"nope{ESC}[2J")
    assert code == ExitCode.USAGE
    assert ESC not in err and "\\x1b[2J" in err
    code, _, err = invoke("help", f"x{ESC}]8;;http://evil{ESC}\\")
    assert code == ExitCode.USAGE and ESC not in err


def test_output_to_a_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    code, out, err = invoke("diagnose", "--demo", "-o", str(tmp_path))
    assert code == ExitCode.USAGE
    assert str(tmp_path) in err and "folder" in err and out == ""
    assert list(tmp_path.iterdir()) == []  # no partial file left behind
    code, _, err = invoke("collect", "--demo", "-o", str(tmp_path))
    assert code == ExitCode.USAGE and "folder" in err


def test_replacing_a_file_is_said(tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    code, _, err = invoke("diagnose", "--demo", "-o", str(report))
    assert code == ExitCode.FINDINGS and f"wrote {report}" in err and "replaced" not in err
    report.write_text("an older report", encoding="utf-8")
    code, _, err = invoke("diagnose", "--demo", "-o", str(report))
    assert code == ExitCode.FINDINGS and f"replaced {report}" in err
    assert report.read_text(encoding="utf-8").startswith("# Harbour Street")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_output_to_a_fifo_is_written_into_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    code, _, err = invoke("diagnose", "--demo", "-o", str(fifo), "--format", "json")
    reader.join(timeout=30)
    assert code == ExitCode.FINDINGS, err
    assert json.loads(received[0])["organisation"]["name"] == "Harbour Street Coffee Roasters Ltd"
    assert fifo.is_fifo()  # still the pipe, not a file put in its place
    assert "wrote" not in err and "replaced" not in err


def test_output_to_dev_stdout_writes_the_device() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "troubleshooter", "diagnose", "--demo", "--format", "json",
         "-o", "/dev/stdout"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert proc.returncode == ExitCode.FINDINGS, proc.stderr
    json.loads(proc.stdout)
    assert proc.stderr == ""
