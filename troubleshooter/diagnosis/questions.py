"""Questions: what the tool cannot see, asked in plain words. They are data (`questions:` in the
rules folder), each with the fact its answer sets.

A rule that needs an unknown fact does not fire; the facts it needed become the open questions.
A question may be one of a family: `approvalmax.last_sync.{sync_type}` (one per data type),
`approvalmax.list.{kind}` (one pasted list per kind), `approvalmax.has.{key}` (one per item,
asked when the user asked about that item).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from troubleshooter.diagnosis.search import unaccented
from troubleshooter.model import (
    SYNC_TYPE_OF_KIND,
    SYNC_TYPES,
    ItemKind,
    ItemTrace,
    Question,
    QuestionOption,
    Stage,
    Traces,
)
from troubleshooter.wording import kind_listed

Per = Literal["none", "sync_type", "kind", "item"]
_PLACEHOLDERS = {"sync_type": "{sync_type}", "kind": "{kind}", "item": "{key}"}


AnswerValue = str | bool


class OptionSpec(BaseModel):
    """One answer a choice offers, in the vendors' own words."""

    model_config = ConfigDict(extra="forbid")

    value: str = Field(description="What the answer is called (what `--answer ID=` takes).")
    says: str = Field(description="How it reads to a person; may name {organisation}.")
    words: list[str] = Field(
        default_factory=list, description="Other words a person may type for it."
    )
    sets: dict[str, AnswerValue] = Field(
        default_factory=dict,
        description="The facts this answer sets (default: the question's fact = `value`).",
    )
    kinds: list[ItemKind] = Field(
        default_factory=list, description="Offered only for these kinds (default: every kind)."
    )


class QuestionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The answer's id; {sync_type}, {kind} or {key} per `per`.")
    sets: str = Field(description="The fact the answer sets.")
    settles: list[str] = Field(
        default_factory=list, description="Facts computed from it, which it settles too."
    )
    per: Per = "none"
    type: Literal["yes_no", "choice", "datetime", "list"]
    choices: list[str] = Field(default_factory=list)
    options: list[OptionSpec] = Field(
        default_factory=list, description="For a choice: each answer with its words."
    )
    stage: Stage | None = None
    text: str
    where: str
    asked: bool = Field(
        default=True,
        description="False: answers are taken (older answer files use its id) but another "
        "question asks for the same facts.",
    )
    assume: dict[str, AnswerValue] = Field(
        default_factory=dict,
        description="While unanswered, the plan takes these organisation facts to be so (the "
        "normal setup), and says so.",
    )
    assume_in_focus: dict[str, AnswerValue] = Field(
        default_factory=dict,
        description="For a question about one item, in a focused run: what the plan takes to "
        "be so while it is unanswered.",
    )
    assumption: str | None = Field(
        default=None, description="What `assume` says, in plain words (may name {name})."
    )
    odds: dict[str, float] = Field(
        default_factory=dict,
        description="Likely answers (in the answer's own words) and how likely each is: the "
        "questions whose answers would change the plan most are asked first.",
    )
    check: str | None = Field(
        default=None,
        description="A step waiting on this question says what to look at: may name {name}.",
    )
    readings: dict[str, str] = Field(
        default_factory=dict,
        description='How a step that waits on an answer reads: {no: "If it is not there"}.',
    )

    @property
    def facts(self) -> set[str]:
        """Every fact an answer to it can set."""
        found = {self.sets, *self.settles}
        for option in self.options:
            found |= set(option.sets)
        return found

    def option_values(self) -> list[str]:
        return [o.value for o in self.options] or list(self.choices)

    def pattern(self) -> re.Pattern[str]:
        """Matches the ids of this family, capturing the part that varies."""
        escaped = re.escape(self.id)
        for per, holder in _PLACEHOLDERS.items():
            options = {
                "sync_type": "|".join(SYNC_TYPES),
                "kind": "|".join(k.value for k in ItemKind),
                "item": ".+",
            }[per]
            escaped = escaped.replace(re.escape(holder), f"(?P<{per}>{options})")
        return re.compile(f"^{escaped}$")


_SLUG = re.compile(r"[^a-z0-9]+")
HANDLE_LENGTH = 60


@functools.lru_cache(maxsize=65536)
def slug(text: str) -> str:
    """Text as part of an id a person types: lower case, accents dropped, anything else a
    hyphen ("Café Māori" → "cafe-maori", "Region / Tauranga" → "region-tauranga")."""
    return _SLUG.sub("-", unaccented(text).casefold()).strip("-")[:HANDLE_LENGTH]


_PREFIX = {kind: kind.value.replace("_", "-") for kind in ItemKind}  # supplier, bank-account


def _short(key: str) -> str:
    """Four letters that tell apart items whose names read the same (`cafe-maori` twice):
    from the item's key, so the same item always gets them."""
    return hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:4]


