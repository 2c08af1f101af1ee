"""Moments as people write them when they read a screen: `13:00` (what ApprovalMax's sync pop-up
shows), `13h00`, `1pm`, `today 1pm`, `yesterday 14:00`, `2pm yesterday`, `11 hours ago`,
`2 days ago`, `-2h`, `now`, a date and time as a screen shows them (`25/11/2026 13:00`,
`25 Nov 2026 1:00 PM`, `Nov 25, 2026 at 1:00 PM`), or ISO 8601 with or without a zone.

A date written with numbers is read day first (`25/11/2026`, `25.11.2026`, `25-11-2026`): the
organisations this tool serves (New Zealand, Australia, the United Kingdom) and Xero's screens
there write dates so. A date that only reads month first (`11/25/2026`: there is no month 25)
is refused with a sentence that says so, never read the other way round; a date with the
month's name (`25 Nov`, `Nov 25`) is never ambiguous. A date without a year means its most
recent past occurrence, within the last 300 days (else it is refused, saying so); a weekday
written with a date must be that date's.

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

HINT = "write a time such as 13:00, yesterday 14:00, 11 hours ago or 25/11/2026 09:30 (day first)"
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
MAX_LENGTH = 100  # no time as a screen or a person writes it is longer
_AMOUNT = r"(?:\d{1,12}(?:\.\d{1,12})?|an?|half an?)"
# "1 hour 30 minutes ago" is read token by token (a number, a word, a comma), never by one
# pattern with a repetition inside a repetition, which backtracks exponentially on
# `1aaaa…a!` (a unit made of "a"s, each of which may be "a" the amount).
_AGO_TOKEN = re.compile(r"\d{1,12}(?:\.\d{1,12})?|[a-z]{1,20}|,|\s|.")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.h](\d{2})(?:[:.](\d{2}))?)?\s*(am|pm|a\.m\.|p\.m\.)?$")
_DAY_CLOCK = re.compile(r"^(today|yesterday)(?:\s*(?:at|,))?\s+(.+)$")
_CLOCK_DAY = re.compile(r"^(.+?),?\s+(today|yesterday)$")
_FUTURE = re.compile(rf"^(?:in\s+{_AMOUNT}\s*[a-z]+.*|.+\s+from now)$")  # "in 2 hours"
_MONTHS = {
    name: number
    for number, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
         ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
         ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
         ("december", "dec")],
        start=1,
    )
    for name in names
}  # fmt: skip
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_NAMES = {
    name: number
    for number, day in enumerate(_WEEKDAYS)
    for name in {day, day[:3], *({"tues"} if number == 1 else set()),
                 *({"thur", "thurs"} if number == 3 else set())}
}  # fmt: skip
_WEEKDAY = "(?:(?P<wd>" + "|".join(sorted(_WEEKDAY_NAMES, key=len, reverse=True)) + r")\.?,?\s+)?"
YEARLESS_DAYS = 300  # a date without a year is one of the last 300 days
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATES = [
    # 25/11/2026, 25/11/26, 25/11 (a year after . or - is needed: 13.30 is a time)
    re.compile(rf"^{_WEEKDAY}(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})(?:/(?P<y>\d{{4}}|\d{{2}}))?(?P<rest>\D.*)?$"),
    re.compile(rf"^{_WEEKDAY}(?P<d>\d{{1,2}})(?P<sep>[.-])(?P<m>\d{{1,2}})(?P=sep)(?P<y>\d{{4}}|\d{{2}})(?P<rest>\D.*)?$"),
    # 25 Nov 2026, 25th November
    re.compile(rf"^{_WEEKDAY}(?P<d>\d{{1,2}}){_ORDINAL}\s*(?P<mon>[a-z]+)\.?(?:,?\s+(?P<y>\d{{4}}))?(?P<rest>\W.*)?$"),
    # Nov 25, 2026
    re.compile(rf"^{_WEEKDAY}(?P<mon>[a-z]+)\.?\s+(?P<d>\d{{1,2}}){_ORDINAL}(?:,?\s+(?P<y>\d{{4}}))?(?P<rest>\W.*)?$"),
]  # fmt: skip
_DATE_TIME_GLUE = re.compile(r"^(?:,|\s)*(?:at\s+)?")


def _amount(text: str) -> float:
    if text in ("a", "an"):
        return 1.0
    if text.startswith("half"):
        return 0.5
    return float(text)


def _ago_parts(text: str) -> list[tuple[str, str]] | None:
    """The (amount, unit) pairs of "1 hour 30 minutes ago", "1h30m ago", "half an hour ago",
    "2 days, 3 hours and 5 minutes ago"; None for any other text. Linear in the text's length:
    one pass of a tokeniser whose every token is bounded, then one pass over the tokens."""
    if not text.endswith(" ago") and not text.endswith("ago"):
        return None
    tokens = [t for t in _AGO_TOKEN.findall(text) if not t.isspace()]
    if not tokens or tokens[-1] != "ago":
        return None
    tokens.pop()
    parts: list[tuple[str, str]] = []
    at = 0
    while at < len(tokens):
        if parts and tokens[at] in (",", "and"):
            at += 1
            if at < len(tokens) and tokens[at - 1] == "," and tokens[at] == "and":
                at += 1
            if at == len(tokens):
                return None
        if tokens[at] == "half" and at + 1 < len(tokens) and tokens[at + 1] in ("a", "an"):
            amount, at = "half", at + 2
        elif tokens[at] in ("a", "an") or tokens[at][:1].isdecimal():
            amount, at = tokens[at], at + 1
        else:
            return None
        if at == len(tokens) or tokens[at] not in _UNITS:
            return None
        parts.append((amount, tokens[at]))
        at += 1
    return parts or None


def _ago(text: str) -> timedelta | None:
    parts = _ago_parts(text)
    if parts is None:
        return None
    seconds = 0.0
    for amount, unit in parts:
        seconds += _amount(amount) * _UNITS[unit]
    if seconds > 100 * 365 * 86400:
        raise TimeError("that is more than a century ago; " + HINT)
    return timedelta(seconds=seconds)


def _clock(text: str) -> tuple[int, int] | None:
    """The hour and minute of a time of day (`13:00`, `13h00`, `1pm`, `1:00:05 PM`)."""
    match = _CLOCK.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(4) or "").replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif match.group(2) is None:
        return None  # a bare number is not a time of day
    if hour > 23 or minute > 59 or int(match.group(3) or 0) > 59:
        return None
    return hour, minute


def _date(cleaned: str, original: str) -> tuple[int | None, int, int, str, int | None] | None:
    """A date as a screen shows it: (year or None, month, day, what follows it, the weekday
    written before it or None); None when the text is not a date in these forms. A date read
    day first that has no such month (11/25) is refused with a sentence saying how dates are
    read."""
    for form in _DATES:
        match = form.match(cleaned)
        if match is None:
            continue
        fields = match.groupdict()
        if fields.get("mon") is not None:
            month = _MONTHS.get(fields["mon"])
            if month is None:
                continue
        else:
            month = int(fields["m"])
            if not 1 <= month <= 12:
                raise TimeError(
                    f"{original[:40]!r}: dates are read day first, as in 25/11/2026 for "
                    f"25 November; there is no month {month}"
                )
        year = fields.get("y")
        full_year = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
        weekday = _WEEKDAY_NAMES.get(fields.get("wd") or "")
        return full_year, month, int(fields["d"]), fields.get("rest") or "", weekday
    return None


def _dated(cleaned: str, original: str, now: datetime, zone: tzinfo) -> datetime | None:
    """A date and time of day (`25/11/2026 13:00`, `25 Nov 2026 1:00 PM`), in `zone`. A date
    without a year is its most recent past occurrence, if that is within the last
    `YEARLESS_DAYS` days (`25/11 14:30` at 14:00 on 25/11 is in the future, not a year ago). A
    weekday written with it must be the date's."""
    found = _date(cleaned, original)
    if found is None:
        return None
    year, month, day, rest, weekday = found
    when = _DATE_TIME_GLUE.sub("", rest).strip()
    if not when:
        raise TimeError(
            f"{original[:40]!r} has no time of day; add the time it shows, such as 25/11/2026 13:00"
        )
    clock = _clock(when)
    if clock is None:
        return None
    local_now = now.astimezone(zone)
    moment = _moment(year or local_now.year, month, day, clock, zone, original)
    if year is None and moment > now + FUTURE_SLACK:
        moment = _moment(local_now.year - 1, month, day, clock, zone, original)
        if now - moment > timedelta(days=YEARLESS_DAYS):
            raise TimeError(
                f"{original[:40]!r} is in the future; a date without a year means one of the "
                f"last {YEARLESS_DAYS} days, so write the year if you mean "
                f"{moment.astimezone(zone):%d/%m/%Y}"
            )
    elif year is None and now - moment > timedelta(days=YEARLESS_DAYS):
        raise TimeError(
            f"{original[:40]!r} is {(now - moment).days} days ago; a date without a year means "
            f"one of the last {YEARLESS_DAYS} days, so write the year, as in "
            f"{moment.astimezone(zone):%d/%m/%Y}"
        )
    written = moment.astimezone(zone)
    if weekday is not None and written.weekday() != weekday:
        raise TimeError(
            f"{original[:40]!r}: {written:%d/%m/%Y} is a {_WEEKDAYS[written.weekday()].title()}, "
            f"not a {_WEEKDAYS[weekday].title()}"
        )
    return moment


