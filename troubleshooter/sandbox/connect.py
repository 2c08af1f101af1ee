"""Connections that reach a sandbox in-process (httpx.ASGITransport) or on a base URL."""

from __future__ import annotations

import httpx

from troubleshooter.sandbox.app import Sandbox, SandboxConnectionDropped
from troubleshooter.sources.fetch import Connections, Endpoint
from troubleshooter.sources.http import HttpSettings

SANDBOX_TOKEN = "sandbox-token"  # the sandbox accepts any bearer token
IN_PROCESS_BASE = "http://sandbox.invalid"


class SandboxTransport(httpx.AsyncBaseTransport):
    """ASGITransport, plus a dropped connection turned into the error httpx raises for one."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._inner = httpx.ASGITransport(app=sandbox)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except SandboxConnectionDropped as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None

    async def aclose(self) -> None:
        await self._inner.aclose()


def sandbox_connections(
    sandbox: Sandbox | None = None,
    *,
    base_url: str | None = None,
    settings: HttpSettings | None = None,
    contacts_page_size: int = 100,
    token: str = SANDBOX_TOKEN,
) -> Connections:
    """Connections to a sandbox: in-process when given the app, else over HTTP at `base_url`."""
    if (sandbox is None) == (base_url is None):
        raise ValueError("give either the sandbox app or its base URL")
    transport = SandboxTransport(sandbox) if sandbox is not None else None
    root = (base_url or IN_PROCESS_BASE).rstrip("/")
    scenario = sandbox.scenario if sandbox is not None else None

    def endpoint(prefix: str) -> Endpoint:
        return Endpoint(root + prefix, token, transport)

    offers_am = scenario is None or scenario.approvalmax.access != "none"
    offers_dext = scenario is None or scenario.dext.access != "none"
    limits = scenario.xero.rate_limits if scenario is not None else None
    return Connections(
        xero_per_minute=limits.per_minute if limits is not None and limits.enforce else None,
        xero=endpoint("/xero"),
        approvalmax=endpoint("/approvalmax"),
        approvalmax_adapter=endpoint("/adapter/approvalmax") if offers_am else None,
        dext_adapter=endpoint("/adapter/dext") if offers_dext else None,
        sandbox=True,
        settings=settings or HttpSettings(),
        contacts_page_size=contacts_page_size,
    )
