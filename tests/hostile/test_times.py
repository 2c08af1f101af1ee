"""Times a file gets wrong: without a zone (which used to crash a run with exit 1, read as
"findings"), or so far out that date arithmetic overflows. Each is refused when the file is
read, naming the file and the field or line: exit 2, never a traceback."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST

from troubleshooter.diagnosis.answers import load_answers_file
from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.errors import ConfigError
from troubleshooter.model import SnapshotInfo
from troubleshooter.report import export, load_diagnosis
from troubleshooter.runs.bundle import bundle_json, collect, diagnose_bundle, load_bundle
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import Scenario

FILES = Path(__file__).parent / "files"


@pytest.fixture
def bundle_data(demo: Scenario) -> dict[str, Any]:
    connections = sandbox_connections(Sandbox(demo), settings=FAST)
    data: dict[str, Any] = json.loads(bundle_json(asyncio.run(collect(connections))))
    return data


@pytest.fixture
def diagnosis_data(demo: Scenario, library: Library) -> dict[str, Any]:
    connections = sandbox_connections(Sandbox(demo), settings=FAST)
    data: dict[str, Any] = json.loads(export(asyncio.run(diagnose(connections, library)), "json"))
    return data


def _naive(text: str) -> str:
    """2026-11-25T10:00:00Z → 2026-11-25T10:00:00: the same moment, its zone dropped."""
    return text.replace("Z", "").split("+")[0]


def _write(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _dext(data: dict[str, Any]) -> dict[str, Any]:
    snapshot: dict[str, Any] = next(s for s in data["snapshots"] if s["stage"] == "dext")
    return snapshot


BUNDLE_EDITS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "collected_at": (
        lambda d: d.update(collected_at=_naive(d["collected_at"])),
        "collected_at",
    ),
    "collected_on_host": (
        lambda d: d.update(collected_on_host=_naive(d["collected_on_host"])),
        "collected_on_host",
    ),
    "a snapshot's last_pull": (
        lambda d: _dext(d).update(last_pull=_naive(_dext(d)["last_pull"])),
        "snapshots.2.last_pull",
    ),
}


@pytest.mark.parametrize("field", BUNDLE_EDITS)
def test_a_bundle_time_without_a_zone_is_refused_when_read(
    tmp_path: Path, bundle_data: dict[str, Any], field: str
) -> None:
    edit, where = BUNDLE_EDITS[field]
    edit(bundle_data)
    path = _write(tmp_path, "naive-bundle.json", bundle_data)
    with pytest.raises(ConfigError) as caught:
        load_bundle(path)
    assert str(path) in str(caught.value) and where in str(caught.value)


def test_a_bundle_with_zones_still_loads_and_diagnoses(
    tmp_path: Path, bundle_data: dict[str, Any], library: Library
) -> None:
    bundle = load_bundle(_write(tmp_path, "bundle.json", bundle_data))
    assert bundle.collected_at.tzinfo is not None
    assert diagnose_bundle(bundle, library).summary.with_findings == 5


def test_a_saved_report_time_without_a_zone_is_refused_when_read(
    tmp_path: Path, diagnosis_data: dict[str, Any]
) -> None:
    diagnosis_data["generated_at"] = _naive(diagnosis_data["generated_at"])
    path = _write(tmp_path, "naive-report.json", diagnosis_data)
    with pytest.raises(ConfigError, match="generated_at") as caught:
        load_diagnosis(path)
    assert str(path) in str(caught.value)


def test_a_time_without_a_zone_deep_in_a_saved_report_is_named(
    tmp_path: Path, diagnosis_data: dict[str, Any]
) -> None:
    with_time = next(i for i, f in enumerate(diagnosis_data["findings"]) if f.get("expected_by"))
    finding = diagnosis_data["findings"][with_time]
    finding["expected_by"] = _naive(finding["expected_by"])
    path = _write(tmp_path, "naive-finding.json", diagnosis_data)
    with pytest.raises(ConfigError, match=rf"findings\.{with_time}\.expected_by"):
        load_diagnosis(path)


def test_the_models_own_times_need_a_zone() -> None:
    with pytest.raises(ValueError, match="timezone"):
        SnapshotInfo.model_validate(
            {
                "collected_at": "2026-11-25T10:00:00",
                "tool_version": "1",
                "diagnosed_at": "2026-11-25T10:00:00Z",
            }
        )


def test_an_answer_a_century_away_names_the_file_and_line(
    tmp_path: Path, demo: Scenario, library: Library
) -> None:
    for name, problem in (
        ("answers-plus-9999999d.yaml", "more than a century"),
        ("answers-year-1.yaml", "years 1970 to 2999"),
    ):
        answers = load_answers_file(FILES / name)
        connections = sandbox_connections(Sandbox(demo), settings=FAST)
        with pytest.raises(ConfigError) as caught:
            asyncio.run(diagnose(connections, library, answers=answers))
        assert f"{FILES / name}:1: dext.last_pull" in str(caught.value)
        assert problem in str(caught.value)


def test_a_replayed_bundle_keeps_where_an_answer_came_from(
    tmp_path: Path, bundle_data: dict[str, Any], library: Library
) -> None:
    bundle = load_bundle(_write(tmp_path, "bundle.json", bundle_data))
    answers = load_answers_file(FILES / "answers-plus-9999999d.yaml")
    with pytest.raises(ConfigError, match=r"answers-plus-9999999d\.yaml:1: dext\.last_pull"):
        diagnose_bundle(bundle, library, answers=answers)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "troubleshooter", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_line_exits_2_for_times_without_zones(
    tmp_path: Path, bundle_data: dict[str, Any], diagnosis_data: dict[str, Any]
) -> None:
    bundle_data["collected_at"] = _naive(bundle_data["collected_at"])
    diagnosis_data["generated_at"] = _naive(diagnosis_data["generated_at"])
    bundle = _write(tmp_path, "naive-bundle.json", bundle_data)
    report = _write(tmp_path, "naive-report.json", diagnosis_data)
    answers = FILES / "answers-plus-9999999d.yaml"
    for args, name in (
        (("diagnose", "--snapshot", str(bundle)), bundle.name),
        (("report", str(report)), report.name),
        (("diagnose", "--demo", "--answers", str(answers)), answers.name),
    ):
        proc = _cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert name in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
