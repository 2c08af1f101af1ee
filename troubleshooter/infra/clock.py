"""The two clocks the tool reads, and which one each question is asked of.

- **The systems' clock** is Xero's own `DateTimeUTC` (in the sandbox, the scenario's clock; else
  a stage adapter's `as_of`). A diagnosis is made *as of* it: sync times, "would arrive by",
  relative answers ("2 hours ago") and `If-Modified-Since` all count on it, because the systems'
  own times are written on it.
- **This machine's clock** (`host_now`) measures how old something this machine kept is: a
  cached list, a collected snapshot, a token's expiry, the `--watch` interval.

The two are never subtracted from each other: a sandbox dated last week, or a laptop whose clock
is off by a day, must not make a five-minute-old cache "a week old".
"""

from __future__ import annotations

from datetime import UTC, datetime


def host_now() -> datetime:
    """This machine's clock, in UTC."""
    return datetime.now(UTC)
