"""The guided check in the TUI, for when nothing is connected (and `serve` then): "What can't
you find in Dext?", then one question at a time in plain words (Xero's facts too), until the
plan no longer waits on an answer; then the item's story and what to do. It drives the same
GuidedCheck as `troubleshooter check` (runs/check.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, Select, Static, TextArea

from troubleshooter.diagnosis.answers import AnswerError
from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.diagnosis.search import search_items
from troubleshooter.errors import TroubleshooterError
from troubleshooter.model import Diagnosis, Question
from troubleshooter.report.view import shower
from troubleshooter.runs.check import NOT_IN_XERO, GuidedCheck
from troubleshooter.tui.dialogs import ExportScreen, HelpScreen, lose_guided_answers
from troubleshooter.tui.keys import KeyedScreen, key_rows, settle_focus
from troubleshooter.tui.text import literal, plan_text, story_markdown
from troubleshooter.tui.widgets import (
    DetailPane,
    KeysFooter,
    answer_field,
    copied,
    field_value,
)
from troubleshooter.wording import plural, verdict

NOT_ENOUGH = "Not enough was answered to say more: Esc starts again."


class GuidedScreen(KeyedScreen):
    """One item, one question at a time."""

    BINDINGS = [
        Binding("escape", "again", "Start again"),
        Binding("y", "copy", "Copy as Markdown", show=False),
        Binding("e", "export", "Export", show=False),
        Binding("q", "app.quit", "Quit"),
    ]
    AUTO_FOCUS = "#guided-item"

    def __init__(self, library: Library) -> None:
        super().__init__(id="guided")
        self.library = library
        self.check: GuidedCheck | None = None
        self.question: Question | None = None
        self.result: Diagnosis | None = None
        self.asked_for_answer = False  # "Give an answer first" is on show

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="guided-page"):
            yield Static(
                Text(
                    "Nothing is connected, so the check asks about Xero too: a few questions "
                    "in plain words, then what to do, in order."
                ),
                classes="where",
            )
            yield Label(Text("What can't you find in Dext?", style="bold"))
            yield Input(placeholder="a name, part of one, or a code; Enter", id="guided-item")
            yield Static(Text(""), id="guided-asked")
            yield Vertical(id="guided-question", classes="question")
            yield Static(Text(""), id="guided-verdict")
            yield Static(Text(""), id="guided-plan")
            yield DetailPane(id="guided-detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#guided-question").display = False
        self.query_one("#guided-detail").display = False

    @on(Input.Submitted, "#guided-item")
    def start(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        self.check = GuidedCheck(text, self.library)
        self.result = None
        self.query_one("#guided-detail").display = False
        self.query_one("#guided-verdict", Static).update(Text(""))
        self.query_one("#guided-plan", Static).update(Text(""))
        self.next()

    @work(exclusive=True, group="guided")
    async def next(self) -> None:
        check = self.check
        if check is None:
            return
        diagnosis = await asyncio.to_thread(check.diagnosis)
        question = check.next_question(diagnosis)
        self._asked()
        if question is not None:
            await self.ask(question)
        else:
            self.finish(diagnosis)

    def _asked(self) -> None:
        assert self.check is not None
        count = len(self.check.answers)
        skipped = len(self.check.skipped)
        text = f"{plural(count, 'answer')} so far" + (f", {skipped} skipped" if skipped else "")
        if not count and not skipped:
            text = ""
        self.query_one("#guided-asked", Static).update(Text(text, style="italic"))

    async def ask(self, question: Question) -> None:
        self.question = question
        self.asked_for_answer = False
        box = self.query_one("#guided-question", Vertical)
        box.display = True
        await box.remove_children()
        field = answer_field(question)
        await box.mount(
            Label(literal(question.text, "bold")),
            Static(literal(question.where, lines=True), classes="where"),
            field,
            Horizontal(
                Button("Answer", variant="primary", id="guided-answer", compact=True),
                Button("I don't know", id="guided-skip", compact=True),
                Static(Text(""), id="guided-problem", classes="problem"),
                classes="question-actions",
            ),
        )
        self.call_after_refresh(field.focus)

    @on(Input.Submitted, "#guided-question Input")
    @on(Button.Pressed, "#guided-answer")
    def answer(self) -> None:
        self._answer(field_value(self.query_one("#guided-question #value")))

    @on(Button.Pressed, "#guided-skip")
    def skip(self) -> None:
        self._answer("")

    @on(Select.Changed, "#guided-question #value")
    def chosen(self, event: Select.Changed) -> None:
        """A choice made: Answer takes the focus, so Enter sends it."""
        self._given()
        if event.value != Select.NULL and event.select.has_focus_within:
            self.query_one("#guided-answer", Button).focus()

    @on(Input.Changed, "#guided-question #value")
    @on(TextArea.Changed, "#guided-question #value")
    def _given(self) -> None:
        """An answer is in the field: "Give an answer first" no longer applies."""
        if self.asked_for_answer and field_value(self.query_one("#guided-question #value")):
            self.asked_for_answer = False
            self.query_one("#guided-problem", Static).update(Text(""))

    def _answer(self, value: str | None) -> None:
        if self.check is None or self.question is None:
            return
        problem = self.query_one("#guided-problem", Static)
        if value is None:
            problem.update(Text("Give an answer first, or press “I don't know”.", style="red"))
            self.asked_for_answer = True
            return
        try:
            self.check.answer(self.question, value)
        except AnswerError as exc:
            sentence = exc.sentences.get(self.question.id, str(exc))
            problem.update(literal(sentence, "red"))
            return
        except TroubleshooterError as exc:
            problem.update(literal(str(exc), "red"))
            return
        self.next()

    def finish(self, diagnosis: Diagnosis | None) -> None:
        assert self.check is not None
        self.question = None
        self.query_one("#guided-question").display = False
        verdict_widget = self.query_one("#guided-verdict", Static)
        if diagnosis is None:
            words = NOT_IN_XERO if self.check.not_in_xero else NOT_ENOUGH
            verdict_widget.update(literal(words, "bold"))
            return
        self.result = diagnosis
        verdict_widget.update(literal(verdict(diagnosis), "bold"))
        self.query_one("#guided-plan", Static).update(plan_text(diagnosis))
        hits = search_items(diagnosis.items, self.check.text)
        pane = self.query_one("#guided-detail", DetailPane)
        pane.display = True
        pane.show(hits[0] if hits else None, diagnosis, self.library.knowledge)
        self.refresh_bindings()

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        if action in ("copy", "export"):
            return self.result is not None
        return True

    def given(self) -> int:
        """How many answers this check holds (nothing keeps them: nothing is connected)."""
        return len(self.check.answers) if self.check is not None else 0

    def action_again(self) -> None:
        """Esc: start again, after asking if answers would be lost."""
        given = self.given()
        if not given:
            self.start_again()
            return

        def chosen(choice: str | None) -> None:
            if choice == "again":
                self.start_again()

        self.app.push_screen(
            lose_guided_answers(given, quitting=False, result=self.result is not None), chosen
        )

    def start_again(self) -> None:
        self.check = None
        self.question = None
        self.result = None
        self.query_one("#guided-question").display = False
        self.query_one("#guided-detail").display = False
        for selector in ("#guided-asked", "#guided-verdict", "#guided-plan"):
            self.query_one(selector, Static).update(Text(""))
        field = self.query_one("#guided-item", Input)
        field.value = ""
        field.focus()
        self.refresh_bindings()

    def action_copy(self) -> None:
        if self.result is None or self.check is None:
            return
        hits = search_items(self.result.items, self.check.text)
        if hits:
            markdown = story_markdown(hits[0], self.result, shower())
            self.app.copy_to_clipboard(markdown)
            copied(self, "the story", markdown.count("\n"))

    def action_export(self) -> None:
        if self.result is not None:
            self.app.push_screen(ExportScreen(self.result, [], Path.cwd(), self.app.is_web))


class GuidedApp(App[None]):
    """The TUI when nothing is connected: the guided check only."""

    TITLE = "troubleshooter: what can't you find in Dext?"
    CSS_PATH = "app.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-phone"), (60, "-narrow"), (120, "-wide")]
    BINDINGS = [Binding("f1", "help", "Help")]

    def __init__(self, library: Library) -> None:
        super().__init__()
        self.library = library

    def get_default_screen(self) -> Screen[None]:
        return GuidedScreen(self.library)

    def on_mount(self) -> None:
        self.watch(self, "app_focus", self._focus_came, init=False)

    def _focus_came(self, focus: bool) -> None:
        if focus:
            settle_focus(self.screen)  # the screen's first field, once a browser gives focus

    async def action_quit(self) -> None:
        """q (outside a text field) and ctrl+q quit, after asking if answers would be lost."""
        guided = next((s for s in self.screen_stack if isinstance(s, GuidedScreen)), None)
        given = guided.given() if guided is not None else 0
        if not given or guided is None:
            self.exit()
            return

        def chosen(choice: str | None) -> None:
            if choice == "quit":
                self.exit()

        self.push_screen(
            lose_guided_answers(given, quitting=True, result=guided.result is not None), chosen
        )

    def action_help(self) -> None:
        origin = self.screen
        if not isinstance(origin, HelpScreen):
            self.push_screen(HelpScreen("the guided check", key_rows(origin)))
