"""The facts rules can test: a closed, documented set. A fact whose value is None is unknown.

Per item: its marks per stage, Xero's state of it, and the clocks of the stages it depends on.
Organisation-wide: connection, integration and pull state. After the item rules have run, two
more organisation facts summarise their findings (for the "just wait" rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from troubleshooter.model import (
    SYNC_TYPE_OF_KIND,
    ItemKind,
    ItemTrace,
    Mark,
    Stage,
    StageSnapshot,
    normalise_name,
)
from troubleshooter.schedule import APPROVALMAX_PERIOD, DEXT_PERIOD, next_run

# How late Dext's daily pull may be before we call it failing.
DEXT_GRACE = timedelta(hours=3)

Facts = dict[str, Any]

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

    def organisation_facts(self) -> Facts:
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

    def item_facts(self, trace: ItemTrace, organisation: Facts) -> Facts:
        def mark(stage: Stage) -> str | None:
            value = trace.stages[stage]
            return None if value is Mark.UNKNOWN else value.value

        xero_detail = trace.detail.get(Stage.XERO)
        changed_at = xero_detail.since if xero_detail else None
        last_sync = self.last_sync(trace.kind)
        next_sync = next_run(last_sync, APPROVALMAX_PERIOD, self.now)
        if organisation["approvalmax.xero_connection"] in ("disconnected", "expired"):
            next_sync = None  # cut off from Xero: no sync is coming
        in_approvalmax = (
            trace.stages[Stage.APPROVALMAX] is Mark.PRESENT
            and trace.renamed_at(Stage.APPROVALMAX) is not True
        )
        stale = (  # synced after the change, yet missing: the next sync will not help either
            not in_approvalmax
            and changed_at is not None
            and last_sync is not None
            and changed_at <= last_sync
        )
        arrives_in_approvalmax = self.now if in_approvalmax else None if stale else next_sync
        dext_working = (
            organisation["dext.integration"] == "approvalmax"
            and organisation["dext.pull_overdue"] is False
            and organisation["dext.linked_elsewhere"] is False
        )
        known = trace.status is not None
        return {
            "kind": trace.kind.value,
            "xero": mark(Stage.XERO),
            "approvalmax": mark(Stage.APPROVALMAX),
            "dext": mark(Stage.DEXT),
            "xero.status": trace.status.value if trace.status else None,
            "xero.changed_at": changed_at,
            "xero.has_code": bool(xero_detail.code) if xero_detail else None,
            "xero.is_supplier": trace.is_supplier,
            "xero.category_status": trace.parent_status.value if trace.parent_status else None,
            "eligible.approvalmax": Stage.APPROVALMAX not in trace.blocked if known else None,
            "eligible.dext": trace.eligible,
            "renamed": trace.renamed,
            "renamed.approvalmax": trace.renamed_at(Stage.APPROVALMAX),
            "renamed.dext": trace.renamed_at(Stage.DEXT),
            "approvalmax.last_sync": last_sync,
            "approvalmax.next_sync": next_sync,
            "dext.expected_by": _first_pull_after(
                organisation["dext.last_pull"], arrives_in_approvalmax, self.now
            )
            if dext_working
            else None,
            **organisation,
        }


def finding_facts(timing: list[bool], expected: list[datetime | None]) -> Facts:
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
