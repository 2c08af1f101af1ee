"""Questions: what the tool cannot see, asked in plain words. They are data (`questions:` in the
rules folder), each with the fact its answer sets.

A rule that needs an unknown fact does not fire; the facts it needed become the open questions.
A question may be one of a family: `approvalmax.last_sync.{sync_type}` (one per data type),
`approvalmax.list.{kind}` (one pasted list per kind), `approvalmax.has.{key}` (one per item,
asked when the user asked about that item).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from troubleshooter.model import (
    SYNC_TYPE_OF_KIND,
    SYNC_TYPES,
    ItemKind,
    ItemTrace,
    Question,
    Stage,
)
from troubleshooter.wording import KINDS

Per = Literal["none", "sync_type", "kind", "item"]
_PLACEHOLDERS = {"sync_type": "{sync_type}", "kind": "{kind}", "item": "{key}"}


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
    stage: Stage | None = None
    text: str
    where: str

    def concerns(self, fact: str) -> bool:
        return fact == self.sets or fact in self.settles

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


def _instance(spec: QuestionSpec, trace: ItemTrace | None, organisation: str) -> Question | None:
    values = {"organisation": organisation}
    qid = spec.id
    kind = key = None
    if spec.per != "none":
        if trace is None:
            return None
        kind = trace.kind
        if spec.per == "sync_type":
            sync_type = SYNC_TYPE_OF_KIND[trace.kind]
            qid = qid.replace("{sync_type}", sync_type)
            values["sync_type"] = sync_type.replace("_", " ")
        elif spec.per == "kind":
            qid = qid.replace("{kind}", trace.kind.value)
            values["kind"] = KINDS[trace.kind].listed
        else:
            key = trace.key
            qid = qid.replace("{key}", trace.key)
            values |= {"kind": trace.kind.label, "name": _item_name(trace)}
    text = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), spec.text)
    where = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), spec.where)
    return Question(
        id=qid,
        text=text,
        where=where,
        type=spec.type,
        choices=spec.choices,
        sets=spec.sets,
        stage=spec.stage,
        kind=kind if spec.per in ("kind", "item") else None,
        key=key,
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
) -> list[Question]:
    """The questions that would settle the facts the rules could not decide on. About an item's
    presence at a stage, a whole-organisation run asks for the pasted list of its kind, a
    focused run asks about the item itself."""
    found: dict[str, Question] = {}
    for fact, trace in unknown:
        for spec in specs:
            if not spec.concerns(fact):
                continue
            if (spec.per == "kind" and focused) or (spec.per == "item" and not focused):
                continue
            question = _instance(spec, trace, organisation)
            if question is not None and question.id not in answered:
                found.setdefault(question.id, question)
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
