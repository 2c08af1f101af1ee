"""Every word a person reads about states, kinds, sources and times, in one place: the text,
Markdown and HTML reports, the TUI and the rules' messages all take their words from here, so
that "tracking categories" is spelt one way and a time reads the same everywhere.

Nothing here knows a view: it returns plain strings (data in them is not escaped; each view
escapes for its own medium).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from troubleshooter.infra.timezones import local_zone, zone, zone_label
from troubleshooter.model import (
    DextIntegration,
    Diagnosis,
    ItemKind,
    Mark,
    OrganisationRef,
    PlanStep,
    Provenance,
    Stage,
    StageDetail,
    SystemStatus,
    built,
)

# -- marks ----------------------------------------------------------------------------------

SYMBOLS: dict[Mark, str] = {
    Mark.PRESENT: "✓",
    Mark.MISSING: "✗",
    Mark.ARCHIVED: "▪",
    Mark.HIDDEN: "◌",
    Mark.UNKNOWN: "?",
}
RENAMED_SYMBOL = "~"


def mark_words(mark: Mark) -> str:
    """A mark as symbol and word ("✗ missing"): it reads without colour."""
    return f"{SYMBOLS[mark]} {mark.value}"


def mark_reason(detail: StageDetail | None) -> str | None:
    """For a mark that was inferred or assumed rather than read: what it follows from, in
    words ("inferred: …", "assumed: …"). None for a mark read from a system or a person."""
    if detail is None or detail.provenance not in (Provenance.INFERRED, Provenance.ASSUMED):
        return None
    because = detail.because or "no reason recorded"
    return f"{detail.provenance.value}: {because}"


# -- kinds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindWords:
    one: str  # "tracking category"
    many: str  # "tracking categories"
    title: str  # a section heading, with Dext's own name after a dash (a count follows it)
    in_dext: str  # what Dext shows, in its own words first: "Categories (accounts in Xero)"
    short: str  # a narrow column: "category"
    filter: str  # a closed drop-down, distinct from every other: "Categories"


KINDS: dict[ItemKind, KindWords] = {
    ItemKind.ACCOUNT: KindWords(
        "account",
        "accounts",
        "Accounts — Categories in Dext",
        "Categories (accounts in Xero)",
        "account",
        "Accounts",
    ),
    ItemKind.TRACKING_CATEGORY: KindWords(
        "tracking category",
        "tracking categories",
        "Tracking categories — Projects in Dext",
        "Projects (tracking categories in Xero)",
        "category",
        "Tracking categories",
    ),
    ItemKind.TRACKING_OPTION: KindWords(
        "tracking option",
        "tracking options",
        "Tracking options — the values of Projects in Dext",
        "values of Projects (tracking options in Xero)",
        "option",
        "Tracking options",
    ),
    ItemKind.SUPPLIER: KindWords(
        "supplier",
        "suppliers",
        "Contacts and suppliers",
        "suppliers",
        "supplier",
        "Suppliers",
    ),
    ItemKind.TAX_RATE: KindWords(
        "tax rate", "tax rates", "Tax rates", "tax rates", "tax rate", "Tax rates"
    ),
    ItemKind.BANK_ACCOUNT: KindWords(
        "bank account",
        "bank accounts",
        "Bank accounts — behind Payment methods in Dext",
        "bank accounts (behind Payment methods)",
        "bank acct",
        "Bank accounts",
    ),
}


def kind_listed(kind: ItemKind, stage: Stage | None) -> str:
    """A kind as a question about one system names it: in Dext's own words for Dext
    ("Which Categories (accounts in Xero) does Dext show?"), in Xero's elsewhere ("Which
    accounts does ApprovalMax show?"), never Dext's name in a question about another system."""
    words = KINDS[kind]
    return words.in_dext if stage is Stage.DEXT else words.many


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 item", "2 items", "3 tracking categories" (give `many` where "s" is wrong)."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def them(count: int) -> str:
    """What stands for `count` things: "it" for one, "them" for more ("Send it", "Send them")."""
    return "it" if count == 1 else "them"


def kinds(count: int, kind: ItemKind) -> str:
    words = KINDS[kind]
    return plural(count, words.one, words.many)


# -- where facts came from --------------------------------------------------------------------


@dataclass(frozen=True)
class ProvenanceWords:
    long: str  # in a report: "read from its API"
    short: str  # on a card: "from its API"


