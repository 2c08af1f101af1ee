"""A working session over one or more organisations: fetch once, then diagnose again as the
person answers questions or asks about one item, without fetching again. The TUI drives it;
it knows nothing of the TUI."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from troubleshooter.diagnosis.answers import read_answers
from troubleshooter.diagnosis.diagnose import Library, diagnose_snapshots, system_clock
from troubleshooter.errors import ConfigError
from troubleshooter.infra.gcpause import collector_paused
from troubleshooter.model import Diagnosis, Stage, StageSnapshot
from troubleshooter.runs.bundle import Bundle, diagnose_bundle, load_bundle
from troubleshooter.sources.fetch import Connections, Progress, fetch_snapshots


@dataclass(frozen=True)
class Source:
    """Where one organisation's facts come from: live (or sandbox) connections, or a bundle."""

    label: str
    connect: Callable[[], Connections] | None = None
    bundle: Path | None = None

    def __post_init__(self) -> None:
        if (self.connect is None) == (self.bundle is None):
            raise ValueError("a source is either connections or a bundle")


@dataclass
class Session:
    sources: list[Source]
    library: Library
    answers: dict[str, str] = field(default_factory=dict)
    current: int = 0
    snapshots: dict[Stage, StageSnapshot] | None = None
    loaded_bundle: Bundle | None = None
    secrets: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds: "fetch", "diagnose"

    @property
    def source(self) -> Source:
        return self.sources[self.current]

    def switch(self, index: int) -> None:
        if not 0 <= index < len(self.sources):
            raise ConfigError(f"there is no organisation number {index + 1}")
        if index != self.current:
            self.current = index
            self.snapshots = None
            self.loaded_bundle = None
            self.answers = {}

    async def fetch(self, progress: Progress | None = None) -> None:
        """Reads the current source again (a bundle is read from its file)."""
        source = self.source
        if source.bundle is not None:
            self.loaded_bundle = load_bundle(source.bundle)
            self.snapshots = None
            return
        assert source.connect is not None
        connections = source.connect()
        self.secrets = connections.secrets()
        began = time.perf_counter()
        with collector_paused():  # a big organisation is many small objects; see gcpause.py
            self.snapshots = await fetch_snapshots(connections, progress)
        self.timings["fetch"] = time.perf_counter() - began
        self.loaded_bundle = None

    def diagnose(self, focus: str | None = None) -> Diagnosis:
        began = time.perf_counter()
        try:
            return self._diagnose(focus)
        finally:
            self.timings["diagnose"] = time.perf_counter() - began

    def _diagnose(self, focus: str | None) -> Diagnosis:
        if self.loaded_bundle is not None:
            return diagnose_bundle(
                self.loaded_bundle,
                self.library,
                source=self.source.label,
                answers=self.answers,
                focus=focus,
            )
        if self.snapshots is None:
            raise ConfigError("nothing fetched yet")
        return diagnose_snapshots(self.snapshots, self.library, answers=self.answers, focus=focus)

    def take_answers(self, answers: Mapping[str, str]) -> None:
        """Checks answers against their questions and keeps them; a bad one changes nothing.
        The next `diagnose()` uses them."""
        merged = {**self.answers, **answers}
        read_answers(merged, self.library.rules.questions, self._clock())
        self.answers = merged

    def answer(self, answers: Mapping[str, str]) -> Diagnosis:
        """Takes answers and diagnoses again."""
        previous = self.answers
        self.take_answers(answers)
        try:
            return self.diagnose()
        except ConfigError:
            self.answers = previous
            raise

    def _clock(self) -> datetime:
        """The systems' clock, as the diagnosis uses it (relative answers like -2h count
        from it)."""
        if self.loaded_bundle is not None:
            return self.loaded_bundle.collected_at
        if self.snapshots is None:
            raise ConfigError("nothing fetched yet")
        return system_clock(self.snapshots)
