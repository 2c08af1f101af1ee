"""The facts rules can test: a closed, documented set. A fact whose value is None is unknown.

Per item: its marks per stage, Xero's state of it, and the clocks of the stages it depends on.
Organisation-wide: connection, integration and pull state. After the item rules have run, two
more organisation facts summarise their findings (for the "just wait" rule).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from troubleshooter.diagnosis.schedule import APPROVALMAX_PERIOD, DEXT_PERIOD, next_run
from troubleshooter.model import (
    STAGES,
    SYNC_TYPE_OF_KIND,
    ItemKind,
    ItemTrace,
    Mark,
    Stage,
    StageSnapshot,
    normalise_name,
)
from troubleshooter.wording import zone_of

# How late Dext's daily pull may be before we call it failing.
DEXT_GRACE = timedelta(hours=3)

Facts = Mapping[str, Any]

# name → what it means (docs/rules.md and `rules lint` use these lists)
ITEM_FACTS: dict[str, str] = {
    "kind": "the item's kind",
    "xero": "the item's mark in Xero: present, missing, archived or hidden",
    "approvalmax": "the item's mark in ApprovalMax",
    "dext": "the item's mark in Dext",
    "xero.status": "Xero's status: ACTIVE, ARCHIVED, DELETED, …",
    "xero.changed_at": "when the item last changed in Xero (UpdatedDateUTC; Xero gives it for "
    "accounts and contacts only)",
    "xero.has_code": "whether the item has an account code in Xero (accounts, bank accounts)",
    "xero.is_supplier": "for a contact: whether Xero counts it as a supplier (it has a bill)",
    "xero.category_status": "for a tracking option: its category's status in Xero",
    "eligible.approvalmax": "whether Xero's state lets the item reach ApprovalMax at all",
    "eligible.dext": "whether Xero's state lets the item reach Dext at all",
    "renamed": "whether the item has another name at some stage",
    "renamed.approvalmax": "whether ApprovalMax holds the item under another name than Xero",
    "renamed.dext": "whether Dext holds the item under another name than Xero",
    "approvalmax.last_sync": "ApprovalMax's last sync of this item's data type",
    "approvalmax.next_sync": "ApprovalMax's next 2-hourly sync of this data type",
    "dext.expected_by": "when Dext's daily pull would bring the item without action",
}
ORGANISATION_FACTS: dict[str, str] = {
    "clock": "the time of the diagnosis",
    "approvalmax.xero_connection": "ApprovalMax's connection to Xero: connected, disconnected "
    "or expired",
    "dext.integration": "where Dext takes its lists from: approvalmax, xero_direct or none",
    "dext.linked_elsewhere": "whether Dext is linked to another ApprovalMax organisation (or "
    "Dext account) than this one",
    "dext.last_pull": "Dext's last pull of reference data",
    "dext.next_pull": "Dext's next daily pull",
    "dext.pull_overdue": "whether Dext's last pull is older than a day and a grace period",
}
FINDING_FACTS: dict[str, str] = {
    "findings.all_timing": "whether every item finding will resolve itself with time (and there "
    "is at least one)",
    "findings.catch_up_by": "when every item with a timing finding will have arrived",
}
ALL_FACTS: dict[str, str] = {**ITEM_FACTS, **ORGANISATION_FACTS, **FINDING_FACTS}


def _same_organisation(a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    if a.id and b.id:
        return bool(a.id == b.id)
    return normalise_name(a.name) == normalise_name(b.name)


@dataclass(frozen=True)
class FactContext:
    """What every item's facts share: the snapshots and the clock."""

    snapshots: dict[Stage, StageSnapshot]
    now: datetime

    @property
    def zone(self) -> tzinfo | None:
        """The organisation's time zone, for the times in messages."""
        for stage in STAGES:
            organisation = self.snapshots[stage].organisation
            if organisation is not None and organisation.timezone:
                return zone_of(organisation)
        return None

    def organisation_facts(self) -> dict[str, Any]:
        am = self.snapshots[Stage.APPROVALMAX]
        dext = self.snapshots[Stage.DEXT]
        linked_elsewhere: bool | None
        if dext.linked_here is not None:
            linked_elsewhere = not dext.linked_here
        else:
            same = _same_organisation(dext.linked_organisation, am.organisation)
            linked_elsewhere = None if same is None else not same
        overdue = None
        if dext.last_pull is not None:
            overdue = self.now - dext.last_pull > DEXT_PERIOD + DEXT_GRACE
        return {
            "clock": self.now,
            "approvalmax.xero_connection": am.xero_connection,
            "dext.integration": dext.integration,
            "dext.linked_elsewhere": linked_elsewhere,
            "dext.last_pull": dext.last_pull,
            "dext.next_pull": next_run(dext.last_pull, DEXT_PERIOD, self.now),
            "dext.pull_overdue": overdue,
        }

    def last_sync(self, kind: ItemKind) -> datetime | None:
        return self.snapshots[Stage.APPROVALMAX].last_sync.get(SYNC_TYPE_OF_KIND[kind])

    def item_facts(self, trace: ItemTrace, organisation: Facts) -> ItemFacts:
        return ItemFacts(self, trace, organisation)


