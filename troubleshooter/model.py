"""The domain model: stages, items, snapshots, traces, findings, the plan and the diagnosis.

Everything downstream (CLI, reports, TUI) renders a `Diagnosis`; nothing re-computes a verdict.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from itertools import compress, repeat
from operator import is_, is_not
from typing import Any, Literal, Self, get_args, overload

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    field_serializer,
)

from troubleshooter.infra.gcpause import collector_paused
from troubleshooter.infra.redact import mask_account_number

SCHEMA_VERSION = 1


class Stage(StrEnum):
    """A system in the chain, in the order reference data flows through them."""

    XERO = "xero"
    APPROVALMAX = "approvalmax"
    DEXT = "dext"

    @property
    def label(self) -> str:
        return _STAGE_TITLES[self]


_STAGE_TITLES = {Stage.XERO: "Xero", Stage.APPROVALMAX: "ApprovalMax", Stage.DEXT: "Dext"}
STAGES: tuple[Stage, ...] = (Stage.XERO, Stage.APPROVALMAX, Stage.DEXT)
DOWNSTREAM: tuple[Stage, ...] = (Stage.APPROVALMAX, Stage.DEXT)


class ItemKind(StrEnum):
    """The kinds of reference data that travel from Xero to Dext."""

    ACCOUNT = "account"
    TRACKING_CATEGORY = "tracking_category"
    TRACKING_OPTION = "tracking_option"
    SUPPLIER = "supplier"
    TAX_RATE = "tax_rate"
    BANK_ACCOUNT = "bank_account"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Provenance(StrEnum):
    """Where a fact came from. A fact nobody could get is unknown, never "missing"."""

    API = "api"
    ADAPTER = "adapter"
    PASTED = "pasted"
    ANSWER = "answer"
    SNAPSHOT = "snapshot"
    SANDBOX = "sandbox"
    INFERRED = "inferred"  # follows from other facts along the chain (it says which)
    ASSUMED = "assumed"  # the normal setup, taken until a person's answer says otherwise


class Mark(StrEnum):
    """An item's state at one stage."""

    PRESENT = "present"
    MISSING = "missing"
    ARCHIVED = "archived"
    HIDDEN = "hidden"
    UNKNOWN = "unknown"


class Status(StrEnum):
    """Xero's status values across the reference kinds (contacts and tax rates add two)."""

    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    DELETED = "DELETED"
    PENDING = "PENDING"
    GDPRREQUEST = "GDPRREQUEST"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


XeroConnection = Literal["connected", "disconnected", "expired"]
DextIntegration = Literal["approvalmax", "xero_direct", "none"]

# The ApprovalMax data types whose last sync it shows, and the item kinds each one carries.
# ApprovalMax's types of data, as it syncs them. A key outside these (from an adapter, a bundle
# or a saved report) is refused: it would reach screens and reports as text nobody escaped.
SyncType = Literal["accounts", "tracking_categories", "contacts", "tax_rates"]
SYNC_TYPE_OF_KIND: dict[ItemKind, SyncType] = {
    ItemKind.ACCOUNT: "accounts",
    ItemKind.BANK_ACCOUNT: "accounts",
    ItemKind.TRACKING_CATEGORY: "tracking_categories",
    ItemKind.TRACKING_OPTION: "tracking_categories",
    ItemKind.SUPPLIER: "contacts",
    ItemKind.TAX_RATE: "tax_rates",
}
SYNC_TYPES: tuple[SyncType, ...] = get_args(SyncType)


_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=65536)
def normalise_name(name: str) -> str:
    """Case, spacing and surrounding punctuation aside. (Cached: lineage asks for the same
    names at every stage.)"""
    return _SPACES.sub(" ", name).strip(" .-–—_").casefold()


def item_label(name: str, parent: str | None) -> str:
    """How a person names an item: "Region / Auckland" for a tracking option, with its
    category."""
    return f"{parent} / {name}" if parent else name


_ALL_SET: dict[type[BaseModel], set[str]] = {}  # per model class, the names of all its fields


