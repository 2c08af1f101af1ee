"""Answers to the questions, applied to what the tool knows (provenance `answer` or `pasted`).

Answers come as `id → text`: from `--answer ID=VALUE` (VALUE `@FILE` reads a file, for a pasted
list), from an answers file (YAML mapping), or from the TUI. Each is checked against its question
(yes/no, one of the choices, a time, a list) before anything changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from troubleshooter.diagnosis.paste import match_pasted, parse_pasted
from troubleshooter.diagnosis.questions import QuestionSpec, spec_for
from troubleshooter.errors import ConfigError
from troubleshooter.infra.durations import parse_offset
from troubleshooter.infra.files import read_text
from troubleshooter.infra.yamlfile import load_yaml, yaml_error_text
from troubleshooter.model import (
    ItemKind,
    ItemTrace,
    Mark,
    Provenance,
    Stage,
    StageDetail,
    StageSnapshot,
)

_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


class Answers(dict[str, str]):
    """Answers (`id → text`) that remember where each was written (`origin`: id → "FILE:LINE"),
    so that a refused answer names its file and line."""

    def __init__(self, *parts: Mapping[str, str]) -> None:
        super().__init__()
        self.origin: dict[str, str] = {}
        for part in parts:
            self.update(part)
            known = getattr(part, "origin", {})
            for qid in part:
                if qid in known:
                    self.origin[qid] = known[qid]
                else:
                    self.origin.pop(qid, None)

    def __or__(self, other: Mapping[str, str]) -> Answers:  # type: ignore[override]
        """`file_answers | command_line_answers` keeps where each came from."""
        return Answers(self, other)


@dataclass
class Answer:
    id: str
    spec: QuestionSpec
    parts: dict[str, str]
    value: Any


@dataclass
class AnswerSet:
    answers: list[Answer] = field(default_factory=list)

    @property
    def ids(self) -> set[str]:
        return {a.id for a in self.answers}


def parse_answer_args(args: Iterable[str]) -> dict[str, str]:
    """`ID=VALUE` pairs from the command line; `ID=@FILE` reads the value from a file."""
    raw: dict[str, str] = {}
    for arg in args:
        qid, sep, value = arg.partition("=")
        if not sep or not qid.strip():
            raise ConfigError(f"--answer {arg!r}: write it as ID=VALUE")
        if value.startswith("@"):
            path = Path(value[1:])
            try:
                value = read_text(path)  # bounded; a byte that is not UTF-8 is named by line
            except OSError as exc:
                raise ConfigError(
                    f"--answer {qid}: cannot read {path} ({exc.strerror or exc})"
                ) from None
        raw[qid.strip()] = value
    return raw


def load_answers_file(path: Path) -> Answers:
    """An answers file: a YAML mapping of question id to answer. Every problem names the file
    and line; a refused answer later names them too (`Answers.origin`)."""
    try:
        data = load_yaml(read_text(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {yaml_error_text(exc)}") from None
    answers = Answers()
    if data is None:
        return answers
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: an answers file is a mapping of question id to answer")
    lines = getattr(data, "key_lines", {})
    for key, value in data.items():
        where = f"{path}:{lines.get(str(key), 1)}"
        if isinstance(value, dict | list):
            raise ConfigError(
                f"{where}: {key}: an answer is one value (a pasted list is text: use `|`)"
            )
        answers[str(key)] = value if isinstance(value, str) else str(value)
        answers.origin[str(key)] = where
    return answers


def _parse_time(text: str, now: datetime) -> datetime:
    text = text.strip()
    if (delta := parse_offset(text)) is not None:
        return now + delta
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            "write a time with its zone, e.g. 2026-11-25T09:30+13:00, or how long ago, e.g. -2h"
        ) from None
    if moment.tzinfo is None:
        raise ValueError("add the time zone, e.g. 2026-11-25T09:30+13:00 (or Z for UTC)")
    if not 1970 <= moment.year <= 2999:  # and no date arithmetic near datetime's limits
        raise ValueError(f"{text!r} is not a time this tool can use (years 1970 to 2999)")
    return moment.astimezone(UTC)


def _parse_value(spec: QuestionSpec, text: str, now: datetime) -> Any:
    cleaned = text.strip()
    if spec.type == "yes_no":
        if cleaned.casefold() in _YES:
            return True
        if cleaned.casefold() in _NO:
            return False
        raise ValueError("answer yes or no")
    if spec.type == "choice":
        for choice in spec.choices:
            if cleaned.casefold() == choice.casefold():
                return choice
        raise ValueError(f"answer one of: {', '.join(spec.choices)}")
    if spec.type == "datetime":
        return _parse_time(cleaned, now)
    return text  # a pasted list, parsed against Xero's items when applied


def read_answers(raw: Mapping[str, str], specs: list[QuestionSpec], now: datetime) -> AnswerSet:
    """Checks every answer against its question; every problem is reported at once."""
    answers = AnswerSet()
    problems = []
    origin: Mapping[str, str] = getattr(raw, "origin", {})
    for qid, text in raw.items():
        where = f"{origin[qid]}: " if qid in origin else ""
        try:
            spec, parts = spec_for(specs, qid)
        except KeyError:
            problems.append(f"{where}{qid}: no such question (the diagnosis lists the open ones)")
            continue
        try:
            answers.answers.append(Answer(qid, spec, parts, _parse_value(spec, text, now)))
        except ValueError as exc:
            problems.append(f"{where}{qid}: {exc}")
    if problems:
        raise ConfigError("answers: " + "; ".join(problems))
    return answers


def _stage_of(fact: str) -> Stage:
    return Stage(fact.split(".")[0])


def apply_to_snapshots(answers: AnswerSet, snapshots: dict[Stage, StageSnapshot]) -> None:
    """Facts about the systems and pasted lists; per-item answers wait for the traces."""
    xero_items = [i for items in snapshots[Stage.XERO].items.values() for i in items]
    for answer in answers.answers:
        fact = answer.spec.sets
        if answer.spec.per == "item":
            continue
        snapshot = snapshots[_stage_of(fact)]
        provenance = Provenance.ANSWER
        if fact == "approvalmax.xero_connection":
            snapshot.xero_connection = answer.value
        elif fact == "approvalmax.last_sync":
            snapshot.last_sync[answer.parts["sync_type"]] = answer.value
        elif fact == "dext.integration":
            snapshot.integration = answer.value
        elif fact == "dext.linked_elsewhere":
            snapshot.linked_here = answer.value
        elif fact == "dext.last_pull":
            snapshot.last_pull = answer.value
        elif fact in ("approvalmax", "dext"):
            kind = ItemKind(answer.parts["kind"])
            pasted = parse_pasted(answer.value, kind)
            snapshot.items[kind] = match_pasted(pasted, xero_items, kind)
            snapshot.kind_errors.pop(kind, None)
            provenance = Provenance.PASTED
        else:  # pragma: no cover - loading refuses questions that set anything else
            raise ConfigError(f"{answer.id}: answers cannot set {fact}")
        snapshot.answered[answer.id] = provenance


def apply_to_traces(answers: AnswerSet, traces: list[ItemTrace]) -> None:
    """ "Can you find it in ApprovalMax?" answers, one item at a time."""
    by_key = {t.key: t for t in traces}
    for answer in answers.answers:
        if answer.spec.per != "item":
            continue
        trace = by_key.get(answer.parts["item"])
        if trace is None:
            raise ConfigError(f"{answer.id}: no item has the key {answer.parts['item']!r}")
        stage = _stage_of(answer.spec.sets)
        trace.stages[stage] = Mark.PRESENT if answer.value else Mark.MISSING
        if answer.value:
            trace.detail[stage] = StageDetail(name=trace.name, provenance=Provenance.ANSWER)
        else:
            trace.detail.pop(stage, None)
