"""The TUI's other screens: questions, "what can't you find?", knowledge, export, help."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    Markdown,
    OptionList,
    Select,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option

from troubleshooter.diagnosis.search import search_items
from troubleshooter.errors import TroubleshooterError
from troubleshooter.model import Diagnosis, Question
from troubleshooter.report import FORMATS, default_report_name, export, write_report
from troubleshooter.tui.host import Host
from troubleshooter.tui.widgets import DetailPane, story

FORMAT_LABELS = {
    "md": "Markdown, for a ticket",
    "html": "HTML, one file to send",
    "json": "JSON, for machines",
    "text": "Plain text",
}


class _AppScreen(Screen[None]):
    @property
    def tapp(self) -> Host:
        assert isinstance(self.app, Host)
        return self.app


class QuestionCard(Vertical):
    """One question: what to answer, where to look, a field of the right kind."""

    def __init__(self, question: Question) -> None:
        super().__init__(classes="question")
        self.question = question

    def compose(self) -> ComposeResult:
        q = self.question
        yield Label(Text(q.text, style="bold"))
        yield Static(q.where, classes="where")
        if q.type == "yes_no":
            yield Select([("yes", "yes"), ("no", "no")], prompt="yes or no", id="value")
        elif q.type == "choice":
            yield Select([(c, c) for c in q.choices], prompt="choose", id="value")
        elif q.type == "datetime":
            yield Input(
                placeholder="e.g. 2026-11-25T09:30+13:00, or -2h for two hours ago", id="value"
            )
        else:
            yield TextArea(id="value", classes="paste")
        with Horizontal(classes="question-actions"):
            yield Button("Answer", variant="primary", classes="answer")
            yield Static("", classes="problem")

    def value(self) -> str | None:
        widget = self.query_one("#value")
        if isinstance(widget, Select):
            return None if widget.value is Select.BLANK else str(widget.value)
        if isinstance(widget, Input):
            return widget.value.strip() or None
        if isinstance(widget, TextArea):
            return widget.text if widget.text.strip() else None
        return None


class QuestionsScreen(_AppScreen):
    """What the tool cannot see, asked in plain words; the diagnosis updates on each answer."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="questions-intro")
        yield VerticalScroll(id="questions")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_questions()

    def refresh_questions(self) -> None:
        diagnosis = self.tapp.diagnosis
        questions = diagnosis.questions if diagnosis else []
        intro = self.query_one("#questions-intro", Static)
        if questions:
            intro.update(
                f"{len(questions)} question(s) would settle what the tool cannot see. "
                "Answer any of them; the diagnosis updates after each."
            )
        else:
            intro.update("No open questions: the tool could see everything it needs.")
        box = self.query_one("#questions", VerticalScroll)
        box.remove_children()
        box.mount_all(QuestionCard(q) for q in questions)

    @on(Button.Pressed, ".answer")
    def answer(self, event: Button.Pressed) -> None:
        card = next(a for a in event.button.ancestors if isinstance(a, QuestionCard))
        value = card.value()
        problem = card.query_one(".problem", Static)
        if value is None:
            problem.update("Give an answer first.")
            return
        try:
            self.tapp.apply_answers({card.question.id: value})
        except TroubleshooterError as exc:
            # One plain sentence saying what would be accepted; no internal ids.
            sentences = getattr(exc, "sentences", {})
            problem.update(Text(sentences.get(card.question.id, str(exc)), style="red"))
            return
        self.notify(f"Answered: {card.question.text}", title="Diagnosing again…")


