"""Where an organisation's facts come from, in one type, and reading them.

A `Source` is one organisation: the bundled demo, a scenario file, a sandbox served at a URL, a
bundle made by `collect` (a snapshot), or the real systems as signed in and configured (live).
A folder of scenarios, or every organisation a Xero sign-in reaches, is a list of Sources.
The command line, the TUI's session and a practice's run all take Sources; the functions that
build connections (`sandbox_connections`, `live_connections`) stay where they are and a Source
calls them.

`read(source)` fetches once (or loads the bundle) and gives a `Reading`, which can be diagnosed
again and again without fetching (answers, a focus on one item).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import httpx

from troubleshooter.diagnosis.diagnose import Library, diagnose_snapshots, system_clock
from troubleshooter.errors import ConfigError
from troubleshooter.infra.resources import demo_scenario
from troubleshooter.model import STAGES, Diagnosis, OrganisationRef, Stage, StageSnapshot
from troubleshooter.runs.bundle import Bundle, diagnose_bundle, load_bundle
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import load_scenario
from troubleshooter.signin.live import live_connections, organisation_connections
from troubleshooter.signin.settings import Settings, data_path, load_settings
from troubleshooter.signin.tokens import TokenStore, default_store
from troubleshooter.sources.cache import FetchCache
from troubleshooter.sources.fetch import Connections, Events, Progress, fetch_snapshots
from troubleshooter.sources.http import HttpSettings
from troubleshooter.sources.ratelimit import RateLimiter


class SourceKind(StrEnum):
    DEMO = "demo"
    SCENARIO = "scenario"
    URL = "url"
    SNAPSHOT = "snapshot"
    LIVE = "live"


@dataclass(frozen=True)
class Source:
    """One organisation's facts: systems to connect to (afresh on every read, so an edited
    scenario file counts), or a bundle file."""

    label: str
    kind: SourceKind
    connect: Callable[[], Connections] | None = field(default=None, compare=False, repr=False)
    bundle: Path | None = None
    origin: str = ""  # where it is (a scenario's file, a URL): kept answers are per source

    def __post_init__(self) -> None:
        if (self.connect is None) == (self.bundle is None):
            raise ValueError("a source is either connections or a bundle")

    @property
    def changes(self) -> bool:
        """Whether reading it again can tell something new (a snapshot never changes)."""
        return self.bundle is None

    def connections(self) -> Connections:
        """Fresh connections to the source's systems (a snapshot has none)."""
        if self.connect is None:
            raise ConfigError(f"{self.label}: a snapshot has no systems to connect to")
        return self.connect()


def demo_source(*, check: bool = True, settings: HttpSettings | None = None) -> Source:
    """The bundled demo organisation, served in-process."""
    return replace(
        scenario_source(demo_scenario(), check=check, settings=settings), kind=SourceKind.DEMO
    )


def scenario_source(
    path: Path, *, check: bool = True, settings: HttpSettings | None = None
) -> Source:
    """A scenario file, served in-process and read from the file on every read. With `check`,
    the file is read now (a bad file is an error now, and the label names the organisation);
    without, the label is the file's name and a bad file fails the read."""
    label = path.stem
    if check:
        label = f"{load_scenario(path).organisation.name} · sandbox {path.name}"

    def connect() -> Connections:
        from troubleshooter.sandbox.app import Sandbox  # the server, only where it runs here

        return sandbox_connections(Sandbox(load_scenario(path)), settings=settings)

    return Source(label, SourceKind.SCENARIO, connect=connect, origin=str(path.resolve()))


def scenario_folder(folder: Path, *, check: bool = True) -> list[Source]:
    """Every scenario (`*.yaml`) in a folder, by name, one organisation each."""
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise ConfigError(f"{folder}: no *.yaml scenarios in this folder")
    return [scenario_source(path, check=check) for path in paths]


def url_source(url: str, settings: HttpSettings | None = None, *, cache: bool = True) -> Source:
    """A sandbox served by `troubleshooter sandbox start`, at its base URL. Xero's lists are
    cached (keyed by the URL and the tenant) as for the real systems, unless `cache` is False."""
    kept = FetchCache(data_path() / "cache") if cache else None
    return Source(
        url,
        SourceKind.URL,
        connect=lambda: sandbox_connections(base_url=url, settings=settings, cache=kept),
        origin=url,
    )


def snapshot_source(path: Path) -> Source:
    """A bundle made by `troubleshooter collect`."""
    return Source(
        f"snapshot {path.name}", SourceKind.SNAPSHOT, bundle=path, origin=str(path.resolve())
    )


def _live_settings(
    settings: Settings | None, store: TokenStore | None
) -> tuple[Settings, TokenStore]:
    return settings or load_settings(), store or default_store()