def handle_of(code: str | None, label: str) -> str:
    """An item's plain handle: its code, else its name (with its category's) as a slug; empty
    for a name with no letter a keyboard without accents can type."""
    return (slug(code) if code else "") or slug(label)


def _forms(trace: ItemTrace) -> tuple[str, str, str]:
    """The handles an item's questions may show, plainest first: its plain handle (`wise`),
    with its kind in front (`supplier-wise`), and with four letters of its own behind too
    (`supplier-cafe-maori-1f3a`). A name with nothing to type has only the last two, as
    `supplier-1f3a`."""
    plain = handle_of(trace.code, trace.label)
    prefix = _PREFIX[trace.kind]
    if not plain:
        own = f"{prefix}-{_short(trace.key)}"
        return own, own, own
    kinded = f"{prefix}-{plain}"
    return plain, kinded, f"{kinded}-{_short(trace.key)}"


def item_handle(trace: ItemTrace) -> str:
    """How a person names an item in an answer's id: its code, else its name as a slug
    ("approvalmax.has.429", "dext.has.region-tauranga-pop-up"); never an internal id."""
    plain = handle_of(trace.code, trace.label)
    return plain or _forms(trace)[0]


def item_names(kind: ItemKind, code: str | None, label: str) -> tuple[set[str], set[str]]:
    """What an answer's id may call an item, the four letters of its own aside: first what its
    questions show (its handle, and with its kind in front), then its name as a slug and with
    its kind in front (`staff-wellbeing` for 429 Staff Wellbeing, as the guided check writes
    it)."""
    plain = handle_of(code, label)
    prefix = _PREFIX[kind]
    shown = {plain, f"{prefix}-{plain}"} if plain else set()
    named = slug(label)
    other = {named, f"{prefix}-{named}"} - shown if named else set()
    return shown, other


def handle_names(trace: ItemTrace, *, own: bool = True) -> tuple[set[str], set[str]]:
    """`item_names` of a trace, with the handles its questions may show; `own`: with the four
    letters of its own (else only where its name gives nothing to type)."""
    shown, other = item_names(trace.kind, trace.code, trace.label)
    if own or not shown:
        shown = shown | set(_forms(trace))
    return shown, other


def handle_tier(trace: ItemTrace, wanted: str, *, own: bool) -> int | None:
    """0 when `wanted` (a slug) is a handle the item's questions may show, 1 when it is its name
    as a slug (`handle_names`, quickly: thousands of items are looked through), else None."""
    label = trace.label
    plain = handle_of(trace.code, label)
    prefix = _PREFIX[trace.kind]
    if plain and (wanted == plain or wanted == f"{prefix}-{plain}"):
        return 0
    if (own or not plain) and wanted in _forms(trace):
        return 0
    named = slug(label)
    if named and (wanted == named or wanted == f"{prefix}-{named}"):
        return 1
    return None


def handles(
    traces: Iterable[ItemTrace], among: Sequence[ItemTrace] | None = None
) -> dict[str, str]:
    """Each item's handle, unique among `among` (default: `traces`), every item an answer's id
    may name: its plain handle (`429`, `wise`); where another item has it, with its kind in
    front (`supplier-wise`, `bank-account-wise`); where another of its kind has that too
    (`Café Māori` and `Cafe Maori`), with four letters of its own (`supplier-cafe-maori-1f3a`).
    Never the internal key."""
    listed = list(traces)
    universe = listed if among is None else among
    wanted = {form for trace in listed for form in _forms(trace)}
    seen: Counter[str] = Counter()
    for trace in _sharing(universe, wanted):
        seen.update(set(_forms(trace)) & wanted)
    chosen: dict[str, str] = {}
    for trace in listed:
        forms = _forms(trace)
        chosen[trace.key] = next((h for h in forms if seen[h] <= 1), forms[-1])
    return chosen


def _stems(wanted: set[str]) -> set[str]:
    """The plain handles an item must have for one of its forms to be among `wanted`: a form
    is the plain handle, or it with its kind in front, or that with four letters behind."""
    stems = set()
    for form in wanted:
        tails = [form]
        if len(form) > 5 and form[-5] == "-":
            tails.append(form[:-5])
        for tail in tails:
            stems.add(tail)
            stems.update(
                tail[len(prefix) + 1 :]
                for prefix in _PREFIX.values()
                if tail.startswith(prefix + "-")
            )
    return stems


def _sharing(universe: Sequence[ItemTrace], wanted: set[str]) -> Iterator[ItemTrace]:
    """The items of `universe` one of whose forms may be among `wanted`, found by their plain
    handle alone: of a big organisation's 52,000 items, a handful, and only those are made
    (a `Traces` keeps most of its items compact until read)."""
    stems = _stems(wanted)
    names = (
        universe.names()
        if isinstance(universe, Traces)
        else ((i, t.kind, t.code, t.label) for i, t in enumerate(universe))
    )
    for index, _kind, code, label in names:
        plain = handle_of(code, label)
        if not plain or plain in stems:  # no plain handle: its forms are its own letters
            yield universe[index]


def fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def template_values(
    spec: QuestionSpec, trace: ItemTrace | None, organisation: str
) -> dict[str, str]:
    values = {"organisation": organisation}
    if trace is not None:
        if spec.per == "sync_type":
            values["sync_type"] = SYNC_TYPE_OF_KIND[trace.kind].replace("_", " ")
        elif spec.per == "kind":
            values["kind"] = kind_listed(trace.kind, spec.stage)
        elif spec.per == "item":
            values |= {"kind": trace.kind.label, "name": _item_name(trace)}
    return values


def question_id(spec: QuestionSpec, trace: ItemTrace | None, handle: str | None = None) -> str:
    if spec.per == "none" or trace is None:
        return spec.id
    if spec.per == "sync_type":
        return spec.id.replace("{sync_type}", SYNC_TYPE_OF_KIND[trace.kind])
    if spec.per == "kind":
        return spec.id.replace("{kind}", trace.kind.value)
    return spec.id.replace("{key}", handle or item_handle(trace))


def _instance(
    spec: QuestionSpec,
    trace: ItemTrace | None,
    organisation: str,
    handle: str | None = None,
    checks: str | None = None,
) -> Question | None:
    if spec.per != "none" and trace is None:
        return None
    values = template_values(spec, trace, organisation)
    options = [
        QuestionOption(value=o.value, says=fill(o.says, values), words=list(o.words))
        for o in spec.options
        if not o.kinds or (trace is not None and trace.kind in o.kinds)
    ]
    return Question(
        id=question_id(spec, trace, handle),
        text=fill(spec.text, values),
        where=fill(spec.where, values),
        type=spec.type,
        choices=[o.value for o in options] or list(spec.choices),
        options=options,
        sets=spec.sets,
        stage=spec.stage,
        kind=trace.kind if spec.per in ("kind", "item") and trace is not None else None,
        key=trace.key if spec.per == "item" and trace is not None else None,
        checks=checks,
    )


def _item_name(trace: ItemTrace) -> str:
    return f"{trace.code} {trace.label}" if trace.code else trace.label


def open_questions(
    specs: list[QuestionSpec],
    unknown: Iterable[tuple[str, ItemTrace | None]],
    *,
    focused: bool,
    organisation: str,
    answered: set[str] = frozenset(),  # type: ignore[assignment]
    handles: dict[str, str] | None = None,
    assumed: Iterable[tuple[QuestionSpec, ItemTrace | None, str]] = (),
) -> list[Question]:
    """The questions that would settle the facts the rules could not decide on, and those that
    would check what the plan assumes. About an item's presence at a stage, a whole-organisation
    run asks for the pasted list of its kind, a focused run asks about the item itself. Where
    two questions ask for the same fact, the one that asks for more of what is unknown (and for
    nothing already known) is asked. In the order of the chain here; ranked later."""
    handles = handles or {}
    unknown = list(unknown)
    unknown_facts = {fact for fact, _ in unknown}
    found: dict[str, Question] = {}

    def fit(spec: QuestionSpec) -> tuple[int, int]:
        facts = spec.facts
        return (len(facts & unknown_facts), -len(facts - unknown_facts))

    for fact, trace in unknown:
        candidates = [
            spec
            for spec in specs
            if spec.asked
            and fact in spec.facts
            and not (spec.per == "kind" and focused)
            and not (spec.per == "item" and not focused)
        ]
        if not candidates:
            continue
        best = max(fit(spec) for spec in candidates)
        for spec in candidates:
            if fit(spec) != best:
                continue
            handle = handles.get(trace.key) if trace is not None else None
            question = _instance(spec, trace, organisation, handle)
            if question is not None and question.id not in answered:
                found.setdefault(question.id, question)
    for spec, trace, text in assumed:
        handle = handles.get(trace.key) if trace is not None else None
        question = _instance(spec, trace, organisation, handle, checks=text)
        if question is not None and question.id not in answered:
            found.setdefault(question.id, question)
            found[question.id] = found[question.id].model_copy(update={"checks": text})
    order = {s.id: i for i, s in enumerate(specs)}
    return sorted(
        found.values(),
        key=lambda q: (
            [st.value for st in Stage].index(q.stage.value) if q.stage else 0,
            min(order.get(s.id, 0) for s in specs if s.pattern().match(q.id)),
            q.id,
        ),
    )


def spec_for(specs: list[QuestionSpec], answer_id: str) -> tuple[QuestionSpec, dict[str, str]]:
    """The question family an answer id belongs to, and what its varying part says."""
    for spec in specs:
        match = spec.pattern().match(answer_id)
        if match:
            return spec, {k: v for k, v in match.groupdict().items() if v is not None}
    raise KeyError(answer_id)
