"""How each fact is worked out. Which facts exist, what they mean and what values they take is
the vocabulary (vocabulary.py); a fact whose value is None is unknown.

Per item: its marks per stage, Xero's state of it, and the clocks of the stages it depends on.
Organisation-wide: connection, integration and pull state. After the item rules have run, two
more organisation facts summarise their findings (for the "just wait" rule).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from troubleshooter.diagnosis.schedule import (
    APPROVALMAX_OVERDUE_AFTER,
    APPROVALMAX_PERIOD,
    DEXT_OVERDUE_AFTER,
    DEXT_PERIOD,
    next_run,
    overdue,
)
from troubleshooter.diagnosis.vocabulary import ITEM_FACTS, Facts
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


def _same_organisation(a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    if a.id and b.id:
        return bool(a.id == b.id)
    return normalise_name(a.name) == normalise_name(b.name)


class Reads(dict[str, Any]):
    """Organisation facts that note which were read (`read`, shared between copies): an
    assumption nobody's rule looked at is not one the plan rests on."""

    def __init__(self, facts: Mapping[str, Any], read: set[str] | None = None) -> None:
        super().__init__(facts)
        self.read: set[str] = read if read is not None else set()

    def __getitem__(self, name: str) -> Any:
        self.read.add(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        self.read.add(name)
        return super().get(name, default)

    def with_facts(self, more: Mapping[str, Any]) -> Reads:
        return Reads({**self, **more}, self.read)


@dataclass(frozen=True)
class FactContext:
    """What every item's facts share: the snapshots and the clock, and what is assumed while
    unanswered (`assumed`: organisation fact → value; `assumption_texts`: fact → the words)."""

    snapshots: dict[Stage, StageSnapshot]
    now: datetime
    assumed: Mapping[str, Any] = field(default_factory=dict)
    assumption_texts: Mapping[str, str] = field(default_factory=dict)

    def assumptions_used(self, facts: Iterable[str]) -> list[str]:
        """The words of the assumptions among `facts` that stand in for an unknown value."""
        real = self.known_organisation_facts()
        texts = [
            self.assumption_texts[name]
            for name in facts
            if name in self.assumed and real.get(name) is None and name in self.assumption_texts
        ]
        return list(dict.fromkeys(texts))

    @property
    def zone(self) -> tzinfo | None:
        """The organisation's time zone, for the times in messages (this machine's where no
        system says)."""
        for stage in STAGES:
            organisation = self.snapshots[stage].organisation
            if organisation is not None and organisation.timezone:
                return zone_of(organisation)
        return zone_of(None)

    def organisation_facts(self) -> Reads:
        """The organisation's facts, an assumption standing in where a fact is unknown; what
        the rules read of them is noted (`Reads.read`)."""
        facts = self.known_organisation_facts()
        for name, value in self.assumed.items():
            if facts.get(name) is None:
                facts[name] = value
        return Reads(facts)

    def known_organisation_facts(self) -> dict[str, Any]:
        """The organisation's facts as the systems and the person said (None: unknown)."""
        am = self.snapshots[Stage.APPROVALMAX]
        dext = self.snapshots[Stage.DEXT]
        linked_elsewhere: bool | None
        if dext.linked_here is not None:
            linked_elsewhere = not dext.linked_here
        else:
            same = _same_organisation(dext.linked_organisation, am.organisation)
            linked_elsewhere = None if same is None else not same
        oldest = min(am.last_sync.values(), default=None)
        return {
            "clock": self.now,
            "approvalmax.xero_connection": am.xero_connection,
            # Any data type known to have stalled is enough; the others may be unknown.
            "approvalmax.sync_overdue": overdue(oldest, APPROVALMAX_OVERDUE_AFTER, self.now),
            "approvalmax.oldest_sync": oldest,
            "dext.integration": dext.integration,
            "dext.linked_elsewhere": linked_elsewhere,
            "dext.last_pull": dext.last_pull,
            "dext.next_pull": next_run(dext.last_pull, DEXT_PERIOD, self.now),
            "dext.pull_overdue": overdue(dext.last_pull, DEXT_OVERDUE_AFTER, self.now),
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
        last, now = self["approvalmax.last_sync"], self._context.now
        if overdue(last, APPROVALMAX_OVERDUE_AFTER, now):
            return None  # its 2-hourly sync has stopped: when the next comes is not known
        return next_run(last, APPROVALMAX_PERIOD, now)

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
assert set(_ITEM_FACT_FUNCTIONS) == ITEM_FACTS, "every item fact in the vocabulary is computed"


def finding_facts(
    timing: list[bool], expected: list[datetime | None], all_known: bool = True
) -> dict[str, Any]:
    """Facts about the item findings: `timing` says, per finding, whether its rule is one that
    time resolves; `expected` when the chain would resolve it; `all_known` whether every item
    looked at is known at every stage it should reach."""
    all_timing = bool(timing) and all(timing)
    catch_up = None
    if all_timing and expected and all(e is not None for e in expected):
        catch_up = max(e for e in expected if e is not None)
    return {
        "findings.all_timing": all_timing,
        "findings.catch_up_by": catch_up,
        "items.all_known": all_known,
    }


def unseen(trace: ItemTrace) -> bool:
    """Whether the item should reach a stage whose mark is unknown there."""
    if trace.eligible is False:
        return False
    stages, blocked = trace.stages, trace.blocked  # asked of every item: no generator
    return (stages[Stage.APPROVALMAX] is Mark.UNKNOWN and Stage.APPROVALMAX not in blocked) or (
        stages[Stage.DEXT] is Mark.UNKNOWN and Stage.DEXT not in blocked
    )


def _first_pull_after(
    last_pull: datetime | None, moment: datetime | None, now: datetime
) -> datetime | None:
    """Dext's first daily pull at or after `moment`. Called only while the pull is working
    (known, or assumed and said so): with its last pull not known, a pull that runs daily comes
    within a day of `moment`, so that is the latest it can be."""
    if moment is None:
        return None
    if last_pull is None:
        return max(moment, now) + DEXT_PERIOD
    return next_run(last_pull, DEXT_PERIOD, max(moment, now))
