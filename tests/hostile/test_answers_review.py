"""What a hostile review found in answers, pasted lists and times: a time answer that hung the
run (a pattern that backtracks exponentially), negated answers read as their opposite, pasted
lists misread or slow, a date without a year read a year back, a digit that is not a number."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from re import _parser as sre_parse  # the structure of a pattern, to prove it linear
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from troubleshooter.cli import main
from troubleshooter.diagnosis import paste
from troubleshooter.diagnosis.answers import AnswerError, choose, parse_yes_no, read_answers
from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.diagnosis.paste import PasteError, read_pasted
from troubleshooter.diagnosis.questions import spec_for
from troubleshooter.infra import timeparse
from troubleshooter.infra.timeparse import TimeError, parse_moment
from troubleshooter.model import Item, ItemKind

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def _nested_repeat(items: Any, inside_unbounded: bool = False) -> bool:
    """Whether a parsed pattern holds a repetition inside an unbounded repetition (`(a+b)+`),
    the shape that can backtrack exponentially."""
    for op, arg in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            unbounded = arg[1] == sre_parse.MAXREPEAT
            if inside_unbounded or _nested_repeat(arg[2], inside_unbounded or unbounded):
                return True
            continue
        if name == "SUBPATTERN" or name.startswith("ASSERT"):
            subs = [arg[-1]]
        elif name == "BRANCH":
            subs = arg[1]
        else:
            continue
        if any(_nested_repeat(sub, inside_unbounded) for sub in subs):
            return True
    return False


def _patterns() -> list[re.Pattern[str]]:
    found = []
    for value in vars(timeparse).values():
        found += [value] if isinstance(value, re.Pattern) else []
        if isinstance(value, list):
            found += [v for v in value if isinstance(v, re.Pattern)]
    return found


def test_the_shape_check_sees_a_nested_repetition() -> None:
    assert _nested_repeat(sre_parse.parse(r"^((?:\d+\s*[a-z]+\s*)+)\s*ago$"))
    assert not _nested_repeat(sre_parse.parse(r"^(?:mon[a-z]*\s+)?(\d{1,2})/(\d{1,2})$"))


def test_no_time_pattern_can_backtrack_exponentially() -> None:
    """Linear by construction: no pattern the time grammar uses repeats a repetition (the old
    `_AGO` did, and `'1' + 'a' * 60 + '!'` as a time answer hung the run)."""
    patterns = _patterns()
    assert len(patterns) >= 8
    assert [p.pattern for p in patterns if _nested_repeat(sre_parse.parse(p.pattern))] == []


@pytest.mark.parametrize("size", [20, 40, 60, 98])
def test_a_run_of_letters_is_refused_not_pondered(size: int) -> None:
    with pytest.raises(TimeError, match=r"^write a time such as 13:00"):
        parse_moment("1" + "a" * size + "!", NOW)


def test_a_time_over_100_characters_is_refused_in_one_sentence() -> None:
    with pytest.raises(TimeError) as refused:
        parse_moment("1" + "a" * 10_000 + "!", NOW)
    assert str(refused.value) == (
        "that is over 100 characters, too long for a time; write a time such as 13:00, "
        "yesterday 14:00, 11 hours ago or 25/11/2026 09:30 (day first)"
    )


@pytest.mark.parametrize(
    ("text", "hours"),
    [("2 days, 3 hours and 30 minutes ago", 51.5), ("1h30m ago", 1.5), ("half an hour ago", 0.5),
     ("an hour, and 30 minutes ago", 1.5), ("1.5 hours ago", 1.5)],
)  # fmt: skip
def test_how_long_ago_read_token_by_token(text: str, hours: float) -> None:
    assert (NOW - parse_moment(text, NOW)).total_seconds() == hours * 3600


@pytest.mark.parametrize("text", ["hour ago", "1 ago", "1 hour and ago", "1 fortnight ago"])
def test_what_is_not_how_long_ago_is_refused(text: str) -> None:
    with pytest.raises(TimeError):
        parse_moment(text, NOW)


# -- 2. a negated answer is refused, never read as its opposite -------------------------------


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("not missing", "'not missing' has a 'not' this tool cannot be sure of"),
        ("not not there", "'not not there' has a 'not' this tool cannot be sure of"),
        ("no it's there", '"no it\'s there" says two things at once'),
        ("nope it is there", "'nope it is there' says two things at once"),
        ("yes, found it, no", "'yes, found it, no' says two things at once"),
    ],
)
def test_a_yes_or_no_that_says_both_or_not_what_it_seems_is_refused(text: str, why: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_yes_no(text)
    assert str(refused.value) == f"{why}; answer yes or no."


@pytest.mark.parametrize(
    ("text", "meant"),
    [("it's not there", False), ("I cannot find it", False), ("nah, not there", False),
     ("yes I think it's there", True), ("no", False), ("missing", False)],
)  # fmt: skip
def test_a_negation_inside_a_phrase_is_still_understood(text: str, meant: bool) -> None:
    assert parse_yes_no(text) is meant


@pytest.mark.parametrize(
    "text", ["not greyed out", "yes but not hidden", "not missing", "no it's there", "not hidden"]
)
def test_a_negated_choice_about_an_item_is_refused(text: str, library: Library) -> None:
    spec, _ = spec_for(library.rules.questions, "dext.has.x")
    with pytest.raises(ValueError, match=r"Answer one of|answer one of: Yes; No; Yes, but"):
        choose(spec.options, text)


BLIND = """
clock: 2026-11-25T01:00:00Z
organisation: {name: Example Trading Ltd}
xero:
  tracking_categories:
    - name: Region
      options: [{name: Auckland}, {name: Wellington}]
