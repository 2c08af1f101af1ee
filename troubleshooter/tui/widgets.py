"""The main screen's pieces: system cards, the items table, the detail pane."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Markdown, Static

from troubleshooter.diagnosis.knowledge import KnowledgeBase
from troubleshooter.diagnosis.search import matcher
from troubleshooter.model import (
    STAGES,
    SYNC_TYPE_OF_KIND,
    Diagnosis,
    Finding,
    ItemTrace,
    Mark,
    Stage,
    SystemStatus,
)
from troubleshooter.wording import INTEGRATIONS, KINDS, PROVENANCE, SYMBOLS, age, when, zone_of

MARK_STYLES = {
    Mark.PRESENT: "green",
    Mark.MISSING: "bold red",
    Mark.ARCHIVED: "yellow",
    Mark.HIDDEN: "yellow",
    Mark.UNKNOWN: "magenta",
}
MAX_ROWS = 300  # rows shown at once; the rest are counted (narrow with the search)


class SystemCard(Static):
    """One system: fetching / ok / failed with the reason, where its facts came from, how old."""

    def __init__(self, stage: Stage) -> None:
        super().__init__(f"[b]{stage.label}[/b]\n…", id=f"system-{stage.value}", classes="system")
        self.stage = stage
        self.border_title = stage.label

    def fetching(self, note: str = "fetching…") -> None:
        self.set_classes("system fetching")
        self.update(Text.assemble(("⟳ ", "bold"), note))

    def show(self, system: SystemStatus, now: object, snapshot: bool = False) -> None:
        lines = Text()
        if not system.configured:
            self.set_classes("system off")
            lines.append("– not connected\n", style="bold")
            lines.append(system.error or "")
        elif not system.reached:
            self.set_classes("system failed")
            lines.append("✗ could not be reached\n", style="bold")
            lines.append(system.error or "")
        else:
            self.set_classes("system partial" if system.kind_errors else "system ok")
            mark = "! partly read" if system.kind_errors else "✓ ok"
            lines.append(f"{mark}", style="bold")
            lines.append(f" · {PROVENANCE[system.provenance].short}")
            if system.fetched_at is not None and not snapshot:  # its age: in the banner
                lines.append(f" · {age(system.fetched_at, now)}")  # type: ignore[arg-type]
            if system.stage is Stage.APPROVALMAX and system.xero_connection:
                lines.append(f"\nXero connection: {system.xero_connection}")
            if system.last_sync:
                oldest = min(system.last_sync.values())
                lines.append(f"\nlast sync {age(oldest, now)}")  # type: ignore[arg-type]
            if system.stage is Stage.DEXT:
                if system.integration:
                    lines.append(f"\n{INTEGRATIONS[system.integration]}")
                if system.last_pull:
                    lines.append(f"\nlast pull {age(system.last_pull, now)}")  # type: ignore[arg-type]
            for kind, reason in system.kind_errors.items():
                lines.append(f"\n{KINDS[kind].many} unknown: {reason}", style="yellow")
        if system.answered:
            lines.append(f"\n{len(system.answered)} answered by you", style="italic")
        self.update(lines)


def mark_cell(trace: ItemTrace, stage: Stage) -> Text:
    mark = trace.stages[stage]
    detail = trace.detail.get(stage)
    if mark is Mark.PRESENT and trace.renamed_at(stage) and detail is not None:
        return Text(f"~ as “{detail.name}”", style="cyan")
    return Text(f"{SYMBOLS[mark]} {mark.value}", style=MARK_STYLES[mark])


@dataclass
class Filters:
    text: str = ""
    kind: str = "all"
    problems_only: bool = False


class ItemsTable(DataTable[Text | str]):
    """Every item with one column per stage; problems first; filtered on demand."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_column("Kind", key="kind", width=11)
        self.add_column("Code", key="code", width=6)
        self.add_column("Name", key="name", width=28)
        for stage in STAGES:
            self.add_column(stage.label, key=stage.value, width=13)

    def show(self, diagnosis: Diagnosis, filters: Filters) -> tuple[int, int]:
        """Shows the items that pass the filters; returns (shown, matching)."""
        flagged = {f.key for f in diagnosis.findings if f.key}
        wanted = matcher(filters.text)  # the same search as --item and the find screen
        matching = [
            t
            for t in diagnosis.items
            if (filters.kind == "all" or t.kind.value == filters.kind)
            and (not filters.problems_only or t.key in flagged)
            and wanted(t)
        ]
        matching.sort(key=lambda t: t.key not in flagged)  # problems first, stable otherwise
        self.clear()
        shown = matching[:MAX_ROWS]
        self.add_rows(
            (
                [
                    Text(("⚠ " if t.key in flagged else "  ") + KINDS[t.kind].short),
                    t.code or "",
                    Text(t.label),
                    *(mark_cell(t, stage) for stage in STAGES),
                ]
                for t in shown
            ),
        )
        # Row keys are set afterwards so that add_rows stays one batch.
        self._keys_in_order = [t.key for t in shown]
        return len(shown), len(matching)

    def key_at(self, row: int) -> str | None:
        keys: list[str] = getattr(self, "_keys_in_order", [])
        return keys[row] if 0 <= row < len(keys) else None