def _all_fields(cls: type[BaseModel]) -> set[str]:
    """One set of every field's name per model class, shared by all its instances."""
    found = _ALL_SET.get(cls)
    if found is None:
        found = _ALL_SET[cls] = set(cls.model_fields)
    return found


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """The model from values the program built itself, of the right types already, without
        validating them again (as pydantic's `model_construct` does, without its per-field
        loop): lineage makes one trace and one detail per item, 100,000 on a big organisation,
        and validating them was a quarter of building them. Every field is given: a field left
        out would be missing, not defaulted (tests/test_lineage.py checks each trace against
        its validated twin)."""
        model = _new(cls)  # names bound once: this runs 100,000 times in a big export
        _set(model, "__dict__", values)
        # One set for all (pydantic reads it for `exclude_unset`, which nothing here asks for):
        # a set each was 30 MB on 52,000 traces.
        _set(model, "__pydantic_fields_set__", _ALL_SET.get(cls) or _all_fields(cls))
        _set(model, "__pydantic_extra__", None)
        _set(model, "__pydantic_private__", None)
        return model


_new = object.__new__
_set = object.__setattr__


# Exports redact on the way out, as the diagnosis is serialised once (no copy of it is made):
# a `redactor` (infra.redact.Redactor) in the serialisation context passes every string that
# can hold data from a system or a person through it; contact details go unless kept, and bank
# account numbers keep their last four digits.


def _redactor(info: SerializationInfo) -> Any:
    context = info.context
    return context.get("redactor") if isinstance(context, dict) else None


def _shown(value: Any, info: SerializationInfo) -> Any:
    redactor = _redactor(info)
    if redactor is None or value is None:
        return value
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, list):
        return [redactor.text(v) if isinstance(v, str) else v for v in value]
    if isinstance(value, dict):
        return {k: redactor.text(v) if isinstance(v, str) else v for k, v in value.items()}
    return value


def _contact(value: Any, info: SerializationInfo) -> Any:
    redactor = _redactor(info)
    if redactor is None or value is None or redactor.contact_details:
        return value
    return None


def _bank(value: Any, info: SerializationInfo) -> Any:
    if _redactor(info) is None or value is None:
        return value
    return mask_account_number(str(value))


def _shown_field(self: Any, value: Any, info: SerializationInfo) -> Any:
    return _shown(value, info)


def _contact_field(self: Any, value: Any, info: SerializationInfo) -> Any:
    return _contact(value, info)


def _bank_field(self: Any, value: Any, info: SerializationInfo) -> Any:
    return _bank(value, info)


def shown(*fields: str) -> Any:
    """A serialiser that redacts these fields on the way out of an export. (The JSON export
    of report/ finds these fields by their serialiser, `_shown_field`, and redacts them all in
    one pass before it serialises: one search for 200,000 strings instead of a call each.)"""
    return field_serializer(*fields, when_used="json")(_shown_field)


def redacted_by_shown(function: Any) -> bool:
    """Whether a serialiser in a model's core schema is `shown`'s."""
    return function is _shown_field


class Item(_Model):
    """A reference item as one stage holds it."""

    kind: ItemKind
    xero_id: str | None = None
    code: str | None = None
    name: str
    status: Status = Status.ACTIVE
    parent_id: str | None = Field(
        default=None, description="For a tracking option: its category's Xero id."
    )
    parent_name: str | None = Field(
        default=None, description="For a tracking option: its category's name."
    )
    updated_at: datetime | None = None
    synced_at: datetime | None = Field(
        default=None, description="When the item reached this stage, where the stage says."
    )
    visible: bool = Field(default=True, description="Dext's per-value Visible toggle.")
    is_supplier: bool | None = None
    account_type: str | None = None
    email: str | None = Field(default=None, description="A contact's email (redacted in exports).")
    phone: str | None = Field(default=None, description="A contact's phone (redacted in exports).")
    bank_account_number: str | None = Field(
        default=None, description="A bank account's number (masked to its last four digits)."
    )
    provenance: Provenance | None = Field(
        default=None, description="Where this item came from, when not from its stage's source."
    )
    confidence: float | None = Field(
        default=None, description="For a pasted item: how surely it was matched to Xero's."
    )

    def model_post_init(self, context: Any, /) -> None:
        """Every item shares one "fields set" (all of them): pydantic keeps a set per model for
        `exclude_unset`, which nothing here asks for, and on a big organisation those sets
        were 60 MB of the 97,000 items the three systems hold."""
        object.__setattr__(self, "__pydantic_fields_set__", _all_fields(Item))

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        object.__setattr__(copied, "__pydantic_fields_set__", _all_fields(Item))  # as above
        return copied


