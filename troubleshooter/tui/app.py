"""The terminal UI for support agents and for customers diagnosing themselves; the same app
runs in a browser through `troubleshooter serve` (textual-serve)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from troubleshooter.errors import ConfigError, TroubleshooterError
from troubleshooter.infra.gcpause import kept_aside
from troubleshooter.infra.safetext import visible
from troubleshooter.model import Diagnosis
from troubleshooter.report.view import shower
from troubleshooter.runs.answerstore import AnswerStore, keep, offer
from troubleshooter.runs.session import Session
from troubleshooter.tui.commands import TroubleshooterCommands
from troubleshooter.tui.dialogs import (
    ExportScreen,
    HelpScreen,
    OrganisationScreen,
    kept_answers,
    quit_with_drafts,
)
from troubleshooter.tui.host import Host
from troubleshooter.tui.keys import key_rows, settle_focus
from troubleshooter.tui.main import MainScreen
from troubleshooter.tui.messages import (
    CheckFailed,
    Diagnosing,
    DiagnosisReady,
    ProgressPacer,
    SystemProgress,
)
from troubleshooter.tui.screens import (
    NO_QUESTIONS,
    FindScreen,
    ItemScreen,
    KnowledgeScreen,
    PlanScreen,
    QuestionsScreen,
)
from troubleshooter.tui.text import story_markdown
from troubleshooter.tui.widgets import copied, tell
from troubleshooter.wording import plural

# Actions that need a diagnosis: shown dimmed until there is one.
_NEED_DIAGNOSIS = {"find", "plan", "export", "questions"}


class TroubleshooterApp(App[None]):
    TITLE = "troubleshooter"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {TroubleshooterCommands}
    # Screens get the class of their width: the layout follows (app.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-phone"), (60, "-narrow"), (120, "-wide")]
    # ? in the footer; f1 where ? is text (a text field has the focus).
    BINDINGS = [Binding("question_mark,f1", "help", "Help")]

    def __init__(
        self,
        session: Session,
        export_folder: Path | None = None,
        answer_store: AnswerStore | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.diagnosis: Diagnosis | None = None
        self.drafts: dict[str, str] = {}
        self.export_folder = export_folder or Path.cwd()
        self.answer_store = answer_store
        self._offered: set[str] = set()  # organisations whose kept answers were offered
        self.main = MainScreen()

    def get_default_screen(self) -> Screen[None]:
        return self.main

    def on_mount(self) -> None:
        self.sub_title = visible(self.session.source.label)
        self.watch(self, "app_focus", self._focus_came, init=False)

    def _focus_came(self, focus: bool) -> None:
        if focus:
            settle_focus(self.screen)  # the screen's first field, once a browser gives focus

    # -- checking (all I/O in workers) --

    def action_recheck(self) -> None:
        self.main.reading()
        self.check()

    @work(exclusive=True, group="check", exit_on_error=False)
    async def check(self) -> None:
        follow = ProgressPacer(self.post_message)  # each system's read, for its card

        def read() -> None:
            """The read on an event loop of its own, in a thread: parsing pages (and, for a
            scenario, the in-process sandbox serving them) is CPU work that would otherwise
            hold up this loop, and with it every key and every frame. What it makes is kept
            while it is shown: set aside from the collector's passes (gcpause.kept_aside)."""
            with kept_aside():
                asyncio.run(self.session.fetch(events=follow))

        try:
            await asyncio.to_thread(read)
            self.post_message(Diagnosing())
            # Lineage and rules are CPU work: a thread keeps the screen alive meanwhile.
            diagnosis = await asyncio.to_thread(self.session.diagnose)
        except TroubleshooterError as exc:
            self.post_message(CheckFailed(str(exc)))
            return
        finally:
            # Read or not, this check says no more: one given up for another (a check again,
            # another organisation) leaves its read to end in its thread, unheard, and the
            # session lets that read go (Session.fetch).
            follow.stop()
        self.post_message(DiagnosisReady(diagnosis, read=True))

    @work(exclusive=True, group="check", exit_on_error=False)
    async def rediagnose(self) -> None:
        try:
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
        self.main.progress(message.stage, message.state, message.text, message.short)

    @on(Diagnosing)
    def diagnosing(self) -> None:
        self.main.diagnosing()

    @on(CheckFailed)
    def check_failed(self, message: CheckFailed) -> None:
        self.main.failed(message.reason)
        tell(self, message.reason, title="Check failed", severity="error", timeout=10)

    @on(DiagnosisReady)
    def diagnosis_ready(self, message: DiagnosisReady) -> None:
        if message.read:  # what the read made is kept while it is shown: see gcpause
            self.main.set_aside_when_filled()
        self.show(message.diagnosis)

    def show(self, diagnosis: Diagnosis) -> None:
        """A diagnosis on every screen: the systems, the verdict and the plan at once, the
        table after the screen has shown them (filling it is the slow part)."""
        self.diagnosis = diagnosis
        self.title = visible(diagnosis.organisation.name)
        label = self.session.source.label
        self.sub_title = visible(label.split(" · ", 1)[1] if " · " in label else label)
        self.main.show_summary(diagnosis)
        self.call_after_refresh(self.main.apply_filters)
        for screen in self.screen_stack:
            if isinstance(screen, QuestionsScreen):
                screen.refresh_questions()  # answered ones go, new ones come
            elif isinstance(screen, PlanScreen):
                screen.refresh_plan()
            elif isinstance(screen, (ItemScreen, FindScreen)):
                screen.refresh_item()  # the story as the answers now tell it
        self.refresh_bindings()
        self._offer_kept(diagnosis)

    # -- answers --

    def apply_answers(self, answers: dict[str, str]) -> None:
        """Answers from the questions screen: checked at once (a bad one raises, for the
        screen to show), kept for this organisation, then the diagnosis is made again in a
        worker (no fetch: the answers only fill in what the systems could not tell)."""
        self.session.take_answers(answers)
        reading, store = self.session.reading, self.answer_store
        if store is not None and reading is not None:
            found = offer(reading, self.session.library, store)
            session = self.session
            keep(store, found, session.answers, reading, session.library, session.typed)
        self.rediagnose()

    def _offer_kept(self, diagnosis: Diagnosis) -> None:
        """Offers the answers kept from an earlier run, once per organisation and source;
        says which a system now reports instead (those are not offered)."""
        store, reading = self.answer_store, self.session.reading
        if store is None or reading is None:
            return
        found = offer(reading, self.session.library, store)
        if found.owner is None or found.owner.key in self._offered:
            return
        self._offered.add(found.owner.key)
        kept = found.kept
        if found.set_aside:
            notes = [n[:1].upper() + n[1:] + "." for n in found.set_aside.values()]
            tell(self, " ".join(notes))
        if kept is None:
            return
        new = {q: a for q, a in found.usable.items() if self.session.answers.get(q) != a}
        if not new:
            return
        # This machine's clock, so this machine's time.
        saved = kept.saved_at.astimezone().strftime("%Y-%m-%d %H:%M") if kept.saved_at else None
        name = diagnosis.organisation.name

        def chosen(choice: str | None) -> None:
            if choice == "use":
                self._use_kept(new)
            elif choice == "forget" and found.owner is not None:
                store.clear(found.owner)
                tell(self, "The kept answers are forgotten.")

        self.push_screen(kept_answers(name, len(new), saved), chosen)

    def _use_kept(self, kept: dict[str, str]) -> None:
        """Takes the kept answers that still fit the questions; says how many did not."""
        good: dict[str, str] = {}
        for question, answer in kept.items():
            try:
                self.session.take_answers({question: answer})
            except ConfigError:
                continue
            good[question] = answer
        refused = len(kept) - len(good)
        note = f"{plural(len(good), 'kept answer')} used"
        if refused:
            note += f"; {refused} no longer fit{'s' if refused == 1 else ''} a question"
        tell(self, note + ".")
        if good:
            self.rediagnose()

    def _unsent(self) -> int:
        typed = dict(self.drafts)
        for screen in self.screen_stack:
            if isinstance(screen, QuestionsScreen):
                typed.update(screen.typed())
        return len(typed)

    async def action_quit(self) -> None:
        """q on the main screen (and ctrl+q anywhere) quits; typed answers not sent are said
        first."""
        unsent = self._unsent()
        if not unsent:
            self.exit()
            return

        def chosen(choice: str | None) -> None:
            if choice == "quit":
                self.exit()

        self.push_screen(quit_with_drafts(unsent), chosen)

    # -- what the screens ask of the app --

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        if action in _NEED_DIAGNOSIS and self.diagnosis is None:
            return None  # shown, dimmed: it works once the check is done
        if action == "questions":
            return bool(self.diagnosis and self.diagnosis.questions)  # hidden without any
        if action == "no_questions":  # a, when there is none: says so, not in the footer
            return self.diagnosis is not None and not self.diagnosis.questions
        if action == "organisation":
            return len(self.session.sources) > 1
        return True

    def secrets_shown(self) -> list[str]:
        return self.session.secrets

    def copy_markdown(self, text: str, what: str) -> None:
        """Onto the clipboard (OSC 52: over SSH too, and in the browser)."""
        self.copy_to_clipboard(text)
        copied(self, what, text.count("\n"))

    def copy_item(self, key: str) -> None:
        trace = self._trace(key)
        if trace is None or self.diagnosis is None:
            return
        shown = shower(secrets=self.secrets_shown())
        self.copy_markdown(story_markdown(trace, self.diagnosis, shown), "the story")

    def _trace(self, key: str):  # type: ignore[no-untyped-def]
        if self.diagnosis is None:
            return None
        return next((t for t in self.diagnosis.items if t.key == key), None)

    def open_item(self, key: str) -> None:
        trace = self._trace(key)
        if trace is not None and self.diagnosis is not None:
            self.push_screen(ItemScreen(trace, self.diagnosis))

    def action_find(self) -> None:
        if self.diagnosis is not None and not isinstance(self.screen, FindScreen):
            self.push_screen(FindScreen())

    def action_plan(self) -> None:
        if self.diagnosis is not None and not isinstance(self.screen, PlanScreen):
            self.push_screen(PlanScreen())

    def action_questions(self, focus: str | None = None) -> None:
        """The questions screen: the organisation's questions, or (`focus`, an item's key)
        those of that item's own diagnosis, as the find screen shows it."""
        if self.diagnosis is not None and not isinstance(self.screen, QuestionsScreen):
            self.push_screen(QuestionsScreen(focus))

    def action_no_questions(self) -> None:
        tell(self, NO_QUESTIONS)

    def action_knowledge(self, article_id: str | None = None) -> None:
        if isinstance(self.screen, KnowledgeScreen):
            self.screen.open_article(article_id)
            return
        self.push_screen(KnowledgeScreen(article_id))

    def action_export(self) -> None:
        if self.diagnosis is None:
            tell(self, "Nothing to export yet: the check is still running.")
            return
        self.push_screen(
            ExportScreen(self.diagnosis, self.session.secrets, self.export_folder, self.is_web)
        )

    def action_help(self) -> None:
        origin = self.screen
        if isinstance(origin, HelpScreen):
            return
        title = _SCREEN_NAMES.get(type(origin).__name__, "this screen")
        self.push_screen(HelpScreen(title, key_rows(origin)))

    def action_organisation(self) -> None:
        if len(self.session.sources) <= 1:
            tell(self, "Only one organisation is open.")
            return

        def chosen(index: int | None) -> None:
            if index is not None and index != self.session.current:
                self.switch_organisation(index)

        self.push_screen(OrganisationScreen(), chosen)

    def switch_organisation(self, index: int) -> None:
        self.session.switch(index)
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.drafts.clear()
        self.diagnosis = None
        self.title = self.TITLE
        self.sub_title = visible(self.session.source.label)
        self.refresh_bindings()
        self.action_recheck()


_SCREEN_NAMES = {
    "MainScreen": "the list",
    "ItemScreen": "an item's story",
    "PlanScreen": "the plan",
    "FindScreen": "what can't you find",
    "QuestionsScreen": "the questions",
    "KnowledgeScreen": "the articles",
    "ExportScreen": "export",
    "OrganisationScreen": "switch organisation",
}

# The screens and the palette reach the app through Host; mypy checks that the app is one.
_HOST: type[Host] = TroubleshooterApp
