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
from troubleshooter.model import Diagnosis, Severity
from troubleshooter.wording import plural


def _left(diagnosis: Diagnosis) -> tuple[int, int]:
    """(items with findings, organisation-wide problems): each item once, however many
    findings it has; an organisation-wide note ("nothing is broken, it will arrive by …") is
    not a thing to fix."""
    items = len({f.key for f in diagnosis.findings if f.key is not None})
    wide = sum(1 for f in diagnosis.findings if f.key is None and f.severity is not Severity.INFO)
    return items, wide


def still_to_fix(diagnosis: Diagnosis) -> int:
    """Items with findings, plus organisation-wide problems (findings about no item)."""
    return sum(_left(diagnosis))


def left_words(diagnosis: Diagnosis) -> str:
    """ "1 item still to fix", "2 items and 1 organisation-wide problem still to fix"."""
    items, wide = _left(diagnosis)
    parts = [plural(items, "item")] if items or not wide else []
    if wide:
        parts.append(plural(wide, "organisation-wide problem"))
    return " and ".join(parts) + " still to fix"


@dataclass(frozen=True)
class Check:
    """How one check went."""

    number: int
    at: datetime  # this machine's clock
    resolved: bool  # nothing left to fix
    left: int  # still to fix
    next_in: float | None  # seconds to the next check; None when this was the last
    limit: float  # seconds the watch may last
    left_text: str = ""  # what is still to fix, in words

    @property
    def _left(self) -> str:
        return self.left_text or f"{self.left} still to fix"

    def __str__(self) -> str:
        when = f"check {self.number} at {self.at.astimezone().strftime('%H:%M:%S')}"
        if self.resolved:
            return f"{when}: resolved, nothing left to fix"
        if self.next_in is None:
            return f"{when}: {self._left}; stopped watching after {self.limit:g} s"
        return f"{when}: {self._left}; next check in {self.next_in:g} s"


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
        left = still_to_fix(result)
        report(Check(number, now(), resolved, left, next_in, limit, left_words(result)))
        if done:
            return result
        sleep(interval)
        number += 1