class OrganisationRef(_Model):
    id: str | None = None
    name: str
    short_code: str | None = None
    timezone: str | None = Field(
        default=None,
        description="The organisation's IANA time zone (from Xero's Organisation.Timezone), "
        "in which times are shown to people; JSON stays UTC.",
    )

    _redacted = shown("id", "name", "short_code")


class StageSnapshot(_Model):
    """What one system told us (or could not tell us) at one moment."""

    stage: Stage
    provenance: Provenance
    reached: bool = Field(description="False when the system could not be reached at all.")
    configured: bool = Field(default=True, description="False when no access was set up.")
    error: str | None = None
    fetched_at: datetime | None = Field(
        default=None, description="The system's own clock when it answered, where it says."
    )
    organisation: OrganisationRef | None = None
    items: dict[ItemKind, list[Item]] = Field(
        default_factory=dict, description="Per kind; a kind that is absent here is unknown."
    )
    kind_errors: dict[ItemKind, str] = Field(default_factory=dict)
    partial: dict[ItemKind, str] = Field(
        default_factory=dict,
        description="Kinds read only in part (a focused run asks Xero for the contacts it "
        "names), with what was read: an item of such a kind that is not here is unknown at "
        "this stage, not missing.",
    )
    # ApprovalMax
    xero_connection: XeroConnection | None = None
    last_sync: dict[SyncType, datetime] = Field(
        default_factory=dict, description="ApprovalMax's last sync per data type."
    )
    # Dext
    last_pull: datetime | None = None
    integration: DextIntegration | None = None
    linked_organisation: OrganisationRef | None = None
    linked_here: bool | None = Field(
        default=None, description="An answer: whether Dext is linked to this organisation."
    )
    answered: dict[str, Provenance] = Field(
        default_factory=dict,
        description="Facts set by the person (answers, pasted lists) rather than the system.",
    )

    def knows(self, kind: ItemKind) -> bool:
        return kind in self.items

    @property
    def failed(self) -> bool:
        """Access was set up, yet some or all of what we asked for could not be had."""
        return self.configured and (not self.reached or bool(self.kind_errors))


class StageDetail(_Model):
    """An item at one stage: the name and code it has there, and since when."""

    name: str | None = None
    code: str | None = None
    since: datetime | None = None
    provenance: Provenance | None = None
    confidence: float | None = None
    because: str | None = Field(
        default=None, description="For an inferred or assumed mark: what it follows from."
    )

    _redacted = shown("name", "code", "because")


class ItemTrace(_Model):
    """One item across the three stages."""

    kind: ItemKind
    key: str = Field(description="Stable identity: the Xero id where known, else code or name.")
    code: str | None
    name: str
    xero_id: str | None = None
    parent: str | None = Field(default=None, description="For a tracking option: its category.")
    status: Status | None = Field(default=None, description="The status in Xero, if Xero has it.")
    stages: dict[Stage, Mark]
    detail: dict[Stage, StageDetail] = Field(
        default_factory=dict,
        description="Per stage, what it says of the item: the name and code it has there, "
        "since when. A stage that holds the item exactly as Xero does is left out.",
    )
    eligible: bool | None = Field(
        default=None,
        description="Whether Xero's state lets the item reach Dext at all (None: Xero unknown).",
    )
    blocked: dict[Stage, str] = Field(
        default_factory=dict,
        description="Per downstream stage, why Xero's state keeps the item from it.",
    )
    is_supplier: bool | None = Field(default=None, description="For a contact, in Xero.")
    email: str | None = Field(default=None, description="A contact's email (redacted in exports).")
    phone: str | None = Field(default=None, description="A contact's phone (redacted in exports).")
    bank_account_number: str | None = Field(
        default=None, description="A bank account's number (masked to its last four digits)."
    )
    parent_status: Status | None = Field(
        default=None, description="For a tracking option: its category's status in Xero."
    )

    @property
    def label(self) -> str:
        """How a person names the item: "Region / Auckland" for a tracking option."""
        return item_label(self.name, self.parent)

    @property
    def renamed(self) -> bool:
        names = {normalise_name(d.name) for d in self.detail.values() if d.name is not None}
        return len(names) > 1

    def renamed_at(self, stage: Stage) -> bool | None:
        """Whether `stage` holds the item under another name than Xero; None if either lacks it.
        A stage that holds the item with no detail of its own holds it as Xero does."""
        here, xero = self.detail.get(stage), self.detail.get(Stage.XERO)
        if (
            xero is None
            or xero.name is None
            or self.stages.get(stage) in (None, Mark.MISSING, Mark.UNKNOWN)
        ):
            return None
        if here is None:
            return False
        if here.name is None:
            return None
        return normalise_name(here.name) != normalise_name(xero.name)

    @property
    def has_gap(self) -> bool:
        return list(self.stages.values()).count(Mark.PRESENT) != len(self.stages)

    def not_known_at(self) -> list[Stage]:
        """The stages after Xero the item should reach and is not known to have: unknown
        there, or only assumed (Xero's own hold on it aside)."""
        if self.eligible is False:
            return []
        return [
            stage
            for stage in (Stage.APPROVALMAX, Stage.DEXT)
            if stage not in self.blocked
            and (
                self.stages[stage] is Mark.UNKNOWN
                or (
                    (detail := self.detail.get(stage)) is not None
                    and detail.provenance is Provenance.ASSUMED
                )
            )
        ]

    def missing_at(self) -> list[Stage]:
        """The stages after Xero the item should reach and is known not to have (from a
        system, a person or the chain; an assumption is not knowing)."""
        if self.eligible is not True:
            return []
        return [
            stage
            for stage in (Stage.APPROVALMAX, Stage.DEXT)
            if stage not in self.blocked
            and self.stages[stage] is Mark.MISSING
            and not (
                (detail := self.detail.get(stage)) is not None
                and detail.provenance is Provenance.ASSUMED
            )
        ]

    _redacted = shown("key", "code", "name", "xero_id", "parent")
    # Not called for None (written as null all the same): most traces hold none of these.
    _contacts = field_serializer("email", "phone", when_used="json-unless-none")(_contact_field)
    _bank_number = field_serializer("bank_account_number", when_used="json-unless-none")(
        _bank_field
    )


