"""Times as people read them off a screen, in the organisation's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from troubleshooter.infra.timeparse import TimeError, parse_moment
from troubleshooter.infra.timezones import iana_name, zone

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 14:00 in Auckland (NZDT, +13)
AUCKLAND = ZoneInfo("Pacific/Auckland")


def local(text: str) -> str:
    return parse_moment(text, NOW, AUCKLAND).astimezone(AUCKLAND).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13:00", "2026-11-25 13:00"),  # what ApprovalMax's pop-up shows: earlier today
        ("15:00", "2026-11-24 15:00"),  # not yet 15:00 today: yesterday's
        ("1pm", "2026-11-25 13:00"),
        ("1:30 PM", "2026-11-25 13:30"),
        ("today 1pm", "2026-11-25 13:00"),
        ("today at 09:15", "2026-11-25 09:15"),
        ("yesterday 14:00", "2026-11-24 14:00"),
        ("11 hours ago", "2026-11-25 03:00"),
        ("2 days ago", "2026-11-23 14:00"),
        ("an hour ago", "2026-11-25 13:00"),
        ("half an hour ago", "2026-11-25 13:30"),
        ("1 hour 30 minutes ago", "2026-11-25 12:30"),
        ("1h30m ago", "2026-11-25 12:30"),
        ("-2h", "2026-11-25 12:00"),
        ("now", "2026-11-25 14:00"),
        ("2026-11-25 09:30", "2026-11-25 09:30"),  # no zone: the organisation's
        ("2026-11-24T20:30Z", "2026-11-25 09:30"),
        ("2026-11-25T09:30+13:00", "2026-11-25 09:30"),
    ],
)
def test_people_s_words(text: str, expected: str) -> None:
    assert local(text) == expected


def test_the_zone_decides_what_a_clock_time_means() -> None:
    assert parse_moment("13:00", NOW, UTC) == NOW - timedelta(hours=12)  # yesterday 13:00 UTC
    assert parse_moment("13:00", NOW, AUCKLAND) == NOW - timedelta(hours=1)


@pytest.mark.parametrize(
    "text",
    ["", "soon", "12", "25:00", "13:61", "tomorrow", "ApprovalMax for Xero", "3 fortnights ago"],
)
def test_what_is_not_a_moment_gets_one_plain_sentence(text: str) -> None:
    with pytest.raises(TimeError, match=r"^write a time such as 13:00"):
        parse_moment(text, NOW, AUCKLAND)


@pytest.mark.parametrize("text", ["+1d", "2026-11-26 09:30", "in 2 hours"])
def test_the_future_is_refused(text: str) -> None:
    with pytest.raises(TimeError):
        parse_moment(text, NOW, AUCKLAND)


def test_xero_time_zone_names_map_to_iana_zones() -> None:
    assert iana_name("NEWZEALANDSTANDARDTIME") == "Pacific/Auckland"
    assert iana_name("AUSEASTERNSTANDARDTIME") == "Australia/Sydney"
    assert iana_name("GMTSTANDARDTIME") == "Europe/London"
    assert iana_name("Pacific/Auckland") == "Pacific/Auckland"
    assert iana_name("NOT A ZONE") is None and iana_name(None) is None
    assert zone("Pacific/Auckland") is not None and zone("Nowhere/Else") is None
