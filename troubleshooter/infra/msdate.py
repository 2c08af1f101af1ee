"""Xero's Microsoft-JSON timestamps: `/Date(1550793549320+0000)/` and `/Date(1573755038314)/`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_MS_DATE = re.compile(r"^/Date\((?P<ms>-?\d+)(?P<offset>[+-]\d{4})?\)/$")


def to_ms_date(moment: datetime, *, with_offset: bool = False) -> str:
    millis = int(moment.timestamp() * 1000)
    return f"/Date({millis}+0000)/" if with_offset else f"/Date({millis})/"


def parse_ms_date(text: str) -> datetime:
    """Parses a Xero timestamp. The number is milliseconds since the epoch in UTC; the offset,
    where present, only says which zone the value was recorded in."""
    match = _MS_DATE.match(text.strip())
    if not match:
        raise ValueError(f"not a Xero /Date(…)/ timestamp: {text[:40]!r}")
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match["ms"]))


def parse_iso(text: str) -> datetime:
    """ISO 8601 as Xero's identity API writes it (`2019-12-07T18:46:19.5165400`, no zone = UTC)."""
    cleaned = text.strip().replace("Z", "+00:00")
    # Python takes at most six fractional digits; .NET writes seven.
    cleaned = re.sub(r"(\.\d{6})\d+", r"\1", cleaned)
    moment = datetime.fromisoformat(cleaned)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
