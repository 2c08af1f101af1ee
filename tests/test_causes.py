"""One sandbox scenario per cause in tests/scenarios/cause-NN-<slug>.yaml, diagnosed in-process.

Each file holds `expect:` (the plan's actions in order, the exact set of findings, and optionally
`focus` and `exit`) and `scenario:` (a full scenario). The expectations say what is right for the
cause, not whatever the tool happens to print: where the tool is known to be wrong, the file is
listed in KNOWN_WRONG with the reason, and its test is a strict xfail (it turns red the day the
rules are fixed, so the entry can go).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST

from troubleshooter.diagnosis.diagnose import Library, exit_code_for
from troubleshooter.errors import ExitCode
from troubleshooter.infra.yamlfile import load_yaml
from troubleshooter.model import DOWNSTREAM, Diagnosis, Mark, Stage
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import parse_scenario

SCENARIOS = Path(__file__).parent / "scenarios"
CAUSE_FILES = sorted(SCENARIOS.glob("*.yaml"))
CAUSE_NAME = re.compile(r"^cause-(\d\d)-[a-z0-9]+(?:-[a-z0-9]+)*\.yaml$")

# file name -> why the tool's output is wrong for that cause today
KNOWN_WRONG: dict[str, str] = {}


def _load(path: Path) -> dict[str, Any]:
    data = load_yaml(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: a mapping with `expect` and `scenario`"
    assert set(data) == {"expect", "scenario"}, f"{path.name}: top-level keys {sorted(data)}"
    return data


def _diagnose(data: dict[str, Any], library: Library) -> Diagnosis:
    scenario = parse_scenario(data["scenario"])
    connections = sandbox_connections(Sandbox(scenario), settings=FAST)
    focus = data["expect"].get("focus")
    return asyncio.run(diagnose(connections, library, focus=focus))


def _missing_downstream(diagnosis: Diagnosis) -> list[str]:
    """Items Xero has and means to send on, that a stage after Xero does not hold."""
    return [
        trace.name
        for trace in diagnosis.items
        if trace.stages.get(Stage.XERO) not in (Mark.MISSING, Mark.UNKNOWN)
        and any(
            trace.stages.get(stage) is Mark.MISSING and stage not in trace.blocked
            for stage in DOWNSTREAM
        )
    ]


def _params() -> list[Any]:
    params = []
    for path in CAUSE_FILES:
        marks = []
        if path.name in KNOWN_WRONG:
            marks.append(
                pytest.mark.xfail(reason=KNOWN_WRONG[path.name], raises=AssertionError, strict=True)
            )
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.mark.parametrize("path", _params())
def test_cause(path: Path, library: Library) -> None:
    data = _load(path)
    expect = data["expect"]
    diagnosis = _diagnose(data, library)

    actions = [step.action for step in diagnosis.plan]
    assert actions == expect["actions"]

    found = {(f.rule, f.name) for f in diagnosis.findings}
    wanted = {(f["rule"], f.get("item")) for f in expect["findings"]}
    assert found == wanted

    code = exit_code_for(diagnosis)
    missing = _missing_downstream(diagnosis)
    if missing:
        assert code != ExitCode.OK, f"exit 0 although {missing} are missing downstream"
    if "exit" in expect:
        assert int(code) == expect["exit"]


def test_one_file_per_cause() -> None:
    names = [path.name for path in CAUSE_FILES]
    assert len(names) == 15, names
    assert all(CAUSE_NAME.match(name) for name in names), names
    numbers = [CAUSE_NAME.match(name).group(1) for name in names]  # type: ignore[union-attr]
    assert numbers == [f"{n:02d}" for n in range(1, 16)]
