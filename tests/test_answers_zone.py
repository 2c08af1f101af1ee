"""Where no system names the organisation's time zone (nothing connected), a time a person
types is read in this machine's zone, and the question says which. No test here depends on the
zone of the machine it runs on: each sets TZ, or stands in for the system's setting."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from troubleshooter.cli import main
from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.infra import timezones
from troubleshooter.infra.timezones import local_zone, zone_from_label, zone_label
from troubleshooter.model import OrganisationRef
from troubleshooter.runs.check import GuidedCheck
from troubleshooter.wording import times_read_in, zone_of

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 14:00 in Auckland (NZDT, +13)


@pytest.fixture(autouse=True)
def _fresh_lookup() -> Iterator[None]:
    """The lookup is cached per TZ value: each test starts and ends without what another
    found."""
    timezones._local_zone.cache_clear()
    yield
    timezones._local_zone.cache_clear()


def test_tz_naming_an_iana_zone_is_this_machine_s_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, name in (
        ("Pacific/Auckland", "Pacific/Auckland"),
        (":Europe/Paris", "Europe/Paris"),
        ("/usr/share/zoneinfo/America/Chicago", "America/Chicago"),
        ("", "UTC"),
    ):
        monkeypatch.setenv("TZ", value)
        assert local_zone().name == name


def test_a_tz_that_is_not_an_iana_name_gives_the_local_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "IST-05:30")  # POSIX form: what the C library follows
    time.tzset()
    try:
        here = local_zone()
    finally:
        monkeypatch.setenv("TZ", "UTC")  # as every other test has it, for the C library too
        time.tzset()
    assert here.name == "UTC+05:30"
    assert here.zone.utcoffset(None) == timedelta(hours=5, minutes=30)


def test_without_tz_the_system_s_zone_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TZ")
    monkeypatch.setattr(timezones, "_system_zone", lambda: timezones.zone("America/Chicago"))
    assert local_zone().name == "America/Chicago"
    timezones._local_zone.cache_clear()
    monkeypatch.setattr(timezones, "_system_zone", lambda: None)  # the system cannot say
    assert local_zone().zone.utcoffset(None) is not None  # the offset, as a last resort


def test_the_organisation_s_zone_first_this_machine_s_where_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Europe/London")
    known = OrganisationRef(name="Kiwi Co", timezone="Pacific/Auckland")
    assert zone_label(zone_of(known) or UTC) == "Pacific/Auckland"
    assert zone_label(zone_of(OrganisationRef(name="Unknown Co")) or UTC) == "Europe/London"
    assert zone_label(zone_of(None) or UTC) == "Europe/London"
    assert (
        times_read_in(known) == "Times are read in Pacific/Auckland, the organisation's time zone."
    )
    assert times_read_in(None) == (
        "Times are read in Europe/London, this computer's time zone (the organisation's is not "
        "known)."
    )


def test_zone_labels_read_back() -> None:
    assert zone_from_label("Pacific/Auckland") == timezones.zone("Pacific/Auckland")
    fixed = zone_from_label("UTC+13:00")
    assert fixed is not None and fixed.utcoffset(None) == timedelta(hours=13)
    assert zone_label(timezone(timedelta(hours=-3, minutes=-30))) == "UTC-03:30"
    assert zone_from_label("UTC+99:00") is None and zone_from_label(None) is None


def test_nothing_connected_a_new_zealander_s_13_00_is_13_00_in_auckland(
    monkeypatch: pytest.MonkeyPatch, library: Library
) -> None:
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    guided = GuidedCheck("Staff Wellbeing", library, now=NOW)
    for expected, text in (("xero.kind", "account"), ("xero.has", "yes")):
        question = guided.next_question()
        assert question is not None and question.id == expected
        guided.answer(question, text)
    question = guided.next_question()
    assert question is not None and question.id == "xero.changed"
    assert "Times are read in Pacific/Auckland, this computer's time zone" in question.where
    guided.answer(question, "13:00")
    assert guided.answers["xero.changed"] == "2026-11-25T00:00:00+00:00"  # 13:00 NZDT
    diagnosis = guided.diagnosis()
    assert diagnosis is not None
    datetime_questions = [q for q in diagnosis.questions if q.type == "datetime"]
    assert datetime_questions
    for asked in datetime_questions:
        assert asked.where.endswith(
            "Times are read in Pacific/Auckland, this computer's time zone (the organisation's "
            "is not known)."
        )


def test_the_check_s_report_names_this_machine_s_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    answers = "\n".join(["account", "yes", "13:00", "no"]) + "\n"
    result = CliRunner().invoke(main, ["check", "Staff Wellbeing"], input=answers)
    assert result.exit_code == 1, result.stderr
    assert "(times: Pacific/Auckland)" in result.stdout
    assert "(times: UTC)" not in result.stdout
