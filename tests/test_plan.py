"""The plan: findings merged into steps, in the chain's order, with when each would happen anyway."""

from __future__ import annotations

from conftest import run, scenario

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.diagnosis.plan import Action, Phase, build_plan
from troubleshooter.model import Finding
from troubleshooter.sandbox.app import Sandbox


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
