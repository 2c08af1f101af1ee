"""The stage adapter client: ApprovalMax's or Dext's reference lists and sync state, over the
contract in stage_adapter.openapi.yaml (beside this file)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from troubleshooter.errors import SourceError
from troubleshooter.infra.yamlfile import first_problem
from troubleshooter.model import (
    DextIntegration,
    Item,
    ItemKind,
    OrganisationRef,
    Provenance,
    Stage,
    StageSnapshot,
    Status,
    XeroConnection,
)
from troubleshooter.sources.http import JsonClient

ADAPTER_PAGE_SIZE = 500


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AdapterOrganisation(_Wire):
    id: str | None = None
    name: str


class AdapterState(_Wire):
    system: Literal["approvalmax", "dext"]
    as_of: datetime | None = None
    organisation: AdapterOrganisation
    xero_connection: XeroConnection | None = None
    last_sync: dict[str, datetime | None] = Field(default_factory=dict)
    last_pull: datetime | None = None
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
    synced_at: datetime | None = None


class AdapterPage(_Wire):
    kind: ItemKind
    page: int
    page_count: int
    items: list[AdapterItem]


class StageAdapterClient:
    def __init__(
        self,
        stage: Stage,
        http: JsonClient,
        *,
        page_size: int = ADAPTER_PAGE_SIZE,
        provenance: Provenance = Provenance.ADAPTER,
    ) -> None:
        if stage is Stage.XERO:
            raise ValueError("Xero is read through its own API, not a stage adapter")
        self.stage = stage
        self.http = http
        self.page_size = page_size
        self.provenance = provenance

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
        async def page(number: int) -> AdapterPage:
            path = f"/v1/items/{kind.value}"
            body = await self.http.get_json(
                path, params={"page": number, "page_size": self.page_size}
            )
            parsed: AdapterPage = self._parse(AdapterPage, body, path)
            return parsed

        first = await page(1)
        pages = [first, *await asyncio.gather(*(page(n) for n in range(2, first.page_count + 1)))]
        return [
            Item(
                kind=kind,
                xero_id=row.xero_id,
                code=row.code or None,
                name=row.name,
                status=row.status or Status.ACTIVE,
                parent_id=row.parent_id,
                parent_name=row.parent_name,
                visible=row.visible is not False,
                is_supplier=row.is_supplier,
                synced_at=row.synced_at,
            )
            for p in pages
            for row in p.items
        ]

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