PROVENANCE: dict[Provenance, ProvenanceWords] = {
    Provenance.API: ProvenanceWords("read from its API", "from its API"),
    Provenance.ADAPTER: ProvenanceWords("read through the stage adapter", "through the adapter"),
    Provenance.PASTED: ProvenanceWords("pasted by a person", "pasted"),
    Provenance.ANSWER: ProvenanceWords("answered by a person", "answered"),
    Provenance.SNAPSHOT: ProvenanceWords("from a saved snapshot", "from a snapshot"),
    Provenance.SANDBOX: ProvenanceWords("sandbox data", "sandbox data"),
}

INTEGRATIONS: dict[DextIntegration, str] = {
    "approvalmax": "ApprovalMax for Xero",
    "xero_direct": "directly to Xero",
    "none": "no integration",
}


def system_sources(system: SystemStatus, open_questions: int = 0) -> tuple[str, str]:
    """What was read from a system, and what came from a person, honestly: ApprovalMax's
    public API lists only organisations; lists and sync times then come from the person
    ("lists and sync times from you, 3 of 9 answered")."""
    if not system.configured and not system.answered:
        read = ""
    elif system.stage is Stage.APPROVALMAX and system.provenance is Provenance.API:
        read = "organisations from its API" if system.reached else ""
    elif system.configured:
        read = PROVENANCE[system.provenance].short
    else:
        read = ""
    answered = len(system.answered)
    person = ""
    if system.stage is not Stage.XERO and (answered or open_questions):
        total = answered + open_questions
        person = f"lists and sync times from you, {answered} of {total} answered"
    return read, person


def sync_type_words(sync_type: str) -> str:
    """ApprovalMax's data types as it names them: "tracking categories"."""
    return sync_type.replace("_", " ")


# -- times ----------------------------------------------------------------------------------


def zone_of(organisation: OrganisationRef | None) -> tzinfo | None:
    """The organisation's time zone, where its systems say; else this machine's (a person
    with nothing connected reads their own clock: infra/timezones.local_zone)."""
    known = zone(organisation.timezone) if organisation is not None else None
    return known or local_zone().zone


def zone_name(zone_: tzinfo | None) -> str:
    """How a view names its time zone, once: "Pacific/Auckland", "UTC+13:00" or "UTC"."""
    return zone_label(zone_) if zone_ is not None else "UTC"


def times_read_in(organisation: OrganisationRef | None) -> str:
    """The sentence a question that takes a time adds to its hint: which zone a time without
    one is read in, and whose zone that is."""
    if organisation is not None and zone(organisation.timezone) is not None:
        name = zone_name(zone_of(organisation))
        return f"Times are read in {name}, the organisation's time zone."
    here = local_zone()
    return (
        f"Times are read in {here.name}, this computer's time zone (the organisation's is not "
        "known)."
    )


def when(moment: datetime | None, zone_: tzinfo | None = None, *, named: bool = True) -> str:
    """A moment as a person reads it, in the organisation's zone: "2026-11-25 14:00 NZDT"
    (`named`: with the zone's abbreviation, for a time that stands alone; a view that names
    its zone once writes the others without it)."""
    if moment is None:
        return "unknown"
    try:
        local = moment.astimezone(zone_ or UTC)
    except (OverflowError, ValueError):  # near datetime's ends: shown in its own zone
        local = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    text = local.strftime("%Y-%m-%d %H:%M")
    return f"{text} {local.tzname() or 'UTC'}" if named else text


