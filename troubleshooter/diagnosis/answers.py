"""Answers to the questions, applied to what the tool knows (provenance `answer` or `pasted`).

Answers come as `id → text`: from `--answer ID=VALUE` (VALUE `@FILE` reads a file, for a pasted
list), from an answers file (YAML mapping), or from the TUI. Each is checked against its question
(yes/no, one of the choices, a time, a list) before anything changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import yaml

from troubleshooter.diagnosis.paste import match_pasted, parse_pasted
from troubleshooter.diagnosis.questions import QuestionSpec, item_handle, spec_for
from troubleshooter.errors import ConfigError
from troubleshooter.infra.files import read_text
from troubleshooter.infra.timeparse import TimeError, parse_moment
from troubleshooter.infra.yamlfile import load_yaml, yaml_error_text
from troubleshooter.model import (
    SYNC_TYPES,
    ItemKind,
    ItemTrace,
    Mark,
    Provenance,
    Stage,
    StageDetail,
    StageSnapshot,
)


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


_YES = {"yes", "y", "yeah", "yep", "true", "1", "there", "found", "found it", "it is there"}
_NO = {"no", "n", "nope", "false", "0", "not there", "missing", "can't find it", "cannot find it"}


class AnswerError(ConfigError):
    """Answers refused. `sentences` holds, per question id, the one plain sentence that says
    what would be accepted (no internal ids), for a screen that shows it under the question."""

    def __init__(self, message: str, sentences: dict[str, str]) -> None:
        super().__init__(message)
        self.sentences = sentences


def _words(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split())


def parse_yes_no(text: str) -> bool:
    cleaned = _words(text).rstrip(".!")
    if cleaned in _YES:
        return True
    if cleaned in _NO:
        return False
    raise ValueError("Answer yes or no.")


def _choice(spec: QuestionSpec, text: str) -> str:
    wanted = _words(text).rstrip(".!")
    for option in spec.options:
        says = {_words(option.value), _words(option.says), *(_words(w) for w in option.words)}
        if wanted in says:
            return option.value
    for choice in spec.choices:
        if wanted == _words(choice):
            return choice
    listed = [o.says for o in spec.options] or spec.choices
    raise ValueError(f"Answer one of: {'; '.join(listed)}.")


def _parse_value(spec: QuestionSpec, text: str, now: datetime, zone: tzinfo | None) -> Any:
    if spec.type == "yes_no":
        return parse_yes_no(text)
    if spec.type == "choice":
        return _choice(spec, text)
    if spec.type == "datetime":
        try:
            return parse_moment(text, now, zone or UTC)
        except TimeError as exc:
            sentence = str(exc)
            raise ValueError(sentence[:1].upper() + sentence[1:].rstrip(".") + ".") from None
    return text  # a pasted list, parsed against Xero's items when applied


def read_answers(
    raw: Mapping[str, str],
    specs: list[QuestionSpec],
    now: datetime,
    zone: tzinfo | None = None,
) -> AnswerSet:
    """Checks every answer against its question; every problem is reported at once. Times
    without a zone are the organisation's (`zone`); "2 hours ago" counts from `now`, the
    systems' clock."""
    answers = AnswerSet()
    problems = []
    sentences: dict[str, str] = {}
    origin: Mapping[str, str] = getattr(raw, "origin", {})
    for qid, text in raw.items():
        where = f"{origin[qid]}: " if qid in origin else ""
        try:
            spec, parts = spec_for(specs, qid)
        except KeyError:
            problems.append(f"{where}{qid}: no such question (the diagnosis lists the open ones)")
            sentences[qid] = "There is no such question."
            continue
        try:
            answers.answers.append(Answer(qid, spec, parts, _parse_value(spec, text, now, zone)))
        except ValueError as exc:
            problems.append(f"{where}{qid}: {exc}")
            sentences[qid] = str(exc)
    if problems:
        raise AnswerError("answers: " + "; ".join(problems), sentences)
    return answers