class ItemFacts(Mapping[str, Any]):
    """One item's facts, each worked out when a rule first asks for it: most rules decide on
    their first leaf, and an organisation has tens of thousands of items."""

    def __init__(self, context: FactContext, trace: ItemTrace, organisation: Facts) -> None:
        self._context = context
        self._trace = trace
        self._organisation = organisation
        self._known: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name in self._known:
            return self._known[name]
        if name in self._organisation:
            return self._organisation[name]
        compute = _ITEM_FACT_FUNCTIONS.get(name)
        if compute is None:
            raise KeyError(name)
        value = self._known[name] = compute(self)
        return value

    def get(self, name: str, default: Any = None) -> Any:
        # The rules' hot path: Mapping.get's try/except around __getitem__ costs more here.
        known = self._known
        if name in known:
            return known[name]
        if name in self._organisation:
            return self._organisation[name]
        compute = _ITEM_FACT_FUNCTIONS.get(name)
        if compute is None:
            return default
        value = known[name] = compute(self)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter([*_ITEM_FACT_FUNCTIONS, *self._organisation])

    def __len__(self) -> int:
        return len(_ITEM_FACT_FUNCTIONS) + len(self._organisation)

    # -- the facts, one function each --

    def _mark(self, stage: Stage) -> str | None:
        value = self._trace.stages[stage]
        return None if value is Mark.UNKNOWN else value.value

    def _changed_at(self) -> datetime | None:
        detail = self._trace.detail.get(Stage.XERO)
        return detail.since if detail else None

    def _has_code(self) -> bool | None:
        detail = self._trace.detail.get(Stage.XERO)
        return bool(detail.code) if detail else None

    def _eligible_approvalmax(self) -> bool | None:
        trace = self._trace
        return None if trace.status is None else Stage.APPROVALMAX not in trace.blocked

    def _last_sync(self) -> datetime | None:
        return self._context.last_sync(self._trace.kind)

    def _next_sync(self) -> datetime | None:
        if self._organisation["approvalmax.xero_connection"] in ("disconnected", "expired"):
            return None  # cut off from Xero: no sync is coming
        return next_run(self["approvalmax.last_sync"], APPROVALMAX_PERIOD, self._context.now)

    def _expected_by(self) -> datetime | None:
        org = self._organisation
        dext_working = (
            org["dext.integration"] == "approvalmax"
            and org["dext.pull_overdue"] is False
            and org["dext.linked_elsewhere"] is False
        )
        if not dext_working:
            return None
        trace, now = self._trace, self._context.now
        in_approvalmax = (
            trace.stages[Stage.APPROVALMAX] is Mark.PRESENT
            and trace.renamed_at(Stage.APPROVALMAX) is not True
        )
        changed_at, last_sync = self["xero.changed_at"], self["approvalmax.last_sync"]
        # Synced after the change, yet missing: the next sync will not help either.
        stale = not in_approvalmax and changed_at and last_sync and changed_at <= last_sync
        arrives = now if in_approvalmax else None if stale else self["approvalmax.next_sync"]
        return _first_pull_after(org["dext.last_pull"], arrives, now)


_ITEM_FACT_FUNCTIONS: dict[str, Callable[[ItemFacts], Any]] = {
    "kind": lambda f: f._trace.kind.value,
    "xero": lambda f: f._mark(Stage.XERO),
    "approvalmax": lambda f: f._mark(Stage.APPROVALMAX),
    "dext": lambda f: f._mark(Stage.DEXT),
    "xero.status": lambda f: f._trace.status.value if f._trace.status else None,
    "xero.changed_at": ItemFacts._changed_at,
    "xero.has_code": ItemFacts._has_code,
    "xero.is_supplier": lambda f: f._trace.is_supplier,
    "xero.category_status": lambda f: (
        f._trace.parent_status.value if f._trace.parent_status else None
    ),
    "eligible.approvalmax": ItemFacts._eligible_approvalmax,
    "eligible.dext": lambda f: f._trace.eligible,
    "renamed": lambda f: f._trace.renamed,
    "renamed.approvalmax": lambda f: f._trace.renamed_at(Stage.APPROVALMAX),
    "renamed.dext": lambda f: f._trace.renamed_at(Stage.DEXT),
    "approvalmax.last_sync": ItemFacts._last_sync,
    "approvalmax.next_sync": ItemFacts._next_sync,
    "dext.expected_by": ItemFacts._expected_by,
}
assert set(_ITEM_FACT_FUNCTIONS) == set(ITEM_FACTS), "every documented item fact is computed"


def finding_facts(timing: list[bool], expected: list[datetime | None]) -> dict[str, Any]:
    """Facts about the item findings: `timing` says, per finding, whether its rule is one that
    time resolves; `expected` when the chain would resolve it."""
    all_timing = bool(timing) and all(timing)
    catch_up = None
    if all_timing and expected and all(e is not None for e in expected):
        catch_up = max(e for e in expected if e is not None)
    return {"findings.all_timing": all_timing, "findings.catch_up_by": catch_up}


def _first_pull_after(
    last_pull: datetime | None, moment: datetime | None, now: datetime
) -> datetime | None:
    if last_pull is None or moment is None:
        return None
    return next_run(last_pull, DEXT_PERIOD, max(moment, now))
