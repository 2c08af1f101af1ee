"""The sandbox: one ASGI app that serves the three systems of a scenario.

Each system lives under its own prefix, so a client configured with a base URL talks to it the
same way it talks to the real service:

- `/xero`: Xero's `/connections` and `/api.xro/2.0/…` (Organisation, Accounts,
  TrackingCategories, Contacts, TaxRates) in Xero's wire format;
- `/approvalmax`: ApprovalMax's public `/ping` and `/api/v1/companies`;
- `/adapter/approvalmax` and `/adapter/dext`: the stage adapter contract
  (troubleshooter/sources/stage_adapter.openapi.yaml).

Every request is recorded (method, path, status), so tests can prove the clients only read.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from troubleshooter.model import Item, ItemKind
from troubleshooter.sandbox import xero_wire
from troubleshooter.sandbox.identity import Identity
from troubleshooter.sandbox.scenario import Contact, Fault, Scenario, stable_id
from troubleshooter.sandbox.timeline import Timeline
from troubleshooter.sandbox.where import WhereError, compile_where

XERO_API = "/api.xro/2.0"
MAX_PAGE_SIZE = 1000  # Xero's documented maximum is not confirmed; the sandbox allows this many
ADAPTER_PAGE_SIZE = 500
APP_MINUTE_LIMIT = 10_000

SYSTEM_PREFIXES = {
    "/identity": "identity",
    "/adapter/approvalmax": "approvalmax_adapter",
    "/adapter/dext": "dext_adapter",
    "/approvalmax": "approvalmax",
    "/xero": "xero",
}


class SandboxConnectionDropped(ConnectionResetError):
    """Raised by the app where a fault says the connection drops without an answer."""


@dataclass
class LoggedRequest:
    system: str
    method: str
    path: str
    query: str
    status: int | None = None
    bytes: int = 0  # of the response body
    modified_since: str | None = None  # the If-Modified-Since header, where sent


@dataclass
class RequestLog:
    """Every request the sandbox saw, and the most that were in flight at once per system."""

    requests: list[LoggedRequest] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    max_in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def methods(self) -> set[str]:
        return {r.method for r in self.requests}

    def for_system(self, system: str) -> list[LoggedRequest]:
        return [r for r in self.requests if r.system == system]


class _RateWindow:
    """Xero's per-organisation minute and day counters, as the sandbox keeps them."""

    def __init__(self) -> None:
        self.minute: deque[float] = deque()
        self.day = 0
        self.app_minute: deque[float] = deque()

    def spend(self, now: float) -> None:
        for window in (self.minute, self.app_minute):
            while window and now - window[0] >= 60:
                window.popleft()
            window.append(now)
        self.day += 1

    def seconds_until_free(self, now: float) -> int:
        return max(1, math.ceil(60 - (now - self.minute[0]))) if self.minute else 1


