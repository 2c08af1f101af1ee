"""The years a time from outside may fall in: 1970 to 2999.

Python's datetimes end at the years 1 and 9999, and a time near either end overflows as soon as
it is shown in another zone or has a day added: `9999-12-31T23:59:59-12:00` is the year 10000 in
UTC. No time the tool meets in earnest is outside these years, so every time that comes from a
file or a system (a scenario, an answer, an adapter's answer, Xero's, a bundle, a saved
report) is held to them when it is read, and one outside them is refused there, as a broken
file or a misbehaving server, not a crash later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

YEARS = (1970, 2999)


def outside_years(moment: datetime) -> bool:
    return not YEARS[0] <= moment.year <= YEARS[1]


def years_problem(moment: datetime) -> str:
    return f"the time {moment.isoformat()} is outside the years {YEARS[0]} to {YEARS[1]}"


def in_years(moment: datetime) -> datetime:
    """`moment`, or ValueError (pydantic reports it with the field) when it is outside."""
    if outside_years(moment):
        raise ValueError(years_problem(moment))
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(in_years)]
"""A time with its zone, in the years above: for every time read from outside."""
