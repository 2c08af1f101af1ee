"""A working session over one or more organisations: fetch once, then diagnose again as the
person answers questions or asks about one item, without fetching again. The TUI drives it;
it knows nothing of the TUI."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from troubleshooter.diagnosis.answers import as_meant, organisation_names, read_answers
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
    answers: dict[str, str] = field(default_factory=dict)  # as meant (a time as its moment)
    typed: dict[str, str] = field(default_factory=dict)  # as the person wrote them
    current: int = 0
    reading: Reading | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds: "fetch", "diagnose"
    # Each read's number, and the newest's: a read that another began after (a check again, or
    # another organisation's) is let go when it ends, rather than taken as this one's.
    _numbers: Iterator[int] = field(default_factory=itertools.count, repr=False)
    _newest: int = field(default=-1, repr=False)

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
            self._newest = next(self._numbers)  # a read still going was the other one's
            self.reading = None
            self.answers = {}
            self.typed = {}

    async def fetch(self, progress: Progress | None = None, events: Events | None = None) -> None:
        """Reads the current source again (a bundle is read from its file); `events` follows
        the read as it goes (pages read of pages known, the minute limit's waits)."""
        began = time.perf_counter()
        self._newest = number = next(self._numbers)
        reading = await read(self.source, progress, events=events)
        if number == self._newest:  # else a newer read began meanwhile: it says, not this one
            self.reading = reading
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
        names = self._names()
        read_answers(merged, specs, now, zone, names)
        # "2 hours ago" means a moment: kept as that moment, not re-read against a later clock.
        self.answers = as_meant(merged, specs, now, zone, names)
        self.typed = {**self.typed, **answers}

    def answer(self, answers: Mapping[str, str]) -> Diagnosis:
        """Takes answers and diagnoses again."""
        previous, typed = self.answers, self.typed
        self.take_answers(answers)
        try:
            return self.diagnose()
        except ConfigError:
            self.answers, self.typed = previous, typed
            raise

    def _clock(self) -> datetime:
        """The systems' clock, as the diagnosis uses it (relative answers like -2h count
        from it)."""
        return self._reading().clock()

    def _names(self) -> list[str]:
        """The names the systems give the organisation (a choice's text may name it)."""
        reading = self._reading()
        if reading.snapshots is not None:
            return organisation_names(reading.snapshots)
        organisation = reading.organisation
        return [organisation.name] if organisation is not None else []

    def _zone(self) -> tzinfo | None:
        """The organisation's time zone: a time of day in an answer is read in it."""
        return zone_of(self._reading().organisation)
