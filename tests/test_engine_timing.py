"""The chain's clocks as facts: when a sync counts as stopped, when an item would arrive, and
that "every item is on its way" is said only with a time to base it on.

The rules' own fire/quiet cases (rules/tests/approvalmax-sync-overdue.yaml,
within-normal-windows.yaml) cover the rules; these pin the facts under them and the runs the
reviewer tried.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import FAST

from troubleshooter.diagnosis.diagnose import Library, exit_code_for
from troubleshooter.diagnosis.facts import FactContext
from troubleshooter.diagnosis.schedule import (
    APPROVALMAX_OVERDUE_AFTER,
    APPROVALMAX_PERIOD,
    DEXT_OVERDUE_AFTER,
    overdue,
)
from troubleshooter.errors import ExitCode
from troubleshooter.infra import aio
from troubleshooter.model import Diagnosis, Provenance, Stage, StageSnapshot
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import parse_scenario
from troubleshooter.wording import verdict

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def _context(last_sync: dict[str, datetime], now: datetime = NOW) -> FactContext:
    snapshots = {
        stage: StageSnapshot(stage=stage, provenance=Provenance.SANDBOX, reached=True)
        for stage in Stage
    }
    snapshots[Stage.APPROVALMAX] = snapshots[Stage.APPROVALMAX].model_copy(
        update={"last_sync": last_sync, "xero_connection": "connected"}
    )
    return FactContext(snapshots, now)


def test_overdue_is_unknown_without_a_time_and_strict_at_the_threshold() -> None:
    after = timedelta(hours=6)
    assert overdue(None, after, NOW) is None
    assert overdue(NOW - after, after, NOW) is False
    assert overdue(NOW - after - timedelta(minutes=1), after, NOW) is True


def test_approvalmax_counts_as_stopped_after_three_missed_syncs() -> None:
    assert APPROVALMAX_OVERDUE_AFTER == 3 * APPROVALMAX_PERIOD == timedelta(hours=6)
    assert timedelta(hours=27) == DEXT_OVERDUE_AFTER


def test_approvalmax_sync_overdue_is_unknown_until_a_sync_time_is_known() -> None:
    facts = _context({}).known_organisation_facts()
    assert facts["approvalmax.sync_overdue"] is None
    assert facts["approvalmax.oldest_sync"] is None


def test_one_stopped_type_of_data_is_enough_and_is_the_one_named() -> None:
    stale = NOW - timedelta(hours=7)
    facts = _context(
        {"accounts": NOW - timedelta(hours=1), "contacts": stale}
    ).known_organisation_facts()
    assert facts["approvalmax.sync_overdue"] is True
    assert facts["approvalmax.oldest_sync"] == stale
    fresh = _context({"accounts": NOW - timedelta(hours=5)}).known_organisation_facts()
    assert fresh["approvalmax.sync_overdue"] is False


def test_the_rules_message_says_the_threshold_the_code_uses(library: Library) -> None:
    rule = library.rules.rule("approvalmax-sync-overdue")
    hours = APPROVALMAX_OVERDUE_AFTER // timedelta(hours=1)
    assert f"more than {hours} hours ago" in rule.spec.message
    assert f"more than {hours} hours old" in (rule.spec.description or "")


# -- the runs the reviewer tried -----------------------------------------------------------------

CAUSE_01 = {
    "clock": "2026-11-25T01:00:00Z",
    "organisation": {"name": "Example Trading Ltd"},
    "xero": {
        "accounts": [
            {"code": "400", "name": "Advertising", "type": "OVERHEADS"},
            {"code": "429", "name": "Staff Wellbeing", "created": "-40m"},
        ]
    },
    "approvalmax": {"last_sync": "-1h", "access": "none"},
    "dext": {"last_pull": "-11h", "access": "none"},
}
SEEN = {"approvalmax.has.429": "not there", "dext.has.429": "no"}


def _run(scenario: dict[str, object], answers: dict[str, str], focus: str | None) -> Diagnosis:
    parsed = parse_scenario(dict(scenario))
    connections = sandbox_connections(Sandbox(parsed), settings=FAST)
    return aio.run(diagnose(connections, Library.load(), answers=answers, focus=focus))


def _rules(diagnosis: Diagnosis) -> set[str]:
    return {f.rule for f in diagnosis.findings}


def test_no_on_its_way_without_the_sync_times() -> None:
    """Both marks answered, nothing said about when anything synced: the plan's steps, no
    "just wait", and the question of when ApprovalMax last synced."""
    diagnosis = _run(CAUSE_01, SEEN, "wellbeing")
    assert "within-normal-windows" not in _rules(diagnosis)
    assert [s.action for s in diagnosis.plan] == ["sync_approvalmax", "reconnect_dext"]
    assert "approvalmax.last_sync.accounts" in [q.id for q in diagnosis.questions]
    assert "broken" not in verdict(diagnosis)
    assert exit_code_for(diagnosis) is ExitCode.FINDINGS


def test_on_its_way_once_the_sync_times_are_given() -> None:
    answers = {**SEEN, "approvalmax.last_sync.accounts": "1 hour ago"}
    diagnosis = _run(CAUSE_01, answers, "wellbeing")
    (wait,) = [f for f in diagnosis.findings if f.rule == "within-normal-windows"]
    # Dext's last pull is not known: its daily pull, taken to work, brings the item at the latest
    # a day after ApprovalMax's next sync (one hour from now).
    assert wait.expected_by == NOW + timedelta(hours=1) + timedelta(days=1)
    assert [s.action for s in diagnosis.plan] == ["sync_approvalmax", "reconnect_dext", "wait"]


def test_an_answered_two_day_old_sync_is_a_finding_not_a_wait() -> None:
    answers = {**SEEN, "approvalmax.last_sync.accounts": "2 days ago"}
    diagnosis = _run(CAUSE_01, answers, "wellbeing")
    assert {"approvalmax-sync-overdue", "not-in-approvalmax-yet"} <= _rules(diagnosis)
    assert "within-normal-windows" not in _rules(diagnosis)
    assert diagnosis.plan[0].action == "restart_approvalmax_sync"
    # No "it arrives anyway by …" on a sync that has stopped.
    assert not any(step.wait or step.expected_by for step in diagnosis.plan)
    assert all(f.expected_by is None for f in diagnosis.findings)
    assert "broken" not in verdict(diagnosis)


def test_a_connected_approvalmax_two_days_behind_is_not_called_on_its_way() -> None:
    approvalmax = {"last_sync": "-2d", "xero_connection": "connected"}
    scenario = {**CAUSE_01, "approvalmax": approvalmax, "dext": {"last_pull": "-11h"}}
    diagnosis = _run(scenario, {}, None)
    assert "approvalmax-sync-overdue" in _rules(diagnosis)
    assert "within-normal-windows" not in _rules(diagnosis)
    text = verdict(diagnosis)
    assert "broken" not in text and "catches up" not in text
    assert not any(step.wait or step.expected_by for step in diagnosis.plan)
