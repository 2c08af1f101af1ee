"""The scenario format: the three systems at one moment, as a YAML file.

Documented in docs/scenarios.md; `troubleshooter sandbox schema` prints its JSON Schema.
Any time may be written as an offset from the clock (`-3h`, `-1d2h30m`, `+20m`).
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from troubleshooter.errors import ScenarioError
from troubleshooter.infra.durations import DurationError, parse_offset
from troubleshooter.infra.files import read_text
from troubleshooter.infra.yamlfile import line_of, load_yaml, yaml_error_text
from troubleshooter.infra.years import in_years
from troubleshooter.model import SYNC_TYPES, DextIntegration, ItemKind, XeroConnection

AccountType = Literal[
    "BANK",
    "CURRENT",
    "CURRLIAB",
    "DEPRECIATN",
    "DIRECTCOSTS",
    "EQUITY",
    "EXPENSE",
    "FIXED",
    "INVENTORY",
    "LIABILITY",
    "NONCURRENT",
    "OTHERINCOME",
    "OVERHEADS",
    "PREPAYMENT",
    "REVENUE",
    "SALES",
    "TERMLIAB",
    "PAYG",
]
ItemStatus = Literal["ACTIVE", "ARCHIVED", "DELETED"]
ContactStatus = Literal["ACTIVE", "ARCHIVED", "GDPRREQUEST"]
TaxStatus = Literal["ACTIVE", "ARCHIVED", "DELETED", "PENDING"]
System = Literal["xero", "approvalmax", "approvalmax_adapter", "dext_adapter"]
Misbehaviour = Literal[
    "endless_body",
    "no_pagination",
    "huge_page_count",
    "endless_pages",
    "repeated_page",
    "wrong_kind",
    "duplicate_rows",
    "naive_timestamps",
    "gzip_bomb",
    "nested_gzip",
]


def _text(value: Any) -> Any:
    """`code: 420` in YAML is a number; Xero's codes are text ("091" keeps its zero)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Code = Annotated[str, BeforeValidator(_text)]

# A scenario's times fall in the years of infra/years.py. Offsets are at most a century
# (infra/durations.py), so no date arithmetic on them comes near datetime's limits.


