"""Xero's limits, respected before Xero has to refuse: at most N requests in flight and M a
minute per organisation (and the app's minute across organisations), stopping when
`X-DayLimit-Remaining` runs out.

How a minute is counted, so that no request goes out that the server would refuse:

- A request takes its place in the minute when it is sent and keeps it until 60 s after its
  answer came back. The server counted it somewhere between the two, so the place is freed no
  earlier than the server frees it, and requests still in flight always count.
- The server's own count (`X-MinLimit-Remaining`) says how many requests it holds in its
  minute. Where that is more than this client's own (another run, another app of the same
  organisation), the difference is held as places taken by others until 60 s after the answer
  that showed them. Answers that arrive out of order can only add such places, never free them.
- Without a minute limit of its own (`per_minute=None`), the server's count is all there is:
  the remaining requests, less those in flight, are what may still be sent until a minute after
  that answer.

Before the first answer the client cannot know what others spent in the same minute; from the
first answer on it does. Sleeping goes through `sleep` and time through `clock`, so a test can
run a minute of waiting without waiting.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

from troubleshooter.errors import SourceError

XERO_PER_MINUTE = 60  # per organisation (Xero's documented limit; the same for every app)
XERO_IN_FLIGHT = 5
APP_PER_MINUTE = 10_000  # Xero: per app, across all organisations
WINDOW = 60.0


class DayLimitReached(SourceError):
    pass


class RateLimiter:
    """One per organisation. `acquire()` before a request, `observe()` with the answer's
    rate-limit headers, `release()` once the answer is in."""

    def __init__(
        self,
        system: str,
        per_minute: int | None = XERO_PER_MINUTE,
        in_flight: int = XERO_IN_FLIGHT,
        clock: Callable[[], float] = time.monotonic,
        parent: RateLimiter | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.system = system
        self.parent = parent  # the app-wide limit, shared by every organisation of a run
        self.per_minute = per_minute
        self._slots = asyncio.Semaphore(in_flight)
        self._clock = clock
        self._sleep = sleep
        self._sending = 0  # acquired and not yet released: in flight
        self._recent: deque[float] = deque()  # when answers came back, within the last minute
        self._others: deque[tuple[float, int]] = deque()  # (until, places) others hold
        self._released = asyncio.Event()
        self._budget: int | None = None  # without a limit of our own: the server's remaining
        self._budget_until = 0.0
        self._day_left: int | None = None
        self.day_spent: str | None = None
        self.waited = 0.0
        self.on_wait: Callable[[float], None] | None = None  # told of each wait, in seconds
        self._announced = float("-inf")  # until when the current wait was told

    async def acquire(self) -> None:
        await self._slots.acquire()
        try:
            await self._take_minute()
        except BaseException:
            self._slots.release()
            raise
        if self.parent is not None:
            try:
                await self.parent.acquire()
            except BaseException:
                self._sending -= 1
                self._slots.release()
                raise

    def release(self) -> None:
        """The answer is in (or the request failed): its place in the minute runs from now."""
        if self.parent is not None:
            self.parent.release()
        self._sending -= 1
        self._recent.append(self._clock())
        self._released.set()
        self._slots.release()

    def observe(self, minute_remaining: int | None, day_remaining: int | None) -> None:
        """The server's own count, from an answer whose request is still counted in flight."""
        now = self._clock()
        others_in_flight = max(0, self._sending - 1)
        if minute_remaining is not None:
            if self.per_minute is not None:
                self._prune(now)
                held = sum(places for _, places in self._others)
                seen = self.per_minute - minute_remaining  # what the server holds
                missing = seen - self._own() - held
                if missing > 0:
                    self._others.append((now + WINDOW, missing))
            else:
                self._budget = minute_remaining - others_in_flight
                self._budget_until = now + WINDOW
        if day_remaining is not None:
            self._day_left = day_remaining - others_in_flight
            if self._day_left <= 0:
                self._spend_day()

    def taken(self) -> int:
        """Places in the current minute: in flight, answered within the minute, others'."""
        self._prune(self._clock())
        return self._own() + sum(places for _, places in self._others)

    def minute_wait(self, requests: int) -> float:
        """At least how long until `requests` more may all have been sent (0: within this
        minute's places). An estimate for progress, not a promise."""
        if self.per_minute is None or requests <= 0:
            return 0.0
        now = self._clock()
        beyond = self.taken() + requests - self.per_minute
        if beyond <= 0:
            return 0.0
        frees = sorted([t + WINDOW for t in self._recent] + [u for u, _ in self._others])
        if beyond <= len(frees):
            return max(0.0, frees[beyond - 1] - now)
        later = beyond - len(frees)
        last = frees[-1] if frees else now
        return max(0.0, last - now) + math.ceil(later / self.per_minute) * WINDOW

    def _own(self) -> int:
        return self._sending + len(self._recent)

    def _prune(self, now: float) -> None:
        while self._recent and self._recent[0] + WINDOW <= now:
            self._recent.popleft()
        while self._others and self._others[0][0] <= now:
            self._others.popleft()

    def _spend_day(self) -> None:
        self.day_spent = (
            "the daily limit of requests for this organisation is spent (5,000 a day); "
            "it resets within 24 hours. Try again tomorrow."
        )

    async def _take_minute(self) -> None:
        while True:
            if self.day_spent is not None:
                raise DayLimitReached(self.system, self.day_spent)
            now = self._clock()
            self._prune(now)
            wait: float | None = 0.0
            if self.per_minute is not None and self.taken() >= self.per_minute:
                frees = [self._recent[0] + WINDOW] if self._recent else []
                frees += [until for until, _ in self._others]
                # Only requests in flight hold the minute: wait for an answer, then its minute.
                wait = min(frees) - now if frees else None
            elif self._budget is not None:
                if now >= self._budget_until:
                    self._budget = None
                elif self._budget <= 0:
                    wait = self._budget_until - now
            if wait is None:
                self._released.clear()
                await self._released.wait()
                continue
            if wait <= 0:
                self._sending += 1
                if self._budget is not None:
                    self._budget -= 1
                if self._day_left is not None:
                    self._day_left -= 1
                    if self._day_left <= 0:
                        self._spend_day()  # this one goes; the next would be refused
                return
            self.waited += wait
            if self.on_wait is not None and now + wait > self._announced + 1:
                self._announced = now + wait  # requests waiting together are told once
                self.on_wait(wait)
            await self._sleep(wait)


def app_limiter() -> RateLimiter:
    """Xero's app-wide minute, for a run over many organisations at once."""
    return RateLimiter("Xero (all organisations)", per_minute=APP_PER_MINUTE, in_flight=10_000)
