"""Evaluation: the rules over each item's facts, then over the organisation's; findings and
their messages, the quiet causes counted, and the facts that kept a rule from deciding.

A rule fires only when its condition is true (conditions.py's three-valued logic); when it comes
out unknown, the facts it needed go to the questions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from troubleshooter.diagnosis.conditions import Condition, Truth
from troubleshooter.diagnosis.facts import FactContext, finding_facts, unseen
from troubleshooter.diagnosis.lineage import held_back_groups
from troubleshooter.diagnosis.ruleset import Rule, RuleSet
from troubleshooter.diagnosis.vocabulary import PLACEHOLDER, Facts
from troubleshooter.model import Finding, ItemKind, ItemTrace, Mark, Stage, Traces, built
from troubleshooter.wording import when


def _format_value(value: Any, zone: tzinfo | None = None) -> str:
    if isinstance(value, datetime):
        return when(value, zone)
    if value is None:
        return "not known"
    return str(value)


def render_message(template: str, values: dict[str, Any], zone: tzinfo | None = None) -> str:
    return PLACEHOLDER.sub(lambda m: _format_value(values.get(m.group(1)), zone), template)


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


# Facts that depend only on what many items share: an item's kind, its marks, Xero's status
# and hold on it (the organisation's facts are shared by every item).
SHARED_FACTS = (
    "kind", "xero", "approvalmax", "dext", "xero.status", "eligible.approvalmax", "eligible.dext",
    "xero.is_supplier", "xero.category_status", "xero.has_code",
)  # fmt: skip


def _mark(mark: Mark) -> str | None:
    return None if mark is Mark.UNKNOWN else mark.value


def _signature(trace: ItemTrace) -> tuple[object, ...]:
    stages = trace.stages
    return (
        trace.kind,
        stages[Stage.XERO],
        stages[Stage.APPROVALMAX],
        stages[Stage.DEXT],
        trace.status,
        trace.eligible,
        Stage.APPROVALMAX in trace.blocked,
        trace.is_supplier,
        trace.parent_status,
        _has_code(trace),
    )


def _shared_facts(trace: ItemTrace, organisation: Facts) -> dict[str, Any]:
    """The shared facts of `trace`'s group, as facts.py works them out."""
    stages = trace.stages
    return {
        **organisation,
        "kind": trace.kind.value,
        "xero": _mark(stages[Stage.XERO]),
        "approvalmax": _mark(stages[Stage.APPROVALMAX]),
        "dext": _mark(stages[Stage.DEXT]),
        "xero.status": trace.status.value if trace.status else None,
        "eligible.approvalmax": None
        if trace.status is None
        else Stage.APPROVALMAX not in trace.blocked,
        "eligible.dext": trace.eligible,
        "xero.is_supplier": trace.is_supplier,
        "xero.category_status": trace.parent_status.value if trace.parent_status else None,
        "xero.has_code": _has_code(trace),
    }


def _has_code(trace: ItemTrace) -> bool | None:
    """As facts.py works it out: from Xero's own detail of the item."""
    detail = trace.detail.get(Stage.XERO)
    return bool(detail.code) if detail else None


def needs_rules(trace: ItemTrace) -> bool:
    """Only items with a gap (or a second name) are checked: a healthy item costs nothing."""
    return trace.has_gap or trace.renamed


ON_ASSUMPTIONS = "That holds if the setup is as the plan assumes; the questions check it."


@dataclass
class Evaluation:
    """What the rules said: findings, the quiet causes counted, and the facts that kept a rule
    from deciding (each with the item it was about, or None for the organisation)."""

    findings: list[Finding] = field(default_factory=list)
    quiet: dict[str, int] = field(default_factory=dict)
    unknown: list[tuple[str, ItemTrace | None]] = field(default_factory=list)
    read: set[str] = field(default_factory=set)  # the organisation facts the rules looked at
    # Organisation findings that hold only with what the plan assumes (ids of their rules):
    # on the facts known alone they would not be made.
    assumed: set[str] = field(default_factory=set)


def _unknown_facts(condition: Condition, facts: Facts) -> set[str]:
    """The facts a condition needed but could not have (only asked when it came out unknown)."""
    return {name for name in condition.facts() if facts.get(name) is None}


