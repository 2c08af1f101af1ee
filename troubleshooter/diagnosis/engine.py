"""The rule engine: YAML rules with conditions as data, evaluated in three-valued logic.

A rule file holds `rules:` (and may hold `actions:`). A condition is a tree of `all` / `any` /
`not` over leaves `{fact: NAME, OPERATOR: VALUE}`, with a closed set of operators and a closed
set of facts (facts.py). There is no eval. A leaf on an unknown fact is unknown; `all` is false
if any part is false, else unknown if any part is unknown; `any` the other way round; a rule
fires only when its condition is true.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from troubleshooter.diagnosis.answers import SETTABLE
from troubleshooter.diagnosis.facts import (
    ALL_FACTS,
    FINDING_FACTS,
    ITEM_FACTS,
    FactContext,
    Facts,
    finding_facts,
)
from troubleshooter.diagnosis.plan import Action
from troubleshooter.diagnosis.questions import QuestionSpec
from troubleshooter.errors import RuleLoadError
from troubleshooter.infra.yamlfile import load_yaml, validation_problem, yaml_error_text
from troubleshooter.model import Finding, ItemKind, ItemTrace, Severity, Stage
from troubleshooter.wording import when

Truth = bool | None  # None: unknown

# -- conditions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    fact: str
    op: str
    value: Any
    # The comparison, prepared once (expected values lowered), so that evaluating a rule over
    # tens of thousands of items does the least work per item.
    _test: Callable[[Any, Facts], Truth] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_test", _prepare(self.op, self.value))

    def facts(self) -> set[str]:
        return {self.fact} | ({self.value} if self.op in _FACT_OPERANDS else set())

    def evaluate(self, facts: Facts) -> Truth:
        return self._test(facts.get(self.fact), facts)


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


def _prepare(op: str, value: Any) -> Callable[[Any, Facts], Truth]:
    if op == "known":
        wanted = bool(value)
        return lambda actual, facts: (actual is not None) == wanted
    if op in _FACT_OPERANDS:
        compare = _OPERATORS[op]

        def against_fact(actual: Any, facts: Facts) -> Truth:
            other = facts.get(value)
            if actual is None or other is None:
                return None
            return compare(actual, other)

        return against_fact
    if op in ("in", "not_in"):
        choices = frozenset(_lower(v) for v in value)
        inside = op == "in"
        return lambda actual, facts: (
            None if actual is None else (_lower(actual) in choices) == inside
        )
    expected = _lower(value)
    equal = op == "equals"
    return lambda actual, facts: None if actual is None else (_lower(actual) == expected) == equal


Condition = Leaf | Group


def _lower(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _before(a: Any, b: Any) -> bool:
    return isinstance(a, datetime) and isinstance(b, datetime) and a < b


def _after(a: Any, b: Any) -> bool:
    return isinstance(a, datetime) and isinstance(b, datetime) and a > b


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda a, b: _lower(a) == _lower(b),
    "not_equals": lambda a, b: _lower(a) != _lower(b),
    "in": lambda a, b: _lower(a) in [_lower(v) for v in b],
    "not_in": lambda a, b: _lower(a) not in [_lower(v) for v in b],
    "before": _before,
    "after": _after,
}
# These take another fact's name as their value and compare with that fact.
_FACT_OPERANDS = frozenset({"before", "after"})
OPERATORS = (*_OPERATORS, "known")


def parse_condition(node: Any, where: str) -> Condition:
    """Builds a condition tree, refusing anything outside the closed grammar."""
    if not isinstance(node, dict) or not node:
        raise RuleLoadError(
            f"{where}: a condition is a mapping (all, any, not, or fact + operator)"
        )
    keys = set(node)
    for group in ("all", "any"):
        if group in keys:
            if keys != {group}:
                raise RuleLoadError(f"{where}: '{group}' stands alone; found {sorted(keys)}")
            parts = node[group]
            if not isinstance(parts, list) or not parts:
                raise RuleLoadError(f"{where}: '{group}' takes a non-empty list of conditions")
            return Group(
                "all" if group == "all" else "any",
                tuple(parse_condition(p, f"{where}.{group}[{i}]") for i, p in enumerate(parts)),
            )
    if "not" in keys:
        if keys != {"not"}:
            raise RuleLoadError(f"{where}: 'not' stands alone; found {sorted(keys)}")
        return Group("not", (parse_condition(node["not"], f"{where}.not"),))
    if "fact" not in keys:
        raise RuleLoadError(
            f"{where}: unknown condition {sorted(keys)}; use all, any, not, or fact + operator"
        )
    operators = keys - {"fact"}
    if len(operators) != 1:
        raise RuleLoadError(
            f"{where}: a fact takes exactly one operator ({', '.join(OPERATORS)}); "
            f"found {sorted(operators) or 'none'}"
        )
    op = operators.pop()
    fact, value = node["fact"], node[op]
    if op not in OPERATORS:
        raise RuleLoadError(f"{where}: unknown operator '{op}' (known: {', '.join(OPERATORS)})")
    if fact not in ALL_FACTS:
        raise RuleLoadError(f"{where}: unknown fact '{fact}' (see docs/rules.md for the list)")
    if op in ("in", "not_in") and not isinstance(value, list):
        raise RuleLoadError(f"{where}: '{op}' takes a list")
    if op in _FACT_OPERANDS and value not in ALL_FACTS:
        raise RuleLoadError(f"{where}: '{op}' compares with another fact; '{value}' is not one")
    if op == "known" and not isinstance(value, bool):
        raise RuleLoadError(f"{where}: 'known' takes true or false")
    return Leaf(fact, op, value)


# -- rules --------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z_.]*)\}")
TEXT_FIELDS = {"name", "code", "kind", "key", "parent", "stage", "expected_by"}
TEXT_FIELDS |= {"name.approvalmax", "name.dext"}


class RuleSpec(BaseModel):
    """A rule as written in a file. Unknown keys are an error."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    status: Literal["experimental", "test", "stable", "deprecated"] = "stable"
    severity: Severity = Severity.WARNING
    applies_to: list[ItemKind | Literal["organisation"]]
    stage: Stage | None = Field(default=None, description="Where the item stopped.")
    when: dict[str, Any]
    action: str
    article: str
    message: str
    expected_by: str | None = Field(
        default=None, description="A fact: when the chain would fix it without action."
    )
    then: list[str] = Field(
        default_factory=list, description="Actions that must follow `action`, in the plan."
    )
    focus_only: bool = Field(
        default=False,
        description="Normal in a whole-organisation run (counted, not listed); explained when "
        "the user asks about the item with --item.",
    )
    timing: bool = Field(
        default=False, description="Time alone resolves it (the chain's clocks catch up)."
    )
    references: list[str] = Field(default_factory=list)
    description: str | None = None


