"""Evaluation: rules over items with a gap, then the organisation; findings and messages."""

from __future__ import annotations

import asyncio
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from conftest import FAST, run, scenario

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.diagnosis.evaluate import evaluate, render_message
from troubleshooter.diagnosis.facts import FactContext
from troubleshooter.diagnosis.lineage import build_traces
from troubleshooter.diagnosis.ruleset import load_rules
from troubleshooter.model import ItemTrace, Stage, StageSnapshot
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sources.fetch import fetch_snapshots


def test_unknown_downstream_yields_no_finding(library: Library) -> None:
    s = scenario(
        """
        xero: {accounts: [{code: '429', name: Staff Wellbeing, created: -1h}]}
        approvalmax: {last_sync: -2h, access: none}
        dext: {access: none}
        """
    )
    diagnosis = run(Sandbox(s), library)
    assert diagnosis.findings == []
    [trace] = diagnosis.items
    assert trace.stages["approvalmax"] == "unknown" and trace.stages["dext"] == "unknown"


def test_a_message_shows_times_in_utc_and_unknown_as_not_known() -> None:
    moment = datetime(2026, 11, 25, 14, 5, tzinfo=UTC)
    text = render_message(
        "{name} by {expected_by}, pull {dext.last_pull}", {"name": "Sales", "expected_by": moment}
    )
    assert text == "Sales by 2026-11-25 14:05 UTC, pull not known"


RULES = """
rules:
  - id: missing-in-dext
    title: Not in Dext
    applies_to: [account]
    stage: dext
    when: {all: [{fact: xero, equals: present}, {fact: dext, equals: missing}]}
    action: fix
    article: a
    message: "{code} {name} ({kind}) stopped at {stage}; Dext has {dext}"
  - id: archived
    title: Archived
    focus_only: true
    applies_to: [account]
    when: {fact: xero, equals: archived}
    action: fix
    article: a
    message: "{name} is archived"
  - id: old
    title: Deprecated
    status: deprecated
    applies_to: [account]
    when: {fact: xero, equals: present}
    action: fix
    article: a
    message: "never"
  - id: every-item-waits
    title: Only time
    applies_to: [organisation]
    when: {fact: findings.all_timing, equals: false}
    action: fix
    article: a
    message: "not all timing"
actions:
  - {id: fix, title: Fix, phase: xero, instructions: [Do it.]}
"""


def traces_of(text: str) -> tuple[list[ItemTrace], FactContext]:
    s = scenario(text)
    snapshots: dict[Stage, StageSnapshot] = asyncio.run(
        fetch_snapshots(sandbox_connections(Sandbox(s), settings=FAST))
    )
    return build_traces(snapshots), FactContext(snapshots, s.clock)


def test_item_rules_then_organisation_rules_focus_only_counted_deprecated_skipped(
    tmp_path: Path,
) -> None:
    (tmp_path / "rules.yaml").write_text(textwrap.dedent(RULES), encoding="utf-8")
    ruleset = load_rules([tmp_path])
    traces, context = traces_of(
        """
        xero:
          accounts:
            - {code: '200', name: Sales}
            - {code: '429', name: Staff Wellbeing, created: -1h}
            - {code: '300', name: Old, status: ARCHIVED}
        approvalmax: {last_sync: -2h}
        dext: {last_pull: -10h}
        """
    )
    whole = evaluate(ruleset, traces, context)
    assert [(f.rule, f.name) for f in whole.findings] == [
        ("missing-in-dext", "Staff Wellbeing"),
        ("every-item-waits", None),  # after the items: their finding is not one time resolves
    ]
    assert (
        whole.findings[0].message
        == "429 Staff Wellbeing (account) stopped at Dext; Dext has missing"
    )
    assert whole.quiet == {"archived": 1}  # normal in a whole run: counted, not listed
    archived = next(t.key for t in traces if t.name == "Old")
    focused = evaluate(ruleset, traces, context, focus={archived})
    assert [(f.rule, f.name) for f in focused.findings] == [
        ("archived", "Old"),
        ("every-item-waits", None),
    ]
    assert focused.quiet == {}
