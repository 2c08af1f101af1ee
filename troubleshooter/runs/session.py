"""A working session over one or more organisations: fetch once, then diagnose again as the
person answers questions or asks about one item, without fetching again. The TUI drives it;
it knows nothing of the TUI."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from troubleshooter.diagnosis.answers import fixed_in_time, read_answers
from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.errors import ConfigError
from troubleshooter.model import Diagnosis
from troubleshooter.runs.source import Reading, Source, read
from troubleshooter.sources.fetch import Events, Progress
from troubleshooter.wording import zone_of


@dataclass
class Session:
    sources: list[Source]
    library: Library
    answers: dict[str, str] = field(default_factory=dict)
    current: int = 0
    reading: Reading | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds: "fetch", "diagnose"

    @property
    def source(self) -> Source:
        return self.sources[self.current]

    @property
    def ready(self) -> bool:
        return self.reading is not None

    @property
    def secrets(self) -> list[str]:
        """The tokens the last read used: exports cut them out."""
        return list(self.reading.secrets) if self.reading is not None else []

    def switch(self, index: int) -> None:
        if not 0 <= index < len(self.sources):
            raise ConfigError(f"there is no organisation number {index + 1}")
        if index != self.current:
            self.current = index
            self.reading = None
            self.answers = {}

    async def fetch(self, progress: Progress | None = None, events: Events | None = None) -> None:
        """Reads the current source again (a bundle is read from its file); `events` follows
        the read as it goes (pages read of pages known, the minute limit's waits)."""
        began = time.perf_counter()
        self.reading = await read(self.source, progress, events=events)
        self.timings["fetch"] = time.perf_counter() - began

    def diagnose(self, focus: str | None = None) -> Diagnosis:
        began = time.perf_counter()
        try:
            return self._diagnose(focus)
        finally:
            self.timings["diagnose"] = time.perf_counter() - began

    def _diagnose(self, focus: str | None) -> Diagnosis:
        return self._reading().diagnose(self.library, answers=self.answers, focus=focus)

    def _reading(self) -> Reading:
        if self.reading is None:
            raise ConfigError("nothing fetched yet")
        return self.reading

    def take_answers(self, answers: Mapping[str, str]) -> None:
        """Checks answers against their questions and keeps them; a bad one changes nothing.
        The next `diagnose()` uses them."""
        merged = {**self.answers, **answers}
        specs, now, zone = self.library.rules.questions, self._clock(), self._zone()
        read_answers(merged, specs, now, zone)
        # "2 hours ago" means a moment: kept as that moment, not re-read against a later clock.
        self.answers = fixed_in_time(merged, specs, now, zone)

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
        return self._reading().clock()

    def _zone(self) -> tzinfo | None:
        """The organisation's time zone: a time of day in an answer is read in it."""
        return zone_of(self._reading().organisation)
