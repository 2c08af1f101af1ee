"""What every report shows, worked out once from a Diagnosis: the text, Markdown and HTML
renderings all draw from one `ReportView`.

Every string that reaches a view passes through one `shown()` function on the way in: it cuts
out secrets and (unless kept) contact details, as exports must, and makes control and bidi
characters visible. So a renderer never sees raw data, and the diagnosis itself is never copied
or rebuilt for a report (on a big organisation that copy cost more than the report).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from troubleshooter.infra.redact import Redactor
from troubleshooter.infra.safetext import visible
from troubleshooter.model import (
    STAGES,
    Diagnosis,
    Finding,
    ItemKind,
    ItemTrace,
    Mark,
    PlanStep,
    Question,
    Stage,
    SystemStatus,
    built,
)
from troubleshooter.wording import (
    INTEGRATIONS,
    KINDS,
    PROVENANCE,
    RENAMED_SYMBOL,
    SYMBOLS,
    age,
    assumptions_line,
    mark_reason,
    plural,
    snapshot_banner,
    sync_type_words,
    system_sources,
    verdict,
    wait_lead,
    when,
    zone_name,
    zone_of,
)

MAX_HEALTHY_ROWS = 500  # per kind, where healthy items are listed at all; the rest are counted
MARKS_LEGEND = "✓ present · ✗ missing · ▪ archived · ◌ hidden · ? unknown · ~ under another name"
ANSWER_HINTS = {"yes_no": "Yes / No", "datetime": "a time", "list": "paste a list"}

Shown = Callable[[str], str]


def shower(*, secrets: Iterable[str] = (), contact_details: bool = False) -> Shown:
    """The one function a report's strings pass through: redacted, then made visible."""
    redactor = Redactor(secrets=secrets, contact_details=contact_details)

    def shown(text: str) -> str:
        return visible(redactor.text(text))

    return shown


@dataclass(frozen=True)
class SystemView:
    name: str
    state: str  # ok | partial | failed | not connected
    symbol: str
    source: str
    age: str
    details: list[str]  # one fact a line (Markdown, HTML)
    brief: list[str]  # the same, compact, for one line of text: source, age, connection…
    syncs: str | None  # "accounts 70 min ago, tracking categories 1 h 30 min ago"
    unknown: list[str]  # "accounts and bank accounts unknown: …"
    reason: str | None  # why it failed or is not connected


@dataclass(frozen=True)
class Cell:
    mark: str  # a Mark's value, or "renamed"
    symbol: str
    text: str
    reason: str = ""  # for an inferred or assumed mark: what it follows from


@dataclass(frozen=True)
class ItemRow:
    kind: str
    code: str
    name: str
    cells: list[Cell]
    problem: bool
    note: str


@dataclass
class KindSection:
    title: str
    problems: list[ItemRow] = field(default_factory=list)
    healthy: list[ItemRow] = field(default_factory=list)
    healthy_hidden: int = 0
    # Of the items without findings, those not known to have arrived where they should (a
    # stage not read, or only assumed): not "without findings" as if all were well.
    unverified: int = 0
    unverified_hidden: int = 0

    @property
    def total(self) -> int:
        return len(self.problems) + len(self.healthy) + self.healthy_hidden

    @property
    def without_findings(self) -> int:
        return len(self.healthy) + self.healthy_hidden

    @property
    def without_findings_text(self) -> str:
        """Says "3 without findings", "2 not known yet to have arrived", or both in one."""
        return _quiet_count(self.without_findings, self.unverified)

    def hidden_text(self, *, more: bool) -> str:
        """The same for the items not listed ("36 more without findings" after a table)."""
        return _quiet_count(self.healthy_hidden, self.unverified_hidden, more=more)


def _quiet_count(count: int, unverified: int, *, more: bool = False) -> str:
    number = f"{count} more" if more else str(count)
    if unverified == 0:
        return f"{number} without findings"
    if unverified == count:
        return f"{number} not known yet to have arrived"
    return f"{number} without findings, {unverified} of them not known yet to have arrived"


@dataclass(frozen=True)
class StepView:
    order: int
    title: str
    items: list[str]  # the items' names
    instructions: list[str]
    note: str | None
    check: str | None = None  # what to look at first, for a step that waits on a check
    reading: str | None = None  # "If it is not there"

    @property
    def heading(self) -> str:
        """The step's title, behind its check where it waits on one."""
        if self.check and self.reading:
            return f"{self.check}. {self.reading}: {self.title[:1].lower()}{self.title[1:]}"
        return self.title


@dataclass(frozen=True)
class FindingView:
    severity: str
    message: str
    rule: str
    article: str
    article_title: str | None
    article_link: str | None
    organisation_wide: bool