@dataclass(frozen=True)
class Rule:
    spec: RuleSpec
    condition: Condition
    source: Path
    line: int | None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def organisation_wide(self) -> bool:
        return "organisation" in self.spec.applies_to

    def applies(self, kind: ItemKind) -> bool:
        return kind in self.spec.applies_to


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    actions: dict[str, Action] = field(default_factory=dict)
    questions: list[QuestionSpec] = field(default_factory=list)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


class _FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[dict[str, Any]] = Field(default_factory=list)
    actions: list[dict[str, Any]] = Field(default_factory=list)
    questions: list[dict[str, Any]] = Field(default_factory=list)


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


def _rule_from(raw: Any, path: Path, index: int) -> Rule:
    line = getattr(raw, "line", None)
    name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
    where = f"{_where(path, line)}: rule '{name}'"
    if not isinstance(raw, dict):
        raise RuleLoadError(f"{where}: a rule is a mapping")
    try:
        spec = RuleSpec.model_validate(raw)
    except ValidationError as exc:
        err_line, problem = validation_problem(exc, raw, RuleSpec.model_fields)
        raise RuleLoadError(f"{_where(path, err_line or line)}: rule '{name}': {problem}") from None
    condition = parse_condition(spec.when, f"{where}: when")
    for text in (spec.message,):
        for placeholder in _PLACEHOLDER.findall(text):
            if placeholder not in TEXT_FIELDS and placeholder not in ALL_FACTS:
                raise RuleLoadError(f"{where}: message uses unknown placeholder {{{placeholder}}}")
    if spec.expected_by is not None and spec.expected_by not in ALL_FACTS:
        raise RuleLoadError(f"{where}: expected_by names unknown fact '{spec.expected_by}'")
    used = condition.facts() | ({spec.expected_by} if spec.expected_by else set())
    if "organisation" in spec.applies_to:
        item_only = used & set(ITEM_FACTS)
        if len(spec.applies_to) > 1 or item_only:
            raise RuleLoadError(
                f"{where}: an organisation-wide rule applies to nothing else and uses "
                f"organisation facts only (found {sorted(item_only)})"
            )
    elif used & set(FINDING_FACTS):
        raise RuleLoadError(
            f"{where}: {sorted(used & set(FINDING_FACTS))} are for organisation-wide rules"
        )
    return Rule(spec, condition, path, line)