def story(trace: ItemTrace, diagnosis: Diagnosis) -> Text:
    """The item's way through the chain, in plain words, with when things happened."""
    out = Text()
    out.append(trace.label, style="bold")
    out.append(f"  ({trace.kind.label}{', code ' + trace.code if trace.code else ''})\n\n")
    systems = {s.stage: s for s in diagnosis.systems}
    zone = zone_of(diagnosis.organisation)
    for stage in STAGES:
        detail = trace.detail.get(stage)
        out.append(f"{stage.label}: ", style="bold")
        out.append_text(mark_cell(trace, stage))
        if detail is not None and detail.since is not None:
            verb = "changed" if stage is Stage.XERO else "arrived"
            out.append(f", {verb} {when(detail.since, zone)}")
        if detail is not None and detail.confidence is not None and detail.confidence < 1:
            out.append(f" (pasted, matched at {detail.confidence:.0%})")
        system = systems.get(stage)
        if system is not None and stage is Stage.APPROVALMAX and system.last_sync:
            sync_type = SYNC_TYPE_OF_KIND[trace.kind]
            if sync_type in system.last_sync:
                out.append(f"; last synced from Xero {when(system.last_sync[sync_type], zone)}")
        if system is not None and stage is Stage.DEXT and system.last_pull:
            out.append(f"; last pulled {when(system.last_pull, zone)}")
        if stage in trace.blocked:
            out.append(f"\n  not expected here: {trace.blocked[stage]}", style="italic")
        out.append("\n")
    return out


class DetailPane(VerticalScroll):
    """The selected item: its story, the findings, what to do, and the article to read."""

    def compose(self) -> ComposeResult:
        yield Static("Select an item to see its story.", id="story")
        yield Static("", id="advice")
        yield Markdown("", id="article")

    _shown: tuple[int, str | None] | None = None
    _article: str | None = None

    def show(self, trace: ItemTrace | None, diagnosis: Diagnosis, knowledge: KnowledgeBase) -> None:
        # Re-rendering is not free (an article is many widgets): only when something changed.
        shown = (id(diagnosis), trace.key if trace else None)
        if shown == self._shown:
            return
        self._shown = shown
        story_widget = self.query_one("#story", Static)
        advice = self.query_one("#advice", Static)
        if trace is None:
            story_widget.update("Select an item to see its story.")
            advice.update("")
            self._show_article(None, knowledge)
            return
        story_widget.update(story(trace, diagnosis))
        findings = [f for f in diagnosis.findings if f.key == trace.key]
        advice.update(_advice(findings, diagnosis))
        self._show_article(findings[0].article if findings else None, knowledge)

    def _show_article(self, article_id: str | None, knowledge: KnowledgeBase) -> None:
        if article_id == self._article:
            return
        self._article = article_id
        article = knowledge.get(article_id) if article_id else None
        self.query_one("#article", Markdown).update(article.body if article else "")


def _advice(findings: list[Finding], diagnosis: Diagnosis) -> Text:
    out = Text()
    if not findings:
        out.append("Nothing to fix for this item.", style="green")
        return out
    for finding in findings:
        out.append("● ", style="bold yellow")
        out.append(finding.message + "\n")
    steps = [s for s in diagnosis.plan if findings[0].key in s.items]
    if steps:
        out.append("\nWhat to do, in this order\n", style="bold")
        for number, step in enumerate(steps, start=1):
            out.append(f"{number}. {step.title}\n", style="bold")
            for line in step.instructions:
                out.append(f"   - {line}\n")
            if step.expected_note:
                out.append(f"   Without action: {step.expected_note}\n", style="italic")
    return out
