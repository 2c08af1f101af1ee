"""The condition grammar: trees of `all` / `any` / `not` over leaves `{fact: NAME, OP: VALUE}`.

The operators are a closed set, each written once below with what it accepts and how it
compares; the facts are the closed vocabulary (vocabulary.py). There is no eval. Logic is
three-valued: a leaf on an unknown fact is unknown; `all` is false if any part is false, else
unknown if any part is unknown; `any` the other way round; `not` keeps unknown.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from troubleshooter.diagnosis.vocabulary import FACTS, Fact, Facts, ValueType
from troubleshooter.errors import RuleLoadError

Truth = bool | None  # None: unknown
Test = Callable[[Any, Facts], Truth]  # (the fact's value, all the facts) → truth


@dataclass(frozen=True)
class Operator:
    """One operator: what its value must be for a given fact (`check` says what is wrong, or
    None), and the comparison it makes (`prepare` builds it once per leaf, so that evaluating a
    rule over tens of thousands of items does the least work per item). docs/rules.md explains
    each; a test keeps its table and this one the same."""

    name: str
    check: Callable[[str, Fact, Any], str | None]  # (operator, fact, value) → what is wrong
    prepare: Callable[[Any], Test]
    compares_facts: bool = False  # its value names another fact


def _lower(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _check_value(op: str, fact: Fact, value: Any) -> str | None:
    if fact.type is ValueType.TIME:
        return f"'{fact.name}' is a time: compare it with before, after or known, not '{op}'"
    if fact.type is ValueType.YES_NO:
        return None if isinstance(value, bool) else f"'{fact.name}' is true or false"
    if isinstance(value, str) and value.casefold() in {v.casefold() for v in fact.values}:
        return None
    return f"'{fact.name}' is never {value!r} (it is one of: {', '.join(fact.values)})"


def _equality(equal: bool) -> Callable[[Any], Test]:
    def prepare(value: Any) -> Test:
        expected = _lower(value)
        return lambda actual, facts: (
            None if actual is None else (_lower(actual) == expected) == equal
        )

    return prepare


def _check_list(op: str, fact: Fact, value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return f"'{op}' takes a list"
    return next((p for v in value if (p := _check_value(op, fact, v))), None)


def _membership(inside: bool) -> Callable[[Any], Test]:
    def prepare(value: Any) -> Test:
        choices = frozenset(_lower(v) for v in value)
        return lambda actual, facts: (
            None if actual is None else (_lower(actual) in choices) == inside
        )

    return prepare


def _check_other_time(op: str, fact: Fact, value: Any) -> str | None:
    other = FACTS.get(value) if isinstance(value, str) else None
    if other is None:
        return f"'{op}' compares with another fact; '{value}' is not one"
    if fact.type is not ValueType.TIME or other.type is not ValueType.TIME:
        return f"'{op}' compares two times; '{fact.name}' and '{other.name}' are not both times"
    return None


def _order(later: bool) -> Callable[[Any], Test]:
    def prepare(other: Any) -> Test:
        def test(actual: Any, facts: Facts) -> Truth:
            then = facts.get(other)
            if actual is None or then is None:
                return None
            return bool(actual > then) if later else bool(actual < then)

        return test

    return prepare


def _check_known(op: str, fact: Fact, value: Any) -> str | None:
    return None if isinstance(value, bool) else f"'{op}' takes true or false"


def _known(wanted: Any) -> Test:
    return lambda actual, facts: (actual is not None) == wanted


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("equals", _check_value, _equality(True)),
        Operator("not_equals", _check_value, _equality(False)),
        Operator("in", _check_list, _membership(True)),
        Operator("not_in", _check_list, _membership(False)),
        Operator("before", _check_other_time, _order(later=False), compares_facts=True),
        Operator("after", _check_other_time, _order(later=True), compares_facts=True),
        Operator("known", _check_known, _known),
    )
}


@dataclass(frozen=True)
class Leaf:
    fact: str
    op: str
    value: Any
    _test: Test = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_test", OPERATORS[self.op].prepare(self.value))

    def facts(self) -> set[str]:
        return {self.fact} | ({self.value} if OPERATORS[self.op].compares_facts else set())

    def evaluate(self, facts: Facts) -> Truth:
        return self._test(facts.get(self.fact), facts)

    def partial(self, facts: Facts, given: frozenset[str]) -> Truth:
        """As `evaluate`, knowing only the facts in `given`: any other is undecided here."""
        if self.fact not in given or (
            OPERATORS[self.op].compares_facts and self.value not in given
        ):
            return None
        return self.evaluate(facts)


@dataclass(frozen=True)
class Group:
    op: Literal["all", "any", "not"]
    parts: tuple[Condition, ...]

    def facts(self) -> set[str]:
        return set().union(*(p.facts() for p in self.parts))

    def evaluate(self, facts: Facts) -> Truth:
        if self.op == "not":
            result = self.parts[0].evaluate(facts)
            return None if result is None else not result
        decisive = self.op == "any"  # any: one True decides; all: one False decides
        unknown = False
        for part in self.parts:
            result = part.evaluate(facts)
            if result is decisive:
                return decisive
            if result is None:
                unknown = True
        return None if unknown else not decisive

    def partial(self, facts: Facts, given: frozenset[str]) -> Truth:
        """As `evaluate`, knowing only the facts in `given`. Three-valued logic is monotone:
        a True or False decided on part of the facts holds whatever the others turn out to be,
        so many items that share those facts are decided at once."""
        if self.op == "not":
            result = self.parts[0].partial(facts, given)
            return None if result is None else not result
        decisive = self.op == "any"
        unknown = False
        for part in self.parts:
            result = part.partial(facts, given)
            if result is decisive:
                return decisive
            if result is None:
                unknown = True
        return None if unknown else not decisive


Condition = Leaf | Group


Problem = tuple[int | None, str]  # (its line in the file, where known; "where: what is wrong")


def parse_condition(node: Any, where: str) -> Condition:
    """Builds a condition tree, refusing anything outside the closed grammar; every problem in
    the tree is reported at once."""
    problems: list[Problem] = []
    condition = condition_problems(node, where, problems)
    if problems or condition is None:
        raise RuleLoadError.listing([text for _, text in problems])
    return condition


def condition_problems(
    node: Any, where: str, problems: list[Problem], line: int | None = None
) -> Condition | None:
    """The condition tree, or None with what is wrong added to `problems`: each with the line
    of the part it is about (mappings read by yamlfile know their line) and "where: what",
    `where` leading to that part of the tree."""
    line = getattr(node, "line", None) or line

    def problem(text: str) -> None:
        problems.append((line, f"{where}: {text}"))

    if not isinstance(node, dict) or not node:
        problem("a condition is a mapping (all, any, not, or fact + operator)")
        return None
    keys = sorted(map(str, node))
    for group in ("all", "any"):
        if group in node:
            if keys != [group]:
                problem(f"'{group}' stands alone; found {keys}")
                return None
            parts = node[group]
            if not isinstance(parts, list) or not parts:
                problem(f"'{group}' takes a non-empty list of conditions")
                return None
            parsed = [
                condition_problems(p, f"{where}.{group}[{i}]", problems, line)
                for i, p in enumerate(parts)
            ]
            if any(p is None for p in parsed):
                return None
            return Group("all" if group == "all" else "any", tuple(p for p in parsed if p))
    if "not" in node:
        if keys != ["not"]:
            problem(f"'not' stands alone; found {keys}")
            return None
        part = condition_problems(node["not"], f"{where}.not", problems, line)
        return None if part is None else Group("not", (part,))
    if "fact" not in node:
        problem(f"unknown condition {keys}; use all, any, not, or fact + operator")
        return None
    return _leaf(node, problem)


def _leaf(node: dict[Any, Any], problem: Callable[[str], None]) -> Leaf | None:
    known = ", ".join(OPERATORS)
    operators = [key for key in node if key != "fact"]
    if len(operators) != 1:
        found = sorted(map(str, operators)) or "none"
        problem(f"a fact takes exactly one operator ({known}); found {found}")
        return None
    op = operators[0]
    name, value = node["fact"], node[op]
    fact = FACTS.get(name) if isinstance(name, str) else None
    if op not in OPERATORS:
        problem(f"unknown operator '{op}' (known: {known})")
    if fact is None:
        close = difflib.get_close_matches(str(name), FACTS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        problem(f"unknown fact '{name}' ({hint}`troubleshooter help rules` lists them)")
    if fact is None or op not in OPERATORS:
        return None
    wrong = OPERATORS[op].check(op, fact, value)
    if wrong is not None:
        problem(wrong)
        return None
    return Leaf(name, op, value)
