"""Small holes found on the way in: a rate limit of zero, a bundle's version written as text, a
bundle holding one system twice, and an environment variable blamed on a settings file."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FAST

from troubleshooter.errors import ConfigError
from troubleshooter.runs.bundle import bundle_json, collect, load_bundle
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import Scenario
from troubleshooter.signin.settings import load_settings

FILES = Path(__file__).parent / "files"


def test_a_rate_limit_of_zero_fails_sandbox_check_not_the_run() -> None:
    """It used to pass the check, then fail every Xero request with IndexError."""
    scenario = FILES / "scenario-per-minute-0.yaml"
    proc = subprocess.run(
        [sys.executable, "-m", "troubleshooter", "sandbox", "check", str(scenario)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "scenario-per-minute-0.yaml: line 5: xero.rate_limits.per_minute" in proc.stderr
    assert "greater than or equal to 1" in proc.stderr


def test_a_bundle_version_written_as_text_gets_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text('{"bundle_version": "1"}', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_bundle(path)
    message = str(caught.value)
    assert 'bundle_version is "1", not a number' in message
    assert "bundle version 1; this troubleshooter reads version 1" not in message


def test_a_bundle_holding_one_system_twice_is_refused(tmp_path: Path, demo: Scenario) -> None:
    connections = sandbox_connections(Sandbox(demo), settings=FAST)
    data = json.loads(bundle_json(asyncio.run(collect(connections))))
    xero = next(s for s in data["snapshots"] if s["stage"] == "xero")
    data["snapshots"].append(xero)  # all three are there, and Xero once more
    path = tmp_path / "twice.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="xero appears more than once"):
        load_bundle(path)


def test_an_environment_override_error_names_the_variable(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-config.yaml"
    with pytest.raises(ConfigError) as caught:
        load_settings(missing, {"TROUBLESHOOTER_XERO_REDIRECT_PORT": "eighty"})
    message = str(caught.value)
    assert message.startswith("TROUBLESHOOTER_XERO_REDIRECT_PORT (in the environment)")
    assert str(missing) not in message


def test_a_settings_file_error_still_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("xero:\n  redirect_port: eighty\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.yaml:2: xero\.redirect_port"):
        load_settings(path, {"TROUBLESHOOTER_XERO_CLIENT_ID": "fine"})


def test_settings_refuse_numbers_that_are_not_numbers(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("http:\n  timeout: .nan\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.yaml:2: http\.timeout"):
        load_settings(path, {})