class Traces(Sequence[ItemTrace]):
    """A diagnosis's items, in order, with the items that have nothing to say kept compact
    until something reads them.

    Lineage keeps two sorts of item as a row of its own rather than a trace: an item every stage
    holds just as Xero does, and one that Xero keeps from every stage after it and no stage
    holds. On a big organisation they are most items (of 52,000, some 50,000), and the rules,
    the inferences and the counts have nothing to do with them. Reading an item in any way (by
    index, or by going through them) makes its trace once, with the one function lineage makes
    every trace with, and keeps it; `built()` goes through the traces made so far only, for the
    parts of the diagnosis that leave the compact rows alone, and `rows()` shows lineage's own.
    Two threads reading the same row at once may each make it; both traces are equal.
    """

    __slots__ = ("_describe", "_make", "_rows")

    def __init__(
        self,
        rows: list[Any],
        make: Callable[[Any], ItemTrace],
        describe: Callable[[Any], tuple[ItemKind, str | None, str]],
    ) -> None:
        self._rows = rows
        self._make = make
        self._describe = describe  # a compact row's kind, code and label, without its trace

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> ItemTrace: ...
    @overload
    def __getitem__(self, index: slice) -> list[ItemTrace]: ...
    def __getitem__(self, index: int | slice) -> ItemTrace | list[ItemTrace]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._rows)))]
        row = self._rows[index]
        if isinstance(row, ItemTrace):
            return row
        trace = self._rows[index] = self._make(row)
        return trace

    def __iter__(self) -> Iterator[ItemTrace]:
        rows = self._rows
        for index, row in enumerate(rows):
            if not isinstance(row, ItemTrace):
                self._make_from(index)
                row = rows[index]
            yield row

    _BATCH = 10_000

    def _make_from(self, start: int) -> None:
        """Makes the compact rows from `start` on, a batch of them, with the collector paused
        (infra/gcpause.py: it would walk the growing heap again and again; a pause is never
        held across a `yield`, so a reader that stops early leaves it running)."""
        rows, make = self._rows, self._make
        with collector_paused():
            for index in range(start, min(start + self._BATCH, len(rows))):
                row = rows[index]
                if not isinstance(row, ItemTrace):
                    rows[index] = make(row)

    def built(self) -> Iterator[ItemTrace]:
        """The traces made so far, in order (the compact rows left out). Asked often, of every
        row: the test of each row's type runs in C (a row is a trace or lineage's own)."""
        rows = self._rows
        return compress(rows, map(is_, map(type, rows), repeat(ItemTrace)))

    def rows(self) -> Iterator[tuple[int, Any]]:
        """The compact rows not read yet, with their places."""
        rows = self._rows
        return compress(enumerate(rows), map(is_not, map(type, rows), repeat(ItemTrace)))

    def names(self) -> Iterator[tuple[int, ItemKind, str | None, str]]:
        """Every item's place, kind, code and label, without making the compact ones."""
        describe = self._describe
        for index, row in enumerate(self._rows):
            if isinstance(row, ItemTrace):
                yield index, row.kind, row.code, row.label
            else:
                yield index, *describe(row)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Traces | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Traces({len(self._rows)} items)"

    def __deepcopy__(self, memo: dict[int, Any]) -> list[ItemTrace]:
        return copy.deepcopy(list(self), memo)

    def __reduce__(self) -> tuple[type[list[ItemTrace]], tuple[list[ItemTrace]]]:
        """Pickled as the list it stands for (lineage's maker is a closure: no pickle holds
        it), so a diagnosis pickles as it did when its items were a list."""
        return list, (list(self),)