approvalmax: {access: none}
dext: {access: none}
"""


def test_not_greyed_out_is_refused_by_the_command(tmp_path: Path) -> None:
    scenario = tmp_path / "blind.yaml"
    scenario.write_text(BLIND, encoding="utf-8")
    args = ["diagnose", "--scenario", str(scenario), "--item", "wellington"]
    result = CliRunner().invoke(
        main, [*args, "--answer", "dext.has.region-wellington=not greyed out"]
    )
    assert result.exit_code == 2
    assert "'not greyed out' has a 'not' this tool cannot be sure of; answer one of: Yes;" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


# -- 3. pasted lists: commas in a name, name before code, header rows --------------------------

XERO = [
    Item(kind=ItemKind.ACCOUNT, xero_id="A", code="400", name="Advertising & Marketing"),
    Item(kind=ItemKind.ACCOUNT, xero_id="G", code="429", name="General Expenses"),
    Item(kind=ItemKind.ACCOUNT, xero_id="L", code="445", name="Light, Power, Heating"),
]


def _read(text: str) -> list[tuple[str | None, str, float | None]]:
    return [
        (i.xero_id, i.name, i.confidence) for i in read_pasted(text, ItemKind.ACCOUNT, XERO).items
    ]


@pytest.mark.parametrize(
    "text",
    [
        "445,Light, Power, Heating",
        "445,Light, Power, Heating,Overheads",
        "Advertising & Marketing,400\n445,Light, Power, Heating",
    ],
)
def test_a_name_with_commas_after_its_code_is_no_rename(text: str) -> None:
    assert ("L", "Light, Power, Heating", 1.0) in _read(text)


def test_a_name_then_its_code_lets_the_code_decide() -> None:
    assert _read("Advertising & Marketing,400") == [("A", "Advertising & Marketing", 1.0)]
    # 4290 is not 429, whatever the name: an item only that stage has
    assert _read("General Expenses,4290") == [(None, "General Expenses", None)]
    assert _read("Advertising & Marketing,400\nGeneral Expenses,4290") == [
        ("A", "Advertising & Marketing", 1.0),
        (None, "General Expenses", None),
    ]


@pytest.mark.parametrize(
    "header",
    ["Code,Name", "Account Code, Account Name", "Category", "Code\tName\tTax Rate",
     "Category\tAccount Code", '"*Code","*Name","*Type","*Tax Code","Description","Dashboard",'
     '"Expense Claims","Enable Payments","Balance"'],
)  # fmt: skip
def test_a_header_row_is_no_item(header: str) -> None:
    row = ("\t" if "\t" in header else ",").join(["400", "Advertising & Marketing"])
    assert [i.xero_id for i in read_pasted(f"{header}\n{row}", ItemKind.ACCOUNT, XERO).items] == [
        "A"
    ]
    assert read_pasted(header, ItemKind.ACCOUNT, XERO).lines == 0


SCENARIO = """
clock: 2026-11-25T01:00:00Z
organisation: {name: Example Trading Ltd}
xero:
  accounts:
    - {code: "400", name: Advertising}
    - {code: "445", name: "Light, Power, Heating"}