def span(seconds: float) -> str:
    """A length of time at a glance: "45 s", "70 min", "4 h 05 min", "2 h" (whole hours
    without "00 min"), "13 h", "4 days"."""
    seconds = int(seconds)
    if seconds < 90:
        return f"{max(seconds, 0)} s"
    minutes = seconds // 60
    if minutes < 90:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest:02d} min" if hours < 10 and rest else f"{hours} h"
    return plural(hours // 24, "day")


def age(moment: datetime | None, now: datetime) -> str:
    """How long before `now`: "just now", "70 min ago", "in the future"."""
    if moment is None:
        return "unknown"
    try:
        seconds = (now - moment).total_seconds()
    except OverflowError:  # near datetime's ends: further than any span says
        return "in the future" if moment.year > now.year else "long ago"
    if seconds < 0:
        return "in the future"
    if seconds < 90:
        return "just now"
    return f"{span(seconds)} ago"


# -- verdicts -------------------------------------------------------------------------------


def verdict(diagnosis: Diagnosis) -> str:
    """One line: what is wrong, what is not known, or that nothing is. Never an all-clear the
    facts contradict: an item known to be missing, or not known to have arrived where it should,
    keeps "no problem" and "everything has reached Dext" from being said."""
    summary = diagnosis.summary
    org = diagnosis.organisation.name
    failed = diagnosis.failed_systems
    stopped = summary.stopped
    organisation_findings = [f for f in diagnosis.findings if f.key is None and not _quiet(f)]
    item_findings = {f.key for f in diagnosis.findings if f.key is not None}
    gated = any(step.gate for step in diagnosis.plan)
    waiting = any(step.wait for step in diagnosis.plan) and not gated
    if stopped and waiting:
        broken = "seems" if diagnosis.assumptions else "is"
        on_way = plural(stopped, "item")
        text = f"{org}: {on_way} on the way from Xero to Dext; nothing {broken} broken"
    elif stopped:
        text = f"{org}: {plural(stopped, 'item')} stopped on the way from Xero to Dext"
        if gated:
            text += "; what to do first depends on a check"
    elif organisation_findings:
        count = len(organisation_findings)
        text = f"{org}: {plural(count, 'problem')} in how the systems are connected"
    elif item_findings:  # items that did reach Dext, yet something about them is amiss
        text = f"{org}: {plural(len(item_findings), 'item')} with a finding to look at"
    elif summary.unverified:
        where = " and ".join(s.label for s in _unverified_stages(diagnosis)) or "Dext"
        text = f"{org}: {plural(summary.unverified, 'item')} not known to have reached {where}"
    elif failed:
        text = f"{org}: no problem found in what could be checked"
    elif diagnosis.questions:
        text = f"{org}: no problem found so far"
    else:
        text = f"{org}: everything in Xero that should reach Dext has reached it"
    if failed:
        names = ", ".join(s.stage.label for s in failed)
        text += f" ({names} could not be fully checked)"
    # Questions no answer to which could change the plan settle nothing a person needs now.
    open_ = [q for q in diagnosis.questions if q.changes_plan is not False]
    if open_:
        text += f"; {plural(len(open_), 'question')} would settle the rest"
    return text


def wait_lead(wait: PlanStep, *, alone: bool) -> str:
    """How waiting is offered: a choice beside the steps, the only thing to do, or, where it
    holds for one answer to a check only, behind that answer ("If it is there, …")."""
    if wait.gate is not None:
        return f"{wait.gate.reading}, you can simply wait"
    return "Nothing to do but wait" if alone else "Or simply wait"


def _unverified_stages(diagnosis: Diagnosis) -> list[Stage]:
    """The stages some item is not known to have reached (unknown there, or only assumed)."""
    found: set[Stage] = set()
    for trace in built(diagnosis.items):  # a compact row is known everywhere it should be
        found.update(trace.not_known_at())
        if len(found) == 2:
            break
    return [stage for stage in (Stage.APPROVALMAX, Stage.DEXT) if stage in found]


def _quiet(finding: object) -> bool:
    """The organisation finding that only says "wait" is no problem of its own."""
    return getattr(finding, "rule", "") == "within-normal-windows"


def assumptions_line(diagnosis: Diagnosis) -> str | None:
    """The assumptions the plan rests on, once each, as one sentence."""
    texts = list(dict.fromkeys(a.text for a in diagnosis.assumptions))
    if not texts:
        return None
    return "Assuming " + "; ".join(texts) + ". The questions check this."


def snapshot_banner(diagnosis: Diagnosis, zone_: tzinfo | None = None) -> str | None:
    """The one line that says a diagnosis comes from a saved bundle, and how old it is."""
    snap = diagnosis.snapshot
    if snap is None:
        return None
    seconds = snap.age_seconds
    old = (
        "just before it was diagnosed"
        if seconds < 90
        else f"{span(seconds)} before it was diagnosed"
    )
    return (
        f"Snapshot, not read live: collected {old} "
        f"(the systems' clock then: {when(snap.collected_at, zone_)})"
    )


def stage_title(stage: Stage) -> str:
    return stage.label
