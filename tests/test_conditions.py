"""The condition grammar: three-valued logic, each operator, and what a leaf may say."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from troubleshooter.diagnosis.conditions import OPERATORS, Group, Leaf, parse_condition
from troubleshooter.errors import RuleLoadError

EARLY, LATE = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)


def test_three_valued_logic() -> None:
    present = parse_condition({"fact": "xero", "equals": "present"}, "t")
    missing_am = parse_condition({"fact": "approvalmax", "equals": "missing"}, "t")
    both = Group("all", (present, missing_am))
    either = Group("any", (present, missing_am))
    unknown_am = {"xero": "present", "approvalmax": None}
    assert present.evaluate(unknown_am) is True
    assert missing_am.evaluate(unknown_am) is None
    assert both.evaluate(unknown_am) is None  # never fires on what we could not see
    assert both.evaluate({"xero": "archived", "approvalmax": None}) is False  # one false decides
    assert either.evaluate(unknown_am) is True
    assert Group("not", (missing_am,)).evaluate(unknown_am) is None
    known = Leaf("approvalmax", "known", True)
    assert known.evaluate(unknown_am) is False


def test_time_comparisons_between_facts() -> None:
    after = parse_condition({"fact": "xero.changed_at", "after": "approvalmax.last_sync"}, "t")
    assert after.evaluate({"xero.changed_at": LATE, "approvalmax.last_sync": EARLY}) is True
    assert after.evaluate({"xero.changed_at": EARLY, "approvalmax.last_sync": LATE}) is False
    assert after.evaluate({"xero.changed_at": LATE, "approvalmax.last_sync": None}) is None
    assert after.facts() == {"xero.changed_at", "approvalmax.last_sync"}


# (leaf, facts, truth): every operator, both ways and on an unknown fact.
CASES: list[tuple[dict[str, Any], dict[str, Any], bool | None]] = [
    ({"fact": "xero", "equals": "Present"}, {"xero": "present"}, True),
    ({"fact": "xero", "equals": "present"}, {"xero": "missing"}, False),
    ({"fact": "xero", "equals": "present"}, {"xero": None}, None),
    ({"fact": "xero", "not_equals": "present"}, {"xero": "missing"}, True),
    ({"fact": "xero", "not_equals": "PRESENT"}, {"xero": "present"}, False),
    ({"fact": "xero", "not_equals": "present"}, {}, None),
    ({"fact": "xero.has_code", "equals": False}, {"xero.has_code": False}, True),
    ({"fact": "xero.has_code", "equals": False}, {"xero.has_code": True}, False),
    ({"fact": "dext", "in": ["present", "Hidden"]}, {"dext": "hidden"}, True),
    ({"fact": "dext", "in": ["present", "hidden"]}, {"dext": "missing"}, False),
    ({"fact": "dext", "in": ["present"]}, {"dext": None}, None),
    ({"fact": "dext", "not_in": ["present", "hidden"]}, {"dext": "missing"}, True),
    ({"fact": "dext", "not_in": ["present", "hidden"]}, {"dext": "present"}, False),
    ({"fact": "dext", "not_in": ["present"]}, {"dext": None}, None),
    ({"fact": "clock", "before": "dext.next_pull"}, {"clock": EARLY, "dext.next_pull": LATE}, True),
    (
        {"fact": "clock", "before": "dext.next_pull"},
        {"clock": LATE, "dext.next_pull": EARLY},
        False,
    ),
    ({"fact": "clock", "before": "dext.next_pull"}, {"clock": EARLY}, None),
    ({"fact": "clock", "after": "dext.next_pull"}, {"clock": LATE, "dext.next_pull": EARLY}, True),
    (
        {"fact": "clock", "after": "dext.next_pull"},
        {"clock": EARLY, "dext.next_pull": EARLY},
        False,
    ),
    ({"fact": "clock", "after": "dext.next_pull"}, {"dext.next_pull": EARLY}, None),
    ({"fact": "dext.last_pull", "known": True}, {"dext.last_pull": EARLY}, True),
    ({"fact": "dext.last_pull", "known": True}, {}, False),
    ({"fact": "dext.last_pull", "known": False}, {}, True),
]


@pytest.mark.parametrize(("leaf", "facts", "truth"), CASES)
def test_each_operator(leaf: dict[str, Any], facts: dict[str, Any], truth: bool | None) -> None:
    assert parse_condition(leaf, "t").evaluate(facts) is truth


def test_every_operator_is_tested_both_ways() -> None:
    for name in OPERATORS:
        truths = {t for leaf, _, t in CASES if name in leaf}
        assert truths == {True, False, None} or (name == "known" and truths == {True, False})


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"fact": "xero", "equals": "presnet"}, "'xero' is never 'presnet'"),
        ({"fact": "xero.has_code", "equals": "no"}, "'xero.has_code' is true or false"),
        ({"fact": "clock", "equals": "2026-01-01"}, "'clock' is a time: compare it with before"),
        ({"fact": "dext", "in": "present"}, "'in' takes a list"),
        ({"fact": "dext", "not_in": []}, "'not_in' takes a list"),
        ({"fact": "dext", "in": ["present", "gone"]}, "'dext' is never 'gone'"),
        ({"fact": "clock", "after": "tomorrow"}, "'after' compares with another fact"),
        ({"fact": "clock", "before": "xero"}, "'before' compares two times"),
        ({"fact": "xero", "known": "yes"}, "'known' takes true or false"),
        ({"fact": "xero", "equal": "present"}, "unknown operator 'equal'"),
        ({"fact": "xero.colour", "equals": "red"}, "unknown fact 'xero.colour'"),
        (
            {"fact": "dext.integraton", "equals": "none"},
            "unknown fact 'dext.integraton' .did you mean 'dext.integration'",
        ),
        ({"fact": "xero", "equals": "present", "in": ["x"]}, "exactly one operator"),
        ({"fact": "xero"}, r"exactly one operator .*found none"),
        ({"every": []}, "unknown condition"),
        ({"all": [], "any": []}, "'all' stands alone"),
        ({"any": []}, "'any' takes a non-empty list"),
        ({"not": {"fact": "xero", "equals": "present"}, "fact": "x"}, "'not' stands alone"),
        ([], "a condition is a mapping"),
        ({1: "x", "fact": "xero"}, "unknown operator .1."),
    ],
)
def test_a_leaf_outside_the_grammar_is_refused(node: Any, expected: str) -> None:
    with pytest.raises(RuleLoadError, match=expected):
        parse_condition(node, "here")


def test_every_problem_of_a_condition_is_reported_with_where_it_is() -> None:
    node = {
        "all": [
            {"fact": "xero", "equals": "presnet"},
            {"any": [{"fact": "nothing", "equals": 1}, {"fact": "dext", "in": "hidden"}]},
            {"not": {"fact": "xero", "known": True}},
        ]
    }
    with pytest.raises(RuleLoadError) as caught:
        parse_condition(node, "when")
    assert caught.value.problems == [
        "when.all[0]: 'xero' is never 'presnet' (it is one of: present, missing, archived, hidden)",
        "when.all[1].any[0]: unknown fact 'nothing' (`troubleshooter help rules` lists them)",
        "when.all[1].any[1]: 'in' takes a list",
    ]
    assert str(caught.value).startswith("3 problems in the rules:\n  when.all[0]:")


def test_the_docs_explain_every_operator() -> None:
    text = (Path(__file__).parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    table = text[text.index("| operator | holds when |") :].split("\n\n")[0]
    documented = set(re.findall(r"^\| (.+?) \|", table, re.MULTILINE)[1:])
    names = {name for row in documented for name in re.findall(r"`(\w+)`", row)}
    assert names == set(OPERATORS)


def test_a_condition_decided_on_part_of_the_facts_holds_whatever_the_rest() -> None:
    """What lets the rules be decided once for many items that share their marks: a True or
    False reached on part of the facts never changes when the others are known."""
    import itertools

    condition = parse_condition(
        {
            "all": [
                {"fact": "xero", "equals": "present"},
                {"fact": "eligible.dext", "equals": True},
                {
                    "any": [
                        {"fact": "xero.changed_at", "known": False},
                        {"fact": "dext", "equals": "missing"},
                    ]
                },
            ]
        },
        "test",
    )
    given = frozenset({"xero", "eligible.dext", "dext"})
    values = {
        "xero": ["present", "archived", None],
        "eligible.dext": [True, False, None],
        "dext": ["missing", "present", None],
        "xero.changed_at": [None, datetime(2026, 11, 25, tzinfo=UTC)],
    }
    for combo in itertools.product(*values.values()):
        facts = dict(zip(values, combo, strict=True))
        early = condition.partial(facts, given)
        if early is not None:
            assert condition.evaluate(facts) is early, facts
    # "known: false" on a fact outside the shared ones is not taken as unknown: undecided.
    assert condition.partial({"xero": "present", "eligible.dext": True}, given) is None