def load_rules(directories: Sequence[Path]) -> RuleSet:
    """Loads every `*.yaml` under the directories, in name order. Errors name file, rule, line."""
    ruleset = RuleSet()
    for directory in directories:
        if not directory.is_dir():
            raise RuleLoadError(f"{directory}: no such rules folder")
        for path in sorted(directory.glob("*.yaml")):
            _load_file(path, ruleset)
    _check_links(ruleset)
    return ruleset


def _load_file(path: Path, ruleset: RuleSet) -> None:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleLoadError(f"{path}: {yaml_error_text(exc)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleLoadError(f"{path}: cannot read it ({exc})") from None
    if data is None:
        return
    try:
        _FileSpec.model_validate(data)
    except ValidationError as exc:
        err_line, problem = validation_problem(exc, data)
        raise RuleLoadError(
            f"{_where(path, err_line)}: {problem} "
            "(a rules file holds `rules:`, `actions:` and `questions:`)"
        ) from None
    for index, raw in enumerate(data.get("rules") or []):
        rule = _rule_from(raw, path, index)
        if any(r.id == rule.id for r in ruleset.rules):
            raise RuleLoadError(f"{_where(path, rule.line)}: rule '{rule.id}' is defined twice")
        ruleset.rules.append(rule)
    for index, raw in enumerate(data.get("actions") or []):
        line = getattr(raw, "line", None)
        try:
            action = Action.model_validate(raw)
        except ValidationError as exc:
            err_line, problem = validation_problem(exc, raw, Action.model_fields)
            name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
            raise RuleLoadError(
                f"{_where(path, err_line or line)}: action '{name}': {problem}"
            ) from None
        if action.id in ruleset.actions:
            raise RuleLoadError(f"{_where(path, line)}: action '{action.id}' is defined twice")
        ruleset.actions[action.id] = action
    for index, raw in enumerate(data.get("questions") or []):
        line = getattr(raw, "line", None)
        name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
        try:
            question = QuestionSpec.model_validate(raw)
        except ValidationError as exc:
            err_line, problem = validation_problem(exc, raw, QuestionSpec.model_fields)
            raise RuleLoadError(
                f"{_where(path, err_line or line)}: question '{name}': {problem}"
            ) from None
        where = f"{_where(path, line)}: question '{question.id}'"
        if question.sets not in SETTABLE:
            raise RuleLoadError(f"{where}: an answer cannot set '{question.sets}'")
        for fact in question.settles:
            if fact not in ALL_FACTS:
                raise RuleLoadError(f"{where}: settles unknown fact '{fact}'")
        if question.type == "choice" and not question.choices:
            raise RuleLoadError(f"{where}: a choice needs its choices")
        if any(q.id == question.id for q in ruleset.questions):
            raise RuleLoadError(f"{where}: defined twice")
        ruleset.questions.append(question)


def _check_links(ruleset: RuleSet) -> None:
    for rule in ruleset.rules:
        for action in (rule.spec.action, *rule.spec.then):
            if action not in ruleset.actions:
                raise RuleLoadError(
                    f"{_where(rule.source, rule.line)}: rule '{rule.id}': unknown action "
                    f"'{action}' (known: {', '.join(sorted(ruleset.actions)) or 'none'})"
                )


# -- evaluation ---------------------------------------------------------------------------------


def _format_value(value: Any, zone: tzinfo | None = None) -> str:
    if isinstance(value, datetime):
        return when(value, zone)
    if value is None:
        return "unknown"
    return str(value)


def render_message(template: str, values: dict[str, Any], zone: tzinfo | None = None) -> str:
    return _PLACEHOLDER.sub(lambda m: _format_value(values.get(m.group(1)), zone), template)


def _finding(
    rule: Rule, facts: Facts, trace: ItemTrace | None, zone: tzinfo | None = None
) -> Finding:
    expected = facts.get(rule.spec.expected_by) if rule.spec.expected_by else None
    values: dict[str, Any] = dict(facts)
    if trace is not None:
        values |= {
            "name": trace.name,
            "code": trace.code or "",
            "kind": trace.kind.label,
            "key": trace.key,
            "parent": trace.parent or "",
            **{
                f"name.{stage.value}": detail.name
                for stage, detail in trace.detail.items()
                if stage is not Stage.XERO
            },
        }
    values["stage"] = rule.spec.stage.label if rule.spec.stage else ""
    values["expected_by"] = expected
    return Finding(
        rule=rule.id,
        action=rule.spec.action,
        kind=trace.kind if trace else None,
        key=trace.key if trace else None,
        name=trace.name if trace else None,
        article=rule.spec.article,
        message=render_message(rule.spec.message, values, zone),
        severity=rule.spec.severity,
        stage=rule.spec.stage,
        expected_by=expected if isinstance(expected, datetime) else None,
        then=list(rule.spec.then),
    )


def needs_rules(trace: ItemTrace) -> bool:
    """Only items with a gap (or a second name) are checked: a healthy item costs nothing."""
    return trace.has_gap or trace.renamed


@dataclass
class Evaluation:
    """What the rules said: findings, the quiet causes counted, and the facts that kept a rule
    from deciding (each with the item it was about, or None for the organisation)."""

    findings: list[Finding] = field(default_factory=list)
    quiet: dict[str, int] = field(default_factory=dict)
    unknown: list[tuple[str, ItemTrace | None]] = field(default_factory=list)


def _unknown_facts(condition: Condition, facts: Facts) -> set[str]:
    """The facts a condition needed but could not have (only asked when it came out unknown)."""
    return {name for name in condition.facts() if facts.get(name) is None}


def evaluate(
    ruleset: RuleSet,
    traces: Iterable[ItemTrace],
    context: FactContext,
    focus: set[str] | None = None,
) -> Evaluation:
    """Runs the item rules over every trace with a gap (only the focused ones, when `focus`
    holds keys), then the organisation rules. A focus-only rule that fires in a whole-
    organisation run is counted in `quiet` instead of reported."""
    result = Evaluation()
    active = [r for r in ruleset.rules if r.spec.status != "deprecated"]
    organisation = context.organisation_facts()
    by_kind = {kind: [r for r in active if r.applies(kind)] for kind in ItemKind}
    timing: list[bool] = []
    for trace in traces:
        if focus is not None and trace.key not in focus:
            continue
        rules = by_kind[trace.kind]
        if not rules or not needs_rules(trace):
            continue
        facts = context.item_facts(trace, organisation)
        for rule in rules:
            verdict = rule.condition.evaluate(facts)
            if verdict is None:
                result.unknown.extend((f, trace) for f in _unknown_facts(rule.condition, facts))
            elif verdict and rule.spec.focus_only and focus is None:
                result.quiet[rule.id] = result.quiet.get(rule.id, 0) + 1
            elif verdict:
                result.findings.append(_finding(rule, facts, trace, context.zone))
                timing.append(rule.spec.timing)
    expected = [f.expected_by for f in result.findings]
    organisation = {**organisation, **finding_facts(timing, expected)}
    for rule in active:
        if not rule.organisation_wide:
            continue
        verdict = rule.condition.evaluate(organisation)
        if verdict is None:
            result.unknown.extend((f, None) for f in _unknown_facts(rule.condition, organisation))
        elif verdict:
            result.findings.append(_finding(rule, organisation, None, context.zone))
    return result


def rules_file_schema() -> dict[str, Any]:
    """The JSON Schema of a rules file: `rules`, `actions` and `questions`."""
    from pydantic.json_schema import models_json_schema

    _, defs = models_json_schema(
        [(RuleSpec, "validation"), (Action, "validation"), (QuestionSpec, "validation")],
        ref_template="#/$defs/{model}",
    )
    operators = ", ".join(OPERATORS)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "troubleshooter rules file",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "rules": {"type": "array", "items": {"$ref": "#/$defs/RuleSpec"}},
            "actions": {"type": "array", "items": {"$ref": "#/$defs/Action"}},
            "questions": {"type": "array", "items": {"$ref": "#/$defs/QuestionSpec"}},
        },
        "$defs": defs["$defs"],
        "description": (
            "A condition (`when`) is {all: [...]}, {any: [...]}, {not: {...}} or "
            f"{{fact: NAME, OPERATOR: VALUE}} with OPERATOR one of {operators}; "
            f"facts: {', '.join(sorted(ALL_FACTS))}."
        ),
    }