@dataclass(frozen=True)
class ArticleView:
    id: str
    title: str
    excerpt: str
    link: str | None


@dataclass(frozen=True)
class QuestionView:
    id: str
    text: str
    where: str
    choices: list[str]
    hint: str  # what kind of answer: "Yes / No", the choices, "a time", "paste a list"
    aside: str = ""  # for a question no answer to which changes the plan: says so


# The verdict counts only the questions whose answer could change the plan; the others are
# listed too, and say why they are not counted.
NO_CHANGE = (
    "No answer to this one would change the plan; it confirms what the plan takes for granted."
)


@dataclass(frozen=True)
class RenamedView:
    kind: str
    code: str
    spelled: str  # "Xero and ApprovalMax: “A”; Dext: “B”"


@dataclass(frozen=True)
class ReportView:
    organisation: str
    verdict: str
    generated: str  # with the zone's abbreviation
    zone: str  # the zone every other time is in, named once: "Pacific/Auckland"
    focus: str | None
    focus_line: str | None
    snapshot_banner: str | None
    systems: list[SystemView]
    plan: list[StepView]
    wait: StepView | None  # "or simply wait": not a step, a choice
    wait_lead: str | None  # "Or simply wait", or behind the answer it holds for
    assumptions: str | None  # what the plan rests on, once
    findings: list[FindingView]  # organisation-wide first
    articles: list[ArticleView]
    questions: list[QuestionView]
    sections: list[KindSection]
    stopped: list[ItemRow]  # the items with findings, for a compact table
    renamed: list[RenamedView]
    summary: str
    quiet: str | None
    stage_titles: list[str]
    marks_legend: str = MARKS_LEGEND


def _system(
    system: SystemStatus,
    now_age: Callable[..., str],
    snapshot: bool,
    shown: Shown,
    local: Callable[..., str],
    open_questions: int = 0,
) -> SystemView:
    title = system.stage.label
    details: list[str] = []
    read, from_person = system_sources(system, open_questions)
    brief = [part for part in (read, from_person) if part]
    # A snapshot's age is said once, in its banner; every system was read when it was collected.
    system_age = now_age(system.fetched_at) if system.fetched_at and not snapshot else ""
    if system_age:
        brief.append(f"as of {system_age}")
    if system.stage is Stage.APPROVALMAX and system.xero_connection:
        details.append(f"Connection to Xero: {system.xero_connection}")
        brief.append(f"connection to Xero: {system.xero_connection}")
    for name, moment in system.last_sync.items():
        details.append(f"Last sync of {sync_type_words(name)}: {local(moment)} ({now_age(moment)})")
    syncs = ", ".join(
        f"{sync_type_words(name)} {now_age(moment)}" for name, moment in system.last_sync.items()
    )
    if system.stage is Stage.DEXT:
        if system.integration:
            details.append(f"Integration: {INTEGRATIONS[system.integration]}")
            brief.append(f"integration: {INTEGRATIONS[system.integration]}")
        if system.last_pull:
            details.append(f"Last pull: {local(system.last_pull)} ({now_age(system.last_pull)})")
            brief.append(f"last pull {local(system.last_pull)} ({now_age(system.last_pull)})")
    unknown = [
        f"{' and '.join(kinds)} unknown: {reason}"
        for reason, kinds in _kinds_by_reason(system).items()
    ]
    details += [line[:1].upper() + line[1:] for line in unknown]
    if from_person and system.configured:  # not connected: it is the source, said once
        details.append(from_person[:1].upper() + from_person[1:])
    reason = None
    if not system.configured:
        state, symbol = "not connected", "–"
        reason = without_prefix(system.error, title) or "no access is set up"
        details.insert(0, reason)
    elif not system.reached:
        state, symbol = "failed", "✗"
        reason = without_prefix(system.error, title)
        details.insert(0, f"Could not be reached: {reason}")
    elif system.kind_errors or (system.unknown_kinds and system.stage is not Stage.XERO):
        state, symbol = "partial", "!"
    else:
        state, symbol = "ok", "✓"
    return SystemView(
        name=title,
        state=state,
        symbol=symbol,
        source=(
            (read if read and system.stage is Stage.APPROVALMAX else None)
            or (PROVENANCE[system.provenance].long if system.configured else from_person or "–")
        ),
        age=system_age,
        details=[shown(d) for d in details],
        brief=[shown(b) for b in brief],
        syncs=syncs or None,
        unknown=[shown(u) for u in unknown],
        reason=shown(reason) if reason is not None else None,
    )


