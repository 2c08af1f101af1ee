"""Joins the three snapshots into one ItemTrace per item.

Identity, strongest first: Xero's id where a stage carries it, then the account code (or tax
type), then the normalised name, then the name the item had at the previous stage. So a renamed
item is one item with two names, not one missing and one extra.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from troubleshooter.diagnosis.eligibility import blocker
from troubleshooter.model import (
    DOWNSTREAM,
    Item,
    ItemKind,
    ItemTrace,
    Mark,
    Provenance,
    Stage,
    StageDetail,
    StageSnapshot,
    Status,
    Traces,
    item_label,
    normalise_name,
)

CODED_KINDS = frozenset({ItemKind.ACCOUNT, ItemKind.BANK_ACCOUNT, ItemKind.TAX_RATE})
normalise = normalise_name


def _name_key(item: Item) -> str:
    parent = normalise(item.parent_name) + "/" if item.parent_name else ""
    return parent + normalise(item.name)


_KIND_VALUE = {kind: kind.value for kind in ItemKind}  # an enum's `.value` is slow, read once


def item_key(item: Item) -> str:
    kind = _KIND_VALUE[item.kind]
    if item.xero_id:
        return f"{kind}:{item.xero_id.lower()}"
    if item.code and item.kind in CODED_KINDS:
        return f"{kind}:code:{item.code.casefold()}"
    return f"{kind}:name:{_name_key(item)}"


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


def _xero_detail(item: Item, provenance: Provenance) -> StageDetail:
    """What Xero says of its item: its name and code there, since it was last changed."""
    return StageDetail.trusted(
        name=item.name,
        code=item.code,
        since=item.updated_at,
        provenance=provenance,
        confidence=None,
        because=None,
    )


class _Index:
    """Finds the trace a downstream item belongs to."""

    def __init__(self) -> None:
        self.by_id: dict[str, _Entry] = {}
        self.by_code: dict[str, _Entry] = {}
        self.by_name: dict[str, list[_Entry]] = {}
        # Indexed by name at the first search by name, in the order added: where every item
        # downstream carries Xero's id (ApprovalMax's and Dext's lists do), no name is needed.
        self.unnamed: list[tuple[_Entry, Item]] = []

    def add(self, entry: _Entry, item: Item) -> None:
        if item.xero_id:
            self.by_id.setdefault(item.xero_id.lower(), entry)
        if item.code and item.kind in CODED_KINDS:
            self.by_code.setdefault(item.code.casefold(), entry)
        self.unnamed.append((entry, item))

    def _named(self, item: Item) -> list[_Entry]:
        if self.unnamed:
            by_name = self.by_name
            for entry, added in self.unnamed:
                by_name.setdefault(_name_key(added), []).append(entry)
            self.unnamed.clear()
        return self.by_name.get(_name_key(item), [])

    def find(self, item: Item, stage: Stage) -> _Entry | None:
        """The entry `item` (held at `stage`) belongs to; by name, one `stage` has not
        matched yet."""
        if item.xero_id and (hit := self.by_id.get(item.xero_id.lower())) is not None:
            return hit
        if item.code and item.kind in CODED_KINDS:
            hit = self.by_code.get(item.code.casefold())
            if hit is not None:
                return hit
        for entry in self._named(item):
            if stage not in entry.found:
                return entry
        return None


class _Entry:
    """An item while lineage joins the stages; kept as the compact row of an item with nothing
    to say (`compact`) until its trace is read."""

    __slots__ = ("compact", "first_seen", "found", "group", "kind", "parent_status", "xero_item")

    def __init__(self, kind: ItemKind, xero_item: Item | None) -> None:
        self.kind = kind
        self.xero_item = xero_item
        self.found: dict[Stage, Item] = {}
        self.first_seen: Item | None = xero_item
        self.compact: str | None = None  # HEALTHY or HELD_BACK
        self.group: tuple[object, ...] | None = None  # for HELD_BACK: what its rules read
        self.parent_status: Status | None = None  # its category's status in Xero


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
        # Names seen at this stage identify the item at the next one (a rename in flight),
        # once this stage is joined. An item held just as Xero holds it adds nothing the index
        # does not have already.
        additions: list[tuple[_Entry, Item]] = []
        for item in snapshot.items[kind]:
            found = index.find(item, stage)
            if found is None or stage in found.found:
                entry = _Entry(kind, None)
                entry.first_seen = item
                entries.append(entry)
            else:
                entry = found
            entry.found[stage] = item
            known = entry.xero_item
            if not (
                known is not None
                and item.name == known.name
                and item.code == known.code
                and item.parent_name == known.parent_name
                and (item.xero_id is None or item.xero_id == known.xero_id)
            ):
                additions.append((entry, item))
        for entry, item in additions:
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
        detail[Stage.XERO] = _xero_detail(xero_item, xero.provenance)
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


HEALTHY = "healthy"  # every stage holds it just as Xero does
HELD_BACK = "held back"  # Xero keeps it from every stage after it, and none holds it


def _compact(
    entry: _Entry, parents: dict[str, Status], whole: tuple[bool, bool]
) -> tuple[str, tuple[object, ...] | None] | None:
    """Whether the item's trace would have nothing of its own to say, and which sort it is
    (with, for one held back, the facts its rules are decided on: evaluate groups them)."""
    xero_item = entry.xero_item
    if xero_item is None:
        return None
    parent_status = entry.parent_status = parents.get(xero_item.parent_id or "")
    found = entry.found
    if not found:
        if not (whole[0] and whole[1]):
            return None  # an unknown stage: inference and the questions look at it
        if (
            blocker(xero_item, Stage.APPROVALMAX, parent_status) is None
            or blocker(xero_item, Stage.DEXT, parent_status) is None
        ):
            return None
        group = (
            entry.kind,
            _mark(xero_item),
            xero_item.status,
            xero_item.is_supplier,
            parent_status,
            bool(xero_item.code),
        )
        return HELD_BACK, group
    active = Status.ACTIVE  # below, `_mark(…) is Mark.PRESENT` written out: 50,000 times
    if len(found) != len(DOWNSTREAM) or xero_item.status is not active or not xero_item.visible:
        return None
    for stage in DOWNSTREAM:
        held = found[stage]
        if (
            held.status is not active
            or not held.visible
            or not _as_in_xero(held, xero_item)
            or blocker(xero_item, stage, parent_status) is not None
        ):
            return None
    return HEALTHY, None


_EVERYWHERE = {stage: Mark.PRESENT for stage in (Stage.XERO, *DOWNSTREAM)}


def _made(entry: _Entry, provenance: Provenance) -> ItemTrace:
    """`_trace` of a compact row, made without asking again what `_compact` settled: every
    stage holds it just as Xero does (healthy), or no stage after Xero holds it, each read
    whole, and Xero keeps it from both (held back). The same trace (tests compare the two)."""
    item = entry.xero_item
    assert item is not None
    blocked: dict[Stage, str] = {}
    if entry.compact == HEALTHY:
        stages = dict(_EVERYWHERE)
    else:
        stages = {
            Stage.XERO: _mark(item),
            Stage.APPROVALMAX: Mark.MISSING,
            Stage.DEXT: Mark.MISSING,
        }
        for stage in DOWNSTREAM:
            reason = blocker(item, stage, entry.parent_status)
            assert reason is not None
            blocked[stage] = reason
    return ItemTrace.trusted(
        kind=entry.kind,
        key=item_key(item),
        code=item.code,
        name=item.name,
        xero_id=item.xero_id,
        parent=item.parent_name,
        status=item.status,
        stages=stages,
        detail={Stage.XERO: _xero_detail(item, provenance)},
        eligible=not blocked,
        blocked=blocked,
        is_supplier=item.is_supplier,
        email=item.email,
        phone=item.phone,
        bank_account_number=item.bank_account_number,
        parent_status=entry.parent_status,
    )


def _describe(entry: _Entry) -> tuple[ItemKind, str | None, str]:
    base = entry.xero_item or entry.first_seen
    assert base is not None
    return entry.kind, base.code, item_label(base.name, base.parent_name)


def trace_rows(snapshots: dict[Stage, StageSnapshot], *, compact: bool = True) -> Traces:
    """One trace per item, every kind, in a stable order (kind, then as Xero lists them), with
    the items that have nothing to say kept as compact rows until read (model.Traces);
    `compact=False` makes every trace at once (tests compare the two)."""
    xero = snapshots[Stage.XERO]
    parents = {
        item.xero_id or "": item.status for item in xero.items.get(ItemKind.TRACKING_CATEGORY, [])
    }

    provenance = xero.provenance

    def make(entry: _Entry) -> ItemTrace:
        return (
            _trace(entry, snapshots, parents) if entry.compact is None else _made(entry, provenance)
        )

    rows: list[Any] = []
    for kind in ItemKind:
        whole = (
            _absent(snapshots[Stage.APPROVALMAX], kind) is Mark.MISSING,
            _absent(snapshots[Stage.DEXT], kind) is Mark.MISSING,
        )
        for entry in _kind_traces(kind, snapshots):
            sort = _compact(entry, parents, whole) if compact else None
            if sort is None:
                rows.append(make(entry))
            else:
                entry.compact, entry.group = sort
                rows.append(entry)
    _unique_keys(rows, make)
    return Traces(rows, make, _describe)


def build_traces(snapshots: dict[Stage, StageSnapshot]) -> list[ItemTrace]:
    """Every trace made (`trace_rows`, read whole)."""
    return list(trace_rows(snapshots))


def compact_counts(traces: Traces) -> tuple[int, int]:
    """How many compact rows are still unread: healthy everywhere, and held back by Xero."""
    healthy = held_back = 0
    for _, entry in traces.rows():
        if entry.compact == HEALTHY:
            healthy += 1
        else:
            held_back += 1
    return healthy, held_back


def held_back_groups(traces: Traces) -> list[list[int]]:
    """The places of the compact rows Xero holds back, grouped by the facts their rules are
    decided on (what evaluate's signature reads: the same in each group)."""
    groups: dict[tuple[object, ...] | None, list[int]] = {}
    for index, entry in traces.rows():
        if entry.compact == HELD_BACK:
            groups.setdefault(entry.group, []).append(index)
    return list(groups.values())


def _unique_keys(rows: list[Any], make: Callable[[_Entry], ItemTrace]) -> None:
    """Two items with the same key (two downstream-only items with one name) stay apart."""
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        # A compact row is one of Xero's items, keyed as its trace would be.
        key = row.key if isinstance(row, ItemTrace) else item_key(row.xero_item)
        count = seen.get(key, 0)
        seen[key] = count + 1
        if count:
            trace = row if isinstance(row, ItemTrace) else make(row)
            rows[index] = trace.model_copy(update={"key": f"{key}#{count + 1}"})
