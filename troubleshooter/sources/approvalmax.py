"""ApprovalMax: its public API (`/ping`, `/api/v1/companies`) and, for the reference lists and
sync times that API does not offer, the stage adapter."""

from __future__ import annotations

import asyncio
from typing import Any

from troubleshooter.errors import SourceError, TroubleshooterError
from troubleshooter.model import OrganisationRef, Provenance, Stage, StageSnapshot
from troubleshooter.sources.adapter import StageAdapterClient
from troubleshooter.sources.http import JsonClient


class ApprovalMaxClient:
    """The documented public API: a health check and the organisations the token may read."""

    def __init__(self, http: JsonClient) -> None:
        self.http = http

    async def ping(self) -> bool:
        await self.http.get("/ping")
        return True

    async def companies(self) -> list[OrganisationRef]:
        body: Any = await self.http.get_json("/api/v1/companies")
        rows = body.get("payload") if isinstance(body, dict) else body
        if not isinstance(rows, list):
            raise SourceError("ApprovalMax", "/api/v1/companies did not answer with a list")
        companies = []
        for row in rows:
            if isinstance(row, dict) and isinstance(row.get("name"), str):
                companies.append(
                    OrganisationRef(id=str(row.get("companyId") or ""), name=row["name"])
                )
        return companies


def match_company(companies: list[OrganisationRef], name: str | None) -> OrganisationRef | None:
    """The ApprovalMax organisation for a Xero organisation: the only one, or the one with the
    same name (case and spacing aside)."""
    if len(companies) == 1:
        return companies[0]
    wanted = " ".join((name or "").split()).casefold()
    for company in companies:
        if " ".join(company.name.split()).casefold() == wanted:
            return company
    return None


async def approvalmax_snapshot(
    public: ApprovalMaxClient | None,
    adapter: StageAdapterClient | None,
    organisation_name: str | None = None,
) -> StageSnapshot:
    """ApprovalMax as far as we can see it. Without an adapter the reference lists stay unknown;
    the public API can still confirm the organisation is connected."""
    if adapter is not None:
        if public is None:
            return await adapter.snapshot()
        snapshot, companies = await asyncio.gather(
            adapter.snapshot(), public.companies(), return_exceptions=True
        )
        if isinstance(snapshot, BaseException):
            raise snapshot
        if isinstance(companies, BaseException):
            if not isinstance(companies, TroubleshooterError):
                raise companies  # a bug must not hide as a failed system
            # The lists stand (they came through the adapter), but the system counts as failed:
            # the sign-in that proves which organisations the user connected did not work.
            snapshot.reached = False
            snapshot.error = (
                f"{companies} (the public API failed; the reference lists shown came through "
                "the adapter)"
            )
            return snapshot
        if isinstance(companies, list) and snapshot.organisation is not None:
            # The public API is the authority on which organisations the user connected.
            company = match_company(companies, snapshot.organisation.name)
            if company is None:
                snapshot.error = (
                    f"the adapter speaks for {snapshot.organisation.name!r}, which is not among "
                    "the organisations ApprovalMax's public API lists for this sign-in"
                )
        return snapshot
    if public is None:
        return StageSnapshot(
            stage=Stage.APPROVALMAX,
            provenance=Provenance.API,
            reached=False,
            configured=False,
            error="not connected: no ApprovalMax access is configured",
        )
    companies = await public.companies()
    company = match_company(companies, organisation_name)
    return StageSnapshot(
        stage=Stage.APPROVALMAX,
        provenance=Provenance.API,
        reached=True,
        organisation=company,
        error=None if company else f"none of the {len(companies)} organisations matches",
    )
