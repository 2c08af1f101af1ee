"""Messages the workers post back to the app."""

from __future__ import annotations

import asyncio
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


def _later(delay: float, call: Callable[[], None]) -> None:
    """Calls `call` in `delay` seconds: on the read's event loop (the pacer is called from
    it), else on a timer's thread."""
    try:
        asyncio.get_running_loop().call_later(delay, call)
    except RuntimeError:  # no loop running here
        timer = threading.Timer(delay, call)
        timer.daemon = True
        timer.start()


@dataclass
class ProgressPacer:
    """Which of a read's events reach the cards. A system's start, its waits for the minute
    limit, its end and its failure always do; its pages at most every `PAGES_EVERY` seconds.
    A page that comes too soon is held, and shown when it is due unless something newer of
    that system came first: the last page a card shows is never older than the read's, even
    when the next page or the end is long in coming.

    A read of 20,000 items is about 90 pages from the three systems in under a second: a
    card redrawn for each took the screen's thread a tenth of a second from the read, for
    counts nobody can follow at that pace. Called from the read's thread."""

    post: Callable[[SystemProgress], object]
    clock: Callable[[], float] = time.monotonic
    later: Callable[[float, Callable[[], None]], object] = _later
    _last: dict[Stage, float] = field(default_factory=dict)
    _held: dict[Stage, FetchEvent] = field(default_factory=dict)  # a page too soon to show
    _stopped: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: FetchEvent) -> None:
        stage = event.stage
        # Under the lock: a held page shown when due never comes after what followed it.
        with self._lock:
            if self._stopped:
                return
            if event.state == "reading" and event.pages_read is not None:
                now = self.clock()
                last = self._last.get(stage)
                if last is not None and now - last < PAGES_EVERY:
                    if stage not in self._held:
                        self.later(PAGES_EVERY - (now - last), lambda: self._due(stage))
                    self._held[stage] = event
                    return
                self._last[stage] = now
            self._held.pop(stage, None)  # this event is newer than a page held
            self._post(event)

    def _due(self, stage: Stage) -> None:
        """A page held is due: shown, unless something newer of its system came first."""
        with self._lock:
            event = self._held.pop(stage, None)
            if event is not None and not self._stopped:
                self._last[stage] = self.clock()
                self._post(event)

    def stop(self) -> None:
        """Nothing more reaches the cards: the check this read was for has ended, or was
        given up for another (its read may still be going, in its thread)."""
        with self._lock:
            self._stopped = True
            self._held.clear()

    def _post(self, event: FetchEvent) -> None:
        text = describe(event).removeprefix(f"{event.stage.label}: ")
        if event.state == "done":
            self.post(SystemProgress(event.stage, "done", ""))
        elif event.state == "failed":
            self.post(SystemProgress(event.stage, "failed", event.error or text))
        else:  # fetching, reading a page, waiting for the minute limit
            self.post(SystemProgress(event.stage, "reading", text, describe_short(event)))
