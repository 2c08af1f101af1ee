"""The sandbox's stage adapter for one system (ApprovalMax or Dext): `/v1/state` and
`/v1/items/{kind}`, as troubleshooter/sources/stage_adapter.openapi.yaml defines them, with what
the timeline says the system holds."""

from __future__ import annotations

import math
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from troubleshooter.infra.gcpause import collector_paused
from troubleshooter.model import Item, ItemKind
from troubleshooter.sandbox.pages import RenderedPages
from troubleshooter.sandbox.scenario import Scenario, stable_id
from troubleshooter.sandbox.timeline import Timeline
from troubleshooter.sandbox.xero import MAX_PAGE_SIZE, positive_int

ADAPTER_PAGE_SIZE = 500
AdapterSystem = Literal["approvalmax", "dext"]


class AdapterService:
    def __init__(self, system: AdapterSystem, scenario: Scenario, timeline: Timeline) -> None:
        self.system = system
        self.scenario = scenario
        self.timeline = timeline
        self._held = timeline.dext_items() if system == "dext" else timeline.approvalmax_items()
        self._rows: dict[ItemKind, list[dict[str, Any]]] = {}
        self._pages = RenderedPages()

    def routes(self) -> list[Route]:
        return [Route("/v1/state", self.state), Route("/v1/items/{kind}", self.items)]

    def _refusal(self, request: Request) -> Response | None:
        if not request.headers.get("authorization", "").lower().startswith("bearer "):
            return adapter_error(401, "unauthorized", "a bearer token is required")
        access = (
            self.scenario.dext.access if self.system == "dext" else self.scenario.approvalmax.access
        )
        if access == "none":
            offered = f"this sandbox offers no {self.system} adapter"
            return adapter_error(404, "not_offered", offered)
        return None

    def _kind_rows(self, kind: ItemKind) -> list[dict[str, Any]]:
        """One kind's list in the adapter's format, made once (it is paged through)."""
        if kind not in self._rows:
            with collector_paused():  # thousands of rows at once (infra/gcpause.py)
                self._rows[kind] = [adapter_item(i) for i in self._held if i.kind is kind]
        return self._rows[kind]

    async def state(self, request: Request) -> Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        scenario = self.scenario
        name = self.timeline.approvalmax_name
        body: dict[str, Any] = {
            "system": self.system,
            "as_of": scenario.clock.isoformat(),
            "organisation": {"id": scenario.company_id, "name": name},
        }
        if self.system == "approvalmax":
            body["xero_connection"] = scenario.approvalmax.xero_connection
            body["last_sync"] = {
                sync_type: scenario.approvalmax.sync_time(sync_type, scenario.clock).isoformat()
                for sync_type in ("accounts", "tracking_categories", "contacts", "tax_rates")
            }
        else:
            linked = scenario.dext.linked_organisation or name
            here = linked == name
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

    async def items(self, request: Request) -> Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        params = request.query_params
        try:
            kind = ItemKind(request.path_params["kind"])
            page = positive_int(params.get("page"), "page", 1)
            size = min(
                positive_int(params.get("page_size"), "page_size", ADAPTER_PAGE_SIZE),
                MAX_PAGE_SIZE,
            )
        except ValueError as exc:
            return adapter_error(400, "invalid_request", str(exc))
        rows = self._kind_rows(kind)
        return self._pages.response(
            (kind, page, size),
            lambda: {
                "kind": kind.value,
                "page": page,
                "page_count": max(1, math.ceil(len(rows) / size)),
                "item_count": len(rows),
                "items": rows[(page - 1) * size : page * size],
            },
        )


def adapter_item(item: Item) -> dict[str, Any]:
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


def adapter_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
