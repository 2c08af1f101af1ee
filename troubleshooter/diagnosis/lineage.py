"""Joins the three snapshots into one ItemTrace per item.

Identity, strongest first: Xero's id where a stage carries it, then the account code (or tax
type), then the normalised name, then the name the item had at the previous stage. So a renamed
item is one item with two names, not one missing and one extra.
"""

from __future__ import annotations

from collections.abc import Iterable

from troubleshooter.diagnosis.eligibility import blocker
from troubleshooter.model import (
    DOWNSTREAM,
    Item,
    ItemKind,
    ItemTrace,
    Mark,
    Stage,
    StageDetail,
    StageSnapshot,
    Status,
    normalise_name,
)

CODED_KINDS = frozenset({ItemKind.ACCOUNT, ItemKind.BANK_ACCOUNT, ItemKind.TAX_RATE})
normalise = normalise_name


def _name_key(item: Item) -> str:
    parent = normalise(item.parent_name) + "/" if item.parent_name else ""
    return parent + normalise(item.name)


def item_key(item: Item) -> str:
    if item.xero_id:
        return f"{item.kind.value}:{item.xero_id.lower()}"
    if item.code and item.kind in CODED_KINDS:
        return f"{item.kind.value}:code:{item.code.casefold()}"
    return f"{item.kind.value}:name:{_name_key(item)}"


def _mark(item: Item) -> Mark:
    if item.status is not Status.ACTIVE:
        return Mark.ARCHIVED
    if not item.visible:
        return Mark.HIDDEN
    return Mark.PRESENT


def _detail(item: Item, snapshot: StageSnapshot) -> StageDetail:
    return StageDetail.trusted(
        name=item.name,
        code=item.code,
        since=item.synced_at,
        provenance=item.provenance or snapshot.provenance,
        confidence=item.confidence,
        because=None,
    )


def _as_in_xero(held: Item, xero_item: Item | None) -> bool:
    """Whether a stage holds the item exactly as Xero does, with nothing of its own to say
    (no arrival time, no pasted match): then its detail would repeat Xero's and is left out.
    On a big organisation most items are like that, and skipping them is a third of lineage."""
    return (
        xero_item is not None
        and held.name == xero_item.name
        and held.code == xero_item.code
        and held.synced_at is None
        and held.confidence is None
        and held.provenance is None
    )


class _Index:
    """Finds the trace a downstream item belongs to."""

    def __init__(self) -> None:
        self.by_id: dict[str, _Entry] = {}
        self.by_code: dict[str, _Entry] = {}
        self.by_name: dict[str, list[_Entry]] = {}

    def add(self, entry: _Entry, item: Item) -> None:
        if item.xero_id:
            self.by_id.setdefault(item.xero_id.lower(), entry)
        if item.code and item.kind in CODED_KINDS:
            self.by_code.setdefault(item.code.casefold(), entry)
        self.by_name.setdefault(_name_key(item), []).append(entry)

    def find(self, item: Item, taken: set[int]) -> _Entry | None:
        if item.xero_id and (hit := self.by_id.get(item.xero_id.lower())) is not None:
            return hit
        if item.code and item.kind in CODED_KINDS:
            hit = self.by_code.get(item.code.casefold())
            if hit is not None:
                return hit
        for entry in self.by_name.get(_name_key(item), []):
            if id(entry) not in taken:
                return entry
        return None


class _Entry:
    def __init__(self, kind: ItemKind, xero_item: Item | None) -> None:
        self.kind = kind
        self.xero_item = xero_item
        self.found: dict[Stage, Item] = {}
        self.first_seen: Item | None = xero_item


