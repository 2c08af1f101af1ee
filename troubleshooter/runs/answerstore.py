"""Answers are kept: what a person answered about an organisation is saved and offered again on
the next run and in the TUI, until they clear it.

Whose answers they are is the organisation *as one source shows it* (`Owner`): a live
organisation by its Xero id (or short code), else by its name, and always with the kind of
source and where it is (a scenario's file, a sandbox's URL). So two scenarios of one name, or
the demo and a live organisation of the same name, never share answers.

A kept answer fills only what no system reports in this run: where a system now reports the
fact (ApprovalMax's adapter gives its last sync, Dext's list is read), the system wins and the
run says the kept answer was set aside. An answer given for this run (`--answer`, an answers
file) still applies over a system, on purpose, and the run says so too.

One small private file per owner under the data folder (`answers/<key>.json`, 0600 in a 0700
folder), written whole through the one writer. Each answer is kept as the person typed it
("13:00") and as what it meant (the moment, in UTC; the option's id), with the zone the time
was read in, so `answers list` can show both.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from troubleshooter.diagnosis.answers import (
    AnswerError,
    Answers,
    as_meant,
    organisation_names,
    reported,
)
from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.infra.clock import host_now
from troubleshooter.infra.jsonfile import write_private_json
from troubleshooter.model import Diagnosis, OrganisationRef, Stage, StageSnapshot
from troubleshooter.runs.source import Reading, Source
from troubleshooter.wording import zone_name, zone_of

MAX_ANSWER = 200_000  # characters: a pasted list is long, a file of megabytes is not an answer


@dataclass(frozen=True)
class Owner:
    """Whose answers: one organisation as one source shows it."""

    organisation: OrganisationRef
    source: str  # the kind of source: "live", "scenario", "demo", "url", …
    origin: str = ""  # where it is: a scenario's file, a sandbox's URL ("" for live)
    shown_as: str = ""  # how the source is named to a person

    @property
    def key(self) -> str:
        """A file-safe key: the kind of source, and a digest of where it is and the
        organisation's id (Xero's, else its short code, else its name)."""
        org = self.organisation
        identity = org.id or org.short_code or org.name.casefold()
        digest = hashlib.sha256(
            "\0".join((self.source, self.origin, identity)).encode("utf-8")
        ).hexdigest()[:20]
        kind = re.sub(r"[^a-z0-9]", "", self.source.casefold())[:16] or "source"
        return f"{kind}-{digest}"


def owner_of(source: Source, organisation: OrganisationRef) -> Owner:
    """The owner of the answers about `organisation` as `source` shows it."""
    return Owner(organisation, source.kind.value, source.origin, source.label)


@dataclass(frozen=True)
class Kept:
    key: str
    organisation: str
    answers: dict[str, str]  # as meant: what a run uses ("2026-11-24T01:00:00+00:00", "hidden")
    typed: dict[str, str]  # as the person wrote them ("13:00", "yes, but hidden")
    saved_at: datetime | None
    source: str = ""  # how the source was named ("Example Trading Ltd · sandbox x.yaml")
    timezone: str | None = None  # the zone times without one were read in


class AnswerStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def load(self, owner: Owner) -> Kept | None:
        return self._read(self._path(owner.key))

    def save(
        self,
        owner: Owner,
        answers: Mapping[str, str],
        typed: Mapping[str, str] | None = None,
        *,
        timezone: str | None = None,
    ) -> None:
        """Keeps `answers` (as meant) for `owner`, replacing what was kept. `typed` says how
        each was written; where it does not, an answer kept before with the same meaning keeps
        the words it was typed in, and any other is taken as typed as it is."""
        path = self._path(owner.key)
        if not answers:
            path.unlink(missing_ok=True)
            return
        before = self._read(path)
        written = dict(typed or {})
        entries: dict[str, object] = {}
        for qid, meant in answers.items():
            words = written.get(qid)
            if words is None and before is not None and before.answers.get(qid) == meant:
                words = before.typed.get(qid)
            words = meant if words is None else words
            meant, words = str(meant)[:MAX_ANSWER], str(words)[:MAX_ANSWER]
            entries[str(qid)] = meant if words == meant else {"typed": words, "meant": meant}
        write_private_json(
            path,
            {
                "organisation": owner.organisation.name,
                "source": owner.shown_as,
                "timezone": timezone,
                "saved_at": host_now().isoformat(),
                "answers": entries,
            },
        )

    def clear_key(self, key: str) -> int:
        path = self._path(key)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return int(existed)

    def all(self) -> list[Kept]:
        if not self.folder.is_dir():
            return []
        found = [self._read(path) for path in sorted(self.folder.glob("*.json"))]
        return [k for k in found if k is not None]

    def clear(self, owner: Owner | None = None) -> int:
        """Forgets one owner's answers, or every one's; says how many were forgotten."""
        if owner is not None:
            return self.clear_key(owner.key)
        kept = list(self.folder.glob("*.json")) if self.folder.is_dir() else []
        for path in kept:
            path.unlink(missing_ok=True)
        return len(kept)

    def _read(self, path: Path) -> Kept | None:
        """A kept file, or None when it is absent or not one of ours (never an error: kept
        answers are a convenience, and a broken file is simply not offered)."""
        try:
            if path.stat().st_size > 4 * MAX_ANSWER:
                return None
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data["answers"]
            if not isinstance(entries, dict):
                return None
            answers: dict[str, str] = {}
            typed: dict[str, str] = {}
            for qid, entry in entries.items():
                if isinstance(entry, dict):
                    answers[str(qid)] = str(entry["meant"])
                    typed[str(qid)] = str(entry["typed"])
                else:
                    answers[str(qid)] = typed[str(qid)] = str(entry)
            saved = data.get("saved_at")
            zone_ = data.get("timezone")
            return Kept(
                key=path.stem,
                organisation=str(data.get("organisation", path.stem)),
                answers=answers,
                typed=typed,
                saved_at=datetime.fromisoformat(saved) if isinstance(saved, str) else None,
                source=str(data.get("source") or ""),
                timezone=zone_ if isinstance(zone_, str) else None,
            )
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None


def default_store() -> AnswerStore:
    """The answers folder under the data folder."""
    from troubleshooter.signin.settings import data_path

    return AnswerStore(data_path() / "answers")


# -- kept answers in a run ----------------------------------------------------------------------


@dataclass
class Offer:
    """The kept answers for one read of one organisation: those the run may use, those set
    aside because a system now reports what they said, and the answers given for this run
    that override what a system reports (each with the sentence that says so)."""

    owner: Owner | None
    kept: Kept | None
    usable: dict[str, str] = field(default_factory=dict)
    set_aside: dict[str, str] = field(default_factory=dict)  # id → sentence
    overriding: dict[str, str] = field(default_factory=dict)  # id → sentence

    @property
    def notes(self) -> list[str]:
        """Every sentence a person should read about the kept and given answers."""
        return [*self.set_aside.values(), *self.overriding.values()]


def _snapshots(reading: Reading) -> dict[Stage, StageSnapshot]:
    if reading.snapshots is not None:
        return reading.snapshots
    if reading.bundle is not None:
        return {s.stage: s for s in reading.bundle.snapshots}
    return {}


def offer(
    reading: Reading,
    library: Library,
    store: AnswerStore | None,
    given: Mapping[str, str] | None = None,
) -> Offer:
    """What is kept for the organisation `reading` is about, sorted into what this run may
    use and what a system now reports instead."""
    organisation = reading.organisation
    owner = owner_of(reading.source, organisation) if organisation is not None else None
    kept = store.load(owner) if store is not None and owner is not None else None
    snapshots = _snapshots(reading)
    specs = library.rules.questions
    result = Offer(owner, kept)
    given = given or {}
    for qid, text in (kept.answers if kept else {}).items():
        if qid in given:
            continue
        system = reported(qid, specs, snapshots)
        if system is None:
            result.usable[qid] = text
        else:
            was = kept.typed.get(qid, text) if kept else text
            result.set_aside[qid] = f"{system} now; your earlier answer ({_short(was)}) is not used"
    for qid, text in given.items():
        system = reported(qid, specs, snapshots)
        if system is not None:
            result.overriding[qid] = (
                f"{system}, but your answer for this run ({_short(text)}) is used instead"
            )
    return result


def _short(text: str) -> str:
    """An answer in a sentence: its first line, cut short."""
    lines = text.strip().splitlines()
    first = lines[0] if lines else ""
    more = " …" if len(lines) > 1 or len(first) > 40 else ""
    return first[:40] + more


def keep(
    store: AnswerStore,
    found: Offer,
    answers: Mapping[str, str],
    reading: Reading,
    library: Library,
    typed: Mapping[str, str] | None = None,
) -> None:
    """Keeps what this run was answered (`answers`, as written) over what was kept before,
    those set aside included (a system that reports a fact today may fail tomorrow): each as
    it was written and as what it meant."""
    if found.owner is None:
        return
    organisation = reading.organisation
    zone_ = zone_of(organisation)
    names = organisation_names(_snapshots(reading))
    meant = as_meant(answers, library.rules.questions, reading.clock(), zone_, names)
    kept = found.kept
    before = kept.answers if kept else {}
    written = typed if typed is not None else answers
    everything = {**before, **meant}
    words: dict[str, str] = {}
    for qid, value in everything.items():
        if qid in written and before.get(qid) != value:
            words[qid] = written[qid]  # new, or changed: as written now
        elif kept is not None and qid in kept.typed:
            words[qid] = kept.typed[qid]  # the same as before: as it was first written
    store.save(found.owner, everything, words, timezone=zone_name(zone_))


@dataclass
class WithKept:
    """A diagnosis made with the kept answers, and what the run should say about them."""

    diagnosis: Diagnosis
    used: int  # kept answers used
    notes: list[str]  # kept answers set aside, given ones that override a system


def diagnose_with_kept(
    reading: Reading,
    library: Library,
    store: AnswerStore,
    given: Mapping[str, str],
    *,
    focus: str | None = None,
) -> WithKept:
    """Diagnoses with the kept answers that no system contradicts under the ones given (a
    given one wins, and says so where it overrides a system), then keeps what was accepted.
    A kept answer the diagnosis refuses now (the question went, the item was renamed) is
    dropped, never an error: the person did not type it today."""
    found = offer(reading, library, store, given)
    usable = dict(found.usable)
    answers = Answers(usable, given)  # keeps where a given answer was written (file and line)
    stale: set[str] = set()
    for _ in range(2):
        try:
            diagnosis = reading.diagnose(library, answers=answers, focus=focus)
            break
        except AnswerError as exc:
            refused = set(exc.sentences)
            if not refused or not refused <= set(usable):
                raise
            stale |= refused
            usable = {k: v for k, v in usable.items() if k not in refused}
            answers = Answers(usable, given)
    else:  # pragma: no cover - the second try has no stale answer left to drop
        diagnosis = reading.diagnose(library, answers=answers, focus=focus)
    if found.kept is not None and stale:
        kept = found.kept
        found.kept = Kept(
            kept.key,
            kept.organisation,
            {k: v for k, v in kept.answers.items() if k not in stale},
            {k: v for k, v in kept.typed.items() if k not in stale},
            kept.saved_at,
            kept.source,
            kept.timezone,
        )
    if given or stale or found.kept is not None:
        keep(store, found, dict(given), reading, library)
    return WithKept(diagnosis, len(usable), found.notes)
