"""The TUI's sub-screens: an item's story, the plan, "what can't you find?", the questions and
the knowledge articles. Esc (and q, outside a text field) goes back; leaving never quits."""

from __future__ import annotations

import asyncio

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import AwaitMount, Widget
from textual.widgets import (
    Button,
    Header,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option

from troubleshooter.diagnosis.answers import AnswerError
from troubleshooter.diagnosis.search import closest_names, search_items
from troubleshooter.errors import TroubleshooterError
from troubleshooter.infra.safetext import visible
from troubleshooter.model import Diagnosis, ItemTrace, Question, built
from troubleshooter.report.view import shower
from troubleshooter.tui.dialogs import leave_questions
from troubleshooter.tui.host import Host
from troubleshooter.tui.keys import KeyedScreen
from troubleshooter.tui.text import (
    hanging,
    line,
    literal,
    plan_markdown,
    plan_parts,
    plan_text,
    step_heading,
    story_markdown,
    wait_line,
)
from troubleshooter.tui.widgets import (
    ArticleView,
    Choices,
    DetailPane,
    KeysFooter,
    Page,
    answer_field,
    field_value,
    tell,
)
from troubleshooter.wording import KINDS, assumptions_line, plural, verdict

NO_QUESTIONS = "No open questions: the tool could see everything it needs."


def answer_keys(namespace: str = "") -> list[Binding]:
    """`a`: the questions screen where there are questions (in the footer); where there are
    none, a says so (not in the footer: it has nothing to offer)."""
    return [
        Binding("a", f"{namespace}questions", "Answer"),
        Binding("a", f"{namespace}no_questions", "Answer the questions (none open)", show=False),
    ]


class SubScreen(KeyedScreen):
    BINDINGS = [Binding("escape,q", "back", "Back")]

    @property
    def host(self) -> Host:
        assert isinstance(self.app, Host)
        return self.app

    def action_back(self) -> None:
        self.dismiss(None)


class ItemScreen(SubScreen):
    """One item, the whole screen: its story, findings, steps and article (Enter on a row,
    or on a match of the find screen: then as the item's own diagnosis tells it)."""

    BINDINGS = [Binding("y", "copy", "Copy as Markdown"), *answer_keys()]

    def __init__(self, trace: ItemTrace, diagnosis: Diagnosis, *, focused: bool = False) -> None:
        super().__init__()
        self.trace = trace
        self.diagnosis = diagnosis
        self.focused_on_item = focused  # the item's own diagnosis, not the organisation's

    def compose(self) -> ComposeResult:
        yield Header()
        yield DetailPane(id="item-detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = visible(self.trace.label)
        pane = self.query_one(DetailPane)
        pane.show(self.trace, self.diagnosis, self.host.session.library.knowledge)
        pane.focus()

    def action_copy(self) -> None:
        shown = shower(secrets=self.host.secrets_shown())
        self.host.copy_markdown(story_markdown(self.trace, self.diagnosis, shown), "the story")

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        if action == "questions":
            return bool(self.diagnosis.questions)
        if action == "no_questions":
            return not self.diagnosis.questions
        return True

    def action_questions(self) -> None:
        self.host.action_questions(self.trace.key if self.focused_on_item else None)

    def action_no_questions(self) -> None:
        tell(self, NO_QUESTIONS)

    @work(exclusive=True, group="item")
    async def refresh_item(self) -> None:
        """The story again, as the diagnosis now tells it (after answers)."""
        key = self.trace.key
        if self.focused_on_item:
            diagnosis: Diagnosis | None = await asyncio.to_thread(self.host.session.diagnose, key)
        else:
            diagnosis = self.host.diagnosis
        trace = next((t for t in diagnosis.items if t.key == key), None) if diagnosis else None
        if diagnosis is None or trace is None:
            return
        self.trace, self.diagnosis = trace, diagnosis
        self.query_one(DetailPane).show(trace, diagnosis, self.host.session.library.knowledge)
        self.refresh_bindings()


class PlanScreen(SubScreen):
    """The verdict and the whole plan, in order (w): at 80 columns the main screen has no room
    for it."""

    BINDINGS = [Binding("y", "copy", "Copy as Markdown"), *answer_keys("app.")]

    def compose(self) -> ComposeResult:
        yield Header()
        with Page(id="plan-page"):
            yield Static(Text(""), id="plan-verdict")
            yield Static(Text(""), id="plan-steps")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.refresh_plan()
        self.query_one("#plan-page").focus()

    def refresh_plan(self) -> None:
        diagnosis = self.host.diagnosis
        if diagnosis is None:
            return
        head = literal(verdict(diagnosis), "bold")
        if diagnosis.questions:
            head.append("\nPress a to answer the questions.", style="italic")
        self.query_one("#plan-verdict", Static).update(head)
        steps = _whole_plan(diagnosis) or plan_text(diagnosis)
        self.query_one("#plan-steps", Static).update(steps)

    def action_copy(self) -> None:
        diagnosis = self.host.diagnosis
        if diagnosis is None:
            return
        shown = shower(secrets=self.host.secrets_shown())
        self.host.copy_markdown(plan_markdown(diagnosis, verdict(diagnosis), shown), "the plan")


def _whole_plan(diagnosis: Diagnosis) -> RenderableType | None:
    """The whole plan: each step's heading, what it is for and its instructions, on lines of
    their own, wrapped lines hanging under their text. Data is literal (a name holding a new
    line shows it as \\x0a)."""
    steps, wait = plan_parts(diagnosis)
    if not steps and wait is None:
        return None
    names = {t.key: t.label for t in built(diagnosis.items)}  # a step's items are all made
    parts: list[RenderableType] = [
        Text("What to do, in this order" if steps else "What to do", style="bold")
    ]
    if steps and (assumed := assumptions_line(diagnosis)):
        parts.append(literal(assumed, "italic"))
    for number, step in steps:
        parts += [
            Text(""),
            hanging(Text(f"{number}. ", "bold"), literal(step_heading(step), "bold")),
        ]
        if step.items:
            parts.append(
                hanging("   for: ", literal(", ".join(names.get(k, k) for k in step.items)))
            )
        parts += [hanging("   - ", literal(instruction)) for instruction in step.instructions]
        if step.expected_note:
            parts.append(hanging("   ", literal("Without action: " + step.expected_note, "italic")))
    if wait is not None:
        parts += [Text(""), literal(wait_line(wait, alone=not steps), "italic")]
    return Group(*parts)


class FindScreen(SubScreen):
    """For a customer: what can't you find in Dext? Type, press Enter, read what to do."""

    BINDINGS = [Binding("y", "copy", "Copy as Markdown", show=False), *answer_keys()]
    AUTO_FOCUS = "#find"

    def __init__(self) -> None:
        super().__init__()
        self.shown: tuple[ItemTrace, Diagnosis] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="find-top"):
            yield Label(Text("What can't you find in Dext?", style="bold"))
            yield Input(
                placeholder="Part of a name or a code, e.g. wellbeing or 429; Enter picks",
                id="find",
            )
            yield Static(Text(""), id="find-note")
            yield Choices(id="matches")
        yield DetailPane(id="find-detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#matches").display = False
        self.query_one(DetailPane).display = False

    def _hits(self, text: str) -> list[ItemTrace]:
        diagnosis = self.host.diagnosis
        if diagnosis is None or not text.strip():
            return []
        return search_items(diagnosis.items, text)[:50]  # best first, as --item

    @on(Input.Changed, "#find")
    def search(self, event: Input.Changed) -> None:
        options = self.query_one("#matches", OptionList)
        note = self.query_one("#find-note", Static)
        options.clear_options()
        hits = self._hits(event.value)
        options.add_options(Option(_option(t), id=t.key) for t in hits)
        options.display = bool(hits)  # no empty box to pick from
        if hits or not event.value.strip():
            note.update(Text(f"{plural(len(hits), 'match')}, best first" if hits else ""))
            return
        note.update(self._nothing(event.value))
        self._show(None)  # no story of an earlier match under "nothing matches"

    def _nothing(self, text: str) -> Text:
        """No match: the nearest names as they are spelt, and what to check."""
        diagnosis = self.host.diagnosis
        assert diagnosis is not None
        near = closest_names(diagnosis.items, text)
        out = line(
            ("Nothing in Xero, ApprovalMax or Dext matches “", "bold"),
            (text, "bold"),
            ("”.", "bold"),
        )
        if near:
            out.append("\nDid you mean: ")
            out.append_text(line(", ".join(f"“{n}”" for n in near)))
            out.append("?")
        out.append("\nCheck: is this the right organisation (")
        out.append_text(literal(diagnosis.organisation.name))
        out.append(")? Was the item saved in Xero, and not only typed into a draft? Dext may ")
        out.append("call it by its Dext name: Categories are accounts, Projects are tracking.")
        return out

    @on(Input.Submitted, "#find")
    def pick_best(self, event: Input.Submitted) -> None:
        """Enter picks the best match and shows it; ↓ then moves among the others."""
        hits = self._hits(event.value)
        if not hits:
            return
        options = self.query_one("#matches", OptionList)
        options.highlighted = 0
        options.focus()
        self.show_item(hits[0].key)

    @on(OptionList.OptionHighlighted, "#matches")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self.show_item(event.option.id)

    @on(OptionList.OptionSelected, "#matches")
    def open_story(self, event: OptionList.OptionSelected) -> None:
        """Enter on a match: its story, the whole screen (as Enter on a row of the list)."""
        if event.option.id is not None:
            self._open(event.option.id)

    @work(exclusive=True, group="find")
    async def _open(self, key: str) -> None:
        focused = await asyncio.to_thread(self.host.session.diagnose, key)
        trace = next((t for t in focused.items if t.key == key), None)
        if trace is not None:
            self.app.push_screen(ItemScreen(trace, focused, focused=True))

    @work(exclusive=True, group="find")
    async def show_item(self, key: str) -> None:
        session = self.host.session
        # A focused diagnosis explains even what a whole-organisation run only counts.
        focused = await asyncio.to_thread(session.diagnose, key)
        trace = next((t for t in focused.items if t.key == key), None)
        self._show((trace, focused) if trace is not None else None)

    def _show(self, shown: tuple[ItemTrace, Diagnosis] | None) -> None:
        """An item's story, or none: then no pane (not "Select an item" with none to pick)."""
        self.shown = shown
        pane = self.query_one(DetailPane)
        pane.display = shown is not None
        if shown is not None:
            pane.show(*shown, self.host.session.library.knowledge)
        self.refresh_bindings()

    def refresh_item(self) -> None:
        """The story shown again, as the diagnosis now tells it (after answers)."""
        if self.shown is not None:
            self.show_item(self.shown[0].key)

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        if action in ("questions", "no_questions"):
            asked = self.shown is not None and bool(self.shown[1].questions)
            return asked if action == "questions" else not asked
        return True

    def action_questions(self) -> None:
        if self.shown is not None:
            self.host.action_questions(self.shown[0].key)

    def action_no_questions(self) -> None:
        if self.shown is None:
            tell(self, "Find an item first: its questions come with its story.")
        else:
            tell(self, NO_QUESTIONS)

    def action_copy(self) -> None:
        if self.shown is None:
            self.app.bell()
            return
        trace, diagnosis = self.shown
        shown = shower(secrets=self.host.secrets_shown())
        self.host.copy_markdown(story_markdown(trace, diagnosis, shown), "the story")


def _option(trace: ItemTrace) -> Text:
    code = f" {trace.code}" if trace.code else ""
    return line(trace.label, (f"  ({KINDS[trace.kind].one}{code})", "dim"))


class QuestionCard(Vertical):
    """One question: what to answer, where to look, a field of the right kind."""

    def __init__(self, question: Question, draft: str | None) -> None:
        super().__init__(classes="question")
        self.question = question
        self.draft = draft
        self.asked_for_answer = False  # "Give an answer first." is on show

    def compose(self) -> ComposeResult:
        q = self.question
        yield Label(literal(q.text, "bold"))
        yield Static(literal(q.where, lines=True), classes="where")
        yield answer_field(q, self.draft)
        with Horizontal(classes="question-actions"):
            yield Button("Answer", variant="primary", classes="answer", compact=True)
            yield Static(Text(""), classes="problem")

    def value(self) -> str | None:
        return field_value(self.query_one("#value"))

    def say(self, problem: Text, *, empty: bool = False) -> None:
        self.query_one(".problem", Static).update(problem)
        self.asked_for_answer = empty

    def given(self) -> None:
        """An answer is in the field: "Give an answer first." no longer applies (a refusal
        stays until the answer is sent again: it says what would be accepted)."""
        if self.asked_for_answer and self.value() is not None:
            self.say(Text(""))


def _plain_problem(message: str, question_id: str) -> str:
    """A refused answer in one plain sentence: without the internal question id."""
    for prefix in ("answers: ", f"{question_id}: "):
        message = message.removeprefix(prefix)
    return message[:1].upper() + message[1:]


class QuestionsScreen(SubScreen):
    """What the tool cannot see, asked in plain words; the diagnosis updates on each answer.
    Answers typed and not sent are not lost: leaving asks, and keeps them if wanted."""

    BINDINGS = [Binding("ctrl+s", "send_all", "Send typed answers")]

    def __init__(self, item: str | None = None) -> None:
        super().__init__()
        self.item = item  # an item's key: the questions of its own diagnosis (find, `a`)
        self._sent: dict[str, str] = {}  # answers sent from here (their cards may still show)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(""), id="questions-intro")
        yield VerticalScroll(id="questions")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.refresh_questions()

    def _card_of(self, widget: Widget) -> QuestionCard:
        return next(a for a in widget.ancestors_with_self if isinstance(a, QuestionCard))

    def typed(self) -> dict[str, str]:
        """What is typed in the fields and not sent (a card still showing what was just sent,
        until the cards are made again, holds nothing unsent)."""
        typed = {}
        for card in self.query(QuestionCard):
            value = card.value()
            if value is not None and self._sent.get(card.question.id) != value:
                typed[card.question.id] = value
        return typed

    def refresh_questions(self) -> None:
        if self.item is None:
            diagnosis = self.host.diagnosis
            self._put(diagnosis.questions if diagnosis else [], None)
        else:
            self._item_questions(self.item)

    @work(exclusive=True, group="questions")
    async def _item_questions(self, key: str) -> None:
        focused = await asyncio.to_thread(self.host.session.diagnose, key)
        trace = next((t for t in focused.items if t.key == key), None)
        self._put(focused.questions, trace.label if trace else None)

    def _put(self, questions: list[Question], about: str | None) -> None:
        self.host.drafts.update(self.typed())  # what is typed survives the new questions
        intro = self.query_one("#questions-intro", Static)
        if questions:
            count = plural(len(questions), "question")
            text = Text(f"{count} would settle what the tool cannot see")
            if about is not None:  # a name is data: literal
                text.append_text(line(" about “", (about, "bold"), "”"))
            text.append(
                ". Answer any of them; the diagnosis updates after each. Ctrl+S sends every "
                "typed answer at once."
            )
            intro.update(text)
        else:
            intro.update(Text(NO_QUESTIONS))
        # The field that had focus keeps it if its question is still open; else the first.
        focused = self.focused
        was = self._card_of(focused).question.id if focused and self._in_card(focused) else None
        box = self.query_one("#questions", VerticalScroll)
        box.remove_children()
        cards = [QuestionCard(q, self.host.drafts.get(q.id)) for q in questions]
        self.call_later(self._focus_when_mounted, box.mount_all(cards), cards, was)

    @staticmethod
    def _in_card(widget: Widget) -> bool:
        return any(isinstance(a, QuestionCard) for a in widget.ancestors_with_self)

    async def _focus_when_mounted(
        self, mounted: AwaitMount, cards: list[QuestionCard], question_id: str | None
    ) -> None:
        await mounted
        if not cards or not all(card.is_attached for card in cards):
            return  # refreshed again meanwhile: that refresh places the focus
        card = next((c for c in cards if c.question.id == question_id), cards[0])
        card.query_one("#value").focus(scroll_visible=False)
        card.scroll_visible(animate=False)

    def _send(self, answers: dict[str, str]) -> bool:
        try:
            self.host.apply_answers(answers)
        except TroubleshooterError as exc:
            # One plain sentence a question, saying what would be accepted; no internal ids.
            sentences = exc.sentences if isinstance(exc, AnswerError) else {}
            for card in self.query(QuestionCard):
                qid = card.question.id
                if qid in answers:
                    sentence = sentences.get(qid) or _plain_problem(str(exc), qid)
                    card.say(literal(sentence, "red"))
            return False
        for qid in answers:
            self.host.drafts.pop(qid, None)
        self._sent.update(answers)
        return True

    @on(Button.Pressed, ".answer")
    def answer_pressed(self, event: Button.Pressed) -> None:
        self.answer(self._card_of(event.button))

    @on(Input.Submitted, ".question #value")
    def answer_submitted(self, event: Input.Submitted) -> None:
        """Enter in a time or text field sends it, as in the guided check."""
        self.answer(self._card_of(event.input))

    @on(Select.Changed, ".question #value")
    def chosen(self, event: Select.Changed) -> None:
        """A choice made: the card's Answer button takes the focus, so Enter sends it."""
        card = self._card_of(event.select)
        card.given()
        if event.value != Select.NULL and event.select.has_focus_within:
            card.query_one(".answer", Button).focus()

    @on(Input.Changed, ".question #value")
    @on(TextArea.Changed, ".question #value")
    def typing(self, event: Input.Changed | TextArea.Changed) -> None:
        self._card_of(event.control).given()

    def answer(self, card: QuestionCard) -> None:
        value = card.value()
        if value is None:
            card.say(Text("Give an answer first."), empty=True)
            return
        if self._send({card.question.id: value}):
            self.notify(
                visible(card.question.text), title="Answered; diagnosing again…", markup=False
            )

    def action_send_all(self) -> None:
        typed = self.typed()
        if not typed:
            self.notify("Nothing typed to send.", markup=False)
            return
        if self._send(typed):
            self.notify(f"{plural(len(typed), 'answer')} sent; diagnosing again…", markup=False)

    def action_back(self) -> None:
        typed = self.typed()
        if not typed:
            self.dismiss(None)
            return

        def chosen(choice: str | None) -> None:
            if choice == "send":
                if self._send(typed):
                    self.dismiss(None)
            elif choice == "keep":
                self.host.drafts.update(typed)
                self.dismiss(None)
            elif choice == "drop":
                for qid in typed:
                    self.host.drafts.pop(qid, None)
                self.dismiss(None)

        self.app.push_screen(leave_questions(len(typed)), chosen)


class KnowledgeScreen(SubScreen):
    """Browse and search the knowledge articles (/ to search)."""

    BINDINGS = [Binding("slash", "search", "Search", key_display="/")]
    AUTO_FOCUS = "#kb-list"

    def __init__(self, article_id: str | None = None) -> None:
        super().__init__()
        self.initial = article_id

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="kb-body"):
            with Vertical(id="kb-left"):
                yield Input(placeholder="Search the articles (/)", id="kb-search", compact=True)
                yield Choices(id="kb-list")
            with Page(id="kb-right"):
                yield ArticleView(id="kb-article")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.fill("")
        self.open_article(self.initial)

    def fill(self, text: str) -> None:
        knowledge = self.host.session.library.knowledge
        articles = (
            [a for a, _ in knowledge.search(text, limit=100)] if text.strip() else list(knowledge)
        )
        options = self.query_one("#kb-list", OptionList)
        options.clear_options()
        options.add_options(Option(literal(a.title), id=a.id) for a in articles)

    def action_search(self) -> None:
        self.query_one("#kb-search", Input).focus()

    @on(Input.Changed, "#kb-search")
    def search(self, event: Input.Changed) -> None:
        self.fill(event.value)
        options = self.query_one("#kb-list", OptionList)
        if options.option_count:
            options.highlighted = 0

    @on(Input.Submitted, "#kb-search")
    def to_list(self) -> None:
        self.query_one("#kb-list", OptionList).focus()

    @on(OptionList.OptionHighlighted, "#kb-list")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.show_article(event.option.id)

    def open_article(self, article_id: str | None) -> None:
        """Highlights `article_id` (or the first) in the list, which shows it."""
        options = self.query_one("#kb-list", OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        wanted = article_id if article_id in ids else (ids[0] if ids else None)
        if wanted is not None:
            options.highlighted = ids.index(wanted)
            self.show_article(wanted)

    def show_article(self, article_id: str) -> None:
        article = self.host.session.library.knowledge.get(article_id)
        if article is not None:
            sources = "\n".join(f"- {s}" for s in article.meta.source)
            self.query_one("#kb-article", ArticleView).show(
                f"{article.body}\n\n**Sources**\n\n{sources}\n"
            )
