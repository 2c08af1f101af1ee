"""Messages the workers post back to the app."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.message import Message

from troubleshooter.model import Diagnosis, Stage
from troubleshooter.sources.fetch import FetchEvent, describe, describe_short

PAGES_EVERY = 0.1  # seconds: a card shows a system's pages at most ten times a second


@dataclass
class SystemProgress(Message):
    """One system's read moved on: `state` is "reading", "done" or "failed"; `text` says how
    it goes in a person's words ("contacts, page 12 of 50"), or why it failed."""

    stage: Stage
    state: str
    text: str
    short: str = ""  # the same in fewer words, for a narrow card ("contacts 12/50")


@dataclass
class Diagnosing(Message):
    """Every system is read; the diagnosis is being made."""


@dataclass
class DiagnosisReady(Message):
    diagnosis: Diagnosis
    read: bool = False  # made from a read just done (not again from answers)


@dataclass
class CheckFailed(Message):
    """The check could not finish at all (not one system failing: that is a diagnosis too)."""

    reason: str


@dataclass
class ProgressPacer:
    """Which of a read's events reach the cards. A system's start, its waits for the minute
    limit, its end and its failure always do; its pages at most every `PAGES_EVERY` seconds.

    A read of 20,000 items is about 90 pages from the three systems in under a second: a
    card redrawn for each took the screen's thread a tenth of a second from the read, for
    counts nobody can follow at that pace. Called from the read's thread."""

    post: Callable[[SystemProgress], object]
    clock: Callable[[], float] = time.monotonic
    _last: dict[Stage, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: FetchEvent) -> None:
        if event.state == "reading" and event.pages_read is not None and not self._due(event):
            return
        text = describe(event).removeprefix(f"{event.stage.label}: ")
        if event.state == "done":
            self.post(SystemProgress(event.stage, "done", ""))
        elif event.state == "failed":
            self.post(SystemProgress(event.stage, "failed", event.error or text))
        else:  # fetching, reading a page, waiting for the minute limit
            self.post(SystemProgress(event.stage, "reading", text, describe_short(event)))

    def _due(self, event: FetchEvent) -> bool:
        now = self.clock()
        with self._lock:
            last = self._last.get(event.stage)
            if last is not None and now - last < PAGES_EVERY:
                return False
            self._last[event.stage] = now
            return True
