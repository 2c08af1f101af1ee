"""The facts rules can test: a closed, documented set. A fact whose value is None is unknown.

Per item: its marks per stage, Xero's status, whether Xero's state lets it travel, and the
clocks of the stages it depends on. Organisation-wide: connection and integration state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from troubleshooter.model import (
    SYNC_TYPE_OF_KIND,
    ItemKind,
    ItemTrace,
    Mark,
    Stage,
    StageSnapshot,
)
from troubleshooter.schedule import APPROVALMAX_PERIOD, DEXT_PERIOD, next_run

Facts = dict[str, Any]

# name → what it means (docs/rules.md and `rules lint` use this list)
ITEM_FACTS: dict[str, str] = {
    "kind": "the item's kind",
    "xero": "the item's mark in Xero: present, missing, archived or hidden",
    "approvalmax": "the item's mark in ApprovalMax",
    "dext": "the item's mark in Dext",
    "xero.status": "Xero's status: ACTIVE, ARCHIVED, DELETED, …",
    "xero.changed_at": "when the item last changed in Xero (UpdatedDateUTC)",
    "eligible.approvalmax": "whether Xero's state lets the item reach ApprovalMax at all",
    "eligible.dext": "whether Xero's state lets the item reach Dext at all",
    "renamed": "whether the item has a different name at some stage",
    "approvalmax.last_sync": "ApprovalMax's last sync of this item's data type",
    "approvalmax.next_sync": "ApprovalMax's next 2-hourly sync of this data type",
    "dext.expected_by": "when Dext's daily pull would bring the item without action",
}
ORGANISATION_FACTS: dict[str, str] = {
    "clock": "the time of the diagnosis",
    "approvalmax.xero_connection": "ApprovalMax's connection to Xero",
    "dext.integration": "where Dext takes its lists from: approvalmax, xero_direct or none",
    "dext.last_pull": "Dext's last pull of reference data",
    "dext.next_pull": "Dext's next daily pull",
}
ALL_FACTS: dict[str, str] = {**ITEM_FACTS, **ORGANISATION_FACTS}


@dataclass(frozen=True)
class FactContext:
    """What every item's facts share: the snapshots and the clock."""

    snapshots: dict[Stage, StageSnapshot]
    now: datetime

    def organisation_facts(self) -> Facts:
        am = self.snapshots[Stage.APPROVALMAX]
        dext = self.snapshots[Stage.DEXT]
        return {
            "clock": self.now,
            "approvalmax.xero_connection": am.xero_connection,
            "dext.integration": dext.integration,
            "dext.last_pull": dext.last_pull,
            "dext.next_pull": next_run(dext.last_pull, DEXT_PERIOD, self.now),
        }

    def last_sync(self, kind: ItemKind) -> datetime | None:
        return self.snapshots[Stage.APPROVALMAX].last_sync.get(SYNC_TYPE_OF_KIND[kind])

    def item_facts(self, trace: ItemTrace, organisation: Facts) -> Facts:
        def mark(stage: Stage) -> str | None:
            value = trace.stages[stage]
            return None if value is Mark.UNKNOWN else value.value

        xero_detail = trace.detail.get(Stage.XERO)
        last_sync = self.last_sync(trace.kind)
        next_sync = next_run(last_sync, APPROVALMAX_PERIOD, self.now)
        in_approvalmax = trace.stages[Stage.APPROVALMAX] is Mark.PRESENT
        arrives_in_approvalmax = self.now if in_approvalmax else next_sync
        return {
            "kind": trace.kind.value,
            "xero": mark(Stage.XERO),
            "approvalmax": mark(Stage.APPROVALMAX),
            "dext": mark(Stage.DEXT),
            "xero.status": trace.status.value if trace.status else None,
            "xero.changed_at": xero_detail.since if xero_detail else None,
            "eligible.approvalmax": self._eligible(trace, Stage.APPROVALMAX),
            "eligible.dext": trace.eligible,
            "renamed": trace.renamed,
            "approvalmax.last_sync": last_sync,
            "approvalmax.next_sync": next_sync,
            "dext.expected_by": _first_pull_after(
                organisation["dext.last_pull"], arrives_in_approvalmax, self.now
            ),
            **organisation,
        }

    @staticmethod
    def _eligible(trace: ItemTrace, stage: Stage) -> bool | None:
        return None if trace.status is None else stage not in trace.blocked


def _first_pull_after(
    last_pull: datetime | None, moment: datetime | None, now: datetime
) -> datetime | None:
    if last_pull is None or moment is None:
        return None
    return next_run(last_pull, DEXT_PERIOD, max(moment, now))
