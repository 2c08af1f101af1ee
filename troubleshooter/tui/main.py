"""The main screen: the three systems, the verdict, the plan, and every item with a column per
stage; the selected item's story beside the table (under it below 120 columns)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Checkbox, DataTable, Header, Input, Select, Static

from troubleshooter.infra.gcpause import set_aside
from troubleshooter.model import STAGES, Diagnosis, ItemKind, Stage
from troubleshooter.tui.host import Host
from troubleshooter.tui.keys import KeyedScreen
from troubleshooter.tui.screens import answer_keys
from troubleshooter.tui.text import (
    count_line,
    literal,
    plan_parts,
    plan_text,
    step_heading,
    wait_line,
)
from troubleshooter.tui.widgets import (
    DetailPane,
    Filters,
    ItemsTable,
    KeysFooter,
    SystemCard,
    select,
)
from troubleshooter.wording import KINDS, plural, snapshot_banner, verdict, zone_of

DETAIL_DELAY = 0.12  # seconds the detail pane waits for the cursor or the filter to settle
KIND_CHOICES = [("Every kind", "all"), *((KINDS[k].filter, k.value) for k in ItemKind)]
PLAN_STEPS_SHOWN = 6  # beside the table; the whole plan is one key away (w)


class MainScreen(KeyedScreen):
    """Keys as in k9s or lazygit: j/k and the arrows move, Enter opens, / searches, q quits.
    The footer shows the common ones that work now; help (?) lists every one."""

    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("p", "problems", "Problems only", show=False),
        Binding("t", "next_kind", "Next kind", show=False),
        Binding("f", "app.find", "Find"),
        Binding("w", "app.plan", "Plan"),
        *answer_keys("app."),
        Binding("y", "copy", "Copy the item as Markdown", show=False),
        Binding("o", "app.organisation", "Switch organisation", show=False),
        Binding("i", "app.knowledge", "Articles", show=False),
        Binding("e", "app.export", "Export"),
        Binding("r", "app.recheck", "Check again", show=False),
        Binding("q", "app.quit", "Quit"),
        Binding("escape", "leave_search", "Back to the list"),  # in the footer when typing
    ]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.filters = Filters()
        self._detail_timer: Timer | None = None
        self._aside_due = False  # a read's diagnosis: set aside once its table is filled

    @property
    def host(self) -> Host:
        assert isinstance(self.app, Host)
        return self.app

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="systems"):
            for stage in STAGES:
                yield SystemCard(stage)
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static(Text(""), id="verdict")
                yield Static(Text(""), id="plan")
                with Horizontal(id="filters"):
                    yield Input(placeholder="/ search items", id="search", compact=True)
                    yield Select(
                        [(Text(label), value) for label, value in KIND_CHOICES],
                        value="all",
                        allow_blank=False,
                        id="kind",
                        compact=True,
                    )
                    yield Checkbox("Problems only (p)", id="problems", compact=True)
                yield Static(Text(""), id="count")
                yield ItemsTable(id="items")
            yield DetailPane(id="detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(ItemsTable).focus()  # letters are commands at once; / goes to the search
        self.host.action_recheck()  # the first check, once the screen is there to show it

    # -- what the check says --

    def reading(self) -> None:
        for card in self.query(SystemCard):
            card.reading()
        self.query_one("#verdict", Static).update(Text("Reading the three systems…", style="bold"))
        self.query_one("#plan", Static).update(Text(""))

    def progress(self, stage: Stage, state: str, text: str, short: str = "") -> None:
        card = self.query_one(f"#system-{stage.value}", SystemCard)
        if state == "failed":
            card.failed(text)
        elif state == "done":
            card.read("✓ read")
        else:
            card.reading(text or "reading…", short)

    def diagnosing(self) -> None:
        self.query_one("#verdict", Static).update(Text("Every system read; diagnosing…", "bold"))

    def failed(self, reason: str) -> None:
        self.query_one("#verdict", Static).update(
            Text.assemble(("Could not check: ", "bold red"), literal(reason, "bold red"))
        )

    def show_summary(self, diagnosis: Diagnosis) -> None:
        """The systems, the verdict and the plan: shown first, before the table is filled."""
        for system in diagnosis.systems:
            self.query_one(f"#system-{system.stage.value}", SystemCard).show(system, diagnosis)
        head = literal(verdict(diagnosis), "bold")
        if (banner := snapshot_banner(diagnosis, zone_of(diagnosis.organisation))) is not None:
            head.append("\n")
            head.append_text(literal(banner, "bold yellow"))
        if diagnosis.questions:
            head.append("\nPress a to answer them.", style="yellow")
        self.query_one("#verdict", Static).update(head)
        self.query_one("#plan", Static).update(self._plan(diagnosis))

    def _plan(self, diagnosis: Diagnosis) -> Text:
        if not self.has_class("-wide"):  # no room: one line, the key to the whole plan first
            steps, wait = plan_parts(diagnosis)
            if not steps:
                return literal(wait_line(wait, alone=True), "italic") if wait else Text("")
            out = Text(f"w: the plan, {plural(len(steps), 'step')} · ", style="bold")
            out.append_text(literal(f"1. {step_heading(steps[0][1])}"))
            out.no_wrap, out.overflow = True, "ellipsis"
            return out
        return plan_text(diagnosis, limit=PLAN_STEPS_SHOWN)

    def on_screen_resume(self) -> None:
        self._replan()

    def _replan(self) -> None:
        if self.host.diagnosis is not None:
            self.query_one("#plan", Static).update(self._plan(self.host.diagnosis))

    def on_resize(self) -> None:
        self._replan()

    def set_aside_when_filled(self) -> None:
        """The next diagnosis shown is a read's: once its table is filled (its rows all made),
        everything alive is set aside from the collector (gcpause.set_aside) until the next
        read. Not a diagnosis made again from answers: what was made since the read (screens
        opened and closed, diagnoses replaced) stays in the collector's sight, so no cycle
        among it waits for the next read."""
        self._aside_due = True

    # -- the items table --

    def apply_filters(self) -> None:
        """Fills the table for the filters, the selection made in a thread: 20,000 items take
        a moment to search, and the keys (typing in the search box) must not wait for it."""
        if self.host.diagnosis is not None:
            self._filter(replace(self.filters))

    # Textual describes a worker by the repr of its arguments: the diagnosis is not one of them
    # (the repr of 20,000 items took 0.4 s).
    @work(exclusive=True, group="filter")
    async def _filter(self, filters: Filters) -> None:
        diagnosis = self.host.diagnosis
        if diagnosis is None:
            return
        selection = await asyncio.to_thread(select, diagnosis, filters)
        if diagnosis is not self.host.diagnosis:
            return  # a newer diagnosis is on its way to the table
        table = self.query_one(ItemsTable)
        table.show(selection)
        text = count_line(
            len(selection.matching), len(diagnosis.items), selection.shown, filters.describe()
        )
        self.query_one("#count", Static).update(literal(text))
        self.show_detail(table.cursor_row if selection.shown else None)
        if self._aside_due:  # its rows are all made now: see gcpause.set_aside
            self._aside_due = False
            set_aside()

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

    @on(DataTable.RowSelected, "#items")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter (or a click) on a row opens its story."""
        key = self.query_one(ItemsTable).key_at(event.cursor_row)
        if key is not None:
            self.host.open_item(key)

    def show_detail(self, row: int | None) -> None:
        """Shows the item at `row` in the detail pane, a moment later: the table answers a
        keystroke at once, and the pane (an article is many widgets) follows when the cursor
        or the filter has settled."""
        if self.host.diagnosis is None:
            return
        key = self.query_one(ItemsTable).key_at(row) if row is not None else None
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_DELAY, lambda: self._show_detail_now(key))

    def _show_detail_now(self, key: str | None) -> None:
        self._detail_timer = None
        diagnosis = self.host.diagnosis
        if diagnosis is None:
            return
        trace = next((t for t in diagnosis.items if t.key == key), None)
        self.query_one(DetailPane).show(trace, diagnosis, self.host.session.library.knowledge)

    @property
    def selected_key(self) -> str | None:
        return self.query_one(ItemsTable).selected_key

    # -- keys --

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_search":  # esc: only from the search field
            return isinstance(self.focused, Input)
        return True

    def action_leave_search(self) -> None:
        self.query_one(ItemsTable).focus()

    def action_problems(self) -> None:
        box = self.query_one("#problems", Checkbox)
        box.value = not box.value

    def action_next_kind(self) -> None:
        select = self.query_one("#kind", Select)
        values = [v for _, v in KIND_CHOICES]
        select.value = values[(values.index(str(select.value)) + 1) % len(values)]

    def action_copy(self) -> None:
        key = self.selected_key
        if key is None:
            self.app.bell()
            return
        self.host.copy_item(key)