class _Decided:
    """Rules decided on the facts many items share (their marks, Xero's hold on them, the
    organisation's facts), once per such group: of 50,000 contacts, 30,000 that are not
    suppliers need no chain rule at all. A verdict of None leaves the rule to the item's own
    facts."""

    def __init__(self, organisation: Facts, given: frozenset[str]) -> None:
        self.organisation = organisation
        self.given = given
        self.by_signature: dict[tuple[object, ...], list[tuple[Rule, Truth]]] = {}

    def verdicts(self, trace: ItemTrace, rules: list[Rule]) -> list[tuple[Rule, Truth]]:
        signature = _signature(trace)
        found = self.by_signature.get(signature)
        if found is None:
            shared = _shared_facts(trace, self.organisation)
            found = self.by_signature[signature] = [
                (rule, rule.condition.partial(shared, self.given)) for rule in rules
            ]
        return found


def _held_back(
    traces: Traces, by_kind: dict[ItemKind, list[Rule]], decided: _Decided
) -> dict[str, int]:
    """The items Xero holds back that lineage kept compact, a group at a time: where the facts
    the group shares decide every rule (no finding, or only a cause a whole-organisation run
    counts), the group is counted without making its traces; its first item is made, and goes
    through the rules with the others, so each count starts where it did. Any other group is
    made whole, for the rules to look at item by item. Returns the counts of the rest."""
    counted: dict[str, int] = {}
    for group in held_back_groups(traces):
        first = traces[group[0]]
        rules = by_kind[first.kind]
        if not rules:
            continue
        verdicts = decided.verdicts(first, rules)
        if all(v is False or (v is True and rule.spec.focus_only) for rule, v in verdicts):
            for rule, verdict in verdicts:
                if verdict is True:
                    counted[rule.id] = counted.get(rule.id, 0) + len(group) - 1
        else:
            for index in group[1:]:
                traces[index]  # made: the rules look at each
    return counted


def evaluate(
    ruleset: RuleSet,
    traces: Sequence[ItemTrace],
    context: FactContext,
    focus: set[str] | None = None,
    known: Mapping[str, Any] | None = None,
) -> Evaluation:
    """Runs the item rules over every trace with a gap (only the focused ones, when `focus`
    holds keys), then the organisation rules. A focus-only rule that fires in a whole-
    organisation run is counted in `quiet` instead of reported."""
    result = Evaluation()
    result.read = set()
    active = [r for r in ruleset.rules if r.spec.status != "deprecated"]
    organisation = context.organisation_facts()
    result.read = organisation.read
    by_kind = {kind: [r for r in active if r.applies(kind)] for kind in ItemKind}
    timing: list[bool] = []
    all_known = True
    given = frozenset(SHARED_FACTS) | frozenset(organisation)
    decided = _Decided(organisation, given)
    counted: dict[str, int] = {}
    if focus is None and isinstance(traces, Traces):
        counted = _held_back(traces, by_kind, decided)
    for trace in built(traces):
        if focus is not None and trace.key not in focus:
            continue
        if all_known and unseen(trace):
            all_known = False
        rules = by_kind[trace.kind]
        if not rules or not needs_rules(trace):
            continue
        verdicts = decided.verdicts(trace, rules)
        facts = context.item_facts(trace, organisation)
        for rule, early in verdicts:
            if early is False:
                continue
            verdict = early if early is True else rule.condition.evaluate(facts)
            if verdict is None:
                result.unknown.extend((f, trace) for f in _unknown_facts(rule.condition, facts))
            elif verdict and rule.spec.focus_only and focus is None:
                result.quiet[rule.id] = result.quiet.get(rule.id, 0) + 1
            elif verdict:
                result.findings.append(_finding(rule, facts, trace, context.zone))
                timing.append(rule.spec.timing)
    for rule_id, count in counted.items():  # each already counted once, in its place
        result.quiet[rule_id] += count
    expected = [f.expected_by for f in result.findings]
    summary = finding_facts(timing, expected, all_known)
    organisation = organisation.with_facts(summary)
    # `known`: the organisation's facts without the plan's assumptions.
    plain = None if known is None else {**known, **summary}
    for rule in active:
        if not rule.organisation_wide:
            continue
        verdict = rule.condition.evaluate(organisation)
        if verdict is None:
            result.unknown.extend((f, None) for f in _unknown_facts(rule.condition, organisation))
        elif verdict:
            finding = _finding(rule, organisation, None, context.zone)
            if plain is not None and rule.condition.evaluate(plain) is not True:
                result.assumed.add(rule.id)
                finding.message += f" {ON_ASSUMPTIONS}"
            result.findings.append(finding)
    return result
