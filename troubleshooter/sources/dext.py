"""Dext Prepare: there is no public API for its lists or connection state, so everything comes
through the stage adapter (or, later, from what the user pastes and answers)."""

from __future__ import annotations

from troubleshooter.model import Provenance, Stage, StageSnapshot
from troubleshooter.sources.adapter import StageAdapterClient


async def dext_snapshot(adapter: StageAdapterClient | None) -> StageSnapshot:
    if adapter is None:
        return StageSnapshot(
            stage=Stage.DEXT,
            provenance=Provenance.ADAPTER,
            reached=False,
            configured=False,
            error="not connected: Dext has no public API and no stage adapter is configured",
        )
    return await adapter.snapshot()
