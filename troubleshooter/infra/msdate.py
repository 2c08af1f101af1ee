"""Xero's Microsoft-JSON timestamps: `/Date(1550793549320+0000)/` and `/Date(1573755038314)/`.

A time outside the years 1970 to 2999 (infra/years.py) is refused as a ValueError, as one
that does not parse is: a server that sends one is misbehaving."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from troubleshooter.infra.years import in_years

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
    try:
        return in_years(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match["ms"])))
    except OverflowError:
        raise ValueError(f"not a time this tool can use: {text[:40]!r}") from None


def parse_iso(text: str) -> datetime:
    """ISO 8601 as Xero's identity API writes it (`2019-12-07T18:46:19.5165400`, no zone = UTC)."""
    cleaned = text.strip().replace("Z", "+00:00")
    # Python takes at most six fractional digits; .NET writes seven.
    cleaned = re.sub(r"(\.\d{6})\d+", r"\1", cleaned)
    moment = datetime.fromisoformat(cleaned)
    return in_years(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