def built(traces: Sequence[ItemTrace]) -> Iterable[ItemTrace]:
    """The traces of `traces` made so far (`Traces.built`), or all of a plain list."""
    return traces.built() if isinstance(traces, Traces) else traces


class Finding(_Model):
    rule: str
    action: str
    kind: ItemKind | None = Field(default=None, description="None for an organisation-wide one.")
    key: str | None = None
    name: str | None = None
    article: str
    message: str
    severity: Severity = Severity.WARNING
    stage: Stage | None = Field(default=None, description="Where the item stopped.")
    expected_by: datetime | None = Field(
        default=None, description="When the chain would bring it anyway, without action."
    )
    then: list[str] = Field(
        default_factory=list, description="Actions that must follow this finding's action."
    )

    _redacted = shown("key", "name", "message")


class QuestionOption(_Model):
    """One answer a question offers: what to type (`value`, or any of `words`) and how it
    reads."""

    value: str
    says: str
    words: list[str] = Field(default_factory=list)

    _redacted = shown("says", "words")


class Question(_Model):
    """Something the tool cannot see, asked in plain words, with the fact the answer sets.
    Open questions come best first: the one whose answer can change the plan most."""

    id: str
    text: str
    where: str = Field(description="Where to look to answer it.")
    type: Literal["yes_no", "choice", "datetime", "list"]
    choices: list[str] = Field(default_factory=list)
    options: list[QuestionOption] = Field(
        default_factory=list, description="For a choice: each answer in the vendors' words."
    )
    sets: str = Field(description="The fact the answer sets.")
    stage: Stage | None = None
    kind: ItemKind | None = None
    key: str | None = Field(default=None, description="For a question about one item.")
    checks: str | None = Field(
        default=None, description="The assumption it would check, where the plan rests on one."
    )
    changes_plan: bool | None = Field(
        default=None,
        description="Whether a likely answer would change the plan (None: not worked out, as "
        "in a whole-organisation run with many items).",
    )

    _redacted = shown("text", "where", "checks", "key", "id")


class Assumption(_Model):
    """Something the plan takes to be so until a person says otherwise: the normal setup of
    the chain (ApprovalMax connected to Xero, Dext taking its lists from it), or, in a focused
    run, that the item is not in Dext (the reason for asking)."""

    fact: str
    value: str
    text: str = Field(description="The assumption in plain words.")
    question: str | None = Field(default=None, description="The question that would check it.")
    key: str | None = Field(default=None, description="For an assumption about one item.")

    _redacted = shown("text", "key")


class Gate(_Model):
    """A check a step waits on: do the step if the check comes out as `answers` say."""

    question: str = Field(description="The open question whose answer settles it.")
    check: str = Field(description="What to look at, in plain words.")
    answers: list[str] = Field(description="The answers for which the step applies.")
    reading: str = Field(description='How the condition reads: "If it is not there".')

    _redacted = shown("check", "reading")


class PlanStep(_Model):
    order: int
    action: str
    title: str
    instructions: list[str]
    items: list[str] = Field(description="Keys of the items this step fixes.")
    expected_by: datetime | None = None
    expected_note: str | None = None
    gate: Gate | None = Field(
        default=None, description="A check the step waits on; None: do it as it stands."
    )
    wait: bool = Field(
        default=False,
        description="Not a fix: the chain's own clocks bring everything in time (waiting is a "
        "choice).",
    )

    _redacted = shown("items", "expected_note")