def fixed_in_time(
    raw: Mapping[str, str], specs: list[QuestionSpec], now: datetime, zone: tzinfo | None = None
) -> dict[str, str]:
    """The answers with every time written as the moment it means (ISO, UTC): "2 hours ago"
    said today must not mean two hours before tomorrow's run when the answer is kept."""
    fixed = dict(raw)
    for qid, text in raw.items():
        try:
            spec, _ = spec_for(specs, qid)
            if spec.type == "datetime":
                fixed[qid] = _parse_value(spec, text, now, zone).isoformat()
        except (KeyError, ValueError):
            continue  # not for us to refuse here: the diagnosis says what is wrong with it
    return fixed


def answer_facts(answer: Answer) -> dict[str, Any]:
    """What an answer says, fact by fact: an option may set several facts; a yes or no about
    an item's presence is its mark there."""
    spec = answer.spec
    if spec.type == "choice":
        option = next((o for o in spec.options if o.value == answer.value), None)
        if option is not None and option.sets:
            return dict(option.sets)
    if spec.type == "yes_no" and spec.sets in ("approvalmax", "dext"):
        return {spec.sets: Mark.PRESENT.value if answer.value else Mark.MISSING.value}
    return {spec.sets: answer.value}


def _stage_of(fact: str) -> Stage:
    return Stage(fact.split(".")[0])


def _set(snapshot: StageSnapshot, fact: str, value: Any, parts: dict[str, str]) -> None:
    if fact == "approvalmax.xero_connection":
        snapshot.xero_connection = value
    elif fact == "approvalmax.last_sync":
        sync_type = next(t for t in SYNC_TYPES if t == parts["sync_type"])  # ids are checked
        snapshot.last_sync[sync_type] = value
    elif fact == "dext.integration":
        snapshot.integration = value
    elif fact == "dext.linked_elsewhere":
        snapshot.linked_here = not value
    elif fact == "dext.last_pull":
        snapshot.last_pull = value
    else:  # pragma: no cover - loading refuses questions that set anything else
        raise ConfigError(f"answers cannot set {fact}")


def apply_to_snapshots(answers: AnswerSet, snapshots: dict[Stage, StageSnapshot]) -> None:
    """Facts about the systems and pasted lists; per-item answers wait for the traces."""
    xero_items = [i for items in snapshots[Stage.XERO].items.values() for i in items]
    for answer in answers.answers:
        if answer.spec.per == "item":
            continue
        if answer.spec.type == "list":
            snapshot = snapshots[_stage_of(answer.spec.sets)]
            kind = ItemKind(answer.parts["kind"])
            pasted = parse_pasted(answer.value, kind)
            snapshot.items[kind] = match_pasted(pasted, xero_items, kind)
            snapshot.kind_errors.pop(kind, None)
            snapshot.answered[answer.id] = Provenance.PASTED
            continue
        for fact, value in answer_facts(answer).items():
            snapshot = snapshots[_stage_of(fact)]
            _set(snapshot, fact, value, answer.parts)
            snapshot.answered[answer.id] = Provenance.ANSWER


def find_trace(traces: list[ItemTrace], item: str, answer_id: str) -> ItemTrace:
    """The item an answer's id names: by its key, or by its handle (its code, or its name as a
    slug: `approvalmax.has.429`, `dext.has.kaimai-oat-milk-co`)."""
    for trace in traces:
        if trace.key == item:
            return trace
    named = [t for t in traces if item_handle(t) == item.casefold()]
    if len(named) == 1:
        return named[0]
    if named:
        raise ConfigError(
            f"{answer_id}: {item!r} names several items; use the id the question shows"
        )
    raise ConfigError(f"{answer_id}: no item is called {item!r}")


def apply_to_traces(answers: AnswerSet, traces: list[ItemTrace]) -> None:
    """ "Can you find it in ApprovalMax?" answers, one item at a time."""
    for answer in answers.answers:
        if answer.spec.per != "item":
            continue
        trace = find_trace(traces, answer.parts["item"], answer.id)
        for fact, value in answer_facts(answer).items():
            stage = _stage_of(fact)
            mark = Mark(value)
            trace.stages[stage] = mark
            if mark is Mark.MISSING:
                trace.detail.pop(stage, None)
            else:
                trace.detail[stage] = StageDetail(name=trace.name, provenance=Provenance.ANSWER)
