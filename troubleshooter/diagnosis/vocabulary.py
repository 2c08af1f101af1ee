"""The fact vocabulary: every name a rule's condition, a question or a message may use.

One closed list, each fact with what it means, the values it takes and whether a person's
answer may set it. Loading checks rules and questions against it (an unknown fact, a value a
fact never takes, a time compared with `equals`, an answer to a fact no answer may set are all
refused), and docs/rules.md's tables are generated from it (`facts_markdown`; a test keeps the
two the same). How each fact is worked out lives in facts.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, get_args

from troubleshooter.model import DextIntegration, ItemKind, Mark, Stage, Status, XeroConnection

Facts = Mapping[str, Any]  # name → value; a value of None is unknown


class Scope(StrEnum):
    """Which rules may use a fact."""

    ITEM = "item"  # one item's
    ORGANISATION = "organisation"  # the organisation's (item rules may use them too)
    FINDINGS = "findings"  # about the item findings: organisation rules only, after the items


class ValueType(StrEnum):
    MARK = "mark"  # an item's state at a stage
    CHOICE = "choice"  # one of a closed set of words
    YES_NO = "yes_no"
    TIME = "time"


@dataclass(frozen=True)
class Fact:
    name: str
    scope: Scope
    type: ValueType
    meaning: str
    choices: tuple[str, ...] = ()  # for CHOICE: every value it takes
    settable: bool = False  # a person's answer may set it

    @property
    def values(self) -> tuple[str, ...]:
        """The words the fact takes (MARK and CHOICE facts), compared without case."""
        return MARKS if self.type is ValueType.MARK else self.choices


MARKS: tuple[str, ...] = tuple(m.value for m in Mark if m is not Mark.UNKNOWN)
_STATUSES = tuple(s.value for s in Status)


def _facts(*facts: Fact) -> dict[str, Fact]:
    return {fact.name: fact for fact in facts}


_I, _O, _F = Scope.ITEM, Scope.ORGANISATION, Scope.FINDINGS
_MARK, _CHOICE, _YES_NO, _TIME = ValueType.MARK, ValueType.CHOICE, ValueType.YES_NO, ValueType.TIME

FACTS: dict[str, Fact] = _facts(
    Fact("kind", _I, _CHOICE, "the item's kind", tuple(k.value for k in ItemKind)),
    Fact("xero", _I, _MARK, "the item's mark in Xero"),
    Fact("approvalmax", _I, _MARK, "the item's mark in ApprovalMax", settable=True),
    Fact("dext", _I, _MARK, "the item's mark in Dext", settable=True),
    Fact("xero.status", _I, _CHOICE, "Xero's status of the item", _STATUSES),
    Fact(
        "xero.changed_at",
        _I,
        _TIME,
        "when the item last changed in Xero (UpdatedDateUTC; Xero gives it for accounts and "
        "contacts only)",
    ),
    Fact(
        "xero.has_code",
        _I,
        _YES_NO,
        "whether the item has an account code in Xero (accounts, bank accounts)",
    ),
    Fact(
        "xero.is_supplier",
        _I,
        _YES_NO,
        "for a contact: whether Xero counts it as a supplier (it has a bill)",
    ),
    Fact(
        "xero.category_status",
        _I,
        _CHOICE,
        "for a tracking option: its category's status in Xero",
        _STATUSES,
    ),
    Fact(
        "eligible.approvalmax",
        _I,
        _YES_NO,
        "whether Xero's state lets the item reach ApprovalMax at all",
    ),
    Fact("eligible.dext", _I, _YES_NO, "whether Xero's state lets the item reach Dext at all"),
    Fact("renamed", _I, _YES_NO, "whether the item has another name at some stage"),
    Fact(
        "renamed.approvalmax",
        _I,
        _YES_NO,
        "whether ApprovalMax holds the item under another name than Xero",
    ),
    Fact("renamed.dext", _I, _YES_NO, "whether Dext holds the item under another name than Xero"),
    Fact(
        "approvalmax.last_sync",
        _I,
        _TIME,
        "ApprovalMax's last sync of the item's data type",
        settable=True,
    ),
    Fact(
        "approvalmax.next_sync",
        _I,
        _TIME,
        "ApprovalMax's next 2-hourly sync of that data type (unknown while ApprovalMax is cut off "
        "from Xero or its sync of that type has stopped)",
    ),
    Fact(
        "dext.expected_by",
        _I,
        _TIME,
        "when Dext's daily pull would bring the item without action (while Dext's last pull is "
        "not known but its pull is taken to work: a day after the item reaches ApprovalMax, the "
        "latest it can be)",
    ),
    Fact("clock", _O, _TIME, "the time of the diagnosis"),
    Fact(
        "approvalmax.xero_connection",
        _O,
        _CHOICE,
        "ApprovalMax's connection to Xero",
        get_args(XeroConnection),
        settable=True,
    ),
    Fact(
        "approvalmax.sync_overdue",
        _O,
        _YES_NO,
        "whether ApprovalMax's last sync of some type of data from Xero is older than three of "
        "its 2-hourly syncs (unknown while no sync time is known)",
    ),
    Fact(
        "approvalmax.oldest_sync",
        _O,
        _TIME,
        "the oldest of ApprovalMax's last syncs from Xero, over the types of data whose time is "
        "known",
    ),
    Fact(
        "dext.integration",
        _O,
        _CHOICE,
        "where Dext takes its lists from",
        get_args(DextIntegration),
        settable=True,
    ),
    Fact(
        "dext.linked_elsewhere",
        _O,
        _YES_NO,
        "whether Dext is linked to another ApprovalMax organisation (or Dext account) than this "
        "one",
        settable=True,
    ),
    Fact("dext.last_pull", _O, _TIME, "Dext's last pull of reference data", settable=True),
    Fact("dext.next_pull", _O, _TIME, "Dext's next daily pull"),
    Fact(
        "dext.pull_overdue",
        _O,
        _YES_NO,
        "whether Dext's last pull is older than a day and a grace period of three hours",
    ),
    Fact(
        "findings.all_timing",
        _F,
        _YES_NO,
        "whether every item finding will resolve itself with time (and there is at least one)",
    ),
    Fact(
        "findings.catch_up_by",
        _F,
        _TIME,
        "when every item with a timing finding will have arrived",
    ),
    Fact(
        "items.all_known",
        _F,
        _YES_NO,
        "whether every item looked at is known (or, in a focused run, assumed) at every stage "
        "it should reach",
    ),
)


def names(scope: Scope) -> frozenset[str]:
    """The facts of one scope."""
    return frozenset(name for name, fact in FACTS.items() if fact.scope is scope)


ITEM_FACTS = names(Scope.ITEM)
ORGANISATION_FACTS = names(Scope.ORGANISATION)
FINDING_FACTS = names(Scope.FINDINGS)
SETTABLE = frozenset(name for name, fact in FACTS.items() if fact.settable)

# What a question's answer can say about each type of fact: an item's mark is answered per item
# (yes: present, no: missing) or as a pasted list of its kind.
ANSWER_TYPES: dict[ValueType, frozenset[str]] = {
    ValueType.MARK: frozenset({"yes_no", "choice", "list"}),
    ValueType.CHOICE: frozenset({"choice"}),
    ValueType.YES_NO: frozenset({"yes_no", "choice"}),
    ValueType.TIME: frozenset({"datetime"}),
}

# -- messages -----------------------------------------------------------------------------------

# A finding's message names facts and these fields of its item in braces: "{name} is {xero}".
TEXT_FIELDS: dict[str, str] = {
    "name": "the item's name in Xero",
    "code": "its code (empty where it has none)",
    "kind": "its kind, in words (account, tracking option, …)",
    "key": "the key that identifies it across the stages",
    "parent": "a tracking option's category (empty for other kinds)",
    "stage": "the stage where the rule says it stopped",
    "expected_by": "the time of the rule's `expected_by` fact",
    **{
        f"name.{stage.value}": f"its name in {stage.label}, where {stage.label} holds it"
        for stage in (Stage.APPROVALMAX, Stage.DEXT)
    },
}
PLACEHOLDER = re.compile(r"\{([a-z_][a-z_.]*)\}")


def unknown_placeholders(message: str) -> list[str]:
    """The names in braces that are neither a fact nor a text field."""
    return [
        name
        for name in PLACEHOLDER.findall(message)
        if name not in TEXT_FIELDS and name not in FACTS
    ]


# -- the documentation --------------------------------------------------------------------------

_HEADINGS = {
    Scope.ITEM: "Per item (only items with a gap or a second name are checked; a healthy item "
    "costs nothing):",
    Scope.ORGANISATION: "Organisation-wide (item rules may use them too):",
    Scope.FINDINGS: "For organisation rules only, worked out after the item rules ran:",
}


def _values_text(fact: Fact) -> str:
    if fact.type is ValueType.YES_NO:
        return "`true`, `false`"
    if fact.type is ValueType.TIME:
        return "a time"
    return ", ".join(f"`{value}`" for value in fact.values)


def facts_markdown() -> str:
    """docs/rules.md's list of facts and message fields, as Markdown."""
    lines: list[str] = []
    for scope, heading in _HEADINGS.items():
        lines += [
            heading,
            "",
            "| fact | values | set by an answer | meaning |",
            "|---|---|---|---|",
        ]
        for fact in FACTS.values():
            if fact.scope is scope:
                answer = "yes" if fact.settable else ""
                lines.append(
                    f"| `{fact.name}` | {_values_text(fact)} | {answer} | {fact.meaning} |"
                )
        lines.append("")
    lines += ["A message may name any fact, and these fields of the item:", ""]
    lines += ["| field | holds |", "|---|---|"]
    lines += [f"| `{{{name}}}` | {meaning} |" for name, meaning in TEXT_FIELDS.items()]
    return "\n".join(lines) + "\n"
