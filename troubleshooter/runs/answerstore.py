"""Answers are kept: what a person answered about an organisation is saved, per organisation,
and offered again on the next run and in the TUI, until they clear it.

One small private file per organisation under the data folder (`answers/<key>.json`, 0600 in a
0700 folder), written whole through the one writer. The key is the organisation's id where a
system gives one (Xero's OrganisationID), else its name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from troubleshooter.diagnosis.answers import AnswerError, Answers
from troubleshooter.infra.clock import host_now
from troubleshooter.infra.jsonfile import write_private_json
from troubleshooter.model import Diagnosis, OrganisationRef

MAX_ANSWER = 200_000  # characters: a pasted list is long, a file of megabytes is not an answer


@dataclass(frozen=True)
class Kept:
    key: str
    organisation: str
    answers: dict[str, str]
    saved_at: datetime | None


def organisation_key(organisation: OrganisationRef) -> str:
    """A file-safe key: the id where there is one, else a digest of the name."""
    if organisation.id:
        safe = re.sub(r"[^A-Za-z0-9-]", "", organisation.id)[:64]
        if safe:
            return safe
    digest = hashlib.sha256(organisation.name.casefold().encode("utf-8")).hexdigest()[:16]
    return f"name-{digest}"


class AnswerStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def load(self, organisation: OrganisationRef) -> dict[str, str]:
        kept = self._read(self._path(organisation_key(organisation)))
        return kept.answers if kept else {}

    def save(self, organisation: OrganisationRef, answers: dict[str, str]) -> None:
        key = organisation_key(organisation)
        if not answers:
            self._path(key).unlink(missing_ok=True)
            return
        write_private_json(
            self._path(key),
            {
                "organisation": organisation.name,
                "saved_at": host_now().isoformat(),
                "answers": {str(k): str(v)[:MAX_ANSWER] for k, v in answers.items()},
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

    def clear(self, organisation: OrganisationRef | None = None) -> int:
        """Forgets one organisation's answers, or every one's; says how many were forgotten."""
        if organisation is not None:
            path = self._path(organisation_key(organisation))
            existed = path.exists()
            path.unlink(missing_ok=True)
            return int(existed)
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
            answers = data["answers"]
            if not isinstance(answers, dict):
                return None
            saved = data.get("saved_at")
            return Kept(
                key=path.stem,
                organisation=str(data.get("organisation", path.stem)),
                answers={str(k): str(v) for k, v in answers.items()},
                saved_at=datetime.fromisoformat(saved) if isinstance(saved, str) else None,
            )
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None


def default_store() -> AnswerStore:
    """The answers folder under the data folder."""
    from troubleshooter.signin.settings import data_path

    return AnswerStore(data_path() / "answers")


def diagnose_with_kept(
    diagnose: Callable[[dict[str, str]], Diagnosis],
    store: AnswerStore,
    organisation: OrganisationRef | None,
    given: Mapping[str, str],
    fixed: Callable[[dict[str, str]], dict[str, str]] = dict,
) -> tuple[Diagnosis, int]:
    """Diagnoses with the answers kept for the organisation under the ones given (a given one
    wins), then keeps what was accepted. A kept answer the diagnosis refuses now (the question
    went, the item was renamed) is dropped, never an error: the person did not type it today.
    `fixed` writes relative times as the moments they mean before they are kept.
    Returns the diagnosis and how many kept answers it used."""
    kept = store.load(organisation) if organisation is not None else {}
    answers = Answers(kept, given)  # keeps where a given answer was written (file and line)
    for _ in range(2):
        try:
            diagnosis = diagnose(answers)
            break
        except AnswerError as exc:
            stale = {qid for qid in exc.sentences if qid in kept and qid not in given}
            if not stale or stale != set(exc.sentences):
                raise
            answers = Answers({k: v for k, v in kept.items() if k not in stale}, given)
            kept = {k: v for k, v in kept.items() if k not in stale}
    else:  # pragma: no cover - the second try has no stale answer left to drop
        diagnosis = diagnose(answers)
    if organisation is not None and answers:
        store.save(organisation, fixed(dict(answers)))  # times kept as the moments they meant
    return diagnosis, len(set(kept) - set(given))
