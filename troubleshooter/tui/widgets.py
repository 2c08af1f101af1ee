"""The main screen's pieces: system cards, the items table, the detail pane.

Every piece of data goes in as literal text (tui/text.py): a Rich `Text`, never a string a
widget would read as markup.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.widgets import (
    DataTable,
    Footer,
    Input,
    Markdown,
    OptionList,
    Select,
    Static,
    TextArea,
)
from textual.widgets._footer import FooterKey

from troubleshooter.diagnosis.knowledge import KnowledgeBase
from troubleshooter.diagnosis.search import matcher
from troubleshooter.infra.safetext import visible, visible_lines
from troubleshooter.model import STAGES, Diagnosis, ItemTrace, Question, Stage, SystemStatus
from troubleshooter.report.markdown import safe_url
from troubleshooter.tui.access import REMOTE_ENV
from troubleshooter.tui.text import advice, card_lines, literal, mark_cell, one_line, story
from troubleshooter.wording import KINDS, plural

MAX_ROWS = 300  # rows shown at once; the rest are counted (narrow with the search)
PLACEHOLDER = "Select an item to see its story."
# j/k move as the arrows do, as in k9s and lazygit.
VIM_MOVES: list[BindingType] = [
    Binding("j", "cursor_down", "Next row", show=False),
    Binding("k", "cursor_up", "Previous row", show=False),
]


class SystemCard(Static):
    """One system: reading (with its progress) / read / failed with the reason, where its
    facts came from, how old, and what came from a person. Under 120 columns a card has one
    line: its state reads whole there, and the rest is its tooltip."""

    def __init__(self, stage: Stage) -> None:
        super().__init__(Text("…"), id=f"system-{stage.value}", classes="system")
        self.stage = stage
        self.border_title = stage.label
        self._lines = Text("…")
        self._shown_height: int | None = None
        self._short: Text | None = None  # the state in fewer words, where the card is narrow

    def _put(self, state: str, lines: Text, short: Text | None = None) -> None:
        self._lines = lines
        self._short = short
        self.set_classes(state)
        self._fit()

    def _fit(self) -> None:
        """The whole text where the card has room for it; else its first line, whole."""
        narrow = self.screen.has_class("-narrow") or self.screen.has_class("-phone")
        width = self.content_size.width  # 0 until laid out: on_resize comes then
        lines = self._lines
        if narrow and width and ("\n" in lines.plain or lines.cell_len > width):
            shown = one_line(self._short or lines, width)  # fewer words first, where there are
            self.tooltip = self._lines
        else:
            shown = self._lines
            self.tooltip = None
        # A read's pages change the text and not its height: no layout of the screen for them.
        height = self._height(shown, width)
        self.update(shown, layout=height is None or height != self._shown_height)
        self._shown_height = height

    @staticmethod
    def _height(text: Text, width: int) -> int | None:
        """The lines `text` takes at `width`, where that is plain (None: it may wrap)."""
        rows = text.split("\n", allow_blank=True)
        if not width or any(row.cell_len >= width for row in rows):
            return None
        return len(rows)

    def on_resize(self) -> None:
        self._fit()

    def reading(self, note: str = "reading…", short: str = "") -> None:
        """Being read; `short` says the same in fewer words, for a narrow card."""
        self._put(
            "system fetching",
            Text.assemble(("⟳ ", "bold"), literal(note)),
            Text.assemble(("⟳ ", "bold"), literal(short)) if short else None,
        )

    def read(self, note: str) -> None:
        """Read, before the diagnosis has said what it means."""
        self._put("system read", literal(note))

    def failed(self, reason: str) -> None:
        self._put(
            "system failed", Text.assemble(("✗ could not be read\n", "bold"), literal(reason))
        )

    def show(self, system: SystemStatus, diagnosis: Diagnosis) -> None:
        state, lines = card_lines(system, diagnosis)
        self._put(f"system {state}", lines)


@dataclass
class Filters:
    text: str = ""
    kind: str = "all"
    problems_only: bool = False

    def describe(self) -> list[str]:
        """What narrows the list, in words, for the count line."""
        out = []
        if self.kind != "all":
            out.append(KINDS[next(k for k in KINDS if k.value == self.kind)].many)
        if self.problems_only:
            out.append("problems only")
        if self.text.strip():
            out.append(f"“{self.text.strip()}”")
        return out


@dataclass(frozen=True)
class Selection:
    """The items that pass the filters, problems first, and which items have findings."""

    matching: list[ItemTrace]
    flagged: set[str]

    @property
    def shown(self) -> int:
        return min(len(self.matching), MAX_ROWS)


def select(diagnosis: Diagnosis, filters: Filters) -> Selection:
    """The items that pass the filters: pure, so that it can run away from the screen."""
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
    return Selection(matching, flagged)


@dataclass(frozen=True)
class Columns:
    """How the table fits its width: the stage columns always, with their names; words
    beside the marks where there is room, symbols alone where there is not (the words are in
    the detail pane); the kind and the code only where the name still has room."""

    kind: bool
    words: bool
    name: int

    @staticmethod
    def for_width(width: int) -> Columns:
        # Widths with each column's padding (1 on each side) and a scrollbar (2).
        flag, kind_code = 3, 11 + 8
        words_stages, symbol_stages = (10 + 11 + 10) + 6, (4 + 11 + 4) + 6
        room = width - 2 - flag - 2  # what is left for the name, its padding aside
        if room - kind_code - words_stages >= 24:
            return Columns(True, True, min(room - kind_code - words_stages, 48))
        if room - kind_code - symbol_stages >= 14:
            return Columns(True, False, room - kind_code - symbol_stages)
        return Columns(False, False, max(room - symbol_stages, 6))


class ItemsTable(DataTable[Text]):
    """Every item with one column per stage; problems first; filtered on demand."""

    BINDINGS = VIM_MOVES

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._traces: list[ItemTrace] = []
        self._flagged: set[str] = set()
        self._columns: Columns | None = None

    def on_resize(self) -> None:
        if self.size.width and Columns.for_width(self.size.width) != self._columns:
            self._draw()

    def show(self, selection: Selection) -> None:
        """Shows the first rows of a selection (made with `select`, in any thread)."""
        self._traces = selection.matching[:MAX_ROWS]
        self._flagged = selection.flagged
        self._draw()

    def _draw(self) -> None:
        columns = Columns.for_width(self.size.width or 80)
        row = self.cursor_row
        if columns != self._columns:
            self.clear(columns=True)
            self._columns = columns
            self.add_column(Text(""), key="flag", width=1)
            if columns.kind:
                self.add_column(Text("Kind"), key="kind", width=9)
                self.add_column(Text("Code"), key="code", width=6)
            self.add_column(Text("Name"), key="name", width=columns.name)
            for stage in STAGES:
                width = len(stage.label) if not columns.words else max(len(stage.label), 10)
                self.add_column(Text(stage.label), key=stage.value, width=width)
        else:
            self.clear()
        self.add_rows(self._row(t, columns) for t in self._traces)
        if self._traces:
            self.move_cursor(row=min(max(row, 0), len(self._traces) - 1), animate=False)

    def _row(self, trace: ItemTrace, columns: Columns) -> list[Text]:
        cells = [Text("⚠" if trace.key in self._flagged else "", style="bold yellow")]
        if columns.kind:
            cells.append(Text(KINDS[trace.kind].short, no_wrap=True, overflow="ellipsis"))
            code = literal(trace.code or "")
            code.no_wrap, code.overflow = True, "ellipsis"
            cells.append(code)
        name = literal(trace.label)
        name.no_wrap, name.overflow = True, "ellipsis"
        cells.append(name)
        cells += [mark_cell(trace, stage, words=columns.words) for stage in STAGES]
        return cells

    def key_at(self, row: int) -> str | None:
        return self._traces[row].key if 0 <= row < len(self._traces) else None

    @property
    def selected_key(self) -> str | None:
        return self.key_at(self.cursor_row) if self.row_count else None


class Choices(OptionList):
    """A list to pick from, moved in with j/k as well as the arrows."""

    BINDINGS = VIM_MOVES


class Page(VerticalScroll):
    """A page to read, scrolled with j/k as well as the arrows."""

    BINDINGS = [
        Binding("j", "scroll_down", "Scroll down", show=False),
        Binding("k", "scroll_up", "Scroll up", show=False),
    ]


class DetailPane(Page):
    """The selected item: its story, the findings, what to do, and the article to read."""

    def compose(self) -> ComposeResult:
        yield Static(Text(PLACEHOLDER), id="story")
        yield Static(Text(""), id="advice")
        yield ArticleView(id="article")

    _shown: tuple[int, str | None] | None = None
    _article: str | None = None

    def show(self, trace: ItemTrace | None, diagnosis: Diagnosis, knowledge: KnowledgeBase) -> None:
        # Re-rendering is not free (an article is many widgets): only when something changed.
        shown = (id(diagnosis), trace.key if trace else None)
        if shown == self._shown:
            return
        self._shown = shown
        story_widget = self.query_one("#story", Static)
        advice_widget = self.query_one("#advice", Static)
        if trace is None:
            story_widget.update(Text(PLACEHOLDER))
            advice_widget.update(Text(""))
            self._show_article(None, knowledge)
            return
        story_widget.update(story(trace, diagnosis))
        advice_widget.update(advice(trace, diagnosis))
        findings = [f for f in diagnosis.findings if f.key == trace.key]
        self._show_article(findings[0].article if findings else None, knowledge)

    def _show_article(self, article_id: str | None, knowledge: KnowledgeBase) -> None:
        if article_id == self._article:
            return
        self._article = article_id
        article = knowledge.get(article_id) if article_id else None
        self.query_one("#article", ArticleView).show(article.body if article else "")


class ArticleView(Markdown):
    """A knowledge article. Articles are the project's (or a team's own) Markdown, not data
    from a system; still, control characters are made visible and only web links open."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__("", id=id, open_links=False)

    def show(self, markdown: str) -> None:
        self.update(visible_lines(markdown))

    @on(Markdown.LinkClicked)
    def _link(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        url = safe_url(event.href)
        if url:
            self.app.open_url(url)
        else:
            tell(self, f"Not a web link, so not opened: {event.href}", severity="warning")


class KeysFooter(Footer):
    """The footer, fitted to its width so that every key it offers can be read: compact under
    80 columns; under 60 (a phone) without the palette's key, which help lists (ctrl+p still
    works); under 50 with the help key first, so that the key that lists every other is never
    the one cut off at the edge."""

    HELP_FIRST_UNDER = 50

    def __init__(self) -> None:
        super().__init__()
        self.help_first = False

    def on_resize(self) -> None:
        width = self.size.width
        if not width:
            return
        fitted = (width < 80, width >= 60, width < self.HELP_FIRST_UNDER)
        if fitted != (self.compact, self.show_command_palette, self.help_first):
            self.compact, self.show_command_palette, self.help_first = fitted
            self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        if self.help_first:  # a stable sort: the others keep their order
            keys.sort(key=lambda key: not (isinstance(key, FooterKey) and key.action == "help"))
        yield from keys

    async def recompose(self) -> None:
        """Its keys made again (its width changed, or the screen's keys did: every screen
        opened, closed, and every check); then the watchers of keys and widgets gone are
        dropped (`forget_gone_watchers`), as this is when they go."""
        await super().recompose()
        forget_gone_watchers(self, self.app)


def forget_gone_watchers(*nodes: DOMNode) -> None:
    """Drops what `nodes` keep of the watchers of widgets gone from the screen.

    Textual keeps a watcher (a footer key bound to the footer's `compact`, a header
    following the app's title) until the value it watches next changes, even once its widget
    is gone (Textualize/textual#6666): with it, the widget and all it holds. The footer's
    keys are made again at every screen opened or closed and at every check, and each screen
    has a header: a session kept about 0.75 MB for each item opened and closed, and 0.3 MB
    for each check, for as long as it ran. Textual drops the same ones itself, the same way,
    when the value changes."""
    for node in nodes:
        watchers = getattr(node, "__watchers", None) or {}
        for pairs in watchers.values():
            pairs[:] = [pair for pair in pairs if not getattr(pair[0], "_closing", False)]


def copied(node: DOMNode, what: str, lines: int) -> None:
    """Says what was copied; in a browser reached over plain http from another computer,
    that the browser may have refused it (it allows the clipboard to secure pages only)."""
    note = f"Copied {what} as Markdown ({plural(lines, 'line')}): paste it into a ticket."
    if node.app.is_web and os.environ.get(REMOTE_ENV) == "1":
        note += (
            " Over plain http from another computer the browser refuses the clipboard: "
            "export (e) instead."
        )
    tell(node, note)


def tell(
    node: DOMNode,
    message: str,
    *,
    title: str = "",
    severity: SeverityLevel = "information",
    timeout: float | None = None,
) -> None:
    """A notification whose words may hold data: never markup, control characters visible."""
    node.app.notify(
        visible_lines(message),
        title=visible(title),
        severity=severity,
        timeout=timeout,
        markup=False,
    )


def answer_field(question: Question, draft: str | None = None) -> Select[str] | Input | TextArea:
    """A field of the right kind for a question: its choices in the vendors' own words where
    the question has them."""
    if question.type in ("yes_no", "choice"):
        if question.options:
            choices = [(literal(o.says), o.value) for o in question.options]
        elif question.type == "yes_no":
            choices = [(Text("Yes"), "yes"), (Text("No"), "no")]  # as options say it
        else:
            choices = [(literal(c), c) for c in question.choices]
        values = [value for _, value in choices]
        return Select(
            choices,
            prompt="yes or no" if question.type == "yes_no" else "choose",
            value=draft if draft in values else Select.NULL,
            id="value",
            compact=True,
        )
    if question.type == "datetime":
        return Input(
            draft or "",
            placeholder="as it shows it, e.g. 13:00, yesterday 14:00, or 2 hours ago",
            id="value",
            compact=True,
        )
    return TextArea(draft or "", id="value", classes="paste")


def field_value(widget: object) -> str | None:
    if isinstance(widget, Select):
        return None if widget.is_blank() else str(widget.value)
    if isinstance(widget, Input):
        return widget.value.strip() or None
    if isinstance(widget, TextArea):
        return widget.text if widget.text.strip() else None
    return None