class Sandbox:
    """A scenario served over HTTP. `app` is the ASGI app; `log` records every request."""

    def __init__(self, scenario: Scenario, *, require_sign_in: bool = False) -> None:
        self.scenario = scenario
        self.identity = Identity()
        # With require_sign_in, Xero and ApprovalMax take only tokens their sign-in issued.
        self.require_sign_in = require_sign_in
        self.timeline = Timeline(scenario)
        self.log = RequestLog()
        self._fault_uses: dict[int, int] = defaultdict(int)
        self._contact_cache: dict[bool, list[tuple[Contact, dict[str, Any]]]] = {}
        self._adapter_cache: dict[tuple[str, ItemKind], list[dict[str, Any]]] = {}
        self._selection_cache: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._rates: dict[str, _RateWindow] = defaultdict(_RateWindow)
        self._approvalmax_items = self.timeline.approvalmax_items()
        self._dext_items = self.timeline.dext_items()
        xero_routes = [
            Route("/connections", self.xero_connections),
            Route("/Connections", self.xero_connections),
            Route(XERO_API + "/{resource}", self.xero_resource),
        ]
        adapter_routes = [
            Route("/v1/state", self.adapter_state),
            Route("/v1/items/{kind}", self.adapter_items),
        ]
        self.starlette = Starlette(
            routes=[
                Route("/", self.index),
                *self.identity.routes(),
                Mount("/xero", routes=xero_routes),
                Mount(
                    "/approvalmax",
                    routes=[
                        Route("/ping", self.approvalmax_ping),
                        Route("/api/v1/companies", self.approvalmax_companies),
                    ],
                ),
                Mount("/adapter/approvalmax", routes=adapter_routes),
                Mount("/adapter/dext", routes=adapter_routes),
            ]
        )

    # -- the ASGI entry: record, inject faults, then route ------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.starlette(scope, receive, send)
            return
        path: str = scope["path"]
        system, rest = _split_system(path)
        entry = LoggedRequest(
            system,
            scope["method"],
            path,
            scope.get("query_string", b"").decode(),
            modified_since=_header(scope, b"if-modified-since"),
        )
        self.log.requests.append(entry)
        self.log.in_flight[system] += 1
        self.log.max_in_flight[system] = max(
            self.log.max_in_flight[system], self.log.in_flight[system]
        )

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            elif message["type"] == "http.response.body":
                entry.bytes += len(message.get("body", b""))
            await send(message)

        try:
            fault = self._take_fault(system, rest)
            if fault is not None:
                await self._play_fault(fault, system, scope, receive, recording_send)
            else:
                await self.starlette(scope, receive, recording_send)
        finally:
            self.log.in_flight[system] -= 1

    def _take_fault(self, system: str, path: str) -> Fault | None:
        for index, fault in enumerate(self.scenario.faults):
            if fault.system != system or not path.startswith(fault.path):
                continue
            if fault.times is not None and self._fault_uses[index] >= fault.times:
                continue
            self._fault_uses[index] += 1
            return fault
        return None

    async def _play_fault(
        self, fault: Fault, system: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.drop:
            raise SandboxConnectionDropped(f"sandbox fault: {system} dropped the connection")
        if fault.status is None and fault.body is None:
            await self.starlette(scope, receive, send)  # only slow
            return
        status = fault.status or 200
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        if status == 429 and system == "xero":
            headers["X-Rate-Limit-Problem"] = fault.rate_limit_problem or "minute"
        if fault.body is not None:
            response: Response = Response(
                fault.body, status_code=status, headers=headers, media_type="application/json"
            )
        else:
            response = JSONResponse(
                _error_body(system, status), status_code=status, headers=headers
            )
        await response(scope, receive, send)

    # -- Xero ----------------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "scenario": self.scenario.organisation.name,
                "xero": base + "/xero",
                "approvalmax": base + "/approvalmax",
                "approvalmax_adapter": base + "/adapter/approvalmax",
                "dext_adapter": base + "/adapter/dext",
            }
        )

    def _token_problem(self, request: Request) -> str | None:
        """Why the bearer token is refused, or None: any token, unless sign-in is required."""
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token:
            return "AuthenticationUnsuccessful"
        if self.require_sign_in and not self.identity.valid(token):
            if self.identity.expired(token):
                return "TokenExpired: token expired"
            return "AuthenticationUnsuccessful"
        return None

    def _xero_auth_problem(self, request: Request, *, tenant: bool) -> Response | None:
        if (problem := self._token_problem(request)) is not None:
            return _xero_problem(401, "Unauthorized", problem)
        if tenant and request.headers.get("xero-tenant-id") != self.scenario.tenant_id:
            return _xero_problem(403, "Forbidden", "AuthenticationUnsuccessful")
        return None

    def _rate_headers(self, tenant: str | None) -> tuple[dict[str, str], Response | None]:
        limits = self.scenario.xero.rate_limits
        window = self._rates[tenant or "(app)"]
        now = time.monotonic()
        window.spend(now)
        minute_left = limits.per_minute - len(window.minute)
        day_left = limits.per_day - window.day
        headers = {
            "X-AppMinLimit-Remaining": str(max(0, APP_MINUTE_LIMIT - len(window.app_minute)))
        }
        if tenant is not None:
            headers["X-MinLimit-Remaining"] = str(max(0, minute_left))
            headers["X-DayLimit-Remaining"] = str(max(0, day_left))
        if limits.enforce and tenant is not None and (minute_left < 0 or day_left < 0):
            problem = "day" if day_left < 0 else "minute"
            retry = window.seconds_until_free(now) if problem == "minute" else 86400
            headers |= {"Retry-After": str(retry), "X-Rate-Limit-Problem": problem}
            return headers, _xero_problem(429, "Too Many Requests", "Rate limit exceeded")
        return headers, None

    async def xero_connections(self, request: Request) -> Response:
        if (problem := self._xero_auth_problem(request, tenant=False)) is not None:
            return problem
        headers, refused = self._rate_headers(None)
        if refused is not None:
            return refused
        return JSONResponse([xero_wire.connection(self.scenario)], headers=headers)

    async def xero_resource(self, request: Request) -> Response:
        if (problem := self._xero_auth_problem(request, tenant=True)) is not None:
            return problem
        headers, refused = self._rate_headers(self.scenario.tenant_id)
        if refused is not None:
            refused.headers.update(headers)
            return refused
        resource = request.path_params["resource"].casefold()
        handler = {
            "organisation": self._organisation,
            "accounts": self._accounts,
            "trackingcategories": self._tracking_categories,
            "contacts": self._contacts,
            "taxrates": self._tax_rates,
        }.get(resource)
        if handler is None:
            response: Response = _xero_problem(404, "Not Found", "The resource was not found")
        else:
            try:
                response = JSONResponse(handler(request))
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
        response.headers.update(headers)
        response.headers["Xero-Correlation-Id"] = stable_id(
            "correlation", str(len(self.log.requests))
        )
        return response

    def _filtered(self, request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        predicate = compile_where(request.query_params.get("where"))
        return _ordered([row for row in rows if predicate(row)], request.query_params.get("order"))

    def _organisation(self, request: Request) -> dict[str, Any]:
        return xero_wire.envelope(
            self.scenario, "Organisations", [xero_wire.organisation(self.scenario)]
        )

    def _accounts(self, request: Request) -> dict[str, Any]:
        since = _modified_since(request)
        rows = [
            xero_wire.account(self.scenario, acc)
            for acc in self.scenario.all_accounts()
            if acc.status != "DELETED" and self._exists(acc.created) and self._changed(acc, since)
        ]
        return xero_wire.envelope(self.scenario, "Accounts", self._filtered(request, rows))

    def _tracking_categories(self, request: Request) -> dict[str, Any]:
        include_archived = _flag(request.query_params.get("includeArchived"))
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

    def _contacts(self, request: Request) -> dict[str, Any]:
        params = request.query_params
        rows = self._matching_contacts(
            _flag(params.get("includeArchived")),
            _flag(params.get("summaryOnly")),
            params.get("IDs", ""),
            (params.get("searchTerm") or "").casefold(),
            params.get("where"),
            params.get("order"),
            _modified_since(request),
        )
        if "page" not in params:
            return xero_wire.envelope(self.scenario, "Contacts", rows)
        page = _positive_int(params.get("page"), "page", 1)
        size = min(_positive_int(params.get("pageSize"), "pageSize", 100), MAX_PAGE_SIZE)
        chunk = rows[(page - 1) * size : page * size]
        pagination = {
            "page": page,
            "pageSize": size,
            "pageCount": max(1, math.ceil(len(rows) / size)),
            "itemCount": len(rows),
        }
        return xero_wire.envelope(self.scenario, "Contacts", chunk, pagination=pagination)

    def _matching_contacts(
        self,
        include_archived: bool,
        summary_only: bool,
        ids: str,
        term: str,
        where: str | None,
        order: str | None,
        since: datetime | None,
    ) -> list[dict[str, Any]]:
        """The contacts a query selects, worked out once per query: a client pages through
        the same selection many times, and the scenario does not change while served."""
        key = (include_archived, summary_only, ids, term, where, order, since)
        if key in self._selection_cache:
            return self._selection_cache[key]
        statuses = ("ACTIVE", "ARCHIVED") if include_archived else ("ACTIVE",)
        wanted_ids = {i.strip().strip('"').lower() for i in ids.split(",") if i.strip()}
        predicate = compile_where(where)
        rows = []
        for person, row in self._contact_rows(summary_only):
            if person.status not in statuses or not self._exists(person.created):
                continue
            if not self._changed(person, since):
                continue
            if wanted_ids and row["ContactID"].lower() not in wanted_ids:
                continue
            if term and not any(
                term in str(row.get(f, "")).casefold()
                for f in ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")
            ):
                continue
            if predicate(row):
                rows.append(row)
        rows = _ordered(rows, order)
        if len(self._selection_cache) > 32:
            self._selection_cache.clear()
        self._selection_cache[key] = rows
        return rows

    def _adapter_rows(self, system: str, kind: ItemKind) -> list[dict[str, Any]]:
        """One kind's list in the adapter's format, made once (it is paged through)."""
        if (system, kind) not in self._adapter_cache:
            held = self._dext_items if system == "dext" else self._approvalmax_items
            self._adapter_cache[system, kind] = [_adapter_item(i) for i in held if i.kind is kind]
        return self._adapter_cache[system, kind]

    def _contact_rows(self, summary_only: bool) -> list[tuple[Contact, dict[str, Any]]]:
        """Each contact in the wire format, made once per shape (the scenario does not change
        while it is served; a big one is paged through many times)."""
        if summary_only not in self._contact_cache:
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

    def _changed(self, obj: Any, since: datetime | None) -> bool:
        """If-Modified-Since: created or changed after the time given (Xero: UpdatedDateUTC)."""
        if since is None:
            return True
        moment = obj.updated or obj.created
        return moment is not None and moment > since

    # -- ApprovalMax public API ------------------------------------------------------------------

    async def approvalmax_ping(self, request: Request) -> Response:
        return PlainTextResponse("pong")

    async def approvalmax_companies(self, request: Request) -> Response:
        if self._token_problem(request) is not None:
            return JSONResponse(_error_body("approvalmax", 401), status_code=401)
        return JSONResponse(
            [{"companyId": self.scenario.company_id, "name": self.timeline.approvalmax_name}]
        )

    # -- the stage adapter ---------------------------------------------------------------------

    def _adapter_system(self, request: Request) -> str:
        return "dext" if request.url.path.startswith("/adapter/dext") else "approvalmax"

    def _adapter_refusal(self, request: Request, system: str) -> Response | None:
        if not request.headers.get("authorization", "").lower().startswith("bearer "):
            return _adapter_error(401, "unauthorized", "a bearer token is required")
        access = self.scenario.dext.access if system == "dext" else self.scenario.approvalmax.access
        if access == "none":
            return _adapter_error(404, "not_offered", f"this sandbox offers no {system} adapter")
        return None

    async def adapter_state(self, request: Request) -> Response:
        system = self._adapter_system(request)
        if (refusal := self._adapter_refusal(request, system)) is not None:
            return refusal
        scenario = self.scenario
        body: dict[str, Any] = {
            "system": system,
            "as_of": scenario.clock.isoformat(),
            "organisation": {"id": scenario.company_id, "name": self.timeline.approvalmax_name},
        }
        if system == "approvalmax":
            body["xero_connection"] = scenario.approvalmax.xero_connection
            body["last_sync"] = {
                sync_type: scenario.approvalmax.sync_time(sync_type, scenario.clock).isoformat()
                for sync_type in ("accounts", "tracking_categories", "contacts", "tax_rates")
            }
        else:
            linked = scenario.dext.linked_organisation or self.timeline.approvalmax_name
            here = linked == self.timeline.approvalmax_name
            body["last_pull"] = scenario.dext_last_pull.isoformat()
            body["integration"] = scenario.dext.integration
            body["linked_organisation"] = (
                None
                if scenario.dext.integration == "none"
                else {
                    "id": scenario.company_id if here else stable_id("company", linked),
                    "name": linked,
                }
            )
        return JSONResponse(body)

    async def adapter_items(self, request: Request) -> Response:
        system = self._adapter_system(request)
        if (refusal := self._adapter_refusal(request, system)) is not None:
            return refusal
        try:
            kind = ItemKind(request.path_params["kind"])
            page = _positive_int(request.query_params.get("page"), "page", 1)
            size = min(
                _positive_int(
                    request.query_params.get("page_size"), "page_size", ADAPTER_PAGE_SIZE
                ),
                MAX_PAGE_SIZE,
            )
        except ValueError as exc:
            return _adapter_error(400, "invalid_request", str(exc))
        rows = self._adapter_rows(system, kind)
        return JSONResponse(
            {
                "kind": kind.value,
                "page": page,
                "page_count": max(1, math.ceil(len(rows) / size)),
                "item_count": len(rows),
                "items": rows[(page - 1) * size : page * size],
            }
        )


def create_app(scenario: Scenario) -> Sandbox:
    return Sandbox(scenario)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _split_system(path: str) -> tuple[str, str]:
    for prefix, system in SYSTEM_PREFIXES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return system, path[len(prefix) :] or "/"
    return "sandbox", path


def _ordered(rows: list[dict[str, Any]], order: str | None) -> list[dict[str, Any]]:
    """Xero's `order`: a field and ASC or DESC."""
    if not order:
        return rows
    field_name, _, direction = order.strip().partition(" ")
    return sorted(
        rows,
        key=lambda row: str(row.get(field_name, "")).casefold(),
        reverse=direction.strip().upper() == "DESC",
    )


def _modified_since(request: Request) -> datetime | None:
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


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _positive_int(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value[:20]!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be 1 or more")
    return number


def _adapter_item(item: Item) -> dict[str, Any]:
    return {
        "xero_id": item.xero_id,
        "code": item.code,
        "name": item.name,
        "status": item.status.value,
        "parent_id": item.parent_id,
        "parent_name": item.parent_name,
        "visible": item.visible,
        "is_supplier": item.is_supplier,
        "synced_at": item.synced_at.isoformat() if item.synced_at else None,
    }


def _xero_problem(status: int, title: str, detail: str) -> JSONResponse:
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


def _adapter_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _error_body(system: str, status: int) -> dict[str, Any]:
    title = _TITLES.get(status, "Error")
    if system == "xero":
        return {"Type": None, "Title": title, "Status": status, "Detail": title, "Extensions": {}}
    if system == "approvalmax":
        return {"type": "/api/errors/sandbox", "title": title, "status": status}
    return {"error": {"code": title.lower().replace(" ", "_"), "message": title}}


__all__ = [
    "ASGIApp",
    "LoggedRequest",
    "RequestLog",
    "Sandbox",
    "SandboxConnectionDropped",
    "create_app",
]
