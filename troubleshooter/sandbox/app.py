"""The sandbox: one ASGI app that serves the three systems of a scenario.

Each system lives under its own prefix, so a client configured with a base URL talks to it the
same way it talks to the real service, and each is a module of its own, as in sources/:

- `/xero` (xero.py): Xero's `/connections` and `/api.xro/2.0/…` in Xero's wire format;
- `/approvalmax` (approvalmax.py): ApprovalMax's public `/ping` and `/api/v1/companies`;
- `/adapter/approvalmax` and `/adapter/dext` (adapter.py): the stage adapter contract
  (troubleshooter/sources/stage_adapter.openapi.yaml);
- `/identity` (identity.py): sign-in services shaped like Xero's and ApprovalMax's.

Every request is recorded and may meet one of the scenario's faults (faults.py) before it
reaches its system.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from troubleshooter.infra.gcpause import collector_paused
from troubleshooter.infra.hosts import host_header_name, is_loopback
from troubleshooter.sandbox.adapter import AdapterService
from troubleshooter.sandbox.approvalmax import ApprovalMaxService
from troubleshooter.sandbox.bearer import BearerCheck
from troubleshooter.sandbox.faults import (
    FaultPlayer,
    LoggedRequest,
    RateCounters,
    RequestLog,
    SandboxConnectionDropped,
    split_system,
)
from troubleshooter.sandbox.identity import Identity
from troubleshooter.sandbox.scenario import Scenario
from troubleshooter.sandbox.timeline import Timeline
from troubleshooter.sandbox.xero import XeroService


class Sandbox:
    """A scenario served over HTTP. The object is the ASGI app; `log` records every request.

    `clock` is what Xero's rate-limit counters run on (a test can move it instead of waiting).
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        require_sign_in: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scenario = scenario
        self.identity = Identity()
        with collector_paused():  # a large scenario's items, made at once (infra/gcpause.py)
            self.timeline = Timeline(scenario)
            self.adapters = {
                "approvalmax": AdapterService("approvalmax", scenario, self.timeline),
                "dext": AdapterService("dext", scenario, self.timeline),
            }
        self.log = RequestLog()
        self.faults = FaultPlayer(scenario.faults)
        self.rates = RateCounters(scenario.xero.rate_limits, clock)
        # With require_sign_in, Xero and ApprovalMax take only tokens their sign-in issued.
        self.bearer = BearerCheck(self.identity, require_sign_in)
        self.xero = XeroService(scenario, self.bearer, self.rates, self.log)
        self.approvalmax = ApprovalMaxService(scenario, self.timeline, self.bearer)
        self.starlette = Starlette(
            routes=[
                Route("/", self.index),
                *self.identity.routes(),
                Mount("/xero", routes=self.xero.routes()),
                Mount("/approvalmax", routes=self.approvalmax.routes()),
                Mount("/adapter/approvalmax", routes=self.adapters["approvalmax"].routes()),
                Mount("/adapter/dext", routes=self.adapters["dext"].routes()),
            ]
        )

    @property
    def require_sign_in(self) -> bool:
        return self.bearer.required

    @require_sign_in.setter
    def require_sign_in(self, value: bool) -> None:
        self.bearer.required = value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Records the request, plays a fault where one applies, else routes it."""
        if scope["type"] != "http":
            await self.starlette(scope, receive, send)
            return
        entry = self.log.start(scope)
        system, rest = split_system(scope["path"])
        try:
            recording = RequestLog.recording(entry, send)
            fault = self.faults.take(system, rest)
            if fault is not None:
                await self.faults.play(fault, system, scope, receive, recording, self.starlette)
            else:
                await self.starlette(scope, receive, recording)
        finally:
            self.log.finish(entry)

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


class LoopbackOnly:
    """`app`, answering only requests addressed to this computer's own names (`Host:
    127.0.0.1:8765`, `localhost`): `sandbox start` on loopback is wrapped in it, so that a page
    whose own name points at 127.0.0.1 (DNS rebinding) cannot read the scenario through the
    browser. Anything else gets 403 and nothing of the scenario."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self._allowed(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            refused = Response(
                "This sandbox answers only to this computer's names (127.0.0.1, localhost).\n",
                status_code=403,
                media_type="text/plain",
            )
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _allowed(scope: Scope) -> bool:
        hosts = [v for k, v in scope.get("headers", ()) if k.lower() == b"host"]
        if len(hosts) != 1:
            return False
        name = host_header_name(hosts[0].decode("latin-1"))
        return is_loopback(name)


def create_app(scenario: Scenario) -> Sandbox:
    return Sandbox(scenario)


__all__ = [
    "ASGIApp",
    "LoggedRequest",
    "LoopbackOnly",
    "RequestLog",
    "Sandbox",
    "SandboxConnectionDropped",
    "create_app",
]