approvalmax: {access: none, last_sync: -1h}
dext: {access: none, last_pull: -11h}
"""


@pytest.mark.parametrize("header", ["Code,Name", '"*Code","*Name","*Type"', "Category"])
def test_a_paste_that_is_only_a_header_is_refused(header: str, tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["diagnose", "--scenario", str(scenario), "--answer", f"dext.list.account={header}"]
    )
    assert result.exit_code == 2
    assert (
        "dext.list.account: The pasted text names no item, only a table's header; paste the "
        "list of Categories (accounts in Xero) that Dext shows for this organisation."
    ) in result.stderr
    assert "Traceback" not in result.stderr


# -- 4. a date without a year is one of the last 300 days; a weekday must be the date's ----------

AUCKLAND = ZoneInfo("Pacific/Auckland")  # NOW is 14:00 on 25/11/2026 there


def _local(text: str, now: datetime = NOW) -> str:
    return parse_moment(text, now, AUCKLAND).astimezone(AUCKLAND).strftime("%Y-%m-%d %H:%M")


def test_a_date_without_a_year_just_ahead_is_in_the_future_not_a_year_ago() -> None:
    with pytest.raises(TimeError) as refused:
        parse_moment("25/11 14:30", NOW, AUCKLAND)
    assert str(refused.value) == (
        "'25/11 14:30' is in the future; a date without a year means one of the last 300 days, "
        "so write the year if you mean 25/11/2025"
    )
    assert _local("25/11 13:30") == "2026-11-25 13:30"
    assert _local("25/11/2025 14:30") == "2025-11-25 14:30"  # with its year, as written


def test_a_date_without_a_year_is_one_of_the_last_300_days() -> None:
    january = datetime(2027, 1, 10, 1, 0, tzinfo=UTC)
    assert _local("25/12 13:00", january) == "2026-12-25 13:00"  # last year's, 16 days ago
    assert _local("1/3 13:00") == "2026-03-01 13:00"  # 269 days ago
    with pytest.raises(TimeError) as refused:
        parse_moment("1/1 13:00", NOW, AUCKLAND)
    assert str(refused.value) == (
        "'1/1 13:00' is 328 days ago; a date without a year means one of the last 300 days, so "
        "write the year, as in 01/01/2026"
    )


@pytest.mark.parametrize(
    ("text", "sentence"),
    [("Mon 25 Nov 2026 13:00", "'Mon 25 Nov 2026 13:00': 25/11/2026 is a Wednesday, not a Monday"),
     ("Monday, 24/11 13:00", "'Monday, 24/11 13:00': 24/11/2026 is a Tuesday, not a Monday"),
     ("Fri Nov 21, 2026 9:00 AM", "'Fri Nov 21, 2026 9:00 AM': 21/11/2026 is a Saturday, not "
      "a Friday")],
)  # fmt: skip
def test_a_weekday_that_is_not_the_date_s_is_refused(text: str, sentence: str) -> None:
    with pytest.raises(TimeError) as refused:
        parse_moment(text, NOW, AUCKLAND)
    assert str(refused.value) == sentence


def test_the_date_s_own_weekday_is_taken() -> None:
    assert _local("Sat Nov 21, 2026 9:00 AM") == "2026-11-21 09:00"
    assert _local("Tuesday, 24/11 13:00") == "2026-11-24 13:00"
    assert _local("wed. 25 Nov 2026 13:00") == "2026-11-25 13:00"


# -- 5. a pasted list costs its lines, not its lines times Xero's items -----------------------

SUPPLIERS = [Item(kind=ItemKind.SUPPLIER, name=f"Supplier {n}", xero_id=f"s{n}") for n in range(10)]


def test_near_misses_are_compared_within_a_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Codes and exact names are looked up; only the rest are compared, and at most
    FUZZY_BUDGET comparisons in all (here 3 lines' worth against 10 items): a paste of many
    unknown lines against many items cannot take minutes."""
    monkeypatch.setattr(paste, "FUZZY_BUDGET", 3 * len(SUPPLIERS))
    exact = [f"Supplier {n}" for n in range(5)]
    near = [f"Suplier {n}" for n in range(5, 10)]  # each a near miss of one
    held = read_pasted("\n".join(exact + near), ItemKind.SUPPLIER, SUPPLIERS).items
    assert [i.xero_id for i in held[:5]] == ["s0", "s1", "s2", "s3", "s4"]  # no budget spent
    assert [i.xero_id for i in held[5:]] == ["s5", "s6", "s7", None, None]


