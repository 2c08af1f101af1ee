"""Each rule's cases: small scenarios where it must fire and where it must stay quiet.

They live beside the rules, in `tests/<anything>.yaml` under a rules folder:

    rule: not-in-approvalmax-yet
    fire:
      - name: created after ApprovalMax's last sync
        item: Staff Wellbeing          # the finding must be about this item (omit for org rules)
        scenario: {xero: {accounts: [...]}, approvalmax: {last_sync: -2h}}
    quiet:
      - name: already in ApprovalMax
        scenario: {...}

A case may also give `focus` (as `--item`) and `answers` (as `--answer`). The scenario's clock
and organisation default to 2026-11-25T10:00:00Z and "Case Co".
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.errors import RuleLoadError, TroubleshooterError
from troubleshooter.infra import aio
from troubleshooter.infra.files import read_text
from troubleshooter.infra.yamlfile import load_yaml, validation_problem, yaml_error_text
from troubleshooter.model import Diagnosis
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import parse_scenario
from troubleshooter.sources.http import HttpSettings

CASE_DEFAULTS = {"clock": "2026-11-25T10:00:00Z", "organisation": {"name": "Case Co"}}
FAST = HttpSettings(timeout=5, attempts=2, backoff=0.001, max_backoff=0.001)


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    item: str | None = Field(default=None, description="The item the finding is about.")
    focus: str | None = None
    answers: dict[str, str] = Field(default_factory=dict)
    scenario: dict[str, Any]


class CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str
    fire: list[Case] = Field(default_factory=list)
    quiet: list[Case] = Field(default_factory=list)


@dataclass(frozen=True)
class CaseResult:
    rule: str
    expect: str  # "fire" or "quiet"
    case: str
    passed: bool
    detail: str
    source: Path


def load_cases(directories: list[Path]) -> list[tuple[CaseFile, Path]]:
    found = []
    for directory in directories:
        for path in sorted((directory / "tests").glob("*.yaml")):
            try:
                data = load_yaml(read_text(path))
            except yaml.YAMLError as exc:
                raise RuleLoadError(f"{path}: {yaml_error_text(exc)}") from None
            except OSError as exc:
                raise RuleLoadError(f"{path}: cannot read it ({exc.strerror or exc})") from None
            try:
                found.append((CaseFile.model_validate(data), path))
            except ValidationError as exc:
                line, problem = validation_problem(exc, data, CaseFile.model_fields)
                raise RuleLoadError(f"{path}:{line or 1}: {problem}") from None
    return found


def lint(library: Library, directories: list[Path]) -> list[str]:
    """What `rules lint` reports: the library's own problems (questions no rule raises, actions
    and articles nothing uses), then case files about rules that do not exist."""
    problems = library.lint()
    known = {r.id for r in library.rules.rules}
    for case_file, path in load_cases(directories):
        if case_file.rule not in known:
            problems.append(f"{path}: cases for unknown rule '{case_file.rule}'")
    return problems


def run_case(library: Library, case: Case) -> Diagnosis:
    from troubleshooter.sandbox.app import Sandbox  # the server, only where cases run

    scenario = parse_scenario(copy.deepcopy({**CASE_DEFAULTS, **case.scenario}))
    connections = sandbox_connections(Sandbox(scenario), settings=FAST)
    return aio.run(diagnose(connections, library, answers=case.answers, focus=case.focus))


def _judge(rule: str, expect: str, case: Case, diagnosis: Diagnosis) -> tuple[bool, str]:
    hits = [f for f in diagnosis.findings if f.rule == rule]
    if case.item is not None:
        hits = [f for f in hits if f.name is not None and f.name.casefold() == case.item.casefold()]
    if expect == "fire":
        if hits:
            return True, f"fired: {hits[0].message}"
        fired = sorted({f.rule for f in diagnosis.findings}) or ["nothing"]
        target = f" for {case.item}" if case.item else ""
        return False, f"did not fire{target} (fired: {', '.join(fired)})"
    if hits:
        return False, f"fired when it should stay quiet: {hits[0].message}"
    return True, "stayed quiet"


def run_cases(library: Library, directories: list[Path]) -> list[CaseResult]:
    """Runs every case beside the rules; a rule with no fire or no quiet case fails too."""
    results: list[CaseResult] = []
    covered: dict[str, set[str]] = {}
    for case_file, path in load_cases(directories):
        rule = case_file.rule
        try:
            library.rules.rule(rule)
        except KeyError:
            results.append(CaseResult(rule, "-", "-", False, "no such rule", path))
            continue
        for expect, cases in (("fire", case_file.fire), ("quiet", case_file.quiet)):
            for case in cases:
                covered.setdefault(rule, set()).add(expect)
                try:
                    passed, detail = _judge(rule, expect, case, run_case(library, case))
                except TroubleshooterError as exc:
                    passed, detail = False, f"could not run: {exc}"
                results.append(CaseResult(rule, expect, case.name, passed, detail, path))
    for known in library.rules.rules:
        missing = {"fire", "quiet"} - covered.get(known.id, set())
        if missing and known.spec.status != "deprecated":
            detail = f"has no {' and no '.join(sorted(missing))} case"
            results.append(CaseResult(known.id, "-", "-", False, detail, known.source))
    return results
