"""Fetches the three systems concurrently; each becomes one StageSnapshot, failed or not."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from troubleshooter.errors import TroubleshooterError
from troubleshooter.model import Provenance, Stage, StageSnapshot
from troubleshooter.sources.adapter import StageAdapterClient
from troubleshooter.sources.approvalmax import ApprovalMaxClient, approvalmax_snapshot
from troubleshooter.sources.auth import Auth, StaticAuth
from troubleshooter.sources.cache import FetchCache
from troubleshooter.sources.dext import dext_snapshot
from troubleshooter.sources.http import HttpSettings, JsonClient
from troubleshooter.sources.ratelimit import RateLimiter
from troubleshooter.sources.xero import XeroClient

Progress = Callable[[Stage, str], None]


@dataclass(frozen=True)
class Endpoint:
    """Where one system answers, and how to authenticate (never printed)."""

    base_url: str
    token: str | None = field(default=None, repr=False)
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False, compare=False)
    auth: Auth | None = field(default=None, repr=False, compare=False)
    sign_in_hint: str | None = None

    def credentials(self) -> Auth:
        if self.auth is not None:
            return self.auth
        if self.token is None:
            raise ValueError("an endpoint needs a token or an auth")
        return StaticAuth(self.token)

    def client(
        self, system: str, settings: HttpSettings, limiter: RateLimiter | None = None
    ) -> JsonClient:
        return JsonClient(
            system,
            self.base_url,
            auth=self.credentials(),
            transport=self.transport,
            settings=settings,
            limiter=limiter,
            sign_in_hint=self.sign_in_hint,
        )


@dataclass(frozen=True)
class Connections:
    """Everything needed to reach the three systems of one organisation."""

    xero: Endpoint | None = None
    xero_tenant_id: str | None = None
    approvalmax: Endpoint | None = None
    approvalmax_adapter: Endpoint | None = None
    dext_adapter: Endpoint | None = None
    sandbox: bool = False
    settings: HttpSettings = field(default_factory=HttpSettings)
    contacts_page_size: int = 100
    xero_per_minute: int | None = None  # Xero's 60 a minute per organisation, when live
    approvalmax_organisation: str | None = None  # which of the token's organisations is ours
    cache: FetchCache | None = field(default=None, compare=False)  # Xero's lists, incremental
    xero_app_limiter: RateLimiter | None = field(default=None, compare=False)  # across orgs

    def secrets(self) -> list[str]:
        """The tokens this run uses: redaction cuts them out of anything that leaves."""
        endpoints = (self.xero, self.approvalmax, self.approvalmax_adapter, self.dext_adapter)
        return [s for e in endpoints if e is not None for s in e.credentials().secrets()]


def _failed(stage: Stage, provenance: Provenance, exc: BaseException) -> StageSnapshot:
    if isinstance(exc, TroubleshooterError):
        reason = str(exc)
    else:  # a bug or an unforeseen answer: say so, and let the run finish
        reason = f"{stage.label}: unexpected error ({exc.__class__.__name__}: {exc})"
    return StageSnapshot(stage=stage, provenance=provenance, reached=False, error=reason)


async def _guarded(
    stage: Stage,
    provenance: Provenance,
    work: Callable[[], Awaitable[StageSnapshot]],
    progress: Progress | None,
) -> StageSnapshot:
    if progress:
        progress(stage, "fetching")
    try:
        snapshot = await work()
    except Exception as exc:
        snapshot = _failed(stage, provenance, exc)
    if progress:
        progress(stage, "failed: " + (snapshot.error or "") if snapshot.failed else "done")
    return snapshot


async def fetch_snapshots(
    connections: Connections, progress: Progress | None = None
) -> dict[Stage, StageSnapshot]:
    settings = connections.settings
    api = Provenance.SANDBOX if connections.sandbox else Provenance.API
    adapter = Provenance.SANDBOX if connections.sandbox else Provenance.ADAPTER

    async def xero() -> StageSnapshot:
        if connections.xero is None:
            return StageSnapshot(
                stage=Stage.XERO,
                provenance=api,
                reached=False,
                configured=False,
                error="not connected: no Xero access is configured",
            )
        limiter = RateLimiter(
            "Xero",
            per_minute=connections.xero_per_minute,
            in_flight=settings.max_in_flight,
            parent=connections.xero_app_limiter,
        )
        async with connections.xero.client("Xero", settings, limiter) as http:
            client = XeroClient(
                http,
                connections.xero_tenant_id,
                provenance=api,
                contacts_page_size=connections.contacts_page_size,
                cache=connections.cache,
            )
            return await client.snapshot()

    async def approvalmax() -> StageSnapshot:
        public = adapter_http = None
        try:
            if connections.approvalmax:
                public = connections.approvalmax.client("ApprovalMax", settings)
            if connections.approvalmax_adapter:
                adapter_http = connections.approvalmax_adapter.client(
                    "ApprovalMax adapter", settings
                )
            return await approvalmax_snapshot(
                ApprovalMaxClient(public) if public else None,
                StageAdapterClient(Stage.APPROVALMAX, adapter_http, provenance=adapter)
                if adapter_http
                else None,
                connections.approvalmax_organisation,
            )
        finally:
            for http in (public, adapter_http):
                if http is not None:
                    await http.aclose()

    async def dext() -> StageSnapshot:
        if connections.dext_adapter is None:
            return await dext_snapshot(None)
        async with connections.dext_adapter.client("Dext adapter", settings) as http:
            return await dext_snapshot(StageAdapterClient(Stage.DEXT, http, provenance=adapter))

    results = await asyncio.gather(
        _guarded(Stage.XERO, api, xero, progress),
        _guarded(Stage.APPROVALMAX, adapter, approvalmax, progress),
        _guarded(Stage.DEXT, adapter, dext, progress),
    )
    return {snapshot.stage: snapshot for snapshot in results}
