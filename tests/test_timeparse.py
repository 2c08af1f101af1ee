"""Times as people read them off a screen, in the organisation's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from troubleshooter.diagnosis.answers import AnswerError, read_answers
from troubleshooter.diagnosis.diagnose import Library
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
        # as screens and people in New Zealand, Australia and the UK write them: day first
        ("25/11/2026 13:00", "2026-11-25 13:00"),
        ("25/11/2026, 1:00 PM", "2026-11-25 13:00"),
        ("24.11.2026 15:00", "2026-11-24 15:00"),
        ("24-11-2026 15:00", "2026-11-24 15:00"),
        ("24/11/26 15:00", "2026-11-24 15:00"),
        ("24/11 15:00", "2026-11-24 15:00"),
        ("25/02 13:00", "2026-02-25 13:00"),  # no year: its most recent past occurrence
        ("25 Nov 2026 1:00 PM", "2026-11-25 13:00"),
        ("25 November 2026 at 1:00 pm", "2026-11-25 13:00"),
        ("Wed 25 Nov 2026 13:00", "2026-11-25 13:00"),
        ("24th Nov 15:00", "2026-11-24 15:00"),
        ("Nov 24, 2026 at 3:00 PM", "2026-11-24 15:00"),
        ("13h00", "2026-11-25 13:00"),
        ("9h30", "2026-11-25 09:30"),
        ("13:00:05", "2026-11-25 13:00"),
        ("yesterday 2pm", "2026-11-24 14:00"),
        ("yesterday at 2 pm", "2026-11-24 14:00"),
        ("2pm yesterday", "2026-11-24 14:00"),
        ("13.30", "2026-11-25 13:30"),
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


@pytest.mark.parametrize("text", ["in 2 hours", "in an hour", "2 hours from now"])
def test_a_moment_to_come_is_refused_in_a_plain_sentence(text: str) -> None:
    with pytest.raises(TimeError) as refused:
        parse_moment(text, NOW, AUCKLAND)
    assert str(refused.value) == (
        f"{text!r} is in the future, and the question asks when it already happened; write "
        "how long ago (2 hours ago) or the time it shows (13:00)"
    )


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("11/25/2026 13:00", "dates are read day first, as in 25/11/2026 for 25 November; there "
         "is no month 25"),
        ("31/11/2026 13:00", "there is no such date"),
        ("25/11/2026", "has no time of day; add the time it shows, such as 25/11/2026 13:00"),
        ("25 Nov 2026", "has no time of day"),
        ("25/11/1850 13:00", "is not a time this tool can use (years 1970 to 2999)"),
    ],
)  # fmt: skip
def test_a_date_that_cannot_be_read_day_first_says_why(text: str, sentence: str) -> None:
    """Dates are read day first and never the other way round: a date that only reads month
    first is refused, with how dates are read."""
    with pytest.raises(TimeError) as refused:
        parse_moment(text, NOW, AUCKLAND)
    assert sentence in str(refused.value)


def test_a_date_and_time_as_written_in_an_answer(library: Library) -> None:
    specs = library.rules.questions
    [answer] = read_answers({"dext.last_pull": "25/11/2026 13:00"}, specs, NOW, AUCKLAND).answers
    assert answer.value == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    with pytest.raises(AnswerError) as refused:
        read_answers({"dext.last_pull": "in 2 hours"}, specs, NOW, AUCKLAND)
    assert refused.value.sentences["dext.last_pull"] == (
        "'in 2 hours' is in the future, and the question asks when it already happened; write "
        "how long ago (2 hours ago) or the time it shows (13:00)."
    )


def test_xero_time_zone_names_map_to_iana_zones() -> None:
    assert iana_name("NEWZEALANDSTANDARDTIME") == "Pacific/Auckland"
    assert iana_name("AUSEASTERNSTANDARDTIME") == "Australia/Sydney"
    assert iana_name("GMTSTANDARDTIME") == "Europe/London"
    assert iana_name("Pacific/Auckland") == "Pacific/Auckland"
    assert iana_name("NOT A ZONE") is None and iana_name(None) is None
    assert zone("Pacific/Auckland") is not None and zone("Nowhere/Else") is None
