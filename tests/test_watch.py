"""`--watch` without a terminal and without waiting: the loop takes its clocks and its wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import run, scenario

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.model import Diagnosis
from troubleshooter.runs.watch import Check, still_to_fix, watch
from troubleshooter.sandbox.app import Sandbox

STUCK = """
xero: {accounts: [{code: '429', name: Staff Wellbeing, created: -40m}]}
approvalmax: {last_sync: -1h}
dext: {last_pull: -2h}
"""


class Clock:
    """This machine's clocks, moved on only by the wait."""

    def __init__(self) -> None:
        self.seconds = 500.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.seconds += seconds

    def now(self) -> datetime:
        return datetime(2031, 3, 25, 9, tzinfo=UTC) + timedelta(seconds=self.seconds)


def diagnoses(library: Library, *texts: str) -> list[Diagnosis]:
    return [run(Sandbox(scenario(text)), library) for text in texts]


def test_it_checks_again_until_resolved(library: Library) -> None:
    stuck, fixed = diagnoses(library, STUCK, STUCK.replace("-1h", "+0m").replace("-2h", "+0m"))
    left = still_to_fix(stuck)
    assert left > 0 and still_to_fix(fixed) == 0
    results = iter([stuck, stuck, fixed])
    clock = Clock()
    checks: list[Check] = []
    last = watch(
        lambda: next(results),
        interval=60,
        limit=3600,
        report=checks.append,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        now=clock.now,
    )
    assert last is fixed
    assert clock.waits == [60, 60]
    assert [(c.number, c.resolved, c.left, c.next_in) for c in checks] == [
        (1, False, left, 60),
        (2, False, left, 60),
        (3, True, 0, None),
    ]
    assert checks[1].at - checks[0].at == timedelta(seconds=60)  # this machine's clock
    assert str(checks[0]).endswith(f": {left} still to fix; next check in 60 s")
    assert str(checks[2]).endswith(": resolved, nothing left to fix")
    assert str(checks[0]).startswith("check 1 at ")


def test_it_stops_at_the_limit(library: Library) -> None:
    [stuck] = diagnoses(library, STUCK)
    clock = Clock()
    checks: list[Check] = []
    last = watch(
        lambda: stuck,
        interval=10,
        limit=25,
        report=checks.append,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        now=clock.now,
    )
    assert last is stuck
    assert clock.waits == [10, 10]  # checks at 0, 10 and 20 s; a fourth would be at 30 s
    assert [c.next_in for c in checks] == [10, 10, None]
    left = still_to_fix(stuck)
    assert str(checks[-1]).endswith(f": {left} still to fix; stopped watching after 25 s")


def test_a_first_check_without_findings_ends_at_once(library: Library) -> None:
    [calm] = diagnoses(library, "xero: {accounts: [{code: '200', name: Sales}]}")
    clock = Clock()
    checks: list[Check] = []
    watch(
        lambda: calm,
        interval=10,
        limit=25,
        report=checks.append,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        now=clock.now,
    )
    assert clock.waits == [] and len(checks) == 1 and checks[0].resolved