def _moment(
    year: int, month: int, day: int, clock: tuple[int, int], zone: tzinfo, original: str
) -> datetime:
    if not YEARS[0] <= year <= YEARS[1]:
        raise TimeError(
            f"{original[:40]!r} is not a time this tool can use (years {YEARS[0]} to {YEARS[1]})"
        )
    try:
        return datetime(year, month, day, *clock, tzinfo=zone).astimezone(UTC)
    except ValueError:
        raise TimeError(f"{original[:40]!r}: there is no such date") from None


def _on_day(day: datetime, hour: int, minute: int, zone: tzinfo) -> datetime:
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return local.astimezone(UTC)


def parse_moment(text: str, now: datetime, zone: tzinfo = UTC) -> datetime:
    """The moment `text` means, in UTC; `now` is the systems' clock, `zone` the organisation's.
    Raises TimeError with one plain sentence when it is not a moment this grammar knows."""
    if len(text.strip()) > MAX_LENGTH:
        raise TimeError(f"that is over {MAX_LENGTH} characters, too long for a time; " + HINT)
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
    if _FUTURE.match(cleaned):
        raise TimeError(
            f"{original[:40]!r} is in the future, and the question asks when it already "
            "happened; write how long ago (2 hours ago) or the time it shows (13:00)"
        )
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
    if (match := _CLOCK_DAY.match(cleaned)) is not None and (clock := _clock(match.group(1))):
        day = local_now if match.group(2) == "today" else local_now - timedelta(days=1)
        return _on_day(day, *clock, zone)
    if (dated := _dated(cleaned, original, now, zone)) is not None:
        return dated
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
