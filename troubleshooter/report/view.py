"""What every report shows, worked out once from a Diagnosis for the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from troubleshooter.model import (
    STAGES,
    Diagnosis,
    ItemKind,
    ItemTrace,
    Mark,
    Stage,
    SystemStatus,
)
from troubleshooter.wording import (
    INTEGRATIONS,
    KINDS,
    PROVENANCE,
    SYMBOLS,
    age,
    snapshot_banner,
    verdict,
    when,
)

MAX_HEALTHY_ROWS = 500  # per kind; the rest are counted


@dataclass(frozen=True)
class SystemView:
    name: str
    state: str  # ok | partial | failed | not connected
    symbol: str
    source: str
    age: str
    details: list[str]


@dataclass(frozen=True)
class Cell:
    mark: str
    symbol: str
    text: str

    @property
    def label(self) -> str:
        """The cell as Markdown: the symbol and the (escaped) text."""
        from troubleshooter.report import md

        return f"{self.symbol} {md(self.text)}"


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

    @property
    def total(self) -> int:
        return len(self.problems) + len(self.healthy) + self.healthy_hidden


@dataclass(frozen=True)
class ReportView:
    diagnosis: Diagnosis
    verdict: str
    generated: str
    snapshot_banner: str | None
    systems: list[SystemView]
    sections: list[KindSection]
    stage_titles: list[str]
    item_names: dict[str, str]

    def article(self, article_id: str) -> object | None:
        return next((a for a in self.diagnosis.articles if a.id == article_id), None)


def _system(system: SystemStatus, now: datetime, snapshot: bool) -> SystemView:
    details: list[str] = []
    if system.stage is Stage.APPROVALMAX and system.xero_connection:
        details.append(f"Connection to Xero: {system.xero_connection}")
    for name, moment in system.last_sync.items():
        details.append(
            f"Last sync of {name.replace('_', ' ')}: {when(moment)} ({age(moment, now)})"
        )
    if system.stage is Stage.DEXT:
        if system.integration:
            details.append(f"Integration: {INTEGRATIONS[system.integration]}")
        if system.last_pull:
            details.append(f"Last pull: {when(system.last_pull)} ({age(system.last_pull, now)})")
    for kind, reason in system.kind_errors.items():
        details.append(f"{KINDS[kind].many.capitalize()} unknown: {reason}")
    if system.answered:
        details.append(f"Answered by a person: {', '.join(system.answered)}")
    if not system.configured:
        state, symbol = "not connected", "–"
        details.insert(0, system.error or "not connected")
    elif not system.reached:
        state, symbol = "failed", "✗"
        details.insert(0, f"Could not be reached: {system.error}")
    elif system.kind_errors:
        state, symbol = "partial", "!"
    else:
        state, symbol = "ok", "✓"
    return SystemView(
        name=system.stage.label,
        state=state,
        symbol=symbol,
        source=PROVENANCE[system.provenance].long,
        age=age(system.fetched_at, now) if system.fetched_at and not snapshot else "",
        details=details,
    )


def _row(trace: ItemTrace, problem: bool, notes: dict[str, str]) -> ItemRow:
    cells = []
    for stage in STAGES:
        mark = trace.stages[stage]
        detail = trace.detail.get(stage)
        if mark is Mark.PRESENT and trace.renamed_at(stage) and detail and detail.name:
            cells.append(Cell("renamed", "~", f"as “{detail.name}”"))
        else:
            cells.append(Cell(mark.value, SYMBOLS[mark], mark.value))
    name = trace.label
    return ItemRow(
        kind=trace.kind.label,
        code=trace.code or "",
        name=name,
        cells=cells,
        problem=problem,
        note=notes.get(trace.key, ""),
    )


def build_view(diagnosis: Diagnosis) -> ReportView:
    now = diagnosis.generated_at
    with_findings = {f.key for f in diagnosis.findings if f.key}
    notes: dict[str, str] = {}
    for finding in diagnosis.findings:
        if finding.key and finding.key not in notes:
            notes[finding.key] = finding.message
    sections: dict[ItemKind, KindSection] = {}
    for trace in diagnosis.items:
        section = sections.setdefault(trace.kind, KindSection(KINDS[trace.kind].title))
        problem = trace.key in with_findings
        if problem:
            section.problems.append(_row(trace, True, notes))
        elif len(section.healthy) < MAX_HEALTHY_ROWS:
            section.healthy.append(_row(trace, False, notes))
        else:
            section.healthy_hidden += 1
    return ReportView(
        diagnosis=diagnosis,
        verdict=verdict(diagnosis),
        generated=when(now),
        snapshot_banner=snapshot_banner(diagnosis),
        systems=[_system(s, now, diagnosis.snapshot is not None) for s in diagnosis.systems],
        sections=[sections[k] for k in ItemKind if k in sections],
        stage_titles=[s.label for s in STAGES],
        item_names={t.key: t.label for t in diagnosis.items},
    )