class SystemStatus(_Model):
    """One system's state as the report shows it: reached or not, from where, how old."""

    stage: Stage
    reached: bool
    configured: bool = True
    provenance: Provenance
    error: str | None = None
    fetched_at: datetime | None = None
    organisation: OrganisationRef | None = None
    unknown_kinds: list[ItemKind] = Field(default_factory=list)
    kind_errors: dict[ItemKind, str] = Field(default_factory=dict)
    item_counts: dict[ItemKind, int] = Field(default_factory=dict)
    xero_connection: XeroConnection | None = None
    last_sync: dict[SyncType, datetime] = Field(default_factory=dict)
    last_pull: datetime | None = None
    integration: DextIntegration | None = None
    answered: dict[str, Provenance] = Field(
        default_factory=dict, description="Questions answered for this system, by id."
    )

    _redacted = shown("error", "kind_errors")


class QuietCause(_Model):
    """A cause that is normal in a whole-organisation run: counted, not listed."""

    rule: str
    title: str
    count: int

    _redacted = shown("title")


class Summary(_Model):
    items: int
    healthy: int
    with_findings: int
    findings: int
    not_expected_downstream: int = Field(
        description="Items Xero itself keeps from travelling (archived, not a supplier, …)."
    )
    quiet: list[QuietCause] = Field(
        default_factory=list,
        description="Causes that are normal in a whole-organisation run, counted per rule "
        "(ask about one item with --item to have them explained).",
    )
    stopped: int = Field(
        default=0,
        description="Items with findings, or known to be missing where they should be.",
    )
    missing: int = Field(
        default=0,
        description="Items known (from a system, a person, or the chain) not to be at a stage "
        "Xero's state says they should reach.",
    )
    unverified: int = Field(
        default=0,
        description="Items not known to be at a stage they should reach: unknown there, or "
        "missing only by assumption.",
    )


class ArticleRef(_Model):
    """A knowledge article a finding cites, as a report shows it."""

    id: str
    title: str
    excerpt: str
    link: str | None = Field(default=None, description="Where its facts come from.")

    _redacted = shown("title", "excerpt")


class SnapshotInfo(_Model):
    """Where a diagnosis of a saved bundle came from."""

    collected_at: AwareDatetime = Field(description="The systems' clock when it was collected.")
    tool_version: str
    source: str | None = None
    diagnosed_at: AwareDatetime = Field(
        description="This machine's clock when the snapshot was diagnosed again."
    )
    collected_on_host: AwareDatetime | None = Field(
        default=None,
        description="The collecting machine's clock when it was collected (bundles from before "
        "this field: unknown).",
    )

    @property
    def age_seconds(self) -> float:
        """How long before the diagnosis it was collected, on one clock: the machines' where
        the bundle says, else the systems' (older bundles)."""
        start = self.collected_on_host or self.collected_at
        return (self.diagnosed_at - start).total_seconds()

    _redacted = shown("source")


class Diagnosis(_Model):
    schema_version: int = SCHEMA_VERSION
    generated_at: AwareDatetime
    organisation: OrganisationRef
    systems: list[SystemStatus]
    # Every item, in order; in a run about the whole organisation a `Traces`, whose items with
    # nothing to say are made when read.
    items: Sequence[ItemTrace]
    findings: list[Finding]
    plan: list[PlanStep]
    questions: list[Question] = Field(default_factory=list)
    assumptions: list[Assumption] = Field(
        default_factory=list, description="What the plan takes to be so until answered."
    )
    summary: Summary
    focus: str | None = Field(default=None, description="The --item text of a focused run.")
    articles: list[ArticleRef] = Field(
        default_factory=list, description="The knowledge articles the findings cite."
    )
    snapshot: SnapshotInfo | None = Field(
        default=None, description="Set when diagnosed from a saved bundle, not live."
    )

    @field_serializer("items", return_type=list[ItemTrace])
    def _every_item(self, items: Sequence[ItemTrace]) -> list[ItemTrace]:
        """Every item as a list, so `Traces` serialise as lists do (making what is compact)."""
        return items if isinstance(items, list) else list(items)

    @property
    def failed_systems(self) -> list[SystemStatus]:
        return [s for s in self.systems if s.configured and (not s.reached or s.kind_errors)]
