"""A practice's run: every organisation (each a Source) diagnosed in one go, several at a time
(Xero's limits are per organisation), summed up one line each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from troubleshooter.diagnosis.diagnose import Library, exit_code_for
from troubleshooter.errors import TroubleshooterError
from troubleshooter.model import SCHEMA_VERSION, Diagnosis
from troubleshooter.runs.source import Source, read
from troubleshooter.sources.ratelimit import app_limiter
from troubleshooter.wording import verdict

ORGANISATIONS_AT_ONCE = 16


class OrganisationSummary(BaseModel):
    name: str
    verdict: str
    items: int = 0
    with_findings: int = 0
    findings: int = 0
    questions: int = 0
    first_action: str | None = Field(default=None, description="The plan's first step.")
    failed_systems: list[str] = Field(default_factory=list)
    exit_code: int
    error: str | None = Field(default=None, description="Why it could not be diagnosed at all.")


class PracticeSummary(BaseModel):
    schema_version: int = SCHEMA_VERSION
    generated_at: datetime
    organisations: list[OrganisationSummary]

    @property
    def exit_code(self) -> int:
        return max((o.exit_code for o in self.organisations), default=0)


def summarise(label: str, diagnosis: Diagnosis) -> OrganisationSummary:
    return OrganisationSummary(
        name=diagnosis.organisation.name or label,
        verdict=verdict(diagnosis),
        items=diagnosis.summary.items,
        with_findings=diagnosis.summary.with_findings,
        findings=diagnosis.summary.findings,
        questions=len(diagnosis.questions),
        first_action=diagnosis.plan[0].title if diagnosis.plan else None,
        failed_systems=[s.stage.label for s in diagnosis.failed_systems],
        exit_code=int(exit_code_for(diagnosis)),
    )


async def diagnose_practice(
    sources: list[Source],
    library: Library,
    *,
    at_once: int = ORGANISATIONS_AT_ONCE,
    done: Callable[[OrganisationSummary], None] | None = None,
) -> PracticeSummary:
    """Diagnoses every organisation, `at_once` at a time; one that cannot be diagnosed at all
    becomes a line that says why, and the run goes on."""
    slots = asyncio.Semaphore(at_once)
    shared = app_limiter()  # Xero counts every organisation's requests against one app minute

    async def one(source: Source) -> OrganisationSummary:
        async with slots:
            try:
                reading = await read(source, app_limiter=shared)
                summary = summarise(source.label, reading.diagnose(library))
            except TroubleshooterError as exc:
                summary = OrganisationSummary(
                    name=source.label,
                    verdict=f"{source.label}: could not be diagnosed",
                    exit_code=int(exc.exit_code),
                    error=str(exc),
                )
        if done is not None:
            done(summary)
        return summary

    summaries = await asyncio.gather(*(one(source) for source in sources))
    return PracticeSummary(generated_at=datetime.now(UTC), organisations=list(summaries))
