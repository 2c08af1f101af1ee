"""One grammar for lengths of time, used wherever a person writes one: `--interval 90s`,
`--until 30m`, a scenario's `created: -3h`, an answer's `-2h`.

    [+|-] [N d] [N h] [N m] [N s]      e.g. 90s, 30m, 1h30m, -1d2h30m, +20m
    N                                   a plain number: seconds

Units are days, hours, minutes and seconds, largest first, each at most once; seconds may have
a fraction. A length beyond `LIMIT` (a century) is refused, so that no date arithmetic can
overflow on a typo such as `+9999999d`.
"""

from __future__ import annotations

import re
from datetime import timedelta

LIMIT = timedelta(days=36_525)

_DURATION = re.compile(
    r"^\s*(?P<sign>[+-])?\s*"
    r"(?:(?P<d>\d+)\s*d)?\s*(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m)?\s*"
    r"(?:(?P<s>\d+(?:\.\d+)?)\s*s?)?\s*$"
)


class DurationError(ValueError):
    """Not a length of time in this grammar; the message says what is accepted."""


def parse_duration(text: str, *, signed: bool = False) -> timedelta:
    """A length of time; with `signed`, a leading + or - is allowed (an offset from a moment),
    else refused."""
    match = _DURATION.match(text)
    parts = match.group("d", "h", "m", "s") if match else (None,)
    if match is None or not any(parts):
        example = "-2h, +20m or -1d2h" if signed else "90s, 30m, 2h or 1h30m"
        raise DurationError(f"{text.strip()[:40]!r} is not a length of time like {example}")
    if match["sign"] and not signed:
        raise DurationError(f"{text.strip()[:40]!r}: a length of time has no sign")
    if any(len((g or "").lstrip("0")) > 12 for g in match.group("d", "h", "m")):
        # int() refuses 4,300 digits and more; a dozen are already far beyond a century
        raise DurationError(f"{text.strip()[:40]!r} is more than a century")
    days, hours, minutes = (int(g or 0) for g in match.group("d", "h", "m"))
    seconds = float(match["s"] or 0)
    too_long = seconds > LIMIT.total_seconds()  # before timedelta(), which would overflow
    if too_long or days > LIMIT.days or hours > LIMIT.days * 24 or minutes > LIMIT.days * 1440:
        raise DurationError(f"{text.strip()[:40]!r} is more than a century")
    delta = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if delta > LIMIT:
        raise DurationError(f"{text.strip()[:40]!r} is more than a century")
    return -delta if match["sign"] == "-" else delta


def parse_offset(text: str) -> timedelta | None:
    """A signed offset (`-3h`, `+20m`), or None when the text is not one (it may be a time)."""
    stripped = text.strip()
    if stripped[:1] not in ("+", "-") or not stripped[1:2].isdigit():
        return None
    return parse_duration(stripped, signed=True)
