"""The terminal UI for support agents and for customers diagnosing themselves."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState

from troubleshooter.errors import TroubleshooterError
from troubleshooter.model import STAGES, Diagnosis, ItemKind, Stage
from troubleshooter.runs.session import Session
from troubleshooter.tui.commands import TroubleshooterCommands
from troubleshooter.tui.host import Host
from troubleshooter.tui.messages import CheckFailed, DiagnosisReady, SystemProgress
from troubleshooter.tui.screens import (
    ExportScreen,
    FindScreen,
    HelpScreen,
    KnowledgeScreen,
    QuestionsScreen,
)
from troubleshooter.tui.widgets import DetailPane, Filters, ItemsTable, SystemCard
from troubleshooter.wording import KINDS, snapshot_banner, verdict

DETAIL_DELAY = 0.12  # seconds the detail pane waits for the cursor or the filter to settle
KIND_CHOICES = [("Every kind", "all"), *((KINDS[k].filter, k.value) for k in ItemKind)]


class TroubleshooterApp(App[None]):
    TITLE = "troubleshooter"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {TroubleshooterCommands}
    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("p", "problems", "Problems only"),
        Binding("t", "next_kind", "Kind", show=False),
        Binding("f", "find", "Find"),
        Binding("a", "questions", "Questions"),
        Binding("k", "knowledge", "Knowledge"),
        Binding("e", "export", "Export"),
        Binding("r", "recheck", "Re-check"),
        Binding("question_mark,f1", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("escape", "leave_search", "Back to the list", show=False),
    ]

    def __init__(self, session: Session, export_folder: Path | None = None) -> None:
        super().__init__()
        self.session = session
        self.diagnosis: Diagnosis | None = None
        self.filters = Filters()
        self.export_folder = export_folder or Path.cwd()
        self._done = 0
        self._detail_timer: Timer | None = None

    # -- layout --

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="systems"):
            for stage in STAGES:
                yield SystemCard(stage)
        yield ProgressBar(total=len(STAGES), show_eta=False, id="progress")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static("", id="verdict")
                yield Static("", id="plan")
                with Horizontal(id="filters"):
                    yield Input(placeholder="Search items (/)", id="search")
                    yield Select(KIND_CHOICES, value="all", allow_blank=False, id="kind")
                    yield Checkbox("Problems only (p)", id="problems")
                yield Static("", id="count")
                yield ItemsTable(id="items")
            yield DetailPane(id="detail")
        yield Footer()

    def on_resize(self) -> None:
        # Side by side from 120 columns; below that the detail pane goes under the table.
        self.screen.set_class(self.size.width < 120, "narrow")

    def on_mount(self) -> None:
        self.on_resize()
        self.sub_title = self.session.source.label
        self.query_one(ItemsTable).focus()  # letters are commands; / goes to the search
        self.action_recheck()

    # -- checking (all I/O in a worker) --

    def action_recheck(self) -> None:
        self._done = 0
        self.query_one("#progress", ProgressBar).update(progress=0)
        self.query_one("#progress").display = True
        for card in self.query(SystemCard):
            card.fetching()
        self.query_one("#verdict", Static).update(Text("Checking the three systems…", style="bold"))
        self.check()

    @work(exclusive=True, group="check", exit_on_error=False)
    async def check(self) -> None:
        def progress(stage: Stage, text: str) -> None:
            self.post_message(SystemProgress(stage, text))

        try:
            await self.session.fetch(progress)
            # Lineage and rules are CPU work: a thread keeps the screen alive meanwhile.
            diagnosis = await asyncio.to_thread(self.session.diagnose)
        except TroubleshooterError as exc:
            self.post_message(CheckFailed(str(exc)))
            return
        self.post_message(DiagnosisReady(diagnosis))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "check":
            error = event.worker.error
            self.post_message(CheckFailed(f"unexpected error: {error.__class__.__name__}: {error}"))

    @on(SystemProgress)
    def system_progress(self, message: SystemProgress) -> None:
        card = self.query_one(f"#system-{message.stage.value}", SystemCard)
        if message.text == "fetching":
            card.fetching()
            return
        self._done += 1
        self.query_one("#progress", ProgressBar).update(progress=self._done)
        card.fetching("read, diagnosing…" if message.text == "done" else message.text)

    @on(CheckFailed)
    def check_failed(self, message: CheckFailed) -> None:
        self.query_one("#progress").display = False
        self.query_one("#verdict", Static).update(
            Text(f"Could not check: {message.reason}", style="bold red")
        )
        self.notify(message.reason, title="Check failed", severity="error", timeout=10)

    @on(DiagnosisReady)
    def diagnosis_ready(self, message: DiagnosisReady) -> None:
        self.show(message.diagnosis)

    def show(self, diagnosis: Diagnosis) -> None:
        """Renders a diagnosis on the main screen (and keeps it for the other screens)."""
        self.diagnosis = diagnosis
        self.query_one("#progress").display = False
        self.title = diagnosis.organisation.name
        label = self.session.source.label
        self.sub_title = label.split(" · ", 1)[1] if " · " in label else label
        for system in diagnosis.systems:
            self.query_one(f"#system-{system.stage.value}", SystemCard).show(
                system, diagnosis.generated_at, snapshot=diagnosis.snapshot is not None
            )
        line = Text(verdict(diagnosis), style="bold")
        if (banner := snapshot_banner(diagnosis)) is not None:
            line.append(f"\n{banner}", style="bold yellow")
        if diagnosis.questions:
            line.append(
                f"\n{len(diagnosis.questions)} question(s) would settle the rest: press a",
                style="yellow",
            )
        self.query_one("#verdict", Static).update(line)
        self.query_one("#plan", Static).update(_plan_text(diagnosis))
        self.apply_filters()
        if isinstance(self.screen, QuestionsScreen):
            self.screen.refresh_questions()  # answered ones go, new ones come

    # -- the items table --

    def apply_filters(self) -> None:
        if self.diagnosis is None:
            return
        table = self.query_one(ItemsTable)
        shown, matching = table.show(self.diagnosis, self.filters)
        total = len(self.diagnosis.items)
        text = f"{matching} of {total} items"
        if shown < matching:
            text += f" (showing the first {shown}: narrow with the search)"
        self.query_one("#count", Static).update(text)
        self.show_detail(0 if shown else None)

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.filters.text = event.value
        self.apply_filters()

    @on(Input.Submitted, "#search")
    def search_done(self) -> None:
        self.query_one(ItemsTable).focus()

    @on(Select.Changed, "#kind")
    def kind_changed(self, event: Select.Changed) -> None:
        self.filters.kind = str(event.value)
        self.apply_filters()

    @on(Checkbox.Changed, "#problems")
    def problems_changed(self, event: Checkbox.Changed) -> None:
        self.filters.problems_only = event.value
        self.apply_filters()

    @on(DataTable.RowHighlighted, "#items")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail(event.cursor_row)

    def show_detail(self, row: int | None) -> None:
        """Shows the item at `row` in the detail pane, a moment later: the table answers a
        keystroke at once, and the pane (an article is many widgets) follows when the cursor
        or the filter has settled."""
        if self.diagnosis is None:
            return
        key = self.query_one(ItemsTable).key_at(row) if row is not None else None
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_DELAY, lambda: self._show_detail_now(key))

    def _show_detail_now(self, key: str | None) -> None:
        self._detail_timer = None
        if self.diagnosis is None:
            return
        trace = next((t for t in self.diagnosis.items if t.key == key), None)
        # The main screen's pane, whichever screen is on top now (the timer may fire after a
        # sub-screen opened, or while the main screen is still being built).
        panes = self.screen_stack[0].query(DetailPane) if self.screen_stack else None
        if panes:
            panes.first().show(trace, self.diagnosis, self.session.library.knowledge)

    # -- actions --

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        self.query_one(ItemsTable).focus()

    def action_problems(self) -> None:
        box = self.query_one("#problems", Checkbox)
        box.value = not box.value

    def action_next_kind(self) -> None:
        select = self.query_one("#kind", Select)
        values = [v for _, v in KIND_CHOICES]
        select.value = values[(values.index(str(select.value)) + 1) % len(values)]

    def action_find(self) -> None:
        if self.diagnosis is not None and not isinstance(self.screen, FindScreen):
            self.push_screen(FindScreen())

    def action_questions(self) -> None:
        if self.diagnosis is not None and not isinstance(self.screen, QuestionsScreen):
            self.push_screen(QuestionsScreen())

    def action_knowledge(self, article_id: str | None = None) -> None:
        if isinstance(self.screen, KnowledgeScreen):
            if article_id:
                self.screen.open_article(article_id)
            return
        self.push_screen(KnowledgeScreen(article_id))

    def action_export(self) -> None:
        if self.diagnosis is None:
            self.notify("Nothing to export yet: the check is still running.")
            return
        self.push_screen(ExportScreen(self.diagnosis, self.session.secrets, self.export_folder))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def apply_answers(self, answers: dict[str, str]) -> None:
        """Answers from the questions screen: checked at once (a bad one raises, for the
        screen to show), then the diagnosis is made again in a worker (no fetch: the answers
        only fill in what the systems could not tell)."""
        self.session.take_answers(answers)
        self.rediagnose()

    @work(exclusive=True, group="check", exit_on_error=False)
    async def rediagnose(self) -> None:
        try:
            diagnosis = await asyncio.to_thread(self.session.diagnose)
        except TroubleshooterError as exc:
            self.post_message(CheckFailed(str(exc)))
            return
        self.post_message(DiagnosisReady(diagnosis))

    def switch_organisation(self, index: int) -> None:
        self.session.switch(index)
        self.sub_title = self.session.source.label
        self.diagnosis = None
        self.action_recheck()


# The screens and the palette reach the app through Host; mypy checks that the app is one.
_HOST: type[Host] = TroubleshooterApp


def _plan_text(diagnosis: Diagnosis) -> Text:
    if not diagnosis.plan:
        return Text("Nothing to do." if not diagnosis.questions else "")
    out = Text("What to do, in this order\n", style="bold")
    for step in diagnosis.plan:
        out.append(f"{step.order}. {step.title}", style="bold")
        if step.items:
            out.append(f"  ({len(step.items)} item{'s' if len(step.items) > 1 else ''})")
        if step.expected_note:
            out.append(f"\n   {step.expected_note}", style="italic")
        out.append("\n")
    return out