class FindScreen(_AppScreen):
    """For a customer: what can't you find in Dext? Type, pick, read what to do."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="find-top"):
            yield Label(Text("What can't you find in Dext?", style="bold"))
            yield Input(
                placeholder="Type part of a name or a code, e.g. wellbeing or 429", id="find"
            )
            yield OptionList(id="matches")
        yield DetailPane(id="find-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#find", Input).focus()

    @on(Input.Changed, "#find")
    def search(self, event: Input.Changed) -> None:
        options = self.query_one("#matches", OptionList)
        options.clear_options()
        diagnosis = self.tapp.diagnosis
        if not event.value.strip() or diagnosis is None:
            return
        hits = search_items(diagnosis.items, event.value)[:50]  # best first, as --item
        options.add_options(
            Option(f"{t.label}  ({t.kind.label}{' ' + t.code if t.code else ''})", id=t.key)
            for t in hits
        )
        if not hits:
            options.add_option(
                Option("Nothing in Xero, ApprovalMax or Dext matches that.", disabled=True)
            )

    @on(Input.Submitted, "#find")
    def pick_first(self) -> None:
        """Enter in the search box picks the first match and moves to the list."""
        options = self.query_one("#matches", OptionList)
        if options.option_count and not options.get_option_at_index(0).disabled:
            options.focus()
            options.highlighted = 0
            self.show_item(options.get_option_at_index(0).id)

    @on(OptionList.OptionSelected, "#matches")
    def pick(self, event: OptionList.OptionSelected) -> None:
        self.show_item(event.option.id)

    def show_item(self, key: str | None) -> None:
        if key is None:
            return
        focused = self.tapp.session.diagnose(focus=key)
        trace = next((t for t in focused.items if t.key == key), None)
        self.query_one(DetailPane).show(trace, focused, self.tapp.session.library.knowledge)


class KnowledgeScreen(_AppScreen):
    """Browse and search the knowledge articles."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, article_id: str | None = None) -> None:
        super().__init__()
        self.initial = article_id

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="kb-left"):
                yield Input(placeholder="Search the articles…", id="kb-search")
                yield OptionList(id="kb-list")
            with VerticalScroll(id="kb-right"):
                yield Markdown("", id="kb-article")
        yield Footer()

    def on_mount(self) -> None:
        self.fill("")
        options = self.query_one("#kb-list", OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        wanted = self.initial if self.initial in ids else (ids[0] if ids else None)
        if wanted is not None:
            options.highlighted = ids.index(wanted)
            self.open_article(wanted)
        self.query_one("#kb-search", Input).focus()

    def fill(self, text: str) -> None:
        knowledge = self.tapp.session.library.knowledge
        articles = (
            [a for a, _ in knowledge.search(text, limit=100)] if text.strip() else list(knowledge)
        )
        options = self.query_one("#kb-list", OptionList)
        options.clear_options()
        options.add_options(Option(a.title, id=a.id) for a in articles)

    @on(Input.Changed, "#kb-search")
    def search(self, event: Input.Changed) -> None:
        self.fill(event.value)

    @on(OptionList.OptionHighlighted, "#kb-list")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.open_article(event.option.id)

    def open_article(self, article_id: str) -> None:
        article = self.tapp.session.library.knowledge.get(article_id)
        if article is not None:
            sources = "\n".join(f"- {s}" for s in article.meta.source)
            self.query_one("#kb-article", Markdown).update(
                f"{article.body}\n\n**Sources**\n\n{sources}\n"
            )


class ExportScreen(ModalScreen[Path | None]):
    """Save the report to a file; the path is shown after saving."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, diagnosis: Diagnosis, secrets: list[str], folder: Path) -> None:
        super().__init__()
        self.diagnosis = diagnosis
        self.secrets = secrets
        self.folder = folder

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label(Text("Export the report", style="bold"))
            yield Select(
                [(FORMAT_LABELS[f], f) for f in ("md", "html", "json", "text") if f in FORMATS],
                value="md",
                allow_blank=False,
                id="export-format",
            )
            yield Input(
                str(self.folder / default_report_name(self.diagnosis, "md")), id="export-path"
            )
            yield Checkbox("Keep contacts' emails and phone numbers", id="export-contacts")
            yield Static(
                "Tokens never leave; bank account numbers keep only their last four digits.",
                classes="where",
            )
            yield Static("", id="export-result")
            with Horizontal(id="export-buttons"):
                yield Button("Save", variant="primary", id="export-save")
                yield Button("Close", id="export-close")

    @on(Select.Changed, "#export-format")
    def format_changed(self, event: Select.Changed) -> None:
        path_input = self.query_one("#export-path", Input)
        current = Path(path_input.value)
        fmt = str(event.value)
        name = default_report_name(self.diagnosis, fmt)
        path_input.value = str(current.parent / (current.stem + Path(name).suffix))

    @on(Button.Pressed, "#export-save")
    def save(self) -> None:
        fmt = str(self.query_one("#export-format", Select).value)
        path = Path(self.query_one("#export-path", Input).value).expanduser()
        keep = self.query_one("#export-contacts", Checkbox).value
        result = self.query_one("#export-result", Static)
        try:
            text = export(self.diagnosis, fmt, secrets=self.secrets, contact_details=keep)
            written = write_report(text, path)
        except TroubleshooterError as exc:
            result.update(Text(str(exc), style="red"))
            return
        result.update(Text(f"Saved to {written}", style="green"))
        self.app.notify(f"Saved to {written}", title="Report exported")
        self.saved = written

    @on(Button.Pressed, "#export-close")
    def close(self) -> None:
        self.dismiss(getattr(self, "saved", None))

    def action_cancel(self) -> None:
        self.dismiss(getattr(self, "saved", None))


HELP = """\
# troubleshooter

Finds where Xero reference data stopped on its way through ApprovalMax to Dext, and says what to
do, in order.

| Key | Does |
|---|---|
| `/` | search the items |
| `p` | problems only, or every item |
| `t` | cycle the kind filter |
| `f` | "What can't you find in Dext?" |
| `a` | answer the open questions |
| `k` | the knowledge articles |
| `e` | export the report |
| `r` | check again |
| `ctrl+p` | the command palette |
| `?` | this help |
| `q` | quit |

**Marks**: ✓ present · ✗ missing · ▪ archived · ◌ hidden · ? unknown (the tool could not see) ·
~ there under another name. ⚠ marks an item with findings.

Every fact says where it came from; a fact the tool could not get is *unknown*, never
*missing*, and the questions (`a`) settle it.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Markdown(HELP)
            yield Button("Close", id="help-close")

    @on(Button.Pressed, "#help-close")
    def close(self) -> None:
        self.dismiss(None)


__all__ = [
    "ExportScreen",
    "FindScreen",
    "HelpScreen",
    "KnowledgeScreen",
    "QuestionsScreen",
    "story",
]
