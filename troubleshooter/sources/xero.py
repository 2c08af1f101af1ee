"""Xero's Accounting API: the reference lists, read concurrently, Contacts page by page.

Contacts are asked for 1,000 a page (`pageSize`, the most Xero allows since mid-2024; its
default is 100), `summaryOnly=true`, archived ones included. What Xero answers decides: the
`pagination` block's page count, and its `pageSize` where it gave fewer than asked. Without a
block the walk goes on while pages are full, within the page cap, and stops on a page that
repeats one already read.

A focused run (`focus`) reads the small lists whole and only the contacts Xero's `searchTerm`
finds (or the one contact a trace key names); the snapshot says so in `partial`, because a
contact outside that search is unknown, not missing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

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
    normalise_name,
)
from troubleshooter.sources.cache import CacheEntry, FetchCache
from troubleshooter.sources.http import JsonClient
from troubleshooter.sources.paging import PageCheck

API = "/api.xro/2.0"
# Xero: "From 1 July 2024, apps will be able to specify a custom pagesize using the pagesize
# parameter up to a maximum pagesize of 1000 [...] The default pagesize will remain at 100."
CONTACTS_PAGE_SIZE = 1000
MAX_CONTACTS_PAGE_SIZE = 1000
IDS_PER_REQUEST = 40  # Xero's gateway refuses long query strings (about 50 ids: Xero-Java#328)

PageProgress = Callable[[str, int, int | None], None]  # (what, pages read, pages known)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _ms(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("/Date("):
        try:
            return parse_ms_date(value)
        except OverflowError:
            raise ValueError(f"not a time Python can hold: {value[:40]!r}") from None
    return value


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


_CONTACTS = TypeAdapter(list[XeroContact])


class XeroTaxRate(_Wire):
    name: str = Field(alias="Name")
    tax_type: str = Field(alias="TaxType")
    status: Status = Field(default=Status.ACTIVE, alias="Status")

    @field_validator("status", mode="before")
    @classmethod
    def _known_status(cls, value: Any) -> Any:
        return _status(value)


class XeroPagination(_Wire):
    page: int | None = None
    page_size: int | None = Field(default=None, alias="pageSize")
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
        progress: PageProgress | None = None,
    ) -> None:
        self.http = http
        self.tenant_id = tenant_id
        self.contacts_page_size = max(1, min(contacts_page_size, MAX_CONTACTS_PAGE_SIZE))
        self.provenance = provenance
        self.cache = cache
        self.progress = progress
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
            with contextlib.suppress(ValueError, OverflowError):
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
        self, resource: str, key: str, since: datetime | None
    ) -> tuple[list[dict[str, Any]], datetime | None]:
        """Raw rows of an unpaged list, and Xero's clock when it answered."""
        body = await self._get(resource, None, since)
        return _rows_of(body, resource, key), _server_time(body)

    async def _paged(
        self,
        resource: str,
        key: str,
        id_field: str,
        query: dict[str, str | int | bool],
        since: datetime | None = None,
        on_page: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> tuple[list[dict[str, Any]], datetime | None]:
        """Every page of a paged list. The first page says how many there are (the rest are
        fetched concurrently within the client's in-flight cap); without a `pagination` block
        the pages are walked one by one while they come back full. Rows are kept once per id
        (a row that moved between pages while they were read is not counted twice).
        `on_page` sees each page's rows as it comes in (parsing them while the others are
        still on their way)."""
        asked = self.contacts_page_size
        check = PageCheck("Xero", resource, self.http.settings.max_pages)
        what = resource.lower()

        async def page(number: int) -> list[dict[str, Any]]:
            params = {**query, "page": number, "pageSize": asked}
            body = await self._get(resource, params, since)
            rows = _rows_of(body, resource, key)
            block = body.get("pagination")
            if isinstance(block, dict):
                check.numbered(number, _parse(XeroPagination, block, resource).page)
            check.add(number, [str(row.get(id_field, "")) for row in rows if isinstance(row, dict)])
            if on_page is not None:
                on_page(rows)
            if self.progress is not None:
                self.progress(what, check.pages_read, known)
            return rows

        known: int | None = None
        first_body = await self._get(resource, {**query, "page": 1, "pageSize": asked}, since)
        # The cache's time is Xero's clock at the first answer: nothing changed after it is lost.
        started = _server_time(first_body)
        rows = _rows_of(first_body, resource, key)
        block = first_body.get("pagination")
        pagination = _parse(XeroPagination, block, resource) if isinstance(block, dict) else None
        if pagination is not None:
            check.numbered(1, pagination.page)
            known = check.page_count(pagination.page_count)
        check.add(1, [str(row.get(id_field, "")) for row in rows if isinstance(row, dict)])
        if pagination is not None:
            _check_pages_add_up(check, pagination, asked)
        if on_page is not None:
            on_page(rows)
        if self.progress is not None:
            self.progress(what, 1, known)
        if pagination is not None:
            for more in await asyncio.gather(*(page(n) for n in range(2, known + 1))):  # type: ignore[operator]
                rows.extend(more)
        elif rows:
            # No block: Xero's page is as long as its first page, if that is shorter than asked
            # (a smaller cap than 1,000); a shorter (or empty) page is the last.
            full = min(asked, len(rows))
            number = 1
            while True:
                number += 1
                check.next_page(number)
                more = await page(number)
                rows.extend(more)
                if len(more) < full:
                    break
        return _unique(rows, id_field), started

    async def _cached_rows(
        self,
        resource: str,
        key: str,
        id_field: str,
        query: dict[str, str | int | bool] | None = None,
        on_page: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> list[dict[str, Any]]:
        """A list read whole, or, with a fresh cache, only what changed since (merged in).
        Paged when `query` is given. A cache that cannot be saved costs the next run time, not
        this run its answer."""
        tenant = await self.choose_tenant()
        source = self.http.base_url
        entry = self.cache.load(tenant, resource, source=source) if self.cache else None
        since = entry.server_time if entry else None  # Xero's clock, for Xero to compare
        if query is None:
            rows, started = await self._rows(resource, key, since)
        else:
            rows, started = await self._paged(resource, key, id_field, query, since, on_page)
        if entry is not None:
            self.incremental[resource] = len(rows)
            merged = {row.get(id_field): row for row in entry.rows}
            merged.update((row.get(id_field), row) for row in rows)
            rows = list(merged.values())
        if self.cache is not None and started is not None:
            # A full disk, a read-only folder, a planted link: the next run reads whole, and
            # this one has its answer.
            with contextlib.suppress(OSError, ConfigError):
                self.cache.save(tenant, resource, CacheEntry(started, rows), source=source)
        return rows

    async def accounts(self) -> list[Item]:
        raw = await self._cached_rows("Accounts", "Accounts", "AccountID")
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

    async def contacts(self, focus: str | None = None) -> list[Item]:
        """Every contact, archived ones included; with `focus`, only those Xero's search finds
        (never cached: a part of the list is not the list)."""
        query: dict[str, str | int | bool] = {"includeArchived": True, "summaryOnly": True}
        parsed = _ContactItems()
        if focus is None:
            raw = await self._cached_rows("Contacts", "Contacts", "ContactID", query, parsed.add)
        else:
            contact_id = _contact_key(focus)
            if contact_id is not None:
                query["IDs"] = contact_id
            else:
                query["searchTerm"] = normalise_name(focus)
            raw, _ = await self._paged("Contacts", "Contacts", "ContactID", query, None, parsed.add)
        return parsed.items(raw)

    async def contacts_by_ids(self, ids: list[str]) -> list[Item]:
        """The contacts with these ids (a focused run's second look), a few dozen a request."""
        raw: list[dict[str, Any]] = []
        for start in range(0, len(ids), IDS_PER_REQUEST):
            chunk = ids[start : start + IDS_PER_REQUEST]
            query: dict[str, str | int | bool] = {
                "includeArchived": True,
                "summaryOnly": True,
                "IDs": ",".join(chunk),
            }
            rows, _ = await self._paged("Contacts", "Contacts", "ContactID", query)
            raw.extend(rows)
        return _ContactItems().items(raw)

    async def tax_rates(self) -> list[Item]:
        rows, _ = await self._list("TaxRates", "TaxRates", XeroTaxRate)
        return [
            Item(kind=ItemKind.TAX_RATE, code=row.tax_type, name=row.name, status=row.status)
            for row in rows
        ]

    async def snapshot(self, focus: str | None = None) -> StageSnapshot:
        """Everything the diagnosis needs from Xero. A list that fails becomes unknown with the
        reason; when the organisation itself cannot be read, Xero counts as unreached. With
        `focus`, the contacts are only those the focus finds, and the snapshot says so."""
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
            "contacts": lambda: self.contacts(focus),
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
        partial: dict[ItemKind, str] = {}
        if focus is not None and ItemKind.SUPPLIER in items:
            partial[ItemKind.SUPPLIER] = focused_read(focus)
        return StageSnapshot(
            stage=Stage.XERO,
            provenance=self.provenance,
            reached=True,
            fetched_at=self.server_time,
            organisation=org,
            items=items,
            kind_errors=kind_errors,
            partial=partial,
        )


class _ContactItems:
    """Contacts made into items page by page, as the pages come in (the parsing overlaps the
    wait for the other pages); rows that came from the cache are made at the end."""

    def __init__(self) -> None:
        self._by_id: dict[str, Item] = {}

    def add(self, rows: list[dict[str, Any]]) -> None:
        with collector_paused():  # tens of thousands of small objects at once
            for item in _contact_items(rows):
                self._by_id[item.xero_id or ""] = item

    def items(self, raw: list[dict[str, Any]]) -> list[Item]:
        with collector_paused():
            known = [
                self._by_id.get(str(row.get("ContactID", ""))) if isinstance(row, dict) else None
                for row in raw
            ]
            missing = [row for row, item in zip(raw, known, strict=True) if item is None]
            made = iter(_contact_items(missing))
            return [item if item is not None else next(made) for item in known]


def _contact_items(rows: list[Any]) -> list[Item]:
    """The items these contact rows describe. The rows are validated together (one call into
    pydantic-core for a page, not one a row); each item is then made from the validated
    values without validating them again, every field given in Item's order
    (tests/test_page_reading.py checks each against its validated twin)."""
    try:
        contacts = _CONTACTS.validate_python(rows)
    except ValidationError:
        for row in rows:  # which row, said as for a row read alone
            _parse(XeroContact, row, "Contacts")
        raise
    return [
        Item.trusted(
            kind=ItemKind.SUPPLIER,
            xero_id=contact.contact_id,
            code=None,
            name=contact.name,
            status=contact.status,
            parent_id=None,
            parent_name=None,
            updated_at=contact.updated,
            synced_at=None,
            visible=True,
            is_supplier=contact.is_supplier,
            account_type=None,
            email=contact.email or None,
            phone=None,
            bank_account_number=None,
            provenance=None,
            confidence=None,
        )
        for contact in contacts
    ]


def focused_read(focus: str) -> str:
    """What a focused run read of Xero's contacts, in words."""
    return f"only the contacts that match {focus!r} were read (a focused run)"


def _contact_key(focus: str) -> str | None:
    """The contact id in a trace key (`supplier:<ContactID>`), if that is what `focus` is."""
    kind, _, rest = focus.strip().partition(":")
    if kind != ItemKind.SUPPLIER.value or not rest or rest.startswith("name:"):
        return None
    return rest


def _rows_of(body: dict[str, Any], resource: str, key: str) -> list[dict[str, Any]]:
    rows = body.get(key)
    if not isinstance(rows, list):
        raise SourceError("Xero", f"{resource} answered without its {key} list")
    return rows


def _server_time(body: dict[str, Any]) -> datetime | None:
    stamp = body.get("DateTimeUTC")
    if isinstance(stamp, str) and stamp.startswith("/Date("):
        with contextlib.suppress(ValueError, OverflowError):
            return parse_ms_date(stamp)
    return None


def _check_pages_add_up(check: PageCheck, pagination: XeroPagination, asked: int) -> None:
    """`itemCount` over the page size Xero used must give `pageCount`."""
    size = pagination.page_size
    if size is not None and size > asked:
        raise check.fail(f"pages of {size} when {asked} were asked for")
    count = pagination.item_count
    if size is not None and size > 0 and count is not None:
        expected = max(1, -(-count // size))
        if expected != pagination.page_count:
            raise check.fail(
                f"the pagination does not add up: {count:,} rows at {size} a page is "
                f"{expected:,} pages, not {pagination.page_count:,}"
            )


def _unique(rows: list[dict[str, Any]], id_field: str) -> list[dict[str, Any]]:
    if not rows:
        return rows
    by_id: dict[Any, dict[str, Any]] = {}
    for row in rows:
        by_id[row.get(id_field) if isinstance(row, dict) else id(row)] = row
    return rows if len(by_id) == len(rows) else list(by_id.values())


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
