"""Answers to the questions, applied to what the tool knows (provenance `answer` or `pasted`).

Answers come as `id → text`: from `--answer ID=VALUE` (VALUE `@FILE` reads a file, for a pasted
list), from an answers file (YAML mapping), or from the TUI. Each is checked against its question
(yes/no, one of the choices, a time, a list) before anything changes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, Protocol

import yaml
from rapidfuzz import fuzz, process

from troubleshooter.diagnosis.paste import PastedList, check_paste, read_pasted
from troubleshooter.diagnosis.questions import (
    QuestionSpec,
    fill,
    handle_names,
    handle_tier,
    handles,
    item_names,
    slug,
    spec_for,
)
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
    item_label,
)
from troubleshooter.wording import KINDS, kind_listed, plural


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
    text: str = ""  # as typed: a choice about one item is read again against its kind's options
    where: str = ""  # "FILE:LINE: " where it was written, for its refusal


@dataclass
class AnswerSet:
    answers: list[Answer] = field(default_factory=list)
    organisations: Sequence[str] = ()  # the names a choice's text may give the organisation

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
        data = load_yaml(read_text(path), as_written=True)  # `13:00`, `yes`: as typed
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


class AnswerError(ConfigError):
    """Answers refused. `sentences` holds, per question id, the one plain sentence that says
    what would be accepted (no internal ids), for a screen that shows it under the question."""

    def __init__(self, message: str, sentences: dict[str, str]) -> None:
        super().__init__(message)
        self.sentences = sentences


# -- choices: the one matcher -----------------------------------------------------------------
#
# A person answers a choice in the words they see: the option's text as shown ("ApprovalMax for
# Xero, for Example Trading Ltd", "A tracking option (in Dext: a value of a Project list)"), a
# part of it ("greyed out"), its number as shown, its id (`tracking_option`), or the words the
# tool and the vendors use elsewhere ("bank account", "Payment methods"). Every choice, the
# rules' questions and the guided check's own, is read here, so they all take the same forms.


class ShownOption(Protocol):
    """What the matcher needs of an option: `OptionSpec` (the rules) or `QuestionOption`."""

    @property
    def value(self) -> str: ...
    @property
    def says(self) -> str: ...
    @property
    def words(self) -> list[str]: ...


@dataclass(frozen=True)
class _Plain:
    value: str
    says: str
    words: list[str] = field(default_factory=list)


UNKNOWN_ORGANISATION = "this organisation"  # {organisation} where no system names it
_ARTICLES = {"a", "an", "the"}
# Words that add nothing to which option is meant ("it's greyed out", "yes I think it's there").
_FILLER = {
    "it", "its", "is", "was", "that", "thats", "this", "i", "think", "so", "just", "and",
    "please", "looks", "like", "shows", "show", "says", "say", "see", "can",
}  # fmt: skip
_PARTS = re.compile(r"[,;:()\[\]—–]|\s-\s")


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _tokens(text: str) -> tuple[str, ...]:
    """An answer as words to compare: any case, without articles or punctuation, plurals as
    singulars, underscores as spaces ("The Tracking_Options." → tracking option)."""
    cleaned = text.casefold().replace("’", "'").replace("'", "").replace("_", " ")
    return tuple(_singular(w) for w in re.findall(r"\w+", cleaned) if w not in _ARTICLES)


def _contains(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tokens[i : i + size] == phrase for i in range(len(tokens) - size + 1))


def _phrases(option: ShownOption, names: Sequence[str]) -> tuple[set[tuple[str, ...]], ...]:
    """An option's phrases, strongest first: its id; its text as shown (with each name of the
    organisation) and its other words; the parts of those ("greyed out" of "Yes, but its
    Visible switch is off (greyed out)")."""
    shown = {fill(option.says, {"organisation": name}) for name in names}
    whole = [*shown, *option.words]
    parts = [part for text in whole for part in _PARTS.split(text)]
    return (
        {_tokens(option.value)},
        {_tokens(text) for text in whole} - {()},
        {_tokens(part) for part in parts} - {()},
    )


def shown_names(organisations: Sequence[str]) -> list[str]:
    """The names {organisation} may be filled with: those the systems give, else "this
    organisation" (which is always understood too)."""
    names = [n for n in dict.fromkeys(organisations) if n]
    return [*names, UNKNOWN_ORGANISATION]


def refusal(options: Sequence[ShownOption], organisations: Sequence[str] = ()) -> str:
    """The one sentence for an answer that fits no option: each option as shown, and that its
    number will do."""
    name = shown_names(organisations)[0]
    listed = "; ".join(fill(o.says, {"organisation": name}) for o in options)
    return f"Answer one of: {listed}; or its number, 1 to {len(options)}."


def choose(
    options: Sequence[ShownOption],
    text: str,
    organisations: Sequence[str] = (),
    *,
    numbered: bool = True,
) -> str:
    """The value of the option `text` means; ValueError with the one sentence otherwise.

    In order: its number as shown (`numbered`); its id; its text as shown or one of its words;
    a part of those; else an answer made of one option's words that holds a phrase only that
    option has ("yes, but hidden", "it's not there"). An answer that two options fit equally
    is refused rather than guessed."""
    wanted = _tokens(text)
    if numbered and len(wanted) == 1 and wanted[0].isdecimal():
        number = int(wanted[0])
        if 1 <= number <= len(options):
            return options[number - 1].value
    if not wanted:
        raise ValueError(refusal(options, organisations))
    names = shown_names(organisations)
    tiers = [_phrases(option, names) for option in options]
    for tier in range(3):
        fits = {
            o.value for o, phrases in zip(options, tiers, strict=True) if wanted in phrases[tier]
        }
        if len(fits) == 1:
            return fits.pop()
        if fits:
            raise ValueError(refusal(options, organisations))
    every = [set().union(*phrases) for phrases in tiers]
    content = {w for w in wanted if w not in _FILLER}
    fits = set()
    spans: list[tuple[int, int, str]] = []  # where each option's own phrases stand
    for option, own in zip(options, every, strict=True):
        others = set().union(*(o for o in every if o is not own))
        distinctive = own - others
        spans += [(start, end, option.value) for start, end in _spans(wanted, distinctive)]
        vocabulary = {w for phrase in own for w in phrase}
        if content <= vocabulary and any(_contains(wanted, p) for p in distinctive):
            fits.add(option.value)
    _read_whole(text, wanted, spans, options, organisations)
    if len(fits) == 1:
        return fits.pop()
    raise ValueError(refusal(options, organisations))


# Words that turn an answer around ("not missing"); one is understood only inside a phrase of
# an option ("not there", "can't find it", "not visible").
_NEGATIONS = {
    "not", "no", "nope", "nah", "n", "never", "dont", "doesnt", "isnt", "cant", "cannot",
    "wasnt", "arent", "aint", "none", "nothing", "without", "neither", "nor",
}  # fmt: skip


class Contradiction(ValueError):
    """An answer read word by word would mean its opposite, or two options at once: `why` says
    so in words, before what would be accepted."""

    def __init__(self, why: str, accepted: str) -> None:
        super().__init__(f"{why}; {accepted[:1].lower()}{accepted[1:]}")
        self.why = why


def _spans(wanted: tuple[str, ...], phrases: Iterable[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Where each of `phrases` stands in `wanted`, as (start, end) word positions."""
    found = []
    for phrase in phrases:
        size = len(phrase)
        found += [
            (i, i + size) for i in range(len(wanted) - size + 1) if wanted[i : i + size] == phrase
        ]
    return found


def _read_whole(
    text: str,
    wanted: tuple[str, ...],
    spans: list[tuple[int, int, str]],
    options: Sequence[ShownOption],
    organisations: Sequence[str],
) -> None:
    """Refuses an answer that word by word would be misread: one holding the own phrases of
    the option no and of another ("no, it's there": no and yes), or a negation outside any
    option's phrase ("not missing", "yes but not hidden", "not not there")."""
    kept = [
        (start, end, value)
        for start, end, value in spans
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)
    ]
    shown = f"{text.strip()[:40]!r}"
    meant = {value for _, _, value in kept}
    if "no" in meant and len(meant) > 1:  # "no, it's there"; "nope, greyed out"
        raise Contradiction(f"{shown} says two things at once", refusal(options, organisations))
    covered = {i for start, end, _ in kept for i in range(start, end)}
    if any(w in _NEGATIONS and i not in covered for i, w in enumerate(wanted)):
        raise Contradiction(
            f"{shown} has a 'not' this tool cannot be sure of",
            refusal(options, organisations),
        )


# Yes and no as people say them, and as they say that they found something or not.
_AFFIRM = {"yes": ["y", "yeah", "yep", "yup", "true"], "no": ["n", "nope", "nah", "false"]}
_FOUND = {
    "yes": ["there", "found", "found it", "it is there", "I can see it", "I see it"],
    "no": ["not there", "missing", "can't find it", "cannot find it", "not found",
           "it is not there", "I can't see it", "can't see it"],
}  # fmt: skip
# Every way of saying "yes, it is there" and "no, it is not", for a choice of one's own.
YES_WORDS = ["yes", *_AFFIRM["yes"], *_FOUND["yes"]]
NO_WORDS = ["no", *_AFFIRM["no"], *_FOUND["no"]]
_YES_NO = [
    _Plain("yes", "Yes", [*_AFFIRM["yes"], "1", *_FOUND["yes"]]),
    _Plain("no", "No", [*_AFFIRM["no"], "0", *_FOUND["no"]]),
]


def parse_yes_no(text: str) -> bool:
    try:
        return choose(_YES_NO, text, numbered=False) == "yes"
    except Contradiction as exc:
        raise ValueError(f"{exc.why}; answer yes or no.") from None
    except ValueError:
        raise ValueError("Answer yes or no.") from None


def option_words(specs: list[QuestionSpec], answer_id: str, value: str, organisation: str) -> str:
    """A choice's answer as its option reads to a person ("ApprovalMax for Xero, for Example
    Trading Ltd" for `this`); any other answer as it is."""
    try:
        spec, _ = spec_for(specs, answer_id)
    except KeyError:
        return value
    option = next((o for o in spec.options if o.value == value), None)
    if option is None:
        return value
    return fill(option.says, {"organisation": shown_names([organisation])[0]})


def _with_yes_no_words(options: Sequence[ShownOption], *, found: bool) -> list[ShownOption]:
    """A choice whose options include a yes and a no takes the forms a yes or no question takes
    ("yeah", "nope"); about whether an item is there (`found`: "Can you find it in Dext?": yes,
    no, yes but hidden), also "I can see it", "can't find it", "not found"."""
    if not {"yes", "no"} <= {o.value for o in options}:
        return list(options)
    taken = {w for o in options for w in o.words}
    extra = {v: _AFFIRM[v] + (_FOUND[v] if found else []) for v in ("yes", "no")}
    return [
        _Plain(o.value, o.says, [*o.words, *(w for w in extra.get(o.value, []) if w not in taken)])
        for o in options
    ]


def _choice(
    spec: QuestionSpec,
    text: str,
    organisations: Sequence[str],
    kind: ItemKind | None = None,
) -> str:
    """A choice's answer among the options shown: for a question about one item of `kind`,
    those offered for its kind (an account has no Visible switch in Dext), numbered as shown."""
    options: Sequence[ShownOption] = spec.options or [_Plain(c, c) for c in spec.choices]
    if kind is not None:
        options = [o for o in spec.options if not o.kinds or kind in o.kinds]
    found = spec.per == "item"  # "Can you find it in Dext?"
    return choose(_with_yes_no_words(options, found=found), text, organisations)


def _kind_limited(spec: QuestionSpec) -> bool:
    """A question about one item whose options depend on the item's kind: it is read for good
    when the item is known (`apply_to_traces`), so that what it accepts, and a refusal's list,
    are those of that kind."""
    return spec.type == "choice" and spec.per == "item" and any(o.kinds for o in spec.options)


def _parse_value(
    spec: QuestionSpec,
    text: str,
    now: datetime,
    zone: tzinfo | None,
    organisations: Sequence[str] = (),
) -> Any:
    if spec.type == "yes_no":
        return parse_yes_no(text)
    if spec.type == "choice":
        return _choice(spec, text, organisations)
    if spec.type == "datetime":
        try:
            return parse_moment(text, now, zone or UTC)
        except TimeError as exc:
            sentence = str(exc)
            raise ValueError(sentence[:1].upper() + sentence[1:].rstrip(".") + ".") from None
    check_paste(text)  # too big to be a screen's list: refused now, in one sentence
    return text  # a pasted list, parsed against Xero's items when applied


def _close_ids(qid: str, specs: list[QuestionSpec]) -> list[str]:
    """The question ids nearest to a mistyped one (`dext.conection` → dext.connection), a
    family's filled in with what was typed for its varying part (`approvalmax.last_sync.acounts`
    → approvalmax.last_sync.accounts, `approvalmax.hs.429` → approvalmax.has.429)."""
    typed = qid.strip().casefold()
    head, _, rest = typed.rpartition(".")
    candidates: list[str] = []
    for spec in specs:
        if spec.per == "none":
            candidates.append(spec.id)
        elif spec.per == "sync_type":
            candidates += [spec.id.replace("{sync_type}", t) for t in SYNC_TYPES]
        elif spec.per == "kind":
            candidates += [spec.id.replace("{kind}", k.value) for k in ItemKind]
        elif head and rest:
            base = spec.id.replace(".{key}", "")
            same_shape = head.count(".") == base.count(".")
            if same_shape and difflib.SequenceMatcher(None, head, base).ratio() >= 0.8:
                candidates.append(f"{base}.{rest}")
    return difflib.get_close_matches(typed, list(dict.fromkeys(candidates)), n=2, cutoff=0.8)


def read_answers(
    raw: Mapping[str, str],
    specs: list[QuestionSpec],
    now: datetime,
    zone: tzinfo | None = None,
    organisations: Sequence[str] = (),
) -> AnswerSet:
    """Checks every answer against its question; every problem is reported at once. Times
    without a zone are the organisation's (`zone`); "2 hours ago" counts from `now`, the
    systems' clock. `organisations`: the names the systems give the organisation (the first
    as the questions show it), which a choice's text names."""
    answers = AnswerSet()
    problems = []
    sentences: dict[str, str] = {}
    origin: Mapping[str, str] = getattr(raw, "origin", {})
    for qid, text in raw.items():
        where = f"{origin[qid]}: " if qid in origin else ""
        try:
            spec, parts = spec_for(specs, qid)
        except KeyError:
            close = _close_ids(qid, specs)
            listed = "the diagnosis lists the open ones"
            hint = f"did you mean {' or '.join(close)}?" if close else listed
            problems.append(f"{where}{qid}: no such question ({hint})")
            sentences[qid] = "There is no such question."
            continue
        try:
            value = _parse_value(spec, text, now, zone, organisations)
        except ValueError as exc:
            if _kind_limited(spec):  # refused, if at all, with the options of the item's kind
                answers.answers.append(Answer(qid, spec, parts, None, text, where))
                continue
            problems.append(f"{where}{qid}: {exc}")
            sentences[qid] = str(exc)
            continue
        answers.answers.append(Answer(qid, spec, parts, value, text, where))
    if problems:
        raise AnswerError("answers: " + "; ".join(problems), sentences)
    answers.organisations = tuple(organisations)
    return answers


def as_meant(
    raw: Mapping[str, str],
    specs: list[QuestionSpec],
    now: datetime,
    zone: tzinfo | None = None,
    organisations: Sequence[str] = (),
) -> dict[str, str]:
    """The answers as what they meant, to be kept: a time as its moment (ISO, UTC: "2 hours
    ago" said today must not mean two hours before tomorrow's run), a choice as its option's
    id ("1" or "yes, but hidden" as `hidden`: the option's number or words may change), a yes
    or no as `yes` or `no`. An answer that cannot be read is left as it was: refusing it is the
    diagnosis's part."""
    meant = dict(raw)
    for qid, text in raw.items():
        try:
            spec, _ = spec_for(specs, qid)
            value = _parse_value(spec, text, now, zone, organisations)
        except (KeyError, ValueError):
            continue
        if isinstance(value, datetime):
            meant[qid] = value.isoformat()
        elif isinstance(value, bool):
            meant[qid] = "yes" if value else "no"
        elif spec.type == "choice":
            meant[qid] = str(value)
    return meant


def answer_facts(answer: Answer, value: Any = None) -> dict[str, Any]:
    """What an answer says (or `value`, the answer as read for its item), fact by fact: an
    option may set several facts; a yes or no about an item's presence is its mark there."""
    spec = answer.spec
    value = answer.value if value is None else value
    if spec.type == "choice":
        option = next((o for o in spec.options if o.value == value), None)
        if option is not None and option.sets:
            return dict(option.sets)
    if spec.type == "yes_no" and spec.sets in ("approvalmax", "dext"):
        return {spec.sets: Mark.PRESENT.value if value else Mark.MISSING.value}
    return {spec.sets: value}


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


# Where Xero's list of a kind is all there (read from Xero, a bundle or the sandbox, not told by
# a person), a pasted list must have something in common with it.
_WHOLE_LISTS = {Provenance.API, Provenance.ADAPTER, Provenance.SNAPSHOT, Provenance.SANDBOX}


def _matches_xero(
    answer: Answer, pasted: PastedList, kind: ItemKind, xero: StageSnapshot | None
) -> None:
    """A pasted list none of whose lines matches one of Xero's items of its kind is refused,
    saying so: it is another list (another kind, another organisation), not a stage that
    lacks every item, which is what taking it would say."""
    stage = answer.spec.stage
    shows = f"that {stage.label} shows " if stage is not None else ""
    paste = f"paste the list of {kind_listed(kind, stage)} {shows}for this organisation."
    if not pasted.lines and str(answer.value).strip():  # a header only: `Code,Name`
        sentence = f"The pasted text names no item, only a table's header; {paste}"
        raise AnswerError(f"answers: {answer.where}{answer.id}: {sentence}", {answer.id: sentence})
    if xero is None or xero.provenance not in _WHOLE_LISTS or kind in xero.partial:
        return
    known = len(xero.items.get(kind, []))
    if not known or not pasted.lines or pasted.unmatched < pasted.lines:
        return
    words = KINDS[kind]
    head = (
        "The pasted line matches none"
        if pasted.lines == 1
        else f"None of the {pasted.lines} pasted lines matches any"
    )
    sentence = f"{head} of Xero's {plural(known, words.one, words.many)}; {paste}"
    raise AnswerError(f"answers: {answer.where}{answer.id}: {sentence}", {answer.id: sentence})


def apply_to_snapshots(answers: AnswerSet, snapshots: dict[Stage, StageSnapshot]) -> None:
    """Facts about the systems and pasted lists; per-item answers wait for the traces."""
    xero_items = [i for items in snapshots[Stage.XERO].items.values() for i in items]
    for answer in answers.answers:
        if answer.spec.per == "item":
            continue
        if answer.spec.type == "list":
            snapshot = snapshots[_stage_of(answer.spec.sets)]
            kind = ItemKind(answer.parts["kind"])
            pasted = read_pasted(answer.value, kind, xero_items)
            _matches_xero(answer, pasted, kind, snapshots.get(Stage.XERO))
            snapshot.items[kind] = pasted.items
            snapshot.kind_errors.pop(kind, None)
            snapshot.answered[answer.id] = Provenance.PASTED
            continue
        for fact, value in answer_facts(answer).items():
            snapshot = snapshots[_stage_of(fact)]
            _set(snapshot, fact, value, answer.parts)
            snapshot.answered[answer.id] = Provenance.ANSWER


_OWN_LETTERS = re.compile(r"-[0-9a-f]{4}$")  # `supplier-cafe-maori-1f3a`: see `handles`


def find_trace(traces: Sequence[ItemTrace], item: str, answer_id: str) -> ItemTrace:
    """The item an answer's id names: by its key, or by a handle (its code, or its name as a
    slug, with its kind in front where another item has it: `approvalmax.has.429`,
    `dext.has.kaimai-oat-milk-co`, `dext.has.supplier-wise`), or by its name as a slug where it
    has a code (`approvalmax.has.staff-wellbeing`), if that names one item only."""
    for trace in traces:
        if trace.key == item:
            return trace
    wanted = slug(item)
    own = _OWN_LETTERS.search(wanted) is not None
    tiers: dict[int, list[ItemTrace]] = {0: [], 1: []}
    for trace in traces if wanted else []:
        tier = handle_tier(trace, wanted, own=own)
        if tier is not None:
            tiers[tier].append(trace)
    for named in tiers.values():
        if len(named) == 1:
            return named[0]
        if named:
            which = handles(named, among=traces)
            listed = ", ".join(which[t.key] for t in named[:5])
            raise ConfigError(
                f"{answer_id}: {item!r} names several items ({listed}); use the one meant"
            )
    forms = [sorted(shown | other) for shown, other in map(handle_names, traces)]
    near = process.extract(
        wanted, [f for each in forms for f in each], scorer=fuzz.ratio, limit=3, score_cutoff=75
    )
    close = list(dict.fromkeys(name for name, _score, _index in near))
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ConfigError(f"{answer_id}: no item is called {item!r}{hint}")


def _for_item(answer: Answer, trace: ItemTrace, organisations: Sequence[str]) -> Any:
    """The answer as read for its item: a choice whose options depend on the item's kind is
    read among those its question showed ("hidden" only for a tracking option), so that its
    number is its place there and a refusal lists only what that question accepts."""
    if not _kind_limited(answer.spec):
        return answer.value
    return _choice(answer.spec, answer.text, organisations, trace.kind)


def apply_to_traces(answers: AnswerSet, traces: Sequence[ItemTrace]) -> None:
    """ "Can you find it in ApprovalMax?" answers, one item at a time; every refusal at once."""
    problems: list[str] = []
    sentences: dict[str, str] = {}
    for answer in answers.answers:
        if answer.spec.per != "item":
            continue
        trace = find_trace(traces, answer.parts["item"], answer.id)
        try:
            meant = _for_item(answer, trace, answers.organisations)
        except ValueError as exc:
            problems.append(f"{answer.where}{answer.id}: {exc}")
            sentences[answer.id] = str(exc)
            continue
        for fact, value in answer_facts(answer, meant).items():
            stage = _stage_of(fact)
            mark = Mark(value)
            trace.stages[stage] = mark
            if mark is Mark.MISSING:
                trace.detail.pop(stage, None)
            else:
                trace.detail[stage] = StageDetail(name=trace.name, provenance=Provenance.ANSWER)
    if problems:
        raise AnswerError("answers: " + "; ".join(problems), sentences)


# -- what the systems report themselves ---------------------------------------------------------


def organisation_names(snapshots: Mapping[Stage, StageSnapshot]) -> list[str]:
    """The names the systems give the organisation, ApprovalMax's first (the questions show
    it), for answers that name it."""
    order = [Stage.APPROVALMAX, Stage.XERO, Stage.DEXT]
    found = [snapshots[s].organisation for s in order if s in snapshots]
    return list(dict.fromkeys(o.name for o in found if o is not None))


def _kinds_named(handle: str, snapshots: Mapping[Stage, StageSnapshot]) -> set[ItemKind]:
    """The kinds of the Xero items an answer's id may name (as `find_trace` reads it)."""
    xero = snapshots.get(Stage.XERO)
    if xero is None:
        return set()
    wanted = {slug(handle), _OWN_LETTERS.sub("", slug(handle))}
    found = set()
    for items in xero.items.values():
        for item in items:
            label = item_label(item.name, item.parent_name)
            shown, other = item_names(item.kind, item.code, label)
            if item.xero_id == handle or wanted & (shown | other):
                found.add(item.kind)
    return found


def reported(
    answer_id: str, specs: list[QuestionSpec], snapshots: Mapping[Stage, StageSnapshot]
) -> str | None:
    """What a system itself reports in this read that the answer `answer_id` would otherwise
    say, in words ("ApprovalMax reports its last accounts sync"); None when no system reports
    it (the answer is then what the tool knows of it). `snapshots` are as read, before any
    answer."""
    try:
        spec, parts = spec_for(specs, answer_id)
    except KeyError:
        return None
    if spec.stage is None or spec.stage not in snapshots:
        return None
    snapshot = snapshots[spec.stage]
    name = spec.stage.label
    if spec.type == "list" or spec.per == "item":
        kinds = (
            {ItemKind(parts["kind"])}
            if "kind" in parts
            else _kinds_named(parts.get("item", ""), snapshots)
        )
        known = [k for k in kinds if snapshot.knows(k) and k not in snapshot.partial]
        if not known:
            return None
        return f"{name} reports its {KINDS[known[0]].many}"
    facts = {spec.sets, *(f for o in spec.options for f in o.sets)}
    for fact in sorted(facts):
        words = _reported_fact(snapshot, fact, parts)
        if words is not None:
            return f"{name} reports {words}"
    return None


def _reported_fact(snapshot: StageSnapshot, fact: str, parts: dict[str, str]) -> str | None:
    """How a system's own report of `fact` is named, where the snapshot holds it."""
    if fact == "approvalmax.xero_connection" and snapshot.xero_connection is not None:
        return "its connection to Xero"
    if fact == "approvalmax.last_sync" and parts.get("sync_type") in snapshot.last_sync:
        return f"its last {parts['sync_type'].replace('_', ' ')} sync"
    if fact == "dext.integration" and snapshot.integration is not None:
        return "where it takes its lists from"
    if fact == "dext.linked_elsewhere" and snapshot.linked_here is not None:
        return "which organisation it is linked to"
    if fact == "dext.last_pull" and snapshot.last_pull is not None:
        return "its last refresh from ApprovalMax"
    return None
