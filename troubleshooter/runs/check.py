"""The guided check: "What can't you find in Dext?", then one question at a time, in plain words,
until the plan no longer depends on an answer; then the diagnosis and the plan.

With Xero connected (or a sandbox), Xero's facts are read; with nothing connected, they are
questions too (what kind of item, is it in Xero, active or archived, a supplier, when it was
created or last changed), and the item is diagnosed from what the person says, exactly as if
Xero had said it (provenance `answer`). The terminal (cli/check.py), the TUI and a script all
drive the same `GuidedCheck`: it asks nothing and prints nothing itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from troubleshooter.diagnosis.answers import (
    NO_WORDS,
    YES_WORDS,
    AnswerError,
    choose,
    parse_yes_no,
)
from troubleshooter.diagnosis.diagnose import Library, diagnose_snapshots
from troubleshooter.diagnosis.questions import spec_for
from troubleshooter.diagnosis.search import closest_names
from troubleshooter.errors import ConfigError
from troubleshooter.infra.clock import host_now
from troubleshooter.infra.timeparse import TimeError, parse_moment
from troubleshooter.model import (
    Diagnosis,
    Item,
    ItemKind,
    OrganisationRef,
    Provenance,
    Question,
    QuestionOption,
    Stage,
    StageSnapshot,
    Status,
)
from troubleshooter.runs.source import Reading
from troubleshooter.wording import KINDS, times_read_in, zone_of

# -- Xero's facts, asked when nothing is connected --------------------------------------------


def _kind_option(
    kind: ItemKind, says: str, *, words: tuple[str, ...] = (), also: tuple[ItemKind, ...] = ()
) -> QuestionOption:
    """A kind as the check offers it, taking every name the tool shows for it (and Dext's:
    Categories, Projects, Payment methods) as well as `words`."""
    named = [
        text
        for each in (kind, *also)
        for text in (KINDS[each].one, KINDS[each].many, KINDS[each].title, KINDS[each].in_dext)
    ]
    return QuestionOption(value=kind.value, says=says, words=[*words, *dict.fromkeys(named)])


_KIND_OPTIONS = [
    _kind_option(ItemKind.ACCOUNT, "An account (in Dext: a Category)", words=("category",)),
    _kind_option(
        ItemKind.TRACKING_OPTION,
        "A tracking option (in Dext: a value of a Project list)",
        words=("project", "tracking", "option", "project value"),
        also=(ItemKind.TRACKING_CATEGORY,),  # the check asks about the value, not its list
    ),
    _kind_option(ItemKind.SUPPLIER, "A supplier", words=("contact", "vendor")),
    _kind_option(ItemKind.TAX_RATE, "A tax rate", words=("tax", "gst", "vat")),
    _kind_option(
        ItemKind.BANK_ACCOUNT,
        "A bank account (in Dext: behind a Payment method)",
        words=("bank", "payment method"),
    ),
]
_IN_XERO = [
    QuestionOption(value="active", says="Yes, and it is active", words=[*YES_WORDS, "active"]),
    QuestionOption(value="archived", says="Yes, but it is archived", words=["archived"]),
    QuestionOption(value="absent", says="No, it is not in Xero", words=NO_WORDS),
]


def _xero_questions(name: str, answers: Mapping[str, str]) -> list[Question]:
    """The Xero questions still open for the item, in the order a person answers them."""
    where = "In Xero, search for it (the chart of accounts, tracking categories or contacts)."
    asked = [
        Question(
            id="xero.kind",
            text=f"What kind of thing is “{name}”?",
            where="What you would pick it as in Dext: a Category, a Project value, a supplier, "
            "a tax rate or a payment method.",
            type="choice",
            choices=[o.value for o in _KIND_OPTIONS],
            options=_KIND_OPTIONS,
            sets="xero",
            stage=Stage.XERO,
        ),
        Question(
            id="xero.has",
            text=f"Is “{name}” in Xero?",
            where=where,
            type="choice",
            choices=[o.value for o in _IN_XERO],
            options=_IN_XERO,
            sets="xero",
            stage=Stage.XERO,
        ),
    ]
    kind = answers.get("xero.kind")
    if kind == ItemKind.SUPPLIER.value:
        asked.append(
            Question(
                id="xero.supplier",
                text="Has a bill been entered for it in Xero?",
                where="Xero counts a contact as a supplier only once a bill exists for it; its "
                "contact page lists its bills.",
                type="yes_no",
                sets="xero.is_supplier",
                stage=Stage.XERO,
            )
        )
    if kind == ItemKind.TRACKING_OPTION.value:
        asked.append(
            Question(
                id="xero.category_active",
                text="Is its tracking category one of the (at most two) active ones in Xero?",
                where="In Xero, Accounting → Advanced → Tracking categories lists them; "
                "archived ones are shown apart.",
                type="yes_no",
                sets="xero.category_status",
                stage=Stage.XERO,
            )
        )
    if kind == ItemKind.BANK_ACCOUNT.value:
        asked.append(
            Question(
                id="xero.has_code",
                text="Does the bank account have an account code in Xero?",
                where="In Xero, the chart of accounts shows each bank account's code.",
                type="yes_no",
                sets="xero.has_code",
                stage=Stage.XERO,
            )
        )
    asked.append(
        Question(
            id="xero.changed",
            text="When was it created (or last changed) in Xero?",
            where="Answer as you remember it: 2 hours ago, yesterday 14:00, 2026-11-25 09:30. "
            + times_read_in(None),
            type="datetime",
            sets="xero.changed_at",
            stage=Stage.XERO,
        )
    )
    return [q for q in asked if q.id not in answers]


def _unconfigured(stage: Stage, why: str) -> StageSnapshot:
    return StageSnapshot(
        stage=stage, provenance=Provenance.ANSWER, reached=False, configured=False, error=why
    )


def xero_from_answers(
    name: str, answers: Mapping[str, str], now: datetime
) -> dict[Stage, StageSnapshot] | None:
    """The three systems as a person described them, nothing being connected: Xero holds the
    one item they named, as they said; ApprovalMax and Dext are still to be asked. None while
    Xero's questions are open."""
    if any(q.id in ("xero.kind", "xero.has") for q in _xero_questions(name, answers)):
        return None
    kind = ItemKind(answers["xero.kind"])
    state = answers["xero.has"]
    changed = answers.get("xero.changed")
    items: list[Item] = []
    if state != "absent":
        category_active = answers.get("xero.category_active")
        items.append(
            Item(
                kind=kind,
                name=name,
                code="(has one)" if answers.get("xero.has_code") == "yes" else None,
                status=Status.ARCHIVED if state == "archived" else Status.ACTIVE,
                is_supplier=(answers["xero.supplier"] == "yes")
                if "xero.supplier" in answers
                else None,
                parent_name="(its tracking category)" if kind is ItemKind.TRACKING_OPTION else None,
                parent_id="category" if kind is ItemKind.TRACKING_OPTION else None,
                updated_at=datetime.fromisoformat(changed) if changed else None,
                provenance=Provenance.ANSWER,
            )
        )
        if kind is ItemKind.TRACKING_OPTION:
            items.append(
                Item(
                    kind=ItemKind.TRACKING_CATEGORY,
                    xero_id="category",
                    name="(its tracking category)",
                    status=Status.ARCHIVED if category_active == "no" else Status.ACTIVE,
                    provenance=Provenance.ANSWER,
                )
            )
    organisation = OrganisationRef(name="Your organisation")
    xero = StageSnapshot(
        stage=Stage.XERO,
        provenance=Provenance.ANSWER,
        reached=True,
        fetched_at=now,
        organisation=organisation,
        items={k: [i for i in items if i.kind is k] for k in {kind, *(i.kind for i in items)}},
        answered={qid: Provenance.ANSWER for qid in answers if qid.startswith("xero.")},
    )
    why = "no access is set up"  # the card adds that its lists come from the person
    return {
        Stage.XERO: xero,
        Stage.APPROVALMAX: _unconfigured(Stage.APPROVALMAX, why),
        Stage.DEXT: _unconfigured(Stage.DEXT, why),
    }


