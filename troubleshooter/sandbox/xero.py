"""The sandbox's Xero: `/connections` and the Accounting API's reference lists (`/api.xro/2.0/…`:
Organisation, Accounts, TrackingCategories, Contacts, TaxRates) in Xero's wire format, with
`where`, `order`, `If-Modified-Since`, Contacts' paging and search, and the rate-limit headers.

Contacts' `pageSize`: Xero announced custom page sizes "up to a maximum pagesize of 1000" (its
developer newsletter of June 2024, quoted in calcinai/xero-php#915); its OpenAPI file gives no
maximum and says nothing of a larger value. The sandbox caps a larger one at 1,000 and says so
in `pagination.pageSize`, which is what widely used drivers do and what a client must cope with
either way (docs/scenarios.md says why).
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from troubleshooter.infra.gcpause import collector_paused
from troubleshooter.sandbox import xero_wire
from troubleshooter.sandbox.bearer import BearerCheck
from troubleshooter.sandbox.faults import RateCounters, RequestLog
from troubleshooter.sandbox.pages import RenderedPages
from troubleshooter.sandbox.scenario import Contact, Scenario, stable_id
from troubleshooter.sandbox.where import WhereError, compile_where

XERO_API = "/api.xro/2.0"
DEFAULT_PAGE_SIZE = 100  # Xero's, when a page is asked for without pageSize
MAX_PAGE_SIZE = 1000  # Xero's announced maximum; a larger pageSize is capped to it
SEARCH_FIELDS = ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")


class XeroService:
    def __init__(
        self, scenario: Scenario, bearer: BearerCheck, rates: RateCounters, log: RequestLog
    ) -> None:
        self.scenario = scenario
        self.bearer = bearer
        self.rates = rates
        self.log = log
        self.max_page_size = MAX_PAGE_SIZE  # a test may lower it, to play a stricter Xero
        self._contact_cache: dict[bool, list[tuple[Contact, dict[str, Any]]]] = {}
        self._selection_cache: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._pages = RenderedPages()

    def routes(self) -> list[Route]:
        return [
            Route("/connections", self.connections),
            Route("/Connections", self.connections),
            Route(XERO_API + "/{resource}", self.resource),
        ]

    def _auth_problem(self, request: Request, *, tenant: bool) -> Response | None:
        if (problem := self.bearer.problem(request)) is not None:
            return xero_problem(401, "Unauthorized", problem)
        if tenant and request.headers.get("xero-tenant-id") != self.scenario.tenant_id:
            return xero_problem(403, "Forbidden", "AuthenticationUnsuccessful")
        return None

    async def connections(self, request: Request) -> Response:
        if (problem := self._auth_problem(request, tenant=False)) is not None:
            return problem
        answer = self.rates.spend(None)
        return JSONResponse([xero_wire.connection(self.scenario)], headers=answer.headers)

    async def resource(self, request: Request) -> Response:
        if (problem := self._auth_problem(request, tenant=True)) is not None:
            return problem
        answer = self.rates.spend(self.scenario.tenant_id)
        if answer.problem is not None:
            refused = xero_problem(429, "Too Many Requests", "Rate limit exceeded")
            refused.headers.update(answer.headers)
            return refused
        resource = request.path_params["resource"].casefold()
        handlers: dict[str, Callable[[Request], dict[str, Any] | Response]] = {
            "organisation": self._organisation,
            "accounts": self._accounts,
            "trackingcategories": self._tracking_categories,
            "contacts": self._contacts,
            "taxrates": self._tax_rates,
        }
        handler = handlers.get(resource)
        if handler is None:
            response: Response = xero_problem(404, "Not Found", "The resource was not found")
        else:
            try:
                answer_body = handler(request)
                response = (
                    answer_body if isinstance(answer_body, Response) else JSONResponse(answer_body)
                )
            except WhereError as exc:
                response = JSONResponse(
                    {"ErrorNumber": 16, "Type": "QueryParseException", "Message": str(exc)},
                    status_code=400,
                )
            except ValueError as exc:
                response = JSONResponse(
                    {"ErrorNumber": 10, "Type": "ValidationException", "Message": str(exc)},
                    status_code=400,
                )
        response.headers.update(answer.headers)
        response.headers["Xero-Correlation-Id"] = stable_id(
            "correlation", str(len(self.log.requests))
        )
        return response

    def _filtered(self, request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        predicate = compile_where(request.query_params.get("where"))
        return ordered([row for row in rows if predicate(row)], request.query_params.get("order"))

    def _organisation(self, request: Request) -> dict[str, Any]:
        return xero_wire.envelope(
            self.scenario, "Organisations", [xero_wire.organisation(self.scenario)]
        )

    def _accounts(self, request: Request) -> dict[str, Any]:
        since = modified_since(request)
        rows = [
            xero_wire.account(self.scenario, acc)
            for acc in self.scenario.all_accounts()
            if acc.status != "DELETED" and self._exists(acc.created) and _changed(acc, since)
        ]
        return xero_wire.envelope(self.scenario, "Accounts", self._filtered(request, rows))

    def _tracking_categories(self, request: Request) -> dict[str, Any]:
        include_archived = flag(request.query_params.get("includeArchived"))
        shown = ("ACTIVE", "ARCHIVED") if include_archived else ("ACTIVE",)
        rows = []
        for category in self.scenario.xero.tracking_categories:
            if category.status not in shown or not self._exists(category.created):
                continue
            row = xero_wire.tracking_category(self.scenario, category, include_archived)
            alive = {o.name for o in category.options if self._exists(o.created)}
            row["Options"] = [o for o in row["Options"] if o["Name"] in alive]
            rows.append(row)
        return xero_wire.envelope(
            self.scenario, "TrackingCategories", self._filtered(request, rows)
        )

    def _contacts(self, request: Request) -> dict[str, Any] | Response:
        params = request.query_params
        selection = (
            flag(params.get("includeArchived")),
            flag(params.get("summaryOnly")),
            params.get("IDs", ""),
            (params.get("searchTerm") or "").casefold(),
            params.get("where"),
            params.get("order"),
            modified_since(request),
        )
        rows = self._matching_contacts(selection)
        if "page" not in params:
            return xero_wire.envelope(self.scenario, "Contacts", rows)
        page = positive_int(params.get("page"), "page", 1)
        asked = positive_int(params.get("pageSize"), "pageSize", DEFAULT_PAGE_SIZE)
        size = min(asked, self.max_page_size)

        def body() -> dict[str, Any]:
            chunk = rows[(page - 1) * size : page * size]
            pagination = {
                "page": page,
                "pageSize": size,
                "pageCount": max(1, math.ceil(len(rows) / size)),
                "itemCount": len(rows),
            }
            return xero_wire.envelope(self.scenario, "Contacts", chunk, pagination=pagination)

        # A page of a selection is rendered once: a client reads the same pages run after run.
        return self._pages.response((selection, page, size), body)

    def _matching_contacts(self, selection: tuple[Any, ...]) -> list[dict[str, Any]]:
        """The contacts a query selects (`selection`: includeArchived, summaryOnly, IDs,
        searchTerm, where, order, If-Modified-Since), worked out once per query: a client
        pages through the same selection many times, and the scenario does not change while
        served."""
        include_archived, summary_only, ids, term, where, order, since = selection
        key = selection
        if key in self._selection_cache:
            return self._selection_cache[key]
        statuses = ("ACTIVE", "ARCHIVED") if include_archived else ("ACTIVE",)
        wanted_ids = {i.strip().strip('"').lower() for i in ids.split(",") if i.strip()}
        predicate = compile_where(where)
        rows = []
        for person, row in self._contact_rows(summary_only):
            if person.status not in statuses or not self._exists(person.created):
                continue
            if not _changed(person, since):
                continue
            if wanted_ids and row["ContactID"].lower() not in wanted_ids:
                continue
            if term and not any(term in str(row.get(f, "")).casefold() for f in SEARCH_FIELDS):
                continue
            if predicate(row):
                rows.append(row)
        rows = ordered(rows, order)
        if len(self._selection_cache) > 32:
            self._selection_cache.clear()
        self._selection_cache[key] = rows
        return rows

    def _contact_rows(self, summary_only: bool) -> list[tuple[Contact, dict[str, Any]]]:
        """Each contact in the wire format, made once per shape (the scenario does not change
        while it is served; a big one is paged through many times)."""
        if summary_only not in self._contact_cache:
            with collector_paused():  # tens of thousands of rows at once (infra/gcpause.py)
                self._contact_cache[summary_only] = [
                    (person, xero_wire.contact(self.scenario, person, summary_only))
                    for person in self.scenario.xero.contacts
                ]
        return self._contact_cache[summary_only]

    def _tax_rates(self, request: Request) -> dict[str, Any]:
        rows = [
            xero_wire.tax_rate(rate, self.scenario)
            for rate in self.scenario.xero.tax_rates
            if self._exists(rate.created)
        ]
        return xero_wire.envelope(self.scenario, "TaxRates", self._filtered(request, rows))

    def _exists(self, created: Any) -> bool:
        return created is None or created <= self.scenario.clock


def _changed(obj: Any, since: datetime | None) -> bool:
    """If-Modified-Since: created or changed after the time given (Xero: UpdatedDateUTC)."""
    if since is None:
        return True
    moment = obj.updated or obj.created
    return moment is not None and moment > since


def ordered(rows: list[dict[str, Any]], order: str | None) -> list[dict[str, Any]]:
    """Xero's `order`: a field and ASC or DESC."""
    if not order:
        return rows
    field_name, _, direction = order.strip().partition(" ")
    return sorted(
        rows,
        key=lambda row: str(row.get(field_name, "")).casefold(),
        reverse=direction.strip().upper() == "DESC",
    )


def modified_since(request: Request) -> datetime | None:
    value = request.headers.get("if-modified-since")
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            raise ValueError(f"If-Modified-Since is not a time: {value[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def flag(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def positive_int(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value[:20]!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be 1 or more")
    return number


def xero_problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {
            "Type": None,
            "Title": title,
            "Status": status,
            "Detail": detail,
            "Instance": stable_id("instance", title, detail),
            "Extensions": {},
        },
        status_code=status,
    )
