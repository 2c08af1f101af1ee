"""Times a file or a server gets wrong: without a zone (which used to crash a run with exit 1,
read as "findings"), or so far out that date arithmetic overflows (`9999-12-31T23:59:59-12:00`
is the year 10000 in UTC). Each is refused when the file is read, naming the file and the field
or line (exit 2, never a traceback); from a server, it fails that system or list with the
reason, and the run completes. Showing a time never overflows, whatever it is."""

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


# -- times near datetime's ends: refused when read, never a crash when shown ----------------------

FAR = {
    "year 9999, west of UTC": "9999-12-31T23:59:59-12:00",  # the year 10000 in UTC
    "year 1, east of UTC": "0001-01-01T00:00:00+14:00",  # the year 0 in UTC
}


def _approvalmax(data: dict[str, Any]) -> dict[str, Any]:
    snapshot: dict[str, Any] = next(s for s in data["snapshots"] if s["stage"] == "approvalmax")
    return snapshot


FAR_BUNDLE_EDITS: dict[str, tuple[Callable[[dict[str, Any], str], None], str]] = {
    "collected_at": (lambda d, t: d.update(collected_at=t), "collected_at"),
    "a snapshot's last_pull": (lambda d, t: _dext(d).update(last_pull=t), "snapshots.2.last_pull"),
    "a snapshot's last_sync": (
        lambda d, t: _approvalmax(d)["last_sync"].update(accounts=t),
        "snapshots.1.last_sync.accounts",
    ),
}


@pytest.mark.parametrize("far", FAR, ids=list(FAR))
@pytest.mark.parametrize("field", FAR_BUNDLE_EDITS)
def test_a_bundle_time_outside_the_years_is_refused_when_read(
    tmp_path: Path, bundle_data: dict[str, Any], field: str, far: str
) -> None:
    edit, where = FAR_BUNDLE_EDITS[field]
    edit(bundle_data, FAR[far])
    path = _write(tmp_path, "far-bundle.json", bundle_data)
    with pytest.raises(ConfigError) as caught:
        load_bundle(path)
    said = str(caught.value)
    assert str(path) in said and where in said and "outside the years 1970 to 2999" in said


@pytest.mark.parametrize("far", FAR, ids=list(FAR))
def test_a_saved_report_time_outside_the_years_is_refused_when_read(
    tmp_path: Path, diagnosis_data: dict[str, Any], far: str
) -> None:
    diagnosis_data["generated_at"] = FAR[far]
    path = _write(tmp_path, "far-report.json", diagnosis_data)
    with pytest.raises(ConfigError, match=r"generated_at: the time .* outside the years"):
        load_diagnosis(path)
    # Deep in it, too: a finding's expected_by, and a system's last sync.
    diagnosis_data = json.loads(json.dumps(diagnosis_data))
    diagnosis_data["generated_at"] = "2026-11-25T10:00:00Z"
    system = next(s for s in diagnosis_data["systems"] if s["stage"] == "approvalmax")
    system["last_sync"]["accounts"] = FAR[far]
    path = _write(tmp_path, "far-deep.json", diagnosis_data)
    with pytest.raises(ConfigError, match=r"systems\.1\.last_sync\.accounts: the time"):
        load_diagnosis(path)


def test_the_command_line_exits_2_for_times_outside_the_years(
    tmp_path: Path, bundle_data: dict[str, Any], diagnosis_data: dict[str, Any]
) -> None:
    _approvalmax(bundle_data)["last_sync"]["accounts"] = FAR["year 9999, west of UTC"]
    diagnosis_data["generated_at"] = FAR["year 1, east of UTC"]
    bundle = _write(tmp_path, "far-bundle.json", bundle_data)
    report = _write(tmp_path, "far-report.json", diagnosis_data)
    for args, name in (
        (("diagnose", "--snapshot", str(bundle)), bundle.name),
        (("diagnose", "--snapshot", str(bundle), "--format", "json"), bundle.name),
        (("report", str(report)), report.name),
        (("report", str(report), "--format", "html"), report.name),
    ):
        proc = _cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert name in proc.stderr and "outside the years" in proc.stderr
        assert "Traceback" not in proc.stderr, proc.stderr


STATE = (
    '{"system": "approvalmax", "as_of": "2026-11-25T10:00:00Z", "organisation": {"name": "X"}, '
    '"last_sync": {"accounts": "%s"}}'
)


@pytest.mark.parametrize("far", FAR, ids=list(FAR))
def test_an_adapter_time_outside_the_years_fails_the_system_and_the_run_completes(
    far: str, library: Library
) -> None:
    from troubleshooter.diagnosis.diagnose import exit_code_for
    from troubleshooter.errors import ExitCode
    from troubleshooter.model import Stage
    from troubleshooter.sandbox.scenario import scenario_from_text

    body = STATE % FAR[far]
    s = scenario_from_text(
        "clock: 2026-11-25T10:00:00Z\norganisation: {name: Far Ltd}\n"
        "xero: {accounts: [{code: '200', name: Sales}]}\n"
        f"faults: [{{system: approvalmax_adapter, path: /v1/state, body: '{body}'}}]\n"
    )
    result = asyncio.run(diagnose(sandbox_connections(Sandbox(s), settings=FAST), library))
    approvalmax = next(st for st in result.systems if st.stage is Stage.APPROVALMAX)
    assert approvalmax in result.failed_systems
    assert approvalmax.error is not None and "outside the years 1970 to 2999" in approvalmax.error
    assert exit_code_for(result) is ExitCode.INCOMPLETE
    for fmt in ("text", "md", "html", "json"):
        assert export(result, fmt)  # every view renders


def test_a_xero_time_outside_the_years_fails_that_list(library: Library) -> None:
    from troubleshooter.model import ItemKind, Stage
    from troubleshooter.sandbox.scenario import scenario_from_text

    far = "/Date(253402300799000+0000)/"  # 9999-12-31T23:59:59Z
    body = (
        '{"Accounts": [{"AccountID": "a-1", "Code": "200", "Name": "Sales", "Status": "ACTIVE", '
        f'"Type": "REVENUE", "UpdatedDateUTC": "{far}"}}]}}'
    )
    s = scenario_from_text(
        "clock: 2026-11-25T10:00:00Z\norganisation: {name: Far Ltd}\n"
        "xero: {accounts: [{code: '200', name: Sales}]}\n"
        f"faults: [{{system: xero, path: /api.xro/2.0/Accounts, body: '{body}'}}]\n"
    )
    result = asyncio.run(diagnose(sandbox_connections(Sandbox(s), settings=FAST), library))
    xero = next(st for st in result.systems if st.stage is Stage.XERO)
    assert "outside the years" in xero.kind_errors[ItemKind.ACCOUNT]
    for fmt in ("text", "md", "html", "json"):
        assert export(result, fmt)


def test_showing_a_time_near_the_ends_never_overflows() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from troubleshooter.wording import age, when

    now = datetime(2026, 11, 25, 10, tzinfo=UTC)
    late = datetime.fromisoformat(FAR["year 9999, west of UTC"])
    early = datetime.fromisoformat(FAR["year 1, east of UTC"])
    auckland = ZoneInfo("Pacific/Auckland")
    assert when(late) == "9999-12-31 23:59 UTC-12:00"  # in its own zone: UTC would overflow
    assert when(early, auckland).startswith("1-01-01 00:00")
    assert age(late, now) == "in the future"
    assert age(early, now).endswith("days ago")