def test_a_near_miss_still_matches_with_its_confidence() -> None:
    [item] = read_pasted("Suplier 7", ItemKind.SUPPLIER, SUPPLIERS).items
    assert (item.xero_id, item.name) == ("s7", "Supplier 7")
    assert 0.82 <= (item.confidence or 0) < 1


@pytest.mark.parametrize(
    ("text", "sentence"),
    [(",".join(["x"] * 60_000), "Line 1 of the pasted list is over 10,000 characters; paste one "
      "item a line."),
     ("400\n" + "," * 100_000, "Line 2 of the pasted list is over 10,000 characters; paste one "
      "item a line."),
     ("x\n" * 60_001, "The pasted list has 60,001 lines; paste at most 60,000, one item a line.")],
    ids=["one-line-of-60000-names", "a-line-of-100000-commas", "60001-lines"],
)  # fmt: skip
def test_a_paste_too_big_for_a_screen_is_refused(
    text: str, sentence: str, library: Library
) -> None:
    with pytest.raises(PasteError) as refused:
        read_pasted(text, ItemKind.ACCOUNT, XERO)
    assert str(refused.value) == sentence
    with pytest.raises(AnswerError) as answered:
        read_answers({"dext.list.account": text}, library.rules.questions, NOW)
    assert answered.value.sentences["dext.list.account"] == sentence


# -- 6. a digit that is not a number ---------------------------------------------------------


@pytest.mark.parametrize("text", ["①", "²", "³"])
def test_a_digit_that_is_not_a_number_is_refused_in_one_sentence(text: str, tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["diagnose", "--scenario", str(scenario), "--answer", f"dext.connection={text}"]
    )
    assert result.exit_code == 2
    assert "dext.connection: Answer one of: ApprovalMax for Xero, for " in result.stderr
    assert "invalid literal" not in result.stderr and "Traceback" not in result.stderr


def test_a_number_in_another_script_is_its_number(library: Library) -> None:
    spec, _ = spec_for(library.rules.questions, "dext.has.x")
    assert choose(spec.options, "٢") == "no"  # Arabic-Indic 2
    with pytest.raises(ValueError, match=r"^Answer one of"):
        choose(spec.options, "②")
