"""One grammar for lengths of time, and text made safe to show."""

from __future__ import annotations

from datetime import timedelta

import pytest

from troubleshooter.infra.durations import DurationError, parse_duration, parse_offset
from troubleshooter.infra.safetext import visible, visible_lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("90", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d2h30m15s", timedelta(days=1, hours=2, minutes=30, seconds=15)),
        ("1.5s", timedelta(seconds=1.5)),
    ],
)
def test_lengths_of_time(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "h", "2x", "-2h", "+9999999d", "99999999999d"])
def test_what_is_not_a_length_of_time_is_refused(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


def test_offsets_carry_their_sign() -> None:
    assert parse_offset("-1d2h") == -timedelta(days=1, hours=2)
    assert parse_offset("+20m") == timedelta(minutes=20)
    assert parse_offset("2026-11-25T10:00Z") is None
    assert parse_offset("-") is None
    with pytest.raises(DurationError, match="century"):
        parse_offset("-99999999999d")


def test_control_and_bidi_characters_become_visible() -> None:
    hostile = "Acme\x1b[2J\x1b]0;pwned\x07 \u202eLtd\x00\x9b\nNext"
    shown = visible(hostile)
    assert shown == "Acme\\x1b[2J\\x1b]0;pwned\\x07 \\u202eLtd\\x00\\x9b\\x0aNext"
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert visible_lines("one\ntwo\x1b") == "one\ntwo\\x1b"
    plain = "Kaimai Oat Milk Co — Māori café 🍵"
    assert visible(plain) is plain