def _kind_traces(kind: ItemKind, snapshots: dict[Stage, StageSnapshot]) -> list[_Entry]:
    xero = snapshots[Stage.XERO]
    entries: list[_Entry] = []
    index = _Index()
    if xero.knows(kind):
        for item in xero.items[kind]:
            entry = _Entry(kind, item)
            entries.append(entry)
            index.add(entry, item)
    for stage in DOWNSTREAM:
        snapshot = snapshots[stage]
        if not snapshot.knows(kind):
            continue
        taken: set[int] = set()
        additions: list[tuple[_Entry, Item]] = []
        for item in snapshot.items[kind]:
            found = index.find(item, taken)
            if found is None or stage in found.found:
                entry = _Entry(kind, None)
                entry.first_seen = item
                entries.append(entry)
            else:
                entry = found
            entry.found[stage] = item
            taken.add(id(entry))
            additions.append((entry, item))
        # Names seen at this stage identify the item at the next one (a rename in flight). An
        # item held just as Xero holds it adds nothing the index does not have already.
        for entry, item in additions:
            known = entry.xero_item
            if (
                known is not None
                and item.name == known.name
                and item.code == known.code
                and item.parent_name == known.parent_name
                and (item.xero_id is None or item.xero_id == known.xero_id)
            ):
                continue
            index.add(entry, item)
    return entries


def _absent(snapshot: StageSnapshot, kind: ItemKind) -> Mark:
    """An item a stage does not hold: missing where the stage's list of its kind was read
    whole, unknown where it was not read or read only in part (a focused run)."""
    return Mark.MISSING if snapshot.knows(kind) and kind not in snapshot.partial else Mark.UNKNOWN


def _trace(
    entry: _Entry, snapshots: dict[Stage, StageSnapshot], parents: dict[str, Status]
) -> ItemTrace:
    xero_item = entry.xero_item
    base = xero_item or entry.first_seen
    assert base is not None
    stages: dict[Stage, Mark] = {}
    detail: dict[Stage, StageDetail] = {}
    xero = snapshots[Stage.XERO]
    if xero_item is not None:
        stages[Stage.XERO] = _mark(xero_item)
        detail[Stage.XERO] = StageDetail.trusted(
            name=xero_item.name,
            code=xero_item.code,
            since=xero_item.updated_at,
            provenance=xero.provenance,
            confidence=None,
            because=None,
        )
    else:
        stages[Stage.XERO] = _absent(xero, entry.kind)
    for stage in DOWNSTREAM:
        snapshot = snapshots[stage]
        if stage in entry.found:
            held = entry.found[stage]
            stages[stage] = _mark(held)
            if not _as_in_xero(held, xero_item):
                detail[stage] = _detail(held, snapshot)
        else:
            stages[stage] = _absent(snapshot, entry.kind)
    eligible: bool | None = None
    blocked: dict[Stage, str] = {}
    parent_status = None
    if xero_item is not None:
        parent_status = parents.get(xero_item.parent_id or "")
        for stage in DOWNSTREAM:
            if (reason := blocker(xero_item, stage, parent_status)) is not None:
                blocked[stage] = reason
        eligible = Stage.DEXT not in blocked
    parent = base.parent_name
    return ItemTrace.trusted(
        kind=entry.kind,
        key=item_key(base) if xero_item is None else item_key(xero_item),
        code=base.code,
        name=base.name,
        xero_id=xero_item.xero_id if xero_item else None,
        parent=parent,
        status=xero_item.status if xero_item else None,
        stages=stages,
        detail=detail,
        eligible=eligible,
        blocked=blocked,
        is_supplier=xero_item.is_supplier if xero_item else None,
        email=xero_item.email if xero_item else None,
        phone=xero_item.phone if xero_item else None,
        bank_account_number=xero_item.bank_account_number if xero_item else None,
        parent_status=parent_status,
    )


def build_traces(snapshots: dict[Stage, StageSnapshot]) -> list[ItemTrace]:
    """One trace per item, every kind, in a stable order (kind, then as Xero lists them)."""
    xero = snapshots[Stage.XERO]
    parents = {
        item.xero_id or "": item.status for item in xero.items.get(ItemKind.TRACKING_CATEGORY, [])
    }
    traces: list[ItemTrace] = []
    for kind in ItemKind:
        traces.extend(_trace(e, snapshots, parents) for e in _kind_traces(kind, snapshots))
    return _unique_keys(traces)


def _unique_keys(traces: Iterable[ItemTrace]) -> list[ItemTrace]:
    """Two items with the same key (two downstream-only items with one name) stay apart."""
    seen: dict[str, int] = {}
    out = []
    for trace in traces:
        count = seen.get(trace.key, 0)
        seen[trace.key] = count + 1
        out.append(
            trace if count == 0 else trace.model_copy(update={"key": f"{trace.key}#{count + 1}"})
        )
    return out
