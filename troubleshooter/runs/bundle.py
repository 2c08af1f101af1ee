"""Bundles: what the tool fetched and the person's answers, redacted, in one file to attach to a
ticket. A support agent diagnoses it again (`diagnose --snapshot FILE`) and sees the same
diagnosis, marked as a snapshot with its age."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from troubleshooter import __version__
from troubleshooter.diagnosis.answers import Answers
from troubleshooter.diagnosis.diagnose import Library, diagnose_snapshots, system_clock
from troubleshooter.errors import ConfigError
from troubleshooter.infra.clock import host_now
from troubleshooter.infra.jsonfile import read_json, time_problem, validate
from troubleshooter.infra.redact import redact
from troubleshooter.infra.safetext import json_visible
from troubleshooter.infra.years import Moment
from troubleshooter.model import (
    STAGES,
    Diagnosis,
    OrganisationRef,
    Provenance,
    SnapshotInfo,
    StageSnapshot,
)
from troubleshooter.sources.fetch import Connections, Progress, fetch_snapshots

BUNDLE_VERSION = 1


class Bundle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bundle_version: int = BUNDLE_VERSION
    tool_version: str = __version__
    collected_at: Moment = Field(description="The systems' own clock when collected.")
    collected_on_host: Moment | None = Field(
        default=None, description="This machine's clock when collected: the bundle's age."
    )
    organisation: OrganisationRef
    snapshots: list[StageSnapshot]
    answers: dict[str, str] = Field(default_factory=dict)
    redaction: str = (
        "Tokens and secrets removed; contact emails and phones removed unless the person "
        "chose to keep them; bank account numbers masked to their last four digits."
    )


async def collect(
    connections: Connections,
    answers: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Bundle:
    snapshots = await fetch_snapshots(connections, progress)
    organisation = next(
        (s.organisation for s in snapshots.values() if s.organisation is not None),
        OrganisationRef(name="(organisation unknown)"),
    )
    return Bundle(
        collected_at=system_clock(snapshots),
        collected_on_host=host_now(),
        organisation=organisation,
        snapshots=[snapshots[stage] for stage in STAGES],
        answers=dict(answers or {}),
    )


def bundle_json(
    bundle: Bundle, *, secrets: Iterable[str] = (), contact_details: bool = False
) -> str:
    """The bundle as it leaves the machine: through the one redaction function."""
    data = redact(bundle.model_dump(mode="json"), secrets=secrets, contact_details=contact_details)
    return json_visible(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


def load_bundle(path: Path) -> Bundle:
    """A bundle written by `collect`, checked whole: its version, its shape, one snapshot per
    system, and every time with its zone and in the years 1970 to 2999. Every problem is a
    ConfigError naming the file."""
    data: Any = read_json(path)
    if not isinstance(data, dict) or "bundle_version" not in data:
        raise ConfigError(f"{path}: not a troubleshooter bundle (made by `troubleshooter collect`)")
    version = data["bundle_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise ConfigError(
            f"{path}: bundle_version is {json.dumps(version)[:40]}, not a number; "
            f"this troubleshooter reads bundles of version {BUNDLE_VERSION}"
        )
    if version != BUNDLE_VERSION:
        raise ConfigError(
            f"{path}: bundle version {version}; this troubleshooter reads version {BUNDLE_VERSION}"
        )
    bundle = validate(Bundle, data, path)
    stages = [s.stage for s in bundle.snapshots]
    twice = sorted({str(stage) for stage in stages if stages.count(stage) > 1})
    if twice:
        raise ConfigError(f"{path}: snapshots: {', '.join(twice)} appears more than once")
    if set(stages) != set(STAGES):
        raise ConfigError(f"{path}: a bundle holds one snapshot for each of the three systems")
    problem = time_problem(bundle) or list_problem(bundle)
    if problem is not None:
        raise ConfigError(f"{path}: {problem}")
    return bundle


def list_problem(bundle: Bundle) -> str | None:
    """Where a list of the bundle's breaks what an adapter's answer must keep (the contract in
    sources/adapter.py), and how; or None. Each item is of its list's kind and is there once:
    one row twice, or two rows with one Xero id, would be one more item, missing everywhere
    else, and a step invented for it."""
    for number, snapshot in enumerate(bundle.snapshots):
        for kind, items in snapshot.items.items():
            where = f"snapshots.{number}.items.{kind.value}"
            rows: set[str] = set()
            ids: set[str] = set()
            for index, item in enumerate(items):
                if item.kind != kind:
                    mixed = f"an item of kind {item.kind.value!r} in the list of {kind.value!r}"
                    return f"{where}.{index}: {mixed}"
                whole = item.model_dump_json()
                if whole in rows:
                    return f"{where}.{index}: the row for {item.name[:80]!r} is there twice"
                rows.add(whole)
                if item.xero_id:
                    key = item.xero_id.lower()
                    if key in ids:
                        return f"{where}.{index}: two rows carry the Xero id {item.xero_id[:80]!r}"
                    ids.add(key)
    return None


def diagnose_bundle(
    bundle: Bundle,
    library: Library,
    *,
    source: str | None = None,
    answers: Mapping[str, str] | None = None,
    focus: str | None = None,
) -> Diagnosis:
    """The diagnosis as of the moment the bundle was collected. Facts read from the systems now
    say `snapshot`; the person's answers stay answers."""
    snapshots = {}
    for snapshot in bundle.snapshots:
        copy = snapshot.model_copy(deep=True)
        if copy.provenance in (Provenance.API, Provenance.ADAPTER, Provenance.SANDBOX):
            copy.provenance = Provenance.SNAPSHOT
        snapshots[copy.stage] = copy
    diagnosis = diagnose_snapshots(
        snapshots,
        library,
        now=bundle.collected_at,
        answers=Answers(bundle.answers, answers or {}),
        focus=focus,
    )
    diagnosis.snapshot = SnapshotInfo(
        collected_at=bundle.collected_at,
        tool_version=bundle.tool_version,
        source=source,
        diagnosed_at=host_now(),
        collected_on_host=bundle.collected_on_host,
    )
    return diagnosis
