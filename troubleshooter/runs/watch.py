"""Checking again until nothing is left to fix (`diagnose --watch`), without a terminal: the
caller says how to check, how to wait and what to do with each check's outcome.

The interval and the limit are measured on this machine's monotonic clock, and the time a check
is stamped with is this machine's clock (infra/clock.py): they are about how long a person
waits, not about the systems' own times.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from troubleshooter.infra.clock import host_now
from troubleshooter.model import Diagnosis


def still_to_fix(diagnosis: Diagnosis) -> int:
    """Items with findings, plus organisation-wide findings (those about no item)."""
    return diagnosis.summary.with_findings + sum(1 for f in diagnosis.findings if f.key is None)


@dataclass(frozen=True)
class Check:
    """How one check went."""

    number: int
    at: datetime  # this machine's clock
    resolved: bool  # nothing left to fix
    left: int  # still to fix
    next_in: float | None  # seconds to the next check; None when this was the last
    limit: float  # seconds the watch may last

    def __str__(self) -> str:
        when = f"check {self.number} at {self.at.astimezone().strftime('%H:%M:%S')}"
        if self.resolved:
            return f"{when}: resolved, nothing left to fix"
        if self.next_in is None:
            return f"{when}: {self.left} still to fix; stopped watching after {self.limit:g} s"
        return f"{when}: {self.left} still to fix; next check in {self.next_in:g} s"


def watch(
    check: Callable[[], Diagnosis],
    *,
    interval: float,
    limit: float,
    report: Callable[[Check], None],
    sleep: Callable[[float], None] | None = None,
    monotonic: Callable[[], float] | None = None,
    now: Callable[[], datetime] | None = None,
) -> Diagnosis:
    """Runs `check` every `interval` seconds until a diagnosis has no findings or the next check
    would come after `limit` seconds; reports each check; returns the last diagnosis. The
    clocks and the wait default to this machine's (looked up when called, so that a test can
    replace them)."""
    sleep = sleep or time.sleep
    monotonic = monotonic or time.monotonic
    now = now or host_now
    deadline = monotonic() + limit
    number = 1
    while True:
        result = check()
        resolved = not result.findings
        done = resolved or monotonic() + interval > deadline
        next_in = None if done else interval
        report(Check(number, now(), resolved, still_to_fix(result), next_in, limit))
        if done:
            return result
        sleep(interval)
        number += 1