def without_prefix(text: str | None, title: str) -> str:
    """Errors name their system ("Xero: …", "not connected: …"); beside the system's name and
    state that is said twice."""
    text = text or ""
    for prefix in (title + ": ", "not connected: "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text


def _kinds_by_reason(system: SystemStatus) -> dict[str, list[str]]:
    """Kinds that failed together (accounts and bank accounts share one list) are said once."""
    by_reason: dict[str, list[str]] = {}
    for kind, reason in system.kind_errors.items():
        key = without_prefix(reason, system.stage.label)
        by_reason.setdefault(key, []).append(KINDS[kind].many)
    return by_reason


def cell(trace: ItemTrace, stage: Stage) -> Cell:
    mark = trace.stages[stage]
    detail = trace.detail.get(stage)
    if mark is Mark.PRESENT and trace.renamed_at(stage) and detail and detail.name:
        return Cell("renamed", RENAMED_SYMBOL, f"as “{detail.name}”")
    if reason := mark_reason(detail):
        # "present (assumed)": the word says it was not read; the reason goes along.
        assert detail is not None and detail.provenance is not None
        return Cell(mark.value, SYMBOLS[mark], f"{mark.value} ({detail.provenance})", reason)
    return Cell(mark.value, SYMBOLS[mark], mark.value)


def _row(trace: ItemTrace, problem: bool, note: str, shown: Shown) -> ItemRow:
    cells = [cell(trace, stage) for stage in STAGES]
    return ItemRow(
        kind=KINDS[trace.kind].one,
        code=shown(trace.code or ""),
        name=shown(trace.label),
        cells=[Cell(c.mark, c.symbol, shown(c.text), shown(c.reason)) for c in cells],
        problem=problem,
        note=shown(note),
    )


def _renamed(trace: ItemTrace, shown: Shown) -> RenamedView:
    stages_by_name: dict[str, list[str]] = {}
    for stage, detail in trace.detail.items():
        if detail.name is not None:
            stages_by_name.setdefault(detail.name, []).append(stage.label)
    spelled = "; ".join(
        f"{' and '.join(titles)}: “{shown(name)}”" for name, titles in stages_by_name.items()
    )
    return RenamedView(KINDS[trace.kind].one, shown(trace.code or ""), spelled)


def _question_hint(question: Question) -> str:
    if question.options:
        return " / ".join(o.says for o in question.options)
    if question.choices:
        return " / ".join(question.choices)
    return ANSWER_HINTS.get(question.type, "")


def _findings(diagnosis: Diagnosis, shown: Shown) -> list[FindingView]:
    articles = {a.id: a for a in diagnosis.articles}
    ordered: list[Finding] = [f for f in diagnosis.findings if f.key is None]
    ordered += [f for f in diagnosis.findings if f.key is not None]
    views = []
    for finding in ordered:
        article = articles.get(finding.article)
        views.append(
            FindingView(
                severity=finding.severity.value,
                message=shown(finding.message),
                rule=shown(finding.rule),
                article=shown(finding.article),
                article_title=shown(article.title) if article else None,
                article_link=article.link if article else None,
                organisation_wide=finding.key is None,
            )
        )
    return views


def build_view(
    diagnosis: Diagnosis,
    *,
    shown: Shown | None = None,
    all_items: bool = False,
    healthy_rows: int = MAX_HEALTHY_ROWS,
) -> ReportView:
    """The report's content. Healthy items are listed up to `healthy_rows` per kind (0: only
    counted), every one with `all_items`."""
    shown = shown or shower()
    now = diagnosis.generated_at
    asked: dict[Stage, int] = {}
    for question in diagnosis.questions:
        if question.stage is not None:
            asked[question.stage] = asked.get(question.stage, 0) + 1
    snapshot = diagnosis.snapshot is not None
    zone_ = zone_of(diagnosis.organisation)

    def local(moment: datetime | None) -> str:
        return when(moment, zone_, named=False)  # the view names its zone once

    def now_age(moment: object) -> str:
        return age(moment, now)  # type: ignore[arg-type]

    with_findings = {f.key for f in diagnosis.findings if f.key}
    notes: dict[str, str] = {}
    for finding in diagnosis.findings:
        if finding.key and finding.key not in notes:
            notes[finding.key] = finding.message
    sections: dict[ItemKind, KindSection] = {}
    stopped: list[ItemRow] = []
    renamed: list[RenamedView] = []
    planned = _plan_keys(diagnosis)
    unsettled = 0
    for trace in diagnosis.items:
        section = sections.setdefault(trace.kind, KindSection(KINDS[trace.kind].title))
        missing_at = trace.missing_at()
        if trace.key in with_findings or missing_at or trace.key in planned:
            # Stopped with its cause not settled yet is a problem too, not "without findings".
            note = notes.get(trace.key) or _unsettled_note(trace, missing_at)
            unsettled += trace.key not in with_findings and bool(missing_at)  # known stopped
            row = _row(trace, True, note, shown)
            section.problems.append(row)
            stopped.append(row)
        elif all_items or len(section.healthy) < healthy_rows:
            section.healthy.append(_row(trace, False, "", shown))
            section.unverified += bool(trace.not_known_at())
        else:
            section.healthy_hidden += 1
            unknown = bool(trace.not_known_at())
            section.unverified += unknown
            section.unverified_hidden += unknown
        if trace.renamed:
            renamed.append(_renamed(trace, shown))
    names = {t.key: t.label for t in built(diagnosis.items) if t.key in planned}
    plan = []
    wait = None
    wait_step: PlanStep | None = None
    for step in diagnosis.plan:
        view = StepView(
            order=step.order,
            title=shown(step.title),
            items=[shown(names.get(k, k)) for k in step.items],
            instructions=[shown(line) for line in step.instructions],
            note=shown(step.expected_note) if step.expected_note else None,
            check=shown(step.gate.check) if step.gate else None,
            reading=shown(step.gate.reading) if step.gate else None,
        )
        if step.wait:
            wait = view
            wait_step = step
        else:
            plan.append(view)
    plan = [
        StepView(n, v.title, v.items, v.instructions, v.note, v.check, v.reading)
        for n, v in enumerate(plan, start=1)
    ]
    summary = diagnosis.summary
    counted = [
        f"{summary.healthy} healthy in every stage",
        f"{summary.with_findings} with findings",
    ]
    if unsettled:
        counted.append(f"{unsettled} stopped, the cause waiting on a check or a question")
    if summary.unverified:
        counted.append(f"{summary.unverified} not known to have arrived")
    counted.append(f"{summary.not_expected_downstream} that Xero itself keeps from Dext")
    summary_line = f"{plural(summary.items, 'item')} checked: " + ", ".join(counted) + "."
    quiet = None
    if summary.quiet:
        causes = "; ".join(f"{shown(q.title)} ({q.count})" for q in summary.quiet)
        quiet = f"Normal in a whole-organisation run, so not listed: {causes}."
    focus_line = None
    if diagnosis.focus is not None:
        focus_line = (
            f"Asked about “{shown(diagnosis.focus)}”: "
            f"{plural(len(diagnosis.items), 'matching item')}"
        )
    return ReportView(
        organisation=shown(diagnosis.organisation.name),
        verdict=shown(verdict(diagnosis)),
        generated=when(now, zone_),
        zone=zone_name(zone_),
        focus=shown(diagnosis.focus) if diagnosis.focus is not None else None,
        focus_line=focus_line,
        snapshot_banner=snapshot_banner(diagnosis, zone_),
        systems=[
            _system(s, now_age, snapshot, shown, local, asked.get(s.stage, 0))
            for s in diagnosis.systems
        ],
        plan=plan,
        wait=wait,
        wait_lead=(shown(wait_lead(wait_step, alone=not plan)) if wait_step is not None else None),
        assumptions=shown(line) if (line := assumptions_line(diagnosis)) else None,
        findings=_findings(diagnosis, shown),
        articles=[
            ArticleView(a.id, shown(a.title), shown(a.excerpt), a.link) for a in diagnosis.articles
        ],
        questions=[
            QuestionView(
                q.id,
                shown(q.text),
                shown(q.where),
                [shown(c) for c in q.choices],
                shown(_question_hint(q)),
                NO_CHANGE if q.changes_plan is False else "",
            )
            for q in diagnosis.questions
        ],
        sections=[sections[k] for k in ItemKind if k in sections],
        stopped=stopped,
        renamed=renamed,
        summary=summary_line,
        quiet=quiet,
        stage_titles=[s.label for s in STAGES],
    )


def _unsettled_note(trace: ItemTrace, missing_at: list[Stage]) -> str:
    """What a row says of an item that stopped where no finding says why yet."""
    if not missing_at:
        return "The plan's steps for it wait on a check."
    unknown = [s.label for s in STAGES if trace.stages[s] is Mark.UNKNOWN]
    text = "Not in " + " or ".join(s.label for s in missing_at)
    if unknown:
        text += f"; not known in {' or '.join(unknown)}, so the cause waits on a check"
    return text + "."


def _plan_keys(diagnosis: Diagnosis) -> set[str]:
    return {key for step in diagnosis.plan for key in step.items}
