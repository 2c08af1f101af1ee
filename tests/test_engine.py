"""Rules as data: strict loading, three-valued evaluation, and the plan's order."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import run, scenario

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.diagnosis.conditions import Group, Leaf, parse_condition
from troubleshooter.diagnosis.ruleset import load_rules
from troubleshooter.diagnosis.plan import Action, Phase, build_plan
from troubleshooter.errors import RuleLoadError
from troubleshooter.infra.resources import data_dir
from troubleshooter.model import Finding
from troubleshooter.sandbox.app import Sandbox

ACTIONS = """
actions:
  - id: fix
    title: Fix it
    phase: xero
    instructions: [Do the thing.]
"""


def write_rules(tmp_path: Path, text: str, with_actions: bool = True) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "rules.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    if with_actions:
        (folder / "actions.yaml").write_text(ACTIONS, encoding="utf-8")
    return folder


RULE = """
rules:
  - id: demo-rule
    title: A rule
    applies_to: [account]
    when:
      all:
        - {fact: xero, equals: present}
    action: fix
    article: how-reference-data-flows
    message: "{name} is {xero}"
"""


def test_a_valid_rule_loads(tmp_path: Path) -> None:
    rules = load_rules([write_rules(tmp_path, RULE)])
    [rule] = rules.rules
    assert rule.id == "demo-rule" and rule.line == 3
    assert rules.actions["fix"].phase is Phase.XERO


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("    when:", "    whn:"), r"rules.yaml:\d+: rule 'demo-rule': whn: unknown key"),
        (("equals: present", "equal: present"), "unknown operator 'equal'"),
        (("fact: xero,", "fact: xero.colour,"), "unknown fact 'xero.colour'"),
        (("action: fix", "action: nothing"), "unknown action 'nothing'"),
        (("{name} is {xero}", "{name.__class__}"), "unknown placeholder"),
        (("    applies_to: [account]", "    applies_to: [invoice]"), "applies_to"),
        (("      all:", "      every:"), "unknown condition"),
    ],
)
def test_mistakes_are_refused_with_file_rule_and_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    folder = write_rules(tmp_path, RULE.replace(*change))
    with pytest.raises(RuleLoadError, match=expected) as caught:
        load_rules([folder])
    assert "rules.yaml" in str(caught.value) or "actions" in expected


def test_duplicate_ids_and_python_tags_are_refused(tmp_path: Path) -> None:
    body = RULE + RULE.replace("rules:\n", "")
    with pytest.raises(RuleLoadError, match="defined twice"):
        load_rules([write_rules(tmp_path, body)])
    evil = write_rules(tmp_path, "rules: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(RuleLoadError, match="not valid YAML"):
        load_rules([evil])


def test_three_valued_logic() -> None:
    present = parse_condition({"fact": "xero", "equals": "present"}, "t")
    missing_am = parse_condition({"fact": "approvalmax", "equals": "missing"}, "t")
    both = Group("all", (present, missing_am))
    either = Group("any", (present, missing_am))
    unknown_am = {"xero": "present", "approvalmax": None}
    assert present.evaluate(unknown_am) is True
    assert missing_am.evaluate(unknown_am) is None
    assert both.evaluate(unknown_am) is None  # never fires on what we could not see
    assert both.evaluate({"xero": "archived", "approvalmax": None}) is False  # one false decides
    assert either.evaluate(unknown_am) is True
    assert Group("not", (missing_am,)).evaluate(unknown_am) is None
    known = Leaf("approvalmax", "known", True)
    assert known.evaluate(unknown_am) is False


def test_time_comparisons_between_facts() -> None:
    from datetime import UTC, datetime

    after = parse_condition({"fact": "xero.changed_at", "after": "approvalmax.last_sync"}, "t")
    early, late = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    assert after.evaluate({"xero.changed_at": late, "approvalmax.last_sync": early}) is True
    assert after.evaluate({"xero.changed_at": early, "approvalmax.last_sync": late}) is False
    assert after.evaluate({"xero.changed_at": late, "approvalmax.last_sync": None}) is None


def test_the_bundled_corpus_is_consistent(library: Library) -> None:
    ids = [r.id for r in library.rules.rules]
    assert len(ids) == len(set(ids)) >= 2
    for rule in library.rules.rules:
        assert rule.spec.article in library.knowledge
        assert rule.spec.action in library.rules.actions
    for action in library.rules.actions.values():
        assert action.instructions and (
            action.article is None or action.article in library.knowledge
        )
    assert load_rules([data_dir("rules")]).rules  # loads on its own too


def finding(action: str, key: str) -> Finding:
    return Finding(rule="r", action=action, key=key, article="a", message="m")


def test_plan_orders_by_phase_whatever_the_order_of_findings() -> None:
    actions = {
        "reconnect_dext": Action(
            id="reconnect_dext", title="R", phase=Phase.DEXT, instructions=["x"]
        ),
        "sync_approvalmax": Action(
            id="sync_approvalmax", title="S", phase=Phase.APPROVALMAX, instructions=["x"]
        ),
        "restore": Action(id="restore", title="X", phase=Phase.XERO, instructions=["x"]),
    }
    findings = [
        finding("reconnect_dext", "a"),
        finding("sync_approvalmax", "a"),
        finding("restore", "b"),
        finding("reconnect_dext", "c"),
    ]
    plan = build_plan(findings, actions)
    assert [s.action for s in plan] == ["restore", "sync_approvalmax", "reconnect_dext"]
    assert [s.order for s in plan] == [1, 2, 3]
    assert plan[2].items == ["a", "c"]


def test_an_item_absent_from_both_gets_both_steps_sync_first(library: Library) -> None:
    s = scenario(
        """
        xero:
          accounts:
            - {code: '200', name: Sales}
            - {code: '429', name: Staff Wellbeing, created: -1h}
          tracking_categories:
            - name: Region
              options: [{name: North}, {name: Pop-up, created: -5h}]
        approvalmax: {last_sync: -2h}
        dext: {last_pull: -10h}
        """
    )
    diagnosis = run(Sandbox(s), library)
    by_item: dict[str, set[str]] = {}
    for f in diagnosis.findings:
        by_item.setdefault(f.name or "(organisation)", set()).add(f.action)
    assert by_item == {
        "Staff Wellbeing": {"sync_approvalmax", "reconnect_dext"},
        "Pop-up": {"reconnect_dext"},
        "(organisation)": {"wait"},  # nothing is broken: the clocks catch up on their own
    }
    assert [step.action for step in diagnosis.plan] == [
        "sync_approvalmax",
        "reconnect_dext",
        "wait",
    ]
    sync, reconnect, wait = diagnosis.plan
    assert wait.expected_by == reconnect.expected_by
    wellbeing = next(t.key for t in diagnosis.items if t.name == "Staff Wellbeing")
    assert sync.items == [wellbeing] and wellbeing in reconnect.items
    # Without action: ApprovalMax's next 2-hourly sync, then Dext's next daily pull.
    assert (
        sync.expected_by is not None and sync.expected_by.isoformat() == "2026-11-25T10:00:00+00:00"
    )
    assert (
        reconnect.expected_by is not None
        and reconnect.expected_by.isoformat() == "2026-11-26T00:00:00+00:00"
    )


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
