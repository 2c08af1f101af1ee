"""Moments as people write them when they read a screen: `13:00` (what ApprovalMax's sync pop-up
shows), `today 1pm`, `yesterday 14:00`, `11 hours ago`, `2 days ago`, `-2h`, `now`, or ISO 8601
with or without a zone.

A time without a date or zone is read in the organisation's time zone and means its most recent
past occurrence (a sync at "13:00" seen at 09:00 happened yesterday): every question asks when
something already happened. A moment in the future is refused.

A small closed grammar rather than a general date parser: it accepts exactly these forms and
refuses the rest with one sentence saying what would be accepted, where a general parser would
guess (is 03/04 March or April?).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from troubleshooter.infra.durations import DurationError, parse_offset
from troubleshooter.infra.years import YEARS, outside_years

HINT = "write a time such as 13:00, yesterday 14:00, 11 hours ago or 2026-11-25 09:30"
FUTURE_SLACK = timedelta(minutes=5)  # clocks differ a little: a moment just ahead is "now"


class TimeError(ValueError):
    """Not a moment in this grammar; the message is one plain sentence."""


_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
_AMOUNT = r"(?:\d+(?:\.\d+)?|an?|half an?)"
_AGO_PART = re.compile(rf"({_AMOUNT})\s*([a-z]+)")
_AGO = re.compile(rf"^((?:{_AMOUNT}\s*[a-z]+\s*(?:and\s+|,\s*)?)+)\s*ago$")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_DAY_CLOCK = re.compile(r"^(today|yesterday)(?:\s*(?:at|,))?\s+(.+)$")


def _amount(text: str) -> float:
    if text in ("a", "an"):
        return 1.0
    if text.startswith("half"):
        return 0.5
    return float(text)


def _ago(text: str) -> timedelta | None:
    match = _AGO.match(text)
    if not match:
        return None
    seconds = 0.0
    for amount, unit in _AGO_PART.findall(match.group(1)):
        if unit not in _UNITS:
            return None
        seconds += _amount(amount) * _UNITS[unit]
    if seconds > 100 * 365 * 86400:
        raise TimeError("that is more than a century ago; " + HINT)
    return timedelta(seconds=seconds)


def _clock(text: str) -> tuple[int, int] | None:
    match = _CLOCK.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif match.group(2) is None:
        return None  # a bare number is not a time of day
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _on_day(day: datetime, hour: int, minute: int, zone: tzinfo) -> datetime:
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return local.astimezone(UTC)


def parse_moment(text: str, now: datetime, zone: tzinfo = UTC) -> datetime:
    """The moment `text` means, in UTC; `now` is the systems' clock, `zone` the organisation's.
    Raises TimeError with one plain sentence when it is not a moment this grammar knows."""
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        raise TimeError(HINT)
    moment = _parse(cleaned, text.strip(), now, zone)
    if moment > now + FUTURE_SLACK:
        raise TimeError("that is in the future; " + HINT)
    return moment


def _parse(cleaned: str, original: str, now: datetime, zone: tzinfo) -> datetime:
    if cleaned in ("now", "just now", "right now"):
        return now
    try:
        offset = parse_offset(cleaned)
    except DurationError as exc:
        raise TimeError(f"{exc}; {HINT}") from None
    if offset is not None:
        return now + offset
    if (ago := _ago(cleaned)) is not None:
        return now - ago
    local_now = now.astimezone(zone)
    if (clock := _clock(cleaned)) is not None:
        moment = _on_day(local_now, *clock, zone)
        return moment if moment <= now + FUTURE_SLACK else moment - timedelta(days=1)
    if (match := _DAY_CLOCK.match(cleaned)) is not None and (clock := _clock(match.group(2))):
        day = local_now if match.group(1) == "today" else local_now - timedelta(days=1)
        return _on_day(day, *clock, zone)
    try:
        moment = datetime.fromisoformat(original.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise TimeError(HINT) from None
    if outside_years(moment):  # and no date arithmetic near datetime's limits
        raise TimeError(
            f"{original!r} is not a time this tool can use (years {YEARS[0]} to {YEARS[1]})"
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
