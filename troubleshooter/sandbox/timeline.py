"""What each system holds at the scenario's clock, derived from the timeline.

Xero holds the current state. ApprovalMax holds what Xero had at its last sync of each data type;
Dext holds what ApprovalMax had at Dext's last pull (or what Xero had, when Dext is wired directly
to Xero). Overrides then change any stage where a scenario needs something odd.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from troubleshooter.diagnosis.eligibility import blocker
from troubleshooter.diagnosis.schedule import APPROVALMAX_PERIOD, DEXT_PERIOD, tick_at_or_after
from troubleshooter.model import SYNC_TYPE_OF_KIND, Item, ItemKind, Stage, Status
from troubleshooter.sandbox.scenario import (
    EPOCH,
    Account,
    Contact,
    ItemRef,
    Scenario,
    TaxRate,
    TrackingCategory,
    TrackingOption,
    stable_id,
)


@dataclass(frozen=True)
class Record:
    """One Xero object of the scenario, with what a stage needs to know of its history."""

    item: Item  # current state
    created: datetime
    updated: datetime | None
    before: Item | None  # state before `updated`, where the scenario says
    parent_created: datetime | None = None


def account_id(scenario: Scenario, account: Account) -> str:
    return account.id or stable_id(
        scenario.organisation.name, "account", account.code or account.name
    )


def category_id(scenario: Scenario, category: TrackingCategory) -> str:
    return category.id or stable_id(scenario.organisation.name, "tracking", category.name)


def option_id(scenario: Scenario, category: TrackingCategory, option: TrackingOption) -> str:
    return option.id or stable_id(
        scenario.organisation.name, "tracking", category.name, option.name
    )


def contact_id(scenario: Scenario, contact: Contact) -> str:
    return contact.id or stable_id(scenario.organisation.name, "contact", contact.name)


def tax_rate_id(scenario: Scenario, rate: TaxRate) -> str:
    return rate.id or stable_id(scenario.organisation.name, "tax", rate.tax_type)


def _record(
    current: Item,
    obj: Account | TrackingCategory | TrackingOption | Contact | TaxRate,
    parent_created: datetime | None = None,
) -> Record:
    before = None
    if obj.before is not None:
        changes = obj.before.model_dump(exclude_none=True)
        if "status" in changes:
            changes["status"] = Status(changes["status"])
        before = current.model_copy(update=changes)
    return Record(current, obj.created or EPOCH, obj.updated, before, parent_created)


def xero_records(scenario: Scenario) -> list[Record]:
    """Every Xero object of the scenario as items, in a stable order."""
    records: list[Record] = []
    for account in scenario.all_accounts():
        kind = ItemKind.BANK_ACCOUNT if account.type == "BANK" else ItemKind.ACCOUNT
        item = Item(
            kind=kind,
            xero_id=account_id(scenario, account),
            code=account.code,
            name=account.name,
            status=Status(account.status),
            updated_at=account.updated,
            account_type=account.type,
        )
        records.append(_record(item, account))
    for category in scenario.xero.tracking_categories:
        cat_id = category_id(scenario, category)
        item = Item(
            kind=ItemKind.TRACKING_CATEGORY,
            xero_id=cat_id,
            name=category.name,
            status=Status(category.status),
            updated_at=category.updated,
        )
        records.append(_record(item, category))
        for option in category.options:
            item = Item(
                kind=ItemKind.TRACKING_OPTION,
                xero_id=option_id(scenario, category, option),
                name=option.name,
                status=Status(option.status),
                parent_id=cat_id,
                parent_name=category.name,
                updated_at=option.updated,
            )
            records.append(_record(item, option, parent_created=category.created or EPOCH))
    for contact in scenario.xero.contacts:
        item = Item(
            kind=ItemKind.SUPPLIER,
            xero_id=contact_id(scenario, contact),
            name=contact.name,
            status=Status(contact.status),
            is_supplier=contact.is_supplier,
            updated_at=contact.updated,
        )
        records.append(_record(item, contact))
    for rate in scenario.xero.tax_rates:
        item = Item(
            kind=ItemKind.TAX_RATE,
            xero_id=tax_rate_id(scenario, rate),
            code=rate.tax_type,
            name=rate.name,
            status=Status(rate.status),
            updated_at=rate.updated,
        )
        records.append(_record(item, rate))
    return records


def state_at(record: Record, moment: datetime) -> Item | None:
    """The item as Xero had it at `moment`, or None if it did not exist yet."""
    if record.created > moment or (record.parent_created and record.parent_created > moment):
        return None
    if record.updated is not None and record.updated > moment and record.before is not None:
        return record.before
    return record.item


class Timeline:
    """Derives every stage's holdings from one scenario."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.records = xero_records(scenario)
        self._by_id = {r.item.xero_id: r for r in self.records}

    def xero_items(self) -> list[Item]:
        return [r.item for r in self.records if state_at(r, self.scenario.clock) is not None]

    def approvalmax_sync(self, kind: ItemKind) -> datetime:
        return self.scenario.approvalmax.sync_time(SYNC_TYPE_OF_KIND[kind], self.scenario.clock)

    def _held(self, stage: Stage, moment_of: dict[ItemKind, datetime]) -> Iterator[Item]:
        statuses: dict[str | None, Status] = {}
        for record in self.records:
            item = state_at(record, moment_of[record.item.kind])
            if item is None:
                continue
            if item.kind is ItemKind.TRACKING_CATEGORY:
                statuses[item.xero_id] = item.status
            if blocker(item, stage, statuses.get(item.parent_id)) is None:
                yield item

    def approvalmax_items(self) -> list[Item]:
        if self.scenario.approvalmax.access == "none":
            return []
        moments = {kind: self.approvalmax_sync(kind) for kind in ItemKind}
        held = []
        for item in self._held(Stage.APPROVALMAX, moments):
            synced = self._arrival(item, moments[item.kind], APPROVALMAX_PERIOD)
            held.append(_with(item, synced_at=synced))
        return self._apply_overrides(Stage.APPROVALMAX, held)

    def dext_items(self) -> list[Item]:
        dext = self.scenario.dext
        linked_elsewhere = dext.linked_organisation not in (None, self.approvalmax_name)
        if dext.access == "none" or dext.integration == "none" or linked_elsewhere:
            return self._apply_overrides(Stage.DEXT, [])
        pull = self.scenario.dext_last_pull
        if dext.integration == "xero_direct":
            moments = dict.fromkeys(ItemKind, pull)
        else:
            moments = {kind: min(self.approvalmax_sync(kind), pull) for kind in ItemKind}
        held = []
        for item in self._held(Stage.DEXT, moments):
            held.append(
                _with(
                    item,
                    synced_at=self._arrival(item, pull, DEXT_PERIOD, moments[item.kind]),
                    visible=not any(_matches(ref, item) for ref in dext.hidden),
                )
            )
        return self._apply_overrides(Stage.DEXT, held)

    def _arrival(
        self, item: Item, run: datetime, period: timedelta, after: datetime | None = None
    ) -> datetime | None:
        """When the periodic job (last run at `run`) first carried the state it holds of `item`;
        None for items that have always been there."""
        record = self._by_id[item.xero_id]
        moment = after or run
        changed = record.created
        if record.updated is not None and record.updated <= moment:
            changed = max(changed, record.updated)
        if changed <= EPOCH:
            return None
        return min(tick_at_or_after(changed, run, period), run)

    @property
    def approvalmax_name(self) -> str:
        return self.scenario.approvalmax.name or self.scenario.organisation.name

    def _apply_overrides(self, stage: Stage, held: list[Item]) -> list[Item]:
        for override in self.scenario.overrides:
            if override.stage != stage.value:
                continue
            if override.present is False:
                held = [i for i in held if not _matches(override, i)]
                continue
            if override.present and not any(_matches(override, i) for i in held):
                current = [r.item for r in self.records if _matches(override, r.item)]
                name = override.name or override.code or override.id or "?"
                held.append(
                    current[0]
                    if current
                    else Item(kind=override.kind, code=override.code, name=name)
                )
            if override.rename:
                held = [
                    i.model_copy(update={"name": override.rename}) if _matches(override, i) else i
                    for i in held
                ]
        return held


def _with(item: Item, **changes: Any) -> Item:
    """`item` with these fields changed, as `model_copy(update=…)` makes it (no validation:
    the values are the timeline's own, of the fields' types), without its per-copy cost: the
    adapters of a large scenario hold tens of thousands of items."""
    return Item.trusted(**{**item.__dict__, **changes})


def _matches(ref: ItemRef, item: Item) -> bool:
    if ref.kind is not item.kind:
        return False
    if ref.id is not None and ref.id != item.xero_id:
        return False
    if ref.code is not None and ref.code != item.code:
        return False
    if ref.name is not None and ref.name.casefold() != item.name.casefold():
        return False
    return ref.category is None or (item.parent_name or "").casefold() == ref.category.casefold()
