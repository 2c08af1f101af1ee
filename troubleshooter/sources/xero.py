"""Xero's Accounting API: the reference lists, read concurrently, Contacts page by page."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from troubleshooter.errors import ConfigError, SourceError
from troubleshooter.infra.gcpause import collector_paused
from troubleshooter.infra.msdate import parse_iso, parse_ms_date
from troubleshooter.infra.timezones import iana_name
from troubleshooter.infra.yamlfile import first_problem
from troubleshooter.model import (
    Item,
    ItemKind,
    OrganisationRef,
    Provenance,
    Stage,
    StageSnapshot,
    Status,
)
from troubleshooter.sources.cache import CacheEntry, FetchCache
from troubleshooter.sources.http import JsonClient

API = "/api.xro/2.0"
CONTACTS_PAGE_SIZE = 100  # Xero documents 100 a page; a larger page size is not confirmed


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _ms(value: Any) -> Any:
    return parse_ms_date(value) if isinstance(value, str) and value.startswith("/Date(") else value


def _status(value: Any) -> Any:
    return value if value in Status.__members__ else Status.ACTIVE.value


class XeroConnection(_Wire):
    id: str
    tenant_id: str = Field(alias="tenantId")
    tenant_type: str = Field(alias="tenantType")
    tenant_name: str | None = Field(default=None, alias="tenantName")
    updated: datetime | None = Field(default=None, alias="updatedDateUtc")

    @field_validator("updated", mode="before")
    @classmethod
    def _iso(cls, value: Any) -> Any:
        return parse_iso(value) if isinstance(value, str) else value


class XeroOrganisation(_Wire):
    organisation_id: str = Field(alias="OrganisationID")
    name: str = Field(alias="Name")
    short_code: str | None = Field(default=None, alias="ShortCode")
    timezone: str | None = Field(default=None, alias="Timezone")  # e.g. NEWZEALANDSTANDARDTIME


class _Updated(_Wire):
    updated: datetime | None = Field(default=None, alias="UpdatedDateUTC")

    @field_validator("updated", mode="before")
    @classmethod
    def _ms_date(cls, value: Any) -> Any:
        return _ms(value)


class XeroAccount(_Updated):
    account_id: str = Field(alias="AccountID")
    bank_account_number: str | None = Field(default=None, alias="BankAccountNumber")
    code: str | None = Field(default=None, alias="Code")
    name: str = Field(alias="Name")
    type: str = Field(alias="Type")
    status: Status = Field(default=Status.ACTIVE, alias="Status")


class XeroTrackingOption(_Wire):
    option_id: str = Field(alias="TrackingOptionID")
    name: str = Field(alias="Name")
    status: Status = Field(default=Status.ACTIVE, alias="Status")


class XeroTrackingCategory(_Wire):
    category_id: str = Field(alias="TrackingCategoryID")
    name: str = Field(alias="Name")
    status: Status = Field(default=Status.ACTIVE, alias="Status")
    options: list[XeroTrackingOption] = Field(default_factory=list, alias="Options")


class XeroContact(_Updated):
    contact_id: str = Field(alias="ContactID")
    name: str = Field(alias="Name")
    status: Status = Field(default=Status.ACTIVE, alias="ContactStatus")
    is_supplier: bool = Field(default=False, alias="IsSupplier")
    email: str | None = Field(default=None, alias="EmailAddress")


class XeroTaxRate(_Wire):
    name: str = Field(alias="Name")
    tax_type: str = Field(alias="TaxType")
    status: Status = Field(default=Status.ACTIVE, alias="Status")

    @field_validator("status", mode="before")
    @classmethod
    def _known_status(cls, value: Any) -> Any:
        return _status(value)


class XeroPagination(_Wire):
    page: int
    page_count: int = Field(alias="pageCount")
    item_count: int | None = Field(default=None, alias="itemCount")


W = TypeVar("W", bound=_Wire)


class XeroClient:
    """Reads one Xero organisation. `http` carries the bearer token; the tenant is chosen
    through `/connections` when not given."""

    def __init__(
        self,
        http: JsonClient,
        tenant_id: str | None = None,
        *,
        contacts_page_size: int = CONTACTS_PAGE_SIZE,
        provenance: Provenance = Provenance.API,
        cache: FetchCache | None = None,
    ) -> None:
        self.http = http
        self.tenant_id = tenant_id
        self.contacts_page_size = contacts_page_size
        self.provenance = provenance
        self.cache = cache
        self.server_time: datetime | None = None
        self.incremental: dict[str, int] = {}  # endpoint → rows changed since the cache

    async def connections(self) -> list[XeroConnection]:
        body = await self.http.get_json("/connections")
        if not isinstance(body, list):
            raise SourceError("Xero", "/connections did not answer with a list")
        return [_parse(XeroConnection, row, "/connections") for row in body]

    async def choose_tenant(self) -> str:
        if self.tenant_id:
            return self.tenant_id
        organisations = [c for c in await self.connections() if c.tenant_type == "ORGANISATION"]
        if not organisations:
            raise ConfigError("Xero: this sign-in is connected to no organisation")
        if len(organisations) > 1:
            names = ", ".join(f"{c.tenant_name} ({c.tenant_id})" for c in organisations)
            raise ConfigError(f"Xero: several organisations are connected; choose one: {names}")
        self.tenant_id = organisations[0].tenant_id
        return self.tenant_id

    async def _get(
        self,
        resource: str,
        params: dict[str, str | int | bool] | None = None,
        since: datetime | None = None,
    ) -> dict[str, Any]:
        tenant = await self.choose_tenant()
        headers = {"xero-tenant-id": tenant}
        if since is not None:
            headers["If-Modified-Since"] = since.isoformat(timespec="milliseconds")
        body = await self.http.get_json(f"{API}/{resource}", params=params, headers=headers)
        if not isinstance(body, dict):
            raise SourceError("Xero", f"{resource} did not answer with a JSON object")
        stamp = body.get("DateTimeUTC")
        if isinstance(stamp, str):
            with contextlib.suppress(ValueError):
                self.server_time = parse_ms_date(stamp)
        return body

    async def _list(
        self,
        resource: str,
        key: str,
        model: type[W],
        params: dict[str, str | int | bool] | None = None,
    ) -> tuple[list[W], dict[str, Any]]:
        body = await self._get(resource, params)
        rows = body.get(key)
        if not isinstance(rows, list):
            raise SourceError("Xero", f"{resource} answered without its {key} list")
        return [_parse(model, row, resource) for row in rows], body

    async def organisation(self) -> OrganisationRef:
        rows, _ = await self._list("Organisation", "Organisations", XeroOrganisation)
        if not rows:
            raise SourceError("Xero", "Organisation answered with no organisation")
        org = rows[0]
        return OrganisationRef(
            id=org.organisation_id,
            name=org.name,
            short_code=org.short_code,
            timezone=iana_name(org.timezone),
        )

    async def _rows(
        self, resource: str, key: str, since: datetime | None, paged: bool
    ) -> tuple[list[dict[str, Any]], datetime | None]:
        """Raw rows of a list; Contacts page by page: the first page says how many pages
        there are, the rest are fetched concurrently within the client's in-flight cap."""

        async def page(number: int | None) -> dict[str, Any]:
            params: dict[str, str | int | bool] = {}
            if paged:
                params = {
                    "page": number or 1,
                    "pageSize": self.contacts_page_size,
                    "includeArchived": True,
                    "summaryOnly": True,
                }
            return await self._get(resource, params, since)

        def rows_of(body: dict[str, Any]) -> list[dict[str, Any]]:
            rows = body.get(key)
            if not isinstance(rows, list):
                raise SourceError("Xero", f"{resource} answered without its {key} list")
            return rows

        first = await page(1 if paged else None)
        rows = rows_of(first)
        # The cache's time is Xero's clock at the first answer: nothing changed after it is lost.
        stamp = first.get("DateTimeUTC")
        started = (
            parse_ms_date(stamp) if isinstance(stamp, str) and stamp.startswith("/Date(") else None
        )
        if not paged:
            return rows, started
        pagination = first.get("pagination")
        if isinstance(pagination, dict):
            pages = _parse(XeroPagination, pagination, resource).page_count
            for body in await asyncio.gather(*(page(n) for n in range(2, pages + 1))):
                rows.extend(rows_of(body))
        elif len(rows) >= self.contacts_page_size:
            number = 1  # no pagination block: walk until a short page, one at a time
            while True:
                number += 1
                more = rows_of(await page(number))
                rows.extend(more)
                if len(more) < self.contacts_page_size:
                    break
        return rows, started

    async def _cached_rows(
        self, resource: str, key: str, id_field: str, paged: bool
    ) -> list[dict[str, Any]]:
        """A list read whole, or, with a fresh cache, only what changed since (merged in)."""
        tenant = await self.choose_tenant()
        entry = self.cache.load(tenant, resource) if self.cache is not None else None
        since = entry.server_time if entry else None  # Xero's clock, for Xero to compare
        rows, started = await self._rows(resource, key, since, paged)
        if entry is not None:
            self.incremental[resource] = len(rows)
            merged = {row.get(id_field): row for row in entry.rows}
            merged.update((row.get(id_field), row) for row in rows)
            rows = list(merged.values())
        if self.cache is not None and started is not None:
            self.cache.save(tenant, resource, CacheEntry(started, rows))
        return rows

    async def accounts(self) -> list[Item]:
        raw = await self._cached_rows("Accounts", "Accounts", "AccountID", paged=False)
        rows = [_parse(XeroAccount, row, "Accounts") for row in raw]
        return [
            Item(
                kind=ItemKind.BANK_ACCOUNT if row.type == "BANK" else ItemKind.ACCOUNT,
                xero_id=row.account_id,
                code=row.code or None,
                name=row.name,
                status=row.status,
                updated_at=row.updated,
                account_type=row.type,
                bank_account_number=row.bank_account_number or None,
            )
            for row in rows
        ]

    async def tracking(self) -> list[Item]:
        rows, _ = await self._list(
            "TrackingCategories",
            "TrackingCategories",
            XeroTrackingCategory,
            {"includeArchived": True},
        )
        items: list[Item] = []
        for category in rows:
            items.append(
                Item(
                    kind=ItemKind.TRACKING_CATEGORY,
                    xero_id=category.category_id,
                    name=category.name,
                    status=category.status,
                )
            )
            items.extend(
                Item(
                    kind=ItemKind.TRACKING_OPTION,
                    xero_id=option.option_id,
                    name=option.name,
                    status=option.status,
                    parent_id=category.category_id,
                    parent_name=category.name,
                )
                for option in category.options
            )
        return items

    async def contacts(self) -> list[Item]:
        """Every contact, archived ones included."""
        raw = await self._cached_rows("Contacts", "Contacts", "ContactID", paged=True)
        with collector_paused():  # tens of thousands of small objects at once
            rows = [_parse(XeroContact, row, "Contacts") for row in raw]
        return [
            Item(
                kind=ItemKind.SUPPLIER,
                xero_id=row.contact_id,
                name=row.name,
                status=row.status,
                is_supplier=row.is_supplier,
                updated_at=row.updated,
                email=row.email or None,
            )
            for row in rows
        ]

    async def tax_rates(self) -> list[Item]:
        rows, _ = await self._list("TaxRates", "TaxRates", XeroTaxRate)
        return [
            Item(kind=ItemKind.TAX_RATE, code=row.tax_type, name=row.name, status=row.status)
            for row in rows
        ]

    async def snapshot(self) -> StageSnapshot:
        """Everything the diagnosis needs from Xero. A list that fails becomes unknown with the
        reason; when the organisation itself cannot be read, Xero counts as unreached."""
        await self.choose_tenant()
        kinds: dict[str, tuple[ItemKind, ...]] = {
            "accounts": (ItemKind.ACCOUNT, ItemKind.BANK_ACCOUNT),
            "tracking": (ItemKind.TRACKING_CATEGORY, ItemKind.TRACKING_OPTION),
            "contacts": (ItemKind.SUPPLIER,),
            "tax_rates": (ItemKind.TAX_RATE,),
        }
        fetchers: dict[str, Callable[[], Awaitable[list[Item]]]] = {
            "accounts": self.accounts,
            "tracking": self.tracking,
            "contacts": self.contacts,
            "tax_rates": self.tax_rates,
        }
        org_result, *list_results = await asyncio.gather(
            self.organisation(), *(f() for f in fetchers.values()), return_exceptions=True
        )
        if isinstance(org_result, BaseException):
            _reraise_unexpected(org_result)
            return StageSnapshot(
                stage=Stage.XERO, provenance=self.provenance, reached=False, error=str(org_result)
            )
        org: OrganisationRef = org_result  # type: ignore[assignment]
        items: dict[ItemKind, list[Item]] = {}
        kind_errors: dict[ItemKind, str] = {}
        for name, result in zip(fetchers, list_results, strict=True):
            if isinstance(result, BaseException):
                _reraise_unexpected(result)
                for kind in kinds[name]:
                    kind_errors[kind] = str(result)
                continue
            fetched: list[Item] = result  # type: ignore[assignment]
            for kind in kinds[name]:
                items[kind] = [i for i in fetched if i.kind is kind]
        return StageSnapshot(
            stage=Stage.XERO,
            provenance=self.provenance,
            reached=True,
            fetched_at=self.server_time,
            organisation=org,
            items=items,
            kind_errors=kind_errors,
        )


def _reraise_unexpected(exc: BaseException) -> None:
    """Expected failures (HTTP, shapes) become unknown facts; a bug must not hide as one."""
    if not isinstance(exc, SourceError | ConfigError):
        raise exc


def _parse(model: type[W], row: Any, where: str) -> W:
    try:
        return model.model_validate(row)
    except ValidationError as exc:
        problem = f"{where} answered in an unexpected shape ({first_problem(exc)})"
        raise SourceError("Xero", problem) from None
