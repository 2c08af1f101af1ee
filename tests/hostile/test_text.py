"""Text that no output can hold, or that a terminal or a program would read as something else
(issue 15 review, items 6 and 11).

- Half a UTF-16 pair (`"\\ud800"`) is valid JSON, and a YAML escape, but no output can encode
  it: in an adapter's item name it crashed `diagnose` and `collect`; in a bundle or a saved
  report every format; in a scenario the sandbox answered 500. It is replaced with U+FFFD where
  JSON and YAML are parsed, and shown as `\\ud800` by `visible()`.
- JSON exports escaped ESC but wrote C1 controls (U+009B, a terminal's CSI) and bidi overrides
  (U+202E) raw, and the practice HTML wrote organisation names with raw ESC, BEL and U+202E.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.infra.jsonfile import parse_json
from troubleshooter.infra.safetext import visible
from troubleshooter.infra.yamlfile import load_yaml
from troubleshooter.model import ItemKind
from troubleshooter.report import FORMATS, export, export_json_bytes, load_diagnosis
from troubleshooter.runs.bundle import bundle_json, collect, diagnose_bundle, load_bundle
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import Scenario, scenario_from_text

LONE = "\ud800"
REPLACED = "\ufffd"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "troubleshooter", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="strict",  # the output must be text: a stray surrogate would not decode
        timeout=120,
    )


def _every_output(result: Any) -> None:
    for fmt in FORMATS:
        text = export(result, fmt)
        text.encode("utf-8")  # strict: no surrogate made it through
        assert LONE not in text


# -- lone surrogates --------------------------------------------------------------------------


def test_visible_shows_a_surrogate_as_an_escape() -> None:
    assert visible(f"a{LONE}b\udfff") == "a\\ud800b\\udfff"


def test_json_replaces_a_lone_surrogate_and_keeps_a_pair() -> None:
    data = parse_json('{"name\\ud800": ["x\\ud800y", "\\ud83d\\ude00", "\\\\ud800"]}')
    assert data == {f"name{REPLACED}": [f"x{REPLACED}y", "\U0001f600", "\\ud800"]}


def test_yaml_joins_an_escaped_pair_and_replaces_a_lone_half() -> None:
    data = load_yaml('a: "\\ud83d\\ude00"\nb: "x\\ud800"\nc: "\\U0000dfff"\n')
    assert data == {"a": "\U0001f600", "b": f"x{REPLACED}", "c": REPLACED}


def _adapter_page(name: str) -> str:
    rows = json.dumps([{"name": name, "code": "777"}])
    return json.dumps({"kind": "account", "page": 1, "page_count": 1, "items": json.loads(rows)})


def test_a_lone_surrogate_from_an_adapter_reaches_no_output(library: Library) -> None:
    # json.dumps writes the lone half as the escape "\ud800", as a server would.
    page = _adapter_page(f"Sales {LONE}")
    assert "\\ud800" in page
    s = scenario_from_text(
        "clock: 2026-11-25T10:00:00Z\norganisation: {name: Text Ltd}\n"
        "xero: {accounts: [{code: '200', name: Sales}]}\n"
        f"faults: [{{system: dext_adapter, path: /v1/items/account, body: '{page}'}}]\n"
    )
    connections = sandbox_connections(Sandbox(s), settings=FAST)
    result = asyncio.run(diagnose(connections, library))
    names = [i.name for i in result.items if i.kind is ItemKind.ACCOUNT]
    assert f"Sales {REPLACED}" in names
    _every_output(result)
    bundle = asyncio.run(collect(sandbox_connections(Sandbox(s), settings=FAST)))
    assert REPLACED in bundle_json(bundle)


@pytest.fixture
def bundle_data(demo: Scenario) -> dict[str, Any]:
    connections = sandbox_connections(Sandbox(demo), settings=FAST)
    data: dict[str, Any] = json.loads(bundle_json(asyncio.run(collect(connections))))
    return data


def _with_lone_surrogate(path: Path, data: dict[str, Any]) -> Path:
    # ensure_ascii: the surrogate is written as its escape, which is valid JSON.
    path.write_text(json.dumps(data, ensure_ascii=True), encoding="utf-8")
    assert "\\ud800" in path.read_text(encoding="utf-8")
    return path


def test_a_lone_surrogate_in_a_bundle_reaches_no_output(
    tmp_path: Path, bundle_data: dict[str, Any], library: Library
) -> None:
    xero = next(s for s in bundle_data["snapshots"] if s["stage"] == "xero")
    xero["items"]["account"][0]["name"] = f"Sales {LONE}"
    bundle_data["organisation"]["name"] = f"Org {LONE}"
    path = _with_lone_surrogate(tmp_path / "bundle.json", bundle_data)
    result = diagnose_bundle(load_bundle(path), library)
    _every_output(result)
    for fmt in FORMATS:
        proc = _cli("diagnose", "--snapshot", str(path), "--format", fmt)
        assert proc.returncode in (0, 1, 3), (fmt, proc.stderr)
        assert "Traceback" not in proc.stderr and REPLACED in proc.stdout


def test_a_lone_surrogate_in_a_saved_report_reaches_no_output(
    tmp_path: Path, demo: Scenario, library: Library
) -> None:
    result = asyncio.run(diagnose(sandbox_connections(Sandbox(demo), settings=FAST), library))
    data = json.loads(export_json_bytes(result))
    data["organisation"]["name"] = f"Org {LONE}"
    data["items"][0]["name"] = f"Item {LONE}"
    path = _with_lone_surrogate(tmp_path / "report.json", data)
    _every_output(load_diagnosis(path))
    for fmt in FORMATS:
        proc = _cli("report", str(path), "--format", fmt)
        assert proc.returncode == 0, (fmt, proc.stderr)
        assert REPLACED in proc.stdout


def test_a_scenario_holding_a_lone_surrogate_is_served(library: Library) -> None:
    s = scenario_from_text(
        'clock: 2026-11-25T10:00:00Z\norganisation: {name: "Org \\ud800"}\n'
        "xero: {accounts: [{code: '200', name: \"Sales \\ud800\"}]}\n"
    )
    sandbox = Sandbox(s)
    result = asyncio.run(diagnose(sandbox_connections(sandbox, settings=FAST), library))
    assert all(r.status == 200 for r in sandbox.log.requests), sandbox.log.requests
    assert not result.failed_systems
    assert result.organisation.name == f"Org {REPLACED}"
    _every_output(result)


def test_visible_shows_characters_that_show_nothing_but_keeps_joiners() -> None:
    """A zero-width space, a word joiner or a byte-order mark makes two names that look alike
    differ: shown as escapes. The zero-width joiners, which scripts and emoji need, stay."""
    assert visible("Staff\u200bWellbeing") == "Staff\\u200bWellbeing"
    assert visible("\ufeffRent\u2060") == "\\ufeffRent\\u2060"
    assert visible("क्\u200dष 👩\u200d💻 \u200c") == "क्\u200dष 👩\u200d💻 \u200c"