def live_source(
    settings: Settings | None = None,
    store: TokenStore | None = None,
    *,
    cache: FetchCache | None = None,
    use_cache: bool = True,
) -> Source:
    """The real systems, as signed in and configured. Says now, plainly, when nothing is
    connected. Xero's lists are cached per organisation (in the data folder unless `cache` is
    given; not at all with `use_cache` False), so a repeat asks only for what changed."""
    settings, store = _live_settings(settings, store)
    live_connections(settings, store)  # nothing connected: the error now, not at the first read
    kept = (cache or FetchCache(data_path() / "cache")) if use_cache else None
    return Source(
        "live", SourceKind.LIVE, connect=lambda: live_connections(settings, store, cache=kept)
    )


async def live_organisations(
    settings: Settings | None = None,
    store: TokenStore | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Source]:
    """One Source per organisation the Xero sign-in reaches (a practice's run)."""
    settings, store = _live_settings(settings, store)
    found = await organisation_connections(settings, store, transport=transport)
    return [
        Source(label, SourceKind.LIVE, connect=functools.partial(_same, connections))
        for label, connections in found
    ]


def _same(connections: Connections) -> Connections:
    return connections


@dataclass(frozen=True)
class Reading:
    """What one read of a source gave: the three systems' snapshots, or a bundle."""

    source: Source
    snapshots: dict[Stage, StageSnapshot] | None = None
    bundle: Bundle | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def diagnose(
        self,
        library: Library,
        *,
        answers: Mapping[str, str] | None = None,
        focus: str | None = None,
    ) -> Diagnosis:
        if self.bundle is not None:
            assert self.source.bundle is not None
            return diagnose_bundle(
                self.bundle, library, source=self.source.bundle.name, answers=answers, focus=focus
            )
        assert self.snapshots is not None
        return diagnose_snapshots(self.snapshots, library, answers=answers, focus=focus)

    @property
    def organisation(self) -> OrganisationRef | None:
        """The organisation the read was about, where a system (or the bundle) says."""
        if self.bundle is not None:
            return self.bundle.organisation
        assert self.snapshots is not None
        for stage in STAGES:
            if (organisation := self.snapshots[stage].organisation) is not None:
                return organisation
        return None

    def clock(self) -> datetime:
        """The systems' clock, as the diagnosis uses it (relative answers like -2h count
        from it)."""
        if self.bundle is not None:
            return self.bundle.collected_at
        assert self.snapshots is not None
        return system_clock(self.snapshots)


async def read(
    source: Source,
    progress: Progress | None = None,
    *,
    connections: Connections | None = None,
    app_limiter: RateLimiter | None = None,
    focus: str | None = None,
    events: Events | None = None,
) -> Reading:
    """Fetches the source's systems once (or loads its bundle). `connections` may be given
    when the caller opened them first (to know the run's secrets before anything is printed);
    `app_limiter` shares Xero's app-wide minute across the organisations of a practice."""
    if source.bundle is not None:
        return Reading(source, bundle=load_bundle(source.bundle))
    connections = connections or source.connections()
    if app_limiter is not None:
        connections = replace(connections, xero_app_limiter=app_limiter)
    snapshots = await fetch_snapshots(connections, progress, focus=focus, events=events)
    secrets = tuple(dict.fromkeys(connections.secrets()))  # each once
    return Reading(source, snapshots=snapshots, secrets=secrets)


async def diagnose(
    connections: Connections,
    library: Library,
    progress: Progress | None = None,
    *,
    answers: Mapping[str, str] | None = None,
    focus: str | None = None,
) -> Diagnosis:
    """Fetch, then diagnose: the systems behind `connections`, read once."""
    snapshots = await fetch_snapshots(connections, progress)
    return diagnose_snapshots(snapshots, library, answers=answers, focus=focus)


def expand(paths: Sequence[Path], *, check: bool = True) -> list[Source]:
    """Scenario paths as Sources: a file is one organisation, a folder every scenario in it."""
    sources: list[Source] = []
    for path in paths:
        if path.is_dir():
            sources += scenario_folder(path, check=check)
        else:
            sources.append(scenario_source(path, check=check))
    return sources


def select(
    *,
    demo: bool = False,
    scenarios: Sequence[Path] = (),
    urls: Sequence[str] = (),
    snapshots: Sequence[Path] = (),
    check: bool = True,
    live: Callable[[], list[Source]] | None = None,
    cache: bool = True,
) -> list[Source]:
    """The Sources named, in this order: the demo, scenarios (a folder: every scenario in it),
    URLs, snapshots. When none is named, `live()` (the real systems); without it, an error."""
    sources = [demo_source(check=check)] if demo else []
    sources += expand(scenarios, check=check)
    sources += [url_source(url, cache=cache) for url in urls]
    sources += [snapshot_source(path) for path in snapshots]
    if sources:
        return sources
    if live is None:
        raise ConfigError("no organisation named: give the demo, a scenario, a URL or a snapshot")
    return live()
