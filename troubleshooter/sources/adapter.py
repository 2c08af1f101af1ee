"""The stage adapter client: ApprovalMax's or Dext's reference lists and sync state, over the
contract in stage_adapter.openapi.yaml (beside this file).

An answer is held to the contract before anything in it becomes a fact: times carry their zone
and fall in the years 1970 to 2999 (infra/years.py), each page is the kind and the page number
asked for, states the same page count (no more than a run reads), repeats no other page, and
the list holds each item once (no row sent twice, no Xero id twice) with as many items as it
says. A list that breaks the contract is unknown at
that stage, with the reason; a state that breaks it leaves the whole system unread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from troubleshooter.errors import SourceError
from troubleshooter.infra.yamlfile import first_problem
from troubleshooter.infra.years import Moment
from troubleshooter.model import (
    DextIntegration,
    Item,
    ItemKind,
    OrganisationRef,
    Provenance,
    Stage,
    StageSnapshot,
    Status,
    SyncType,
    XeroConnection,
)
from troubleshooter.sources.http import JsonClient
from troubleshooter.sources.paging import PageCheck
from troubleshooter.wording import KINDS

ADAPTER_PAGE_SIZE = 500


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AdapterOrganisation(_Wire):
    id: str | None = None
    name: str


class AdapterState(_Wire):
    system: Literal["approvalmax", "dext"]
    as_of: Moment | None = None
    organisation: AdapterOrganisation
    xero_connection: XeroConnection | None = None
    last_sync: dict[SyncType, Moment | None] = Field(default_factory=dict)
    last_pull: Moment | None = None
    integration: DextIntegration | None = None
    linked_organisation: AdapterOrganisation | None = None


class AdapterItem(_Wire):
    xero_id: str | None = None
    code: str | None = None
    name: str
    status: Status | None = None
    parent_id: str | None = None
    parent_name: str | None = None
    visible: bool | None = None
    is_supplier: bool | None = None
    synced_at: Moment | None = None

    def identity(self) -> str:
        """What tells two rows apart when a page is compared with another."""
        return self.xero_id or f"{self.code}|{self.name}|{self.parent_id}|{self.parent_name}"


class AdapterPage(_Wire):
    kind: str  # checked against the kind asked for, with a message that says so
    page: int = Field(ge=1)
    page_count: int
    item_count: int | None = Field(default=None, ge=0)
    items: list[AdapterItem]


_PAGE = TypeAdapter(AdapterPage)  # a page is parsed and validated from its bytes at once


class StageAdapterClient:
    def __init__(
        self,
        stage: Stage,
        http: JsonClient,
        *,
        page_size: int = ADAPTER_PAGE_SIZE,
        provenance: Provenance = Provenance.ADAPTER,
        progress: Callable[[str, int, int | None], None] | None = None,
    ) -> None:
        if stage is Stage.XERO:
            raise ValueError("Xero is read through its own API, not a stage adapter")
        self.stage = stage
        self.http = http
        self.page_size = page_size
        self.provenance = provenance
        self.progress = progress  # (what, pages read, pages known), as pages come in

    @property
    def system(self) -> str:
        return f"{self.stage.label} adapter"

    def _parse(self, model: type[Any], body: Any, where: str) -> Any:
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            problem = f"{where} answered in an unexpected shape ({first_problem(exc)})"
            raise SourceError(self.system, problem) from None

    async def state(self) -> AdapterState:
        state: AdapterState = self._parse(
            AdapterState, await self.http.get_json("/v1/state"), "/v1/state"
        )
        if state.system != self.stage.value:
            raise SourceError(self.system, f"/v1/state says it speaks for {state.system}")
        return state

    async def items(self, kind: ItemKind) -> list[Item]:
        path = f"/v1/items/{kind.value}"
        check = PageCheck(self.system, path, self.http.settings.max_pages)
        once = _OnceEach(check)
        what = KINDS[kind].many  # "tracking categories", as every view says it

        async def page(number: int) -> tuple[AdapterPage, list[Item]]:
            try:
                parsed = await self.http.get_valid(
                    path, _PAGE, params={"page": number, "page_size": self.page_size}
                )
            except ValidationError as exc:
                problem = f"{path} answered in an unexpected shape ({first_problem(exc)})"
                raise SourceError(self.system, problem) from None
            if parsed.kind != kind.value:
                raise check.fail(
                    f"the answer is a page of {parsed.kind[:40]!r}, not of {kind.value!r}"
                )
            check.numbered(number, parsed.page)
            check.add(number, [row.identity() for row in parsed.items])
            once.add(parsed.items)
            # Items are made as each page comes in, while the others are still on their way.
            items = [_item(kind, row) for row in parsed.items]
            if self.progress is not None:
                self.progress(what, check.pages_read, known)
            return parsed, items

        known: int | None = None
        first, first_items = await page(1)
        known = check.page_count(first.page_count)
        rest = await asyncio.gather(*(page(n) for n in range(2, known + 1)))
        for later, _ in rest:
            if later.page_count != first.page_count:
                raise check.fail(
                    f"page {later.page} says {later.page_count} pages, page 1 said "
                    f"{first.page_count} (the list changed while it was read, or the adapter "
                    "is broken)"
                )
        once.count(first.item_count)
        return [*first_items, *(item for _, items in rest for item in items)]

    async def snapshot(self) -> StageSnapshot:
        state = await self.state()
        results = await asyncio.gather(*(self.items(k) for k in ItemKind), return_exceptions=True)
        items: dict[ItemKind, list[Item]] = {}
        kind_errors: dict[ItemKind, str] = {}
        for kind, result in zip(ItemKind, results, strict=True):
            if isinstance(result, SourceError):
                kind_errors[kind] = str(result)
            elif isinstance(result, BaseException):
                raise result
            else:
                items[kind] = result
        linked = state.linked_organisation
        return StageSnapshot(
            stage=self.stage,
            provenance=self.provenance,
            reached=True,
            fetched_at=state.as_of,
            organisation=OrganisationRef(id=state.organisation.id, name=state.organisation.name),
            items=items,
            kind_errors=kind_errors,
            xero_connection=state.xero_connection,
            last_sync={k: v for k, v in state.last_sync.items() if v is not None},
            last_pull=state.last_pull,
            integration=state.integration,
            linked_organisation=OrganisationRef(id=linked.id, name=linked.name) if linked else None,
        )


def _item(kind: ItemKind, row: AdapterItem) -> Item:
    """The item a row describes. The row is validated already (`AdapterItem`: each value of
    the type Item's field takes, times with their zone and in the years a time may have), so
    the item is made from its values without validating them a second time, every field given
    in Item's order (tests/test_page_reading.py checks each against its validated twin)."""
    return Item.trusted(
        kind=kind,
        xero_id=row.xero_id,
        code=row.code or None,
        name=row.name,
        status=row.status or Status.ACTIVE,
        parent_id=row.parent_id,
        parent_name=row.parent_name,
        updated_at=None,
        synced_at=row.synced_at,
        visible=row.visible is not False,
        is_supplier=row.is_supplier,
        account_type=None,
        email=None,
        phone=None,
        bank_account_number=None,
        provenance=None,
        confidence=None,
    )


class _OnceEach:
    """Each item once, and as many as the adapter says: a row sent twice would otherwise be
    one more item, missing everywhere else."""

    def __init__(self, check: PageCheck) -> None:
        self.check = check
        self._rows: set[tuple[Any, ...]] = set()
        self._ids: set[str] = set()

    def add(self, rows: list[AdapterItem]) -> None:
        for row in rows:
            whole = (
                row.xero_id,
                row.code,
                row.name,
                row.status,
                row.parent_id,
                row.parent_name,
                row.visible,
                row.is_supplier,
                row.synced_at,
            )
            if whole in self._rows:
                raise self.check.fail(f"the row for {row.name[:80]!r} is sent twice")
            self._rows.add(whole)
            if row.xero_id:
                key = row.xero_id.lower()
                if key in self._ids:
                    raise self.check.fail(f"two rows carry the Xero id {row.xero_id[:80]!r}")
                self._ids.add(key)

    def count(self, item_count: int | None) -> None:
        held = len(self._rows)
        if item_count is not None and item_count != held:
            raise self.check.fail(
                f"the list says it holds {item_count:,} items; its pages hold {held:,}"
            )