def _no_number(value: Any) -> Any:
    """pydantic would read `clock: 5` as five seconds after 1970; a time is written as one."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time; write e.g. 2026-11-25T10:00:00Z")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_no_number), AfterValidator(in_years)]

# Long before any clock a scenario would use: an item with no `created` has always existed.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class Before(_Strict):
    """The item's state before its `updated` time. A stage that last synced before `updated`
    holds this state instead of the current one."""

    name: str | None = None
    code: Code | None = None
    status: str | None = None
    is_supplier: bool | None = None


class _Timed(_Strict):
    id: str | None = Field(default=None, description="Xero's id; derived from the name if omitted.")
    created: Moment | None = Field(
        default=None, description="When it was created in Xero; omitted means long ago."
    )
    updated: Moment | None = Field(
        default=None, description="When it last changed in Xero (Xero's UpdatedDateUTC)."
    )
    before: Before | None = None


class Account(_Timed):
    code: Code | None = Field(default=None, max_length=10)
    name: str = Field(max_length=150)
    type: AccountType = "EXPENSE"
    status: ItemStatus = "ACTIVE"
    tax_type: str | None = None
    description: str | None = None
    bank_account_number: str | None = None
    bank_account_type: Literal["BANK", "CREDITCARD", "PAYPAL", "NONE", ""] | None = None
    currency_code: str | None = None


class BankAccount(Account):
    """An account of type BANK, listed on its own for readability."""

    type: AccountType = "BANK"
    bank_account_type: Literal["BANK", "CREDITCARD", "PAYPAL", "NONE", ""] | None = "BANK"


class TrackingOption(_Timed):
    name: str = Field(max_length=100)
    status: ItemStatus = "ACTIVE"


class TrackingCategory(_Timed):
    name: str = Field(max_length=100)
    status: ItemStatus = "ACTIVE"
    options: list[TrackingOption] = Field(default_factory=list)


class Contact(_Timed):
    name: str = Field(max_length=255)
    status: ContactStatus = "ACTIVE"
    is_supplier: bool = False
    is_customer: bool = False
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    account_number: str | None = None
    contact_number: str | None = None


class TaxRate(_Timed):
    name: str
    tax_type: str = Field(description="Xero's identifier for the rate, e.g. INPUT2.")
    rate: float = 0.0
    status: TaxStatus = "ACTIVE"
    report_tax_type: str | None = None


class RateLimits(_Strict):
    per_minute: int = Field(default=60, ge=1)
    per_day: int = Field(default=5000, ge=1)
    enforce: bool = Field(
        default=False, description="Answer 429 once a limit is spent (headers are always sent)."
    )


class Xero(_Strict):
    tenant_id: str | None = None
    accounts: list[Account] = Field(default_factory=list)
    bank_accounts: list[BankAccount] = Field(default_factory=list)
    tracking_categories: list[TrackingCategory] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    tax_rates: list[TaxRate] = Field(default_factory=list)
    rate_limits: RateLimits = Field(default_factory=RateLimits)


class ApprovalMax(_Strict):
    company_id: str | None = None
    name: str | None = Field(default=None, description="Defaults to the organisation's name.")
    xero_connection: XeroConnection = "connected"
    last_sync: dict[str, Moment] | Moment | None = Field(
        default=None,
        description=f"One time for every data type, or one per type ({', '.join(SYNC_TYPES)}).",
    )
    access: Literal["adapter", "none"] = Field(
        default="adapter", description="Whether the stage adapter for ApprovalMax is offered."
    )

    @model_validator(mode="after")
    def _known_sync_types(self) -> ApprovalMax:
        if isinstance(self.last_sync, dict):
            unknown = sorted(set(self.last_sync) - set(SYNC_TYPES))
            if unknown:
                raise ValueError(
                    f"last_sync: unknown data type {', '.join(unknown)} "
                    f"(known: {', '.join(SYNC_TYPES)})"
                )
        return self

    def sync_time(self, sync_type: str, clock: datetime) -> datetime:
        if self.last_sync is None:
            return clock
        if isinstance(self.last_sync, datetime):
            return self.last_sync
        return self.last_sync.get(sync_type, clock)


class ItemRef(_Strict):
    """Picks one item: by kind plus its id, code or name (and category, for an option)."""

    kind: ItemKind
    id: str | None = None
    code: Code | None = None
    name: str | None = None
    category: str | None = Field(default=None, description="For a tracking option.")

    @model_validator(mode="after")
    def _something_to_match(self) -> ItemRef:
        if self.id is None and self.code is None and self.name is None:
            raise ValueError("give at least one of id, code or name")
        return self


class Dext(_Strict):
    last_pull: Moment | None = Field(
        default=None, description="Dext's last daily pull; defaults to the clock."
    )
    integration: DextIntegration = "approvalmax"
    linked_organisation: str | None = Field(
        default=None,
        description="The ApprovalMax organisation Dext is linked to; defaults to this one.",
    )
    hidden: list[ItemRef] = Field(
        default_factory=list, description="Project values whose Visible toggle is off in Dext."
    )
    access: Literal["adapter", "none"] = "adapter"


class Override(ItemRef):
    """Makes a stage hold an item differently from what the timeline says."""

    stage: Literal["approvalmax", "dext"]
    present: bool | None = None
    rename: str | None = Field(default=None, description="The name the item has at that stage.")


class Fault(_Strict):
    system: System
    path: str = Field(
        default="/", description="A path prefix within the system, e.g. /api.xro/2.0/Contacts."
    )
    status: int | None = Field(default=None, ge=100, le=599)
    retry_after: float | None = Field(default=None, ge=0, le=86_400)
    rate_limit_problem: Literal["minute", "day", "concurrent", "appminute"] | None = None
    delay: float = Field(
        default=0.0, ge=0, le=3600, description="Seconds to wait before answering."
    )
    body: str | None = Field(default=None, description="A raw body to send instead.")
    drop: bool = Field(default=False, description="Drop the connection without an answer.")
    times: int | None = Field(default=None, ge=1, description="How many requests; omitted: all.")
    # Answers that break Xero's format or the adapter contract (played by sandbox/faults.py).
    misbehave: Misbehaviour | None = Field(
        default=None, description="Answer in a way the API's format does not allow."
    )


class Organisation(_Strict):
    id: str | None = None
    name: str
    legal_name: str | None = None
    short_code: str | None = None
    country_code: str = "NZ"
    base_currency: str = "NZD"
    timezone: str = "NEWZEALANDSTANDARDTIME"
    version: str = "NZ"


class Scenario(_Strict):
    """The three systems at one moment."""

    description: str | None = None
    clock: Moment
    organisation: Organisation
    xero: Xero = Field(default_factory=Xero)
    approvalmax: ApprovalMax = Field(default_factory=ApprovalMax)
    dext: Dext = Field(default_factory=Dext)
    overrides: list[Override] = Field(default_factory=list)
    faults: list[Fault] = Field(default_factory=list)

    @property
    def tenant_id(self) -> str:
        return self.xero.tenant_id or stable_id("tenant", self.organisation.name)

    @property
    def organisation_id(self) -> str:
        return self.organisation.id or stable_id("organisation", self.organisation.name)

    @property
    def company_id(self) -> str:
        return self.approvalmax.company_id or stable_id("company", self.organisation.name)

    @property
    def dext_last_pull(self) -> datetime:
        return self.dext.last_pull or self.clock

    def all_accounts(self) -> list[Account]:
        return [*self.xero.accounts, *self.xero.bank_accounts]


def stable_id(*parts: str) -> str:
    """A Xero-looking id that stays the same for the same scenario text: the name-based
    (version 5) UUID of the parts, as `uuid.uuid5(uuid.NAMESPACE_URL, …)` makes it."""
    return _uuid5("troubleshooter:" + "/".join(parts))


_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes


@functools.lru_cache(maxsize=1 << 17)
def _uuid5(name: str) -> str:
    """`str(uuid.uuid5(uuid.NAMESPACE_URL, name))` without the UUID object (a large scenario
    makes an id for each of 50,000 contacts, some more than once: the object was most of the
    time): SHA-1 of the namespace and the name, its version nibble 5 and its variant bits
    10 (RFC 4122, 4.3), in the 8-4-4-4-12 form."""
    digest = hashlib.sha1(_URL_NAMESPACE + name.encode("utf-8"), usedforsecurity=False)
    hexed = digest.hexdigest()
    variant = "89ab"[int(hexed[16], 16) & 0x3]
    return f"{hexed[:8]}-{hexed[8:12]}-5{hexed[13:16]}-{variant}{hexed[17:20]}-{hexed[20:32]}"


_TIME_KEYS = {"created", "updated", "last_pull", "last_sync"}


def _resolve_offsets(
    node: Any, clock: datetime, key: str | None = None, line: int | None = None
) -> Any:
    """Turns `-3h`-style offsets under the time keys into absolute times."""
    if isinstance(node, dict):
        inherit = key == "last_sync"
        lines = getattr(node, "key_lines", {})
        for k, v in node.items():
            node[k] = _resolve_offsets(
                v, clock, "last_sync" if inherit else k, lines.get(str(k), line)
            )
        return node
    if isinstance(node, list):
        node[:] = [_resolve_offsets(v, clock, key, getattr(v, "line", line)) for v in node]
        return node
    if key in _TIME_KEYS and isinstance(node, str):
        where = f"line {line}: " if line else ""
        try:
            delta = parse_offset(node)
        except DurationError as exc:
            raise ScenarioError(f"{where}{key}: {exc}") from None
        if delta is not None:
            return clock + delta  # the clock is within the years, the offset within a century
    return node


def _aware(value: Any) -> Any:
    """YAML gives a naive datetime for a time without an offset; say what to write instead."""
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ScenarioError(
            f"the time {value.isoformat()} has no time zone: add one, e.g. "
            f"{value.isoformat()}Z for UTC"
        )
    return value


def parse_scenario(data: Any) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a mapping with at least `clock` and `organisation`")
    clock = data.get("clock")
    if isinstance(clock, str):  # a quoted clock: read it the way YAML reads an unquoted one
        try:
            clock = data["clock"] = datetime.fromisoformat(clock.replace("Z", "+00:00"))
        except ValueError:
            raise ScenarioError(
                f"clock: {clock!r} is not a time; write e.g. 2026-11-25T10:00:00Z"
            ) from None
    if isinstance(clock, datetime):
        clock = _aware(clock)
        try:
            in_years(clock)
        except ValueError as exc:
            raise ScenarioError(f"line {line_of(data, ['clock'])}: clock: {exc}") from None
        data = _resolve_offsets(data, clock)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, data)) from None


_MISMATCH = {"dict_type", "datetime_type", "datetime_parsing", "datetime_from_date_parsing"}


def format_validation_error(exc: ValidationError, data: Any = None) -> str:
    errors = exc.errors()
    # Where a value may take several shapes (`last_sync`: one time, or one per type), the
    # shapes it plainly is not say nothing; what is wrong within the shape it has says it all.
    telling = [e for e in errors if e["type"] not in _MISMATCH] or errors
    lines: list[str] = []
    for err in telling:
        loc = [p for p in err["loc"] if not (isinstance(p, str) and "[" in p)]  # union members
        where = ".".join(str(p) for p in loc) or "(top level)"
        line = line_of(data, loc) if data is not None else None
        if line is not None:
            where = f"line {line}: {where}"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key (check the spelling: `troubleshooter help scenarios`)"
        elif err["type"] == "timezone_aware":
            message = "the time needs a time zone, e.g. 2026-11-25T10:00:00Z"
        elif err["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        if f"{where}: {message}" not in lines:
            lines.append(f"{where}: {message}")
    return lines[0] if len(lines) == 1 else "\n  " + "\n  ".join(lines)


def load_scenario(path: Path | str) -> Scenario:
    """Reads a scenario file; every problem becomes a ScenarioError naming the file."""
    path = Path(path)
    if path.is_dir():
        raise ScenarioError(
            f"{path}: is a folder (to diagnose every scenario in it, add --all-organisations)"
        )
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return scenario_from_text(text, source=str(path))


def scenario_from_text(text: str, source: str = "<scenario>") -> Scenario:
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: {yaml_error_text(exc)}") from None
    try:
        return parse_scenario(data)
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None


def scenario_json_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "troubleshooter sandbox scenario"
    return schema
