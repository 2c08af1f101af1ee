"""Xero's limits, respected before Xero has to refuse: at most N requests in flight and M a
minute per organisation, slowing down when `X-MinLimit-Remaining` runs out and stopping when
`X-DayLimit-Remaining` does."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from troubleshooter.errors import SourceError


class DayLimitReached(SourceError):
    pass


class RateLimiter:
    """One per organisation. `acquire()` before a request, `release()` after, `observe()` with
    the answer's rate-limit headers."""

    def __init__(
        self,
        system: str,
        per_minute: int | None = 60,
        in_flight: int = 5,
        clock: Callable[[], float] = time.monotonic,
        parent: RateLimiter | None = None,
    ) -> None:
        self.system = system
        self.parent = parent  # the app-wide limit, shared by every organisation of a run
        self.per_minute = per_minute
        self._slots = asyncio.Semaphore(in_flight)
        self._starts: deque[float] = deque()
        self._clock = clock
        self._minute_spent_until: float | None = None
        self.day_spent: str | None = None
        self.waited = 0.0

    async def acquire(self) -> None:
        await self._slots.acquire()
        try:
            await self._wait_for_minute()
            if self.parent is not None:
                await self.parent.acquire()
        except BaseException:
            self._slots.release()
            raise

    def release(self) -> None:
        if self.parent is not None:
            self.parent.release()
        self._slots.release()

    async def _wait_for_minute(self) -> None:
        if self.day_spent is not None:
            raise DayLimitReached(self.system, self.day_spent)
        while True:
            now = self._clock()
            while self._starts and now - self._starts[0] >= 60:
                self._starts.popleft()
            wait = 0.0
            if self.per_minute is not None and len(self._starts) >= self.per_minute:
                wait = 60 - (now - self._starts[0])
            if self._minute_spent_until is not None and self._minute_spent_until > now:
                wait = max(wait, self._minute_spent_until - now)
            if wait <= 0:
                self._starts.append(now)
                return
            self.waited += wait
            await asyncio.sleep(wait)

    def observe(self, minute_remaining: int | None, day_remaining: int | None) -> None:
        """The server's own count: when it says the minute is spent, wait out the minute."""
        if minute_remaining == 0:
            self._minute_spent_until = self._clock() + 60
        if day_remaining == 0:
            self.day_spent = (
                "the daily limit of requests for this organisation is spent (5,000 a day); "
                "it resets within 24 hours. Try again tomorrow."
            )


APP_PER_MINUTE = 10_000  # Xero: per app, across all organisations


def app_limiter() -> RateLimiter:
    """Xero's app-wide minute, for a run over many organisations at once."""
    return RateLimiter("Xero (all organisations)", per_minute=APP_PER_MINUTE, in_flight=10_000)