NEEDED = ("xero.kind", "xero.has")  # without these there is no item to diagnose
NOT_IN_XERO = (
    "It is not in Xero, and Dext can only have what Xero has: check that you are looking at "
    "the right organisation in Xero, and that the item was saved there; once it is in Xero, "
    "run this check again."
)


@dataclass
class GuidedCheck:
    """One item, asked about one question at a time. `reading` is what the connected systems
    gave; None when nothing is connected (Xero's facts are asked too)."""

    text: str
    library: Library
    reading: Reading | None = None
    answers: dict[str, str] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)
    now: datetime = field(default_factory=host_now)
    item: str | None = None  # the key of the one item meant, where `text` matches several

    @property
    def clock(self) -> datetime:
        """The systems' clock where a system is read, else this machine's."""
        if self.reading is not None:
            return self.reading.clock()
        return self.now

    @property
    def not_in_xero(self) -> bool:
        """The person said the item is not in Xero: there is nothing to trace."""
        return self.reading is None and self.answers.get("xero.has") == "absent"

    def diagnosis(self) -> Diagnosis | None:
        """The diagnosis so far; None while Xero's own questions are open (or the item is
        not in Xero at all)."""
        answers = {k: v for k, v in self.answers.items() if not k.startswith("xero.")}
        if self.reading is not None:
            focus = self.item or self.text
            found = self.reading.diagnose(self.library, answers=answers, focus=focus)
            # Asked about as the person put it, though the one item they chose is searched.
            return found.model_copy(update={"focus": self.text}) if self.item else found
        if self.not_in_xero:
            return None
        snapshots = xero_from_answers(self.text, self.answers, self.now)
        if snapshots is None:
            return None
        return diagnose_snapshots(
            snapshots, self.library, self.now, answers=answers, focus=self.text
        )

    def closest_names(self) -> list[str]:
        """Where nothing matches `text`: the names nearest to it, as they are spelt."""
        if self.reading is None:
            return []
        every = self.reading.diagnose(self.library)
        return closest_names(every.items, self.text)

    def next_question(
        self, diagnosis: Diagnosis | None = None, *, every: bool = False
    ) -> Question | None:
        """The next question worth asking, or None: when no answer to any question left could
        change the plan (with `every`: when no question is left that was not skipped)."""
        if self.reading is None and not self.not_in_xero:
            for question in _xero_questions(self.text, self.answers):
                if question.id not in self.skipped:
                    return question
        if self.not_in_xero:
            return None
        diagnosis = diagnosis or self.diagnosis()
        if diagnosis is None:
            return None
        remaining = [q for q in diagnosis.questions if q.id not in self.skipped]
        if not every:
            # Asked while some answer could still change the plan, the normal setup the plan
            # takes for granted included (a connection, where Dext takes its lists from):
            # stopping at the first plan that assumptions make look settled told people to
            # wait while something was broken.
            remaining = [q for q in remaining if q.changes_plan is not False]
            gated = any(step.gate for step in diagnosis.plan)
            if not gated and all(q.changes_plan is None for q in remaining) and diagnosis.plan:
                return None  # not worked out (many items): a plan with no check to wait on
        return remaining[0] if remaining else None

    def answer(self, question: Question, text: str) -> None:
        """Takes an answer; a refused one raises AnswerError with its one plain sentence. An
        empty answer skips the question (the person does not know), except the two without
        which there is nothing to trace."""
        if not text.strip():
            if question.id in NEEDED:
                raise AnswerError(
                    f"{question.id}: needed", {question.id: "This one is needed to go on."}
                )
            self.skipped.add(question.id)
            return
        if question.id.startswith("xero."):
            self.answers[question.id] = self._xero_value(question, text)
            return
        try:
            spec_for(self.library.rules.questions, question.id)
        except KeyError:
            raise ConfigError(f"{question.id}: no such question") from None
        previous = dict(self.answers)
        self.answers[question.id] = text
        try:
            self.diagnosis()  # checks the answer against its question, as the diagnosis reads it
        except AnswerError:
            self.answers = previous
            raise

    def _xero_value(self, question: Question, text: str) -> str:
        try:
            if question.type == "choice":
                return choose(question.options, text)
            if question.type == "yes_no":
                return "yes" if parse_yes_no(text) else "no"
            try:  # nothing connected: the time is read in this machine's zone, as the hint says
                return parse_moment(text, self.clock, zone_of(None) or UTC).isoformat()
            except TimeError as exc:
                sentence = str(exc)
                raise ValueError(sentence[:1].upper() + sentence[1:] + ".") from None
        except ValueError as exc:
            raise AnswerError(f"{question.id}: {exc}", {question.id: str(exc)}) from None
