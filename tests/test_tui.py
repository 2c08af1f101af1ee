"""The terminal UI, driven by Textual's Pilot: every key, every screen, at the sizes people use."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FAST
from rich.console import Console
from rich.text import Text
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets._footer import FooterKey

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.infra.resources import demo_scenario
from troubleshooter.model import Mark
from troubleshooter.runs.answerstore import AnswerStore, owner_of
from troubleshooter.runs.session import Session
from troubleshooter.runs.source import scenario_source
from troubleshooter.tui.app import TroubleshooterApp
from troubleshooter.tui.commands import TroubleshooterCommands
from troubleshooter.tui.dialogs import Choice, ExportScreen, HelpScreen, OrganisationScreen
from troubleshooter.tui.keys import key_rows
from troubleshooter.tui.main import MainScreen
from troubleshooter.tui.screens import (
    FindScreen,
    ItemScreen,
    KnowledgeScreen,
    PlanScreen,
    QuestionCard,
    QuestionsScreen,
)
from troubleshooter.tui.text import MARK_STYLES
from troubleshooter.tui.widgets import DetailPane, ItemsTable, SystemCard

SIZE = (160, 45)
SIZES = {"80x24": (80, 24), "120x40": (120, 40), "200x60": (200, 60)}

BLIND = """\
clock: 2026-11-25T10:00:00Z
organisation: {name: Blind Co}
xero: {accounts: [{code: '200', name: Sales}, {code: '429', name: Staff Wellbeing, created: -40m}]}
approvalmax: {access: none}
dext: {access: none}
"""


def make_app(
    *paths: Path, export_folder: Path | None = None, store: AnswerStore | None = None
) -> TroubleshooterApp:
    # Labelled by file name (check=False), as the snapshots show them.
    sources = [
        scenario_source(p, check=False, settings=FAST) for p in (paths or (demo_scenario(),))
    ]
    return TroubleshooterApp(
        Session(sources, Library.load()), export_folder=export_folder, answer_store=store
    )


def blind(tmp_path: Path, name: str = "Blind Co") -> Path:
    path = tmp_path / f"{name.split()[0].lower()}.yaml"
    path.write_text(BLIND.replace("Blind Co", name), encoding="utf-8")
    return path


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Until the check, the table (filled by a worker the check's result starts) and the
    detail pane (which follows the cursor a moment later) are done."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.2)
    await pilot.wait_for_scheduled_animations()


def text_of(app: TroubleshooterApp, selector: str) -> str:
    """A Static's text as a wide terminal shows it (its lines; a hanging indent as spaces)."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, (str, Text)):
        return str(content)
    console = Console(width=400, file=io.StringIO(), color_system=None)
    with console.capture() as captured:
        console.print(content)
    return "\n".join(line.rstrip() for line in captured.get().splitlines())


# -- the main screen --


async def test_the_demo_opens_with_its_diagnosis() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.diagnosis is not None
        assert isinstance(app.screen, MainScreen)
        assert "5 items stopped on the way from Xero to Dext" in text_of(app, "#verdict")
        assert "1. Give the bank account an account code in Xero" in text_of(app, "#plan")
        assert text_of(app, "#count") == "79 of 79 items"
        assert app.screen.query_one(ItemsTable).row_count == 79
        cards = {c.stage.value: c.classes for c in app.screen.query(SystemCard)}
        assert all("ok" in classes for classes in cards.values())
        assert app.focused is app.screen.query_one(ItemsTable)  # letters are commands at once


async def test_filters_and_search() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)  # the selection is made in a thread
        assert app.screen.query_one("#problems", Checkbox).value is True
        assert text_of(app, "#count") == "5 of 79 items · problems only"
        await pilot.press("p", "slash")
        await pilot.press(*"wellbeing")
        await settle(pilot)
        assert text_of(app, "#count") == "1 of 79 items · “wellbeing”"
        await pilot.press("escape")
        assert app.focused is app.screen.query_one(ItemsTable)
        app.screen.query_one("#search", Input).value = ""
        await pilot.press("t", "t", "t", "t", "t")  # every kind, accounts, …, tax rates
        await settle(pilot)
        assert text_of(app, "#count") == "5 of 79 items · tax rates"
        table = app.screen.query_one(ItemsTable)
        assert all(
            str(table.get_row_at(r)[1]).startswith("tax rate") for r in range(table.row_count)
        )


def test_the_count_line_reads_large_numbers_and_one_item() -> None:
    from troubleshooter.tui.text import count_line

    assert count_line(1, 1, 1, []) == "1 of 1 item"
    assert count_line(5, 79, 5, ["problems only"]) == "5 of 79 items · problems only"
    assert count_line(1200, 20000, 300, []) == (
        "1,200 of 20,000 items · the first 300 shown: narrow with / or the filters"
    )


async def test_the_kind_filter_names_every_kind_once() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select = app.screen.query_one("#kind", Select)
        labels = [str(prompt) for prompt, _ in select._options]
        assert len(labels) == len(set(labels)) == 7
        assert "Tracking categories" in labels and "Tracking options" in labels


async def test_j_k_and_the_arrows_move() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ItemsTable)
        assert table.cursor_row == 0
        await pilot.press("j", "j", "down")
        assert table.cursor_row == 3
        await pilot.press("k", "up")
        assert table.cursor_row == 1
        await pilot.pause(0.3)
        story = text_of(app, "#story")
        assert story.startswith("Staff Wellbeing  (account, code 429)")
        assert "ApprovalMax: ✗ missing" in story and "last synced from Xero" in story
        assert not story.endswith("\n")  # one blank line (the margin) before the findings
        advice = text_of(app, "#advice")
        assert "not yet in ApprovalMax" in advice and "1. Sync to ApprovalMax first" in advice
        assert "Sync the item to ApprovalMax first" in app.screen.query_one("#article").source


async def test_enter_opens_the_story_and_esc_and_q_come_back() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ItemScreen)
        assert app.screen.trace.name == "Staff Wellbeing"
        assert "ApprovalMax: ✗ missing" in text_of(app, "#story")
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("enter")
        assert isinstance(app.screen, ItemScreen)
        await pilot.press("q")  # back, not quit
        assert isinstance(app.screen, MainScreen) and app.is_running


async def test_q_on_the_main_screen_quits() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running


@pytest.mark.parametrize(
    ("key", "screen"),
    [
        ("w", PlanScreen),
        ("i", KnowledgeScreen),
        ("question_mark", HelpScreen),
        ("e", ExportScreen),
        ("enter", ItemScreen),
    ],
)
async def test_every_sub_screen_goes_back_with_esc_and_q(key: str, screen: type) -> None:
    app = make_app(export_folder=Path("/nowhere"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for leave in ("escape", "q"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, screen)
            await pilot.press(leave)
            await pilot.pause()
            assert isinstance(app.screen, MainScreen), leave
        assert app.is_running


async def test_footers_show_only_what_works_there() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen.active_bindings
        assert {"slash", "f", "w", "e", "q"} <= footer_keys(app)
        assert "a" not in footer_keys(app)  # no questions to answer in the demo
        assert "o" not in main  # one organisation
        await pilot.press("enter")
        await pilot.pause()
        item = app.screen.active_bindings
        assert not {"slash", "p", "f", "w", "e"} & set(item)
        assert "a" not in footer_keys(app)
        assert item["y"].binding.description == "Copy as Markdown"
        assert item["q"].binding.action == "back"


def footer_keys(app: TroubleshooterApp) -> set[str]:
    """The keys the footer shows: active, and meant to be shown."""
    return {k for k, active in app.screen.active_bindings.items() if active.binding.show}


def notes(app: TroubleshooterApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_a_answers_from_the_item_plan_and_find_screens(tmp_path: Path) -> None:
    """Wherever a story says "(a)", a opens the questions: the organisation's from an item and
    the plan, the item's own (as find diagnoses it) from find."""
    app = make_app(blind(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen)
        assert "Answer the questions (a)" in text_of(app, "#advice")
        assert "a" in footer_keys(app)
        for opened_from in ("enter", "w"):
            if opened_from == "w":
                await pilot.press("escape", "w")
                await pilot.pause()
                assert isinstance(app.screen, PlanScreen) and "a" in footer_keys(app)
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, QuestionsScreen) and app.screen.item is None
            await pilot.press("escape")
            await pilot.pause()
        await pilot.press("escape", "f")
        await pilot.pause()
        assert "a" not in footer_keys(app)  # typing in the field: a is a letter
        await pilot.press(*"Sales", "enter")
        await settle(pilot)
        assert isinstance(app.screen, FindScreen) and "a" in footer_keys(app)
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QuestionsScreen) and screen.item is not None
        intro = str(screen.query_one("#questions-intro", Static).render())
        assert "about “Sales”" in intro
        assert "approvalmax.has.200" in {c.question.id for c in screen.query(QuestionCard)}


async def test_a_without_questions_says_so_and_is_not_in_the_footer() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for screen in (MainScreen, ItemScreen, PlanScreen):
            if screen is ItemScreen:
                await pilot.press("enter")
            elif screen is PlanScreen:
                await pilot.press("escape", "w")
            await pilot.pause()
            assert isinstance(app.screen, screen)
            assert "a" not in footer_keys(app)
            app.clear_notifications()
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, screen), "a opened something"
            assert notes(app) == ["No open questions: the tool could see everything it needs."]


async def test_an_answer_redraws_the_story_on_the_item_and_find_screens(tmp_path: Path) -> None:
    app = make_app(blind(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ItemScreen) and app.screen.trace.name == "Sales"
        assert "ApprovalMax: ? unknown" in text_of(app, "#story")
        app.apply_answers({"approvalmax.has.200": "yes"})
        await settle(pilot)
        assert "ApprovalMax: ✓ present" in text_of(app, "#story")
        await pilot.press("escape", "f", *"Sales", "enter")
        await settle(pilot)
        story = text_of(app, "#story")
        # One pair of brackets: the reason (which has its own) follows a semicolon.
        assert "Dext: ✗ missing; assumed: Sales is not in Dext (that is why you asked)" in story
        await pilot.press("y")
        assert "; assumed: Sales is not in Dext (that is why you asked)\n" in app.clipboard
        app.apply_answers({"dext.has.200": "yes"})
        await settle(pilot)
        assert "Dext: ✓ present" in text_of(app, "#story")


@pytest.mark.parametrize("size", [(54, 30), (80, 24), (120, 40)])  # 54: a phone's browser
async def test_every_key_in_the_footer_can_be_read(tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(blind(tmp_path))  # questions: a Answer too
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        keys = list(app.screen.query(FooterKey))
        assert {k.action for k in keys} >= {"app.questions", "help", "app.quit"}
        for key in keys:
            assert key.region.right <= size[0], (key.action, key.region)


async def test_widgets_gone_from_the_screen_are_freed() -> None:
    """An item opened and closed, a check made again: the closed screen's header and the
    footer's old keys are freed. Textual kept them (and all they hold) through the watchers
    they left on the app's title and the footer's width, for as long as the session ran."""
    import gc
    import weakref

    from textual.widgets import Header

    from troubleshooter.infra.gcpause import bring_back

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        gone = []
        for _ in range(2):
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ItemScreen)
            gone.append(weakref.ref(app.screen.query_one(Header)))
            gone.append(weakref.ref(app.screen.query(FooterKey).first()))
            await pilot.press("escape")
            await settle(pilot)
        gone.append(weakref.ref(app.main.query(FooterKey).first()))
        await pilot.press("r")  # a check: the footer's keys are made again
        await settle(pilot)
        bring_back()  # nothing set aside from the collector: only what is still kept stays
        gc.collect()
        assert [ref() for ref in gone] == [None] * len(gone)


@pytest.mark.parametrize("width", [34, 40, 46])  # a phone's browser in a larger font
async def test_under_fifty_columns_help_is_the_first_key_and_can_be_read(width: int) -> None:
    """Too narrow for every key: the one that lists them all is first, so it is never the key
    cut off at the edge; the others follow in their order."""
    app = make_app()
    async with app.run_test(size=(width, 30)) as pilot:
        await settle(pilot)
        keys = sorted(app.screen.query(FooterKey), key=lambda k: k.region.x)
        assert keys[0].action == "help"
        assert keys[0].region.right <= width
        assert [k.action for k in keys[1:3]] == ["search", "app.find"]


async def test_while_typing_the_footer_offers_no_letter(tmp_path: Path) -> None:
    """In a text field a letter is text: the footer offers esc and f1, not / f w q ?."""
    from troubleshooter.tui.guided import GuidedApp

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listed = footer_keys(app)
        assert {"slash", "f", "q", "question_mark"} <= listed and "escape" not in listed
        await pilot.press("slash")
        await pilot.pause()
        assert footer_keys(app) == {"escape", "f1"}
        assert app.screen.active_bindings["escape"].binding.description == "Back to the list"
        await pilot.press("escape", "f")
        await pilot.pause()
        assert isinstance(app.screen, FindScreen) and footer_keys(app) == {"escape", "f1"}
        await pilot.press("f1")
        await pilot.pause()
        keys = {r.does: r.keys for r in app.screen.rows}  # type: ignore[attr-defined]
        assert keys["Help"] == "f1" and keys["Back"] == "esc"
    guided = GuidedApp(Library.load())
    async with guided.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "q" not in {k for k, a in guided.screen.active_bindings.items() if a.binding.show}


async def test_a_screen_opened_without_the_focus_gets_its_field_when_focus_comes() -> None:
    """In a browser the page gives the app the focus after its first screen is up (or a key
    does); Textual focuses a screen's first field only with the focus: it must take it when
    the focus comes, or typing goes nowhere."""
    from textual import events

    from troubleshooter.tui.guided import GuidedApp

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.app_focus = False
        app.action_find()
        await pilot.pause()
        assert isinstance(app.screen, FindScreen) and app.screen.focused is None
        app.app_focus = True  # as a key typed in the browser does
        await pilot.pause()
        assert app.screen.focused is app.screen.query_one("#find", Input)
    guided = GuidedApp(Library.load())
    async with guided.run_test(size=SIZE) as pilot:
        await pilot.pause()
        guided.post_message(events.AppBlur())
        await pilot.pause()
        guided._last_focused_on_app_blur = None  # as at the start: nothing was focused yet
        guided.post_message(events.AppFocus())  # as the page gives the terminal the focus
        await pilot.pause()
        await pilot.press(*"Staff")
        assert guided.screen.query_one("#guided-item", Input).value == "Staff"


# -- keys: y, switch organisation, help --


async def test_y_copies_the_story_and_steps_as_markdown() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "y")
        await pilot.pause()
        text = app.clipboard
        assert text.startswith("### Staff Wellbeing: account (code 429)\n")
        assert "- **ApprovalMax:** ✗ missing" in text
        assert "**What to do, in this order**" in text
        assert "1. **Sync to ApprovalMax first** (for: Staff Wellbeing and 1 other item)" in text
        # From the story screen and from the plan too.
        await pilot.press("enter", "y")
        assert app.clipboard == text
        await pilot.press("escape", "w", "y")
        plan = app.clipboard
        assert plan.startswith("**Harbour Street Coffee Roasters Ltd: 5 items stopped")
        assert "4. **Reconnect ApprovalMax to Dext (or reload Dext\\'s lists)**" not in plan
        assert "4. **Reconnect ApprovalMax to Dext" in plan


async def test_y_in_a_browser_from_another_computer_says_the_clipboard_may_be_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`serve --host` beyond this computer marks the TUIs it starts; over plain http a browser
    refuses the clipboard, so copying there says to export instead."""
    from click.testing import CliRunner

    from troubleshooter.cli import main
    from troubleshooter.tui.access import REMOTE_ENV
    from troubleshooter.tui.serve import GuardedServer

    monkeypatch.delenv(REMOTE_ENV, raising=False)  # restored after the test
    marked: list[str | None] = []
    monkeypatch.setattr(
        GuardedServer, "serve", lambda self, debug=False: marked.append(os.environ.get(REMOTE_ENV))
    )
    monkeypatch.setattr(
        "troubleshooter.cli.ui.listen", lambda host, port: None
    )  # no socket beyond loopback in a test
    monkeypatch.setenv("TROUBLESHOOTER_SERVE_TOKEN", "a-long-enough-token-1234")
    for host in ("0.0.0.0", "127.0.0.1"):
        result = CliRunner().invoke(main, ["serve", "--demo", "--host", host, "--port", "1"])
        assert result.exit_code == 0, result.stderr
    assert marked == ["1", None]

    monkeypatch.setattr(TroubleshooterApp, "is_web", property(lambda self: True))
    for remote, said in ((None, False), ("1", True)):
        if remote:
            monkeypatch.setenv(REMOTE_ENV, remote)
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("y")
            await pilot.pause()
            [note] = notes(app)
            assert note.startswith("Copied the story as Markdown")
            assert ("export (e) instead" in note) is said


async def test_o_switches_organisation(tmp_path: Path) -> None:
    app = make_app(demo_scenario(), blind(tmp_path, "Other Co"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.diagnosis is not None and app.diagnosis.organisation.name.startswith("Harbour")
        assert "o" in app.screen.active_bindings
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OrganisationScreen)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.diagnosis is not None and app.diagnosis.organisation.name == "Other Co"
        assert app.title == "Other Co"
        names = [n for n, _, _ in TroubleshooterCommands(app.screen)._commands()]
        assert "Switch organisation: demo" in names and "Switch organisation…" in names


async def test_help_lists_every_key_of_the_screen_it_came_from() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        rows = key_rows(main)
        does = {r.does for r in rows}
        for binding in MainScreen.BINDINGS:
            if binding.key in ("a", "o", "escape"):  # no questions, one organisation, no search
                continue
            assert binding.description in does, binding
        assert {"Next row", "Previous row", "Next field", "Help"} <= does
        keys_of = {r.does: r.keys for r in rows}
        assert keys_of["Open the item's story"] == "⏎" and keys_of["Help"] == "? / f1"
        keys = {r.does: r.keys for r in rows}
        assert set(keys["Next row"].split(" / ")) == {"j", "↓"}
        assert set(keys["Previous row"].split(" / ")) == {"k", "↑"}
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.title_text == "the list"
        table = app.screen.query_one("#help-keys")
        shown = {str(table.get_row_at(r)[1]) for r in range(table.row_count)}
        assert does <= shown
        await pilot.press("escape", "enter", "f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.title_text == "an item's story"
        table = app.screen.query_one("#help-keys")
        shown = {str(table.get_row_at(r)[1]) for r in range(table.row_count)}
        assert {"Back", "Copy as Markdown", "Help"} <= shown
        assert "Search" not in shown and "Export" not in shown


@pytest.mark.parametrize("key", ["question_mark", "enter"])  # the list's help, a story's
async def test_help_reads_whole_at_a_phones_width(key: str) -> None:
    app = make_app()
    async with app.run_test(size=(54, 40)) as pilot:
        await settle(pilot)
        if key == "enter":
            await pilot.press("enter")
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.query_one("#help-keys")
        assert table.virtual_size.width <= table.size.width  # nothing off to the side


# -- find --


async def test_find_enter_picks_the_best_match() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FindScreen)
        await pilot.press(*"Staff Wellbeing", "enter")
        await settle(pilot)
        story = text_of(app, "#story")
        assert story.startswith("Staff Wellbeing  (account, code 429)")
        assert "Sync to ApprovalMax first" in text_of(app, "#advice")
        await pilot.press("y")
        assert app.clipboard.startswith("### Staff Wellbeing")
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_find_enter_on_a_match_opens_its_story_and_j_k_move() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f", *"sales", "enter")
        await settle(pilot)
        matches = app.screen.query_one("#matches", OptionList)
        assert matches.has_focus and matches.highlighted == 0 and matches.option_count > 2
        await pilot.press("j", "j", "k")
        assert matches.highlighted == 1
        second = matches.get_option_at_index(1).id
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ItemScreen) and screen.focused_on_item
        assert screen.trace.key == second
        await pilot.press("escape")
        assert isinstance(app.screen, FindScreen)


async def test_j_k_move_in_the_articles_and_scroll_a_story() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        articles = app.screen.query_one("#kb-list", OptionList)
        assert articles.highlighted == 0
        await pilot.press("j")
        assert articles.highlighted == 1
        await pilot.press("escape", "enter")  # the first item's story, longer than the screen
        await pilot.pause(0.3)
        pane = app.screen.query_one(DetailPane)
        assert isinstance(app.screen, ItemScreen) and pane.scroll_y == 0
        await pilot.press("j", "j")
        await pilot.wait_for_scheduled_animations()
        assert pane.scroll_y > 0
        await pilot.press("k", "k")
        await pilot.wait_for_scheduled_animations()
        assert pane.scroll_y == 0
        rows = {r.does: r.keys for r in key_rows(app.screen)}
        assert set(rows["Scroll down"].split(" / ")) == {"j", "↓"}


async def test_find_without_a_match_offers_the_closest_names_and_what_to_check() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f", *"staff welbeeing", "enter")
        await pilot.pause()
        note = text_of(app, "#find-note")
        assert "Nothing in Xero, ApprovalMax or Dext matches “staff welbeeing”" in note
        assert "Did you mean: “Staff Wellbeing”" in note
        assert "right organisation (Harbour Street Coffee Roasters Ltd)" in note
        assert "saved in Xero" in note
        # Nothing to pick from: no empty list, no "Select an item to see its story."
        screen = app.screen
        assert not screen.query_one("#matches").display
        assert not screen.query_one("#find-detail").display
        # A story shown before goes when the text matches nothing.
        await pilot.press(*("backspace",) * 15, *"staff", "enter")
        await settle(pilot)
        assert screen.query_one("#matches").display and screen.query_one("#find-detail").display
        await pilot.press("shift+tab", *"zzz")
        await settle(pilot)
        assert not screen.query_one("#find-detail").display


# -- the program's line breaks are line breaks; data's are escapes --


async def test_the_plan_screen_breaks_lines_and_escapes_only_data(tmp_path: Path) -> None:
    """The plan's own layout (step, "for:", each instruction) is on lines of its own; a name
    that holds a new line still shows it as an escape."""
    demo = demo_scenario().read_text(encoding="utf-8")
    assert "name: Staff Wellbeing\n" in demo
    path = tmp_path / "newline.yaml"
    path.write_text(
        demo.replace("name: Staff Wellbeing\n", 'name: "Staff\\nWellbeing"\n'), encoding="utf-8"
    )
    for scenario_path in (demo_scenario(), path):
        app = make_app(scenario_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("w")
            await settle(pilot)
            assert isinstance(app.screen, PlanScreen)
            plan = text_of(app, "#plan-steps")
            lines = plan.splitlines()
            assert "1. Give the bank account an account code in Xero" in lines
            assert "   for: Wise NZD Wallet" in lines
            assert any(line.startswith("   - In Xero, open the bank account") for line in lines)
            if scenario_path == path:
                assert "   for: Staff\\x0aWellbeing, Wise NZD Wallet" in lines
            else:
                assert "\\x0a" not in plan
                assert "   for: Staff Wellbeing, Wise NZD Wallet" in lines


def test_steps_wrap_under_their_text_in_a_story_and_the_plan() -> None:
    """A long instruction wraps under its first word ("   - In Dext, go to …" / "     Lists
    and press …"), not at the margin, in an item's story and on the plan screen."""
    from conftest import run

    from troubleshooter.sandbox.app import Sandbox
    from troubleshooter.sandbox.scenario import load_scenario
    from troubleshooter.tui.screens import _whole_plan
    from troubleshooter.tui.text import advice

    diagnosis = run(Sandbox(load_scenario(demo_scenario())), Library.load())
    trace = next(t for t in diagnosis.items if t.name == "Client Entertainment")
    for shown in (advice(trace, diagnosis), _whole_plan(diagnosis)):
        console = Console(width=50, file=io.StringIO(), color_system=None)
        with console.capture() as captured:
            console.print(shown)
        lines = [line.rstrip() for line in captured.get().splitlines()]
        within = None  # the indent an instruction's text starts at
        wrapped = 0
        for line in lines:
            if line.startswith("   - "):
                within = 5
            elif line.startswith("   for: "):
                within = 8
            elif line.startswith("   Without action"):
                within = 3
            elif not line.strip() or line[:1].isdigit():
                within = None
            elif within is not None:
                assert line.startswith(" " * within), (line, lines)
                wrapped += 1
        assert wrapped > 3  # the check saw wrapped lines


# -- questions and answers --


async def test_answering_a_question_updates_the_diagnosis_and_keeps_it(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path / "answers")
    app = make_app(blind(tmp_path), store=store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.diagnosis is not None
        before = len(app.diagnosis.questions)
        assert "Press a to answer them." in text_of(app, "#verdict")
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QuestionsScreen)
        assert str(screen.query_one("#questions-intro", Static).render()).startswith(
            f"{before} questions would settle"
        )
        card = next(
            c for c in screen.query(QuestionCard) if c.question.id == "approvalmax.xero_connection"
        )
        card.query_one(Select).value = "connected"
        card.query_one(Button).press()
        await settle(pilot)  # the diagnosis is made again in a worker, the cards anew
        assert app.session.answers == {"approvalmax.xero_connection": "connected"}
        assert len(app.diagnosis.questions) == before - 1
        kept = store.load(owner_of(app.session.source, app.diagnosis.organisation))
        assert kept is not None and kept.answers == app.session.answers  # kept
        # A bad answer is refused in a plain sentence, without the question's id.
        card = next(c for c in screen.query(QuestionCard) if c.question.id == "dext.last_pull")
        card.query_one(Input).value = "not a time"
        card.query_one(Button).press()
        await pilot.pause()
        problem = str(card.query_one(".problem", Static).render())
        assert problem and "dext.last_pull" not in problem and "answers:" not in problem
        assert "dext.last_pull" not in app.session.answers


async def test_the_questions_screen_works_from_the_keyboard(tmp_path: Path) -> None:
    """a focuses the first field; a choice moves to Answer, so Enter sends it; Enter in a time
    field sends it; "Give an answer first." goes once an answer is given."""
    app = make_app(blind(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QuestionsScreen)
        first = screen.query(QuestionCard).first()
        assert first.question.id == "approvalmax.xero_connection"
        assert app.focused is first.query_one(Select)  # typing can start at once
        # Answer with nothing chosen: asked for one; choosing clears that.
        await pilot.press("tab")
        assert app.focused is first.query_one(Button)
        await pilot.press("enter")
        problem = first.query_one(".problem", Static)
        assert str(problem.render()) == "Give an answer first."
        await pilot.press("shift+tab", "enter", "down", "enter")  # open, pick, choose
        await pilot.pause()
        assert not first.query_one(Select).is_blank()
        assert str(problem.render()) == ""
        assert app.focused is first.query_one(Button)  # one Enter away from sent
        chosen = str(first.query_one(Select).value)
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.answers == {"approvalmax.xero_connection": chosen}
        # The cards are made again; the first open question has the focus.
        first = screen.query(QuestionCard).first()
        assert first.question.id != "approvalmax.xero_connection"
        assert app.focused is first.query_one("#value")
        card = next(c for c in screen.query(QuestionCard) if c.question.id == "dext.last_pull")
        card.query_one(Input).focus()
        await pilot.press(*"2 hours ago", "enter")
        await settle(pilot)
        assert "dext.last_pull" in app.session.answers


async def test_a_question_wraps_whole_at_a_phones_width(tmp_path: Path) -> None:
    app = make_app(blind(tmp_path))
    async with app.run_test(size=(54, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        cards = list(app.screen.query(QuestionCard))
        assert cards
        for card in cards:
            label = card.query_one(Label)
            words = len(card.question.text)
            assert label.size.width <= card.content_size.width
            assert label.size.width * label.size.height >= words, card.question.text


async def test_at_a_phones_width_the_articles_list_is_over_the_article() -> None:
    app = make_app()
    async with app.run_test(size=(54, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        listing = app.screen.query_one("#kb-list").region
        article = app.screen.query_one("#kb-right").region
        assert listing.width >= 50 and article.width >= 50
        assert article.y >= listing.bottom


async def test_leaving_with_typed_answers_asks_and_keeps_them(tmp_path: Path) -> None:
    app = make_app(blind(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        card = next(c for c in app.screen.query(QuestionCard) if c.question.type == "datetime")
        field = card.query_one(Input)
        field.focus()
        await pilot.press(*"-2h", "q")  # q types into the field: it does not leave
        assert field.value == "-2hq"
        await pilot.press("backspace", "escape")
        await pilot.pause()
        assert isinstance(app.screen, Choice)  # asked, not left
        await pilot.click("#choice-keep")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.is_running
        assert app.drafts == {card.question.id: "-2h"}
        await pilot.press("a")
        await pilot.pause()
        again = next(c for c in app.screen.query(QuestionCard) if c.question.id == card.question.id)
        assert again.value() == "-2h"  # still there
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#choice-drop")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.drafts == {}


def test_the_answer_dialogs_say_it_or_them_by_count_and_escape_only_data() -> None:
    from troubleshooter.tui.dialogs import kept_answers, leave_questions

    one = kept_answers("Blind\nCo", 1, "2026-11-29 21:25")
    text = one.text.plain
    assert text == (
        "1 answer kept from last time for Blind\\x0aCo (saved 2026-11-29 21:25).\n"
        "Use it? It settles what the tool cannot see; you can change it."
    )
    assert [label for label, _ in one.choices] == ["Use it", "Not now", "Forget it"]
    many = kept_answers("Blind Co", 3, None)
    assert "\nUse them? They settle" in many.text.plain
    assert [label for label, _ in many.choices] == ["Use them", "Not now", "Forget them"]
    leave = leave_questions(1)
    assert leave.text.plain.startswith("You typed 1 answer and did not send it.\n")
    assert "(it stays in its field until you quit)" in leave.text.plain
    assert [label for label, _ in leave.choices][:3] == ["Send it", "Keep for later", "Drop it"]
    assert "Send them" in [label for label, _ in leave_questions(2).choices]


async def test_an_answer_sent_is_not_taken_for_one_typed_and_unsent(tmp_path: Path) -> None:
    """Sent with Enter, the answer is kept: leaving and quitting ask nothing about it."""
    app = make_app(blind(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QuestionsScreen)
        card = next(c for c in screen.query(QuestionCard) if c.question.id == "dext.last_pull")
        card.query_one(Input).focus()
        await pilot.press(*"2 hours ago", "enter")
        await settle(pilot)
        assert "dext.last_pull" in app.session.answers
        assert "dext.last_pull" not in app.drafts and "dext.last_pull" not in screen.typed()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)  # no "not sent yet" dialog
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_quitting_with_typed_answers_asks_first(tmp_path: Path) -> None:
    app = make_app(blind(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.drafts["dext.last_pull"] = "-2h"
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, Choice) and app.is_running
        await pilot.click("#choice-stay")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.is_running


async def test_kept_answers_are_offered_on_start(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path / "answers")
    path = blind(tmp_path)
    first = make_app(path, store=store)
    async with first.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert first.diagnosis is not None
        organisation = first.diagnosis.organisation
    owner = owner_of(first.session.source, organisation)
    store.save(owner, {"approvalmax.xero_connection": "connected", "gone.question": "x"})
    app = make_app(path, store=store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        text = str(app.screen.query_one(Static).render())
        assert text.startswith("2 answers kept from last time for Blind Co")
        assert "\\x0a" not in text and ".\nUse them? They settle" in text  # a line break
        assert {str(b.label) for b in app.screen.query(Button)} >= {"Use them", "Forget them"}
        await pilot.click("#choice-use")
        await settle(pilot)
        assert app.session.answers == {"approvalmax.xero_connection": "connected"}
        assert app.diagnosis is not None
        assert "approvalmax.xero_connection" not in {q.id for q in app.diagnosis.questions}


# -- export --


async def test_export_in_a_terminal_writes_a_file_that_reads_back(tmp_path: Path) -> None:
    app = make_app(export_folder=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        dialog.query_one("#export-format", Select).value = "json"
        await pilot.pause()
        path_input = dialog.query_one("#export-path", Input)
        assert path_input.value.endswith(".json") and path_input.value.startswith(str(tmp_path))
        await pilot.press("enter")  # the Save button has the focus
        await pilot.pause()
        written = Path(path_input.value)
        assert f"Saved to {written.resolve()}" in str(
            dialog.query_one("#export-result", Static).render()
        )
        data = json.loads(written.read_text(encoding="utf-8"))
        assert data["organisation"]["name"] == "Harbour Street Coffee Roasters Ltd"
        assert data["summary"]["with_findings"] == 5


async def test_export_in_a_browser_is_a_download_never_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    delivered: list[tuple[str, dict[str, object]]] = []

    def deliver_text(self: TroubleshooterApp, file, **kwargs: object) -> str:  # type: ignore[no-untyped-def]
        delivered.append((file.read(), kwargs))
        return "key"

    monkeypatch.setattr(TroubleshooterApp, "is_web", property(lambda self: True))
    monkeypatch.setattr(TroubleshooterApp, "deliver_text", deliver_text)
    app = make_app(export_folder=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert not app.screen.query("#export-path")  # no server path to type
        assert str(app.screen.query_one("#export-save", Button).label) == "Download"
        await pilot.press("enter")
        await pilot.pause()
    [(text, kwargs)] = delivered
    assert text.startswith("# Harbour Street Coffee Roasters Ltd")
    assert (
        kwargs["save_filename"] == "troubleshooter-harbour-street-coffee-roasters-ltd-2026-11-25.md"
    )
    assert kwargs["mime_type"] == "text/markdown"
    assert list(tmp_path.iterdir()) == []  # nothing written on the server


# -- the systems, honestly --


async def test_a_system_read_partly_says_what_came_from_where(tmp_path: Path) -> None:
    app = make_app(blind(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        approvalmax = app.screen.query_one("#system-approvalmax", SystemCard)
        text = str(approvalmax.render())
        assert "partial" in approvalmax.classes and "✓" not in text
        assert text.startswith("! partly read · organisations from its API")
        assert "lists and sync times from you, 0 of 3 answered" in text
        dext = app.screen.query_one("#system-dext", SystemCard)
        assert "not connected" in str(dext.render()) and "not connected: " not in str(dext.render())


async def test_at_80_columns_a_card_says_its_state_whole(tmp_path: Path) -> None:
    """One line a card under 120 columns: the state whole (never "! partly read ·"); the
    rest in its tooltip. A line too long for any card ends in an ellipsis, never a cut word."""
    from troubleshooter.tui.text import one_line

    app = make_app(blind(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        approvalmax = app.screen.query_one("#system-approvalmax", SystemCard)
        assert str(approvalmax.render()) == "! partly read"
        assert "0 of 3 answered" in str(approvalmax.tooltip)
        await pilot.resize_terminal(160, 45)
        await settle(pilot)
        assert str(approvalmax.render()).startswith("! partly read · organisations from its API")
        assert approvalmax.tooltip is None
    cut = one_line(Text("✓ read · sandbox data · 2 h ago\nmore"), 18)
    assert cut.plain == "✓ read" and cut.no_wrap
    whole = one_line(Text("⟳ contacts, page 12 of 50, about 40 s left"), 20)
    assert whole.overflow == "ellipsis" and whole.no_wrap
    wide = one_line(Text("⟳ 联系人 12/50 · 40 s left · more"), 25)  # 联系人 takes 6 cells
    assert wide.plain == "⟳ 联系人 12/50"  # the cut that fits in cells, the count whole


def test_unknown_never_looks_like_missing() -> None:
    assert MARK_STYLES[Mark.UNKNOWN] != MARK_STYLES[Mark.MISSING]
    assert "red" not in MARK_STYLES[Mark.UNKNOWN]


async def test_a_failing_system_is_shown_and_the_app_stays_up(tmp_path: Path) -> None:
    path = tmp_path / "down.yaml"
    path.write_text(
        "clock: 2026-11-25T10:00:00Z\norganisation: {name: Down Co}\n"
        "xero: {accounts: [{code: '200', name: Sales}]}\n"
        "faults: [{system: dext_adapter, status: 503}]\n",
        encoding="utf-8",
    )
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        card = app.screen.query_one("#system-dext", SystemCard)
        assert "failed" in card.classes
        assert "503" in str(card.render())
        assert "Dext could not be fully checked" in text_of(app, "#verdict")
        await pilot.press("r")  # check again: still up, same answer
        await settle(pilot)
        assert app.is_running and "failed" in card.classes


# -- the columns at every width --


@pytest.mark.parametrize("size", [*list(SIZES.values()), (44, 30)], ids=[*SIZES, "phone"])
async def test_the_three_stage_columns_are_always_there(size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ItemsTable)
        labels = [str(c.label) for c in table.ordered_columns]
        assert labels[-3:] == ["Xero", "ApprovalMax", "Dext"]
        used = sum(c.get_render_width(table) for c in table.ordered_columns)
        assert used <= table.size.width  # the Dext column is never cut
        words = "✗ missing" in str(table.get_row_at(1)[-1])
        assert words == (size[0] >= 200)  # symbols only where there is no room
        if size[0] < 120:  # the plan is one line and one key away
            assert text_of(app, "#plan").startswith("w: the plan, 4 steps · 1. Give")


# -- the palette --


async def test_the_palette_offers_what_makes_sense_now() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = [name for name, _, _ in TroubleshooterCommands(app.screen)._commands()]
        assert names[0] == "Export report…" and "Check again" in names
        assert "Answer questions…" not in names  # none to answer
        assert any(n.startswith("Open article: ") for n in names)


async def test_screens_do_not_stack_on_themselves() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_knowledge()
        await pilot.pause()
        depth = len(app.screen_stack)
        app.action_knowledge("hidden-in-dext")  # from the palette: opens the article in place
        await pilot.pause()
        assert len(app.screen_stack) == depth
        assert "Visible" in app.screen.query_one("#kb-article").source


# -- how they look --


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
@pytest.mark.parametrize(
    "keys",
    [(), ("f", *"wellbeing", "enter"), ("a",), ("question_mark",)],
    ids=["main", "find", "questions", "help"],
)
def test_screens_look_right(  # type: ignore[no-untyped-def]
    snap_compare, keys: tuple[str, ...], size: str, tmp_path: Path
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False

    path = demo_scenario()
    if "a" in keys:  # the questions of a blind organisation
        path = tmp_path / "blind.yaml"
        path.write_text(BLIND, encoding="utf-8")
    app = make_app(path, export_folder=Path("/reports"))
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("keys", [("e",), ("i",), ("w",)], ids=["export", "knowledge", "plan"])
def test_other_screens_look_right(snap_compare, keys: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False

    app = make_app(export_folder=Path("/reports"))
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


# -- nothing connected: the guided check --


async def test_nothing_connected_the_guided_check_asks_then_says_what_to_do() -> None:
    from troubleshooter.tui.guided import GuidedApp, GuidedScreen

    app = GuidedApp(Library.load())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GuidedScreen)
        await pilot.press(*"Staff Wellbeing", "enter")
        await settle(pilot)
        asked: list[str] = []
        while screen.question is not None and len(asked) < 20:
            question = screen.question
            asked.append(question.id)
            field = screen.query_one("#guided-question #value")
            if isinstance(field, Select):
                values = [value for _, value in field._options if value != Select.NULL]
                wanted = {"xero.kind": "account", "xero.has": "active"}.get(question.id)
                field.value = wanted if wanted in values else values[-1]
                await pilot.pause()
                await pilot.click("#guided-answer")
            elif isinstance(field, Input):
                field.value = "2 hours ago"
                await pilot.click("#guided-answer")
            else:
                await pilot.click("#guided-skip")
            await settle(pilot)
        assert asked[:2] == ["xero.kind", "xero.has"]  # Xero's facts are asked too
        assert screen.result is not None, asked
        assert "Staff Wellbeing" in str(screen.query_one("#story", Static).render())
        assert str(screen.query_one("#guided-plan", Static).render()).startswith("What to do")
        await pilot.press("y")
        assert app.clipboard.startswith("### Staff Wellbeing")


async def test_the_guided_check_works_from_the_keyboard() -> None:
    from troubleshooter.tui.guided import GuidedApp, GuidedScreen

    app = GuidedApp(Library.load())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GuidedScreen)
        await pilot.press(*"Staff Wellbeing", "enter")
        await settle(pilot)
        assert screen.question is not None and screen.question.id == "xero.kind"
        field = screen.query_one("#guided-question #value", Select)
        assert app.focused is field
        await pilot.press("tab", "enter")  # Answer, with nothing chosen
        problem = screen.query_one("#guided-problem", Static)
        assert str(problem.render()).startswith("Give an answer first")
        await pilot.press("shift+tab", "enter", "down", "enter")  # open, pick, choose
        await pilot.pause()
        assert str(problem.render()) == ""  # an answer is given
        assert app.focused is screen.query_one("#guided-answer", Button)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.check is not None and "xero.kind" in screen.check.answers
        assert screen.question is not None and screen.question.id != "xero.kind"


async def test_the_guided_check_asks_before_dropping_answers() -> None:
    """Esc (start again) and q (quit) with answers given ask first; Stay keeps every one."""
    from troubleshooter.tui.guided import GuidedApp, GuidedScreen

    app = GuidedApp(Library.load())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GuidedScreen)
        await pilot.press(*"Staff Wellbeing", "enter")
        await settle(pilot)
        screen.query_one("#guided-question #value", Select).value = "account"
        await pilot.click("#guided-answer")
        await settle(pilot)
        assert screen.check is not None and screen.check.answers == {"xero.kind": "account"}
        for key, leave in (("escape", "#choice-again"), ("q", "#choice-quit")):
            screen.query_one("#guided-answer", Button).focus()
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, Choice), key
            text = str(app.screen.query_one(Static).render())
            assert text.startswith("You gave 1 answer in this check.\n"), text
            assert app.screen.query_one(leave, Button)
            await pilot.click("#choice-stay")
            await pilot.pause()
            assert app.screen is screen and app.is_running
            assert screen.check is not None and screen.check.answers == {"xero.kind": "account"}
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#choice-again")
        await pilot.pause()
        assert screen.check is None and app.focused is screen.query_one("#guided-item")
        await pilot.press("escape")  # nothing to lose: nothing asked
        await pilot.pause()
        assert app.screen is screen


def test_the_tui_opens_on_the_guided_check_when_nothing_is_connected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from troubleshooter.cli import main
    from troubleshooter.tui.guided import GuidedApp

    opened: list[str] = []
    monkeypatch.setattr(GuidedApp, "run", lambda self: opened.append(type(self).__name__))
    result = CliRunner().invoke(main, ["tui"])  # nothing is connected in a test's data folder
    assert result.exit_code == 0, result.stderr
    assert opened == ["GuidedApp"]


async def test_cards_follow_the_read_and_none_says_diagnosing_too_soon() -> None:
    from troubleshooter.model import Stage
    from troubleshooter.sources.fetch import FetchEvent, describe
    from troubleshooter.tui.messages import SystemProgress

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main
        main.reading()
        event = FetchEvent(Stage.XERO, "reading", "contacts", 12, 50, estimate=40)
        text = describe(event).removeprefix("Xero: ")
        app.post_message(SystemProgress(Stage.XERO, "reading", text))
        app.post_message(SystemProgress(Stage.DEXT, "done", ""))
        await pilot.pause()
        xero = str(main.query_one("#system-xero", SystemCard).render())
        assert "contacts, page 12 of 50" in xero
        dext = str(main.query_one("#system-dext", SystemCard).render())
        assert dext == "✓ read"  # read, and not "diagnosing" while Xero is still being read
        assert "diagnosing" not in str(main.query_one("#verdict", Static).render())


def test_the_cards_see_a_systems_pages_at_most_ten_times_a_second() -> None:
    """A read's start, waits, end and failure reach the cards at once; its pages are paced
    per system (a read of 20,000 items is about 90 pages in under a second)."""
    from troubleshooter.model import Stage
    from troubleshooter.sources.fetch import FetchEvent
    from troubleshooter.tui.messages import ProgressPacer, SystemProgress

    now = [100.0]
    posted: list[SystemProgress] = []
    pacer = ProgressPacer(posted.append, clock=lambda: now[0], later=lambda _delay, _call: None)

    def at(seconds: float, event: FetchEvent) -> None:
        now[0] = 100.0 + seconds
        pacer(event)

    def page(stage: Stage, read: int) -> FetchEvent:
        return FetchEvent(stage, "reading", "contacts", read, 20)

    at(0.00, FetchEvent(Stage.XERO, "fetching"))
    at(0.01, page(Stage.XERO, 1))  # the first page shows
    at(0.05, page(Stage.XERO, 2))  # too soon after it
    at(0.06, page(Stage.DEXT, 1))  # another system's first page shows
    at(0.08, FetchEvent(Stage.XERO, "waiting", waiting=12))  # a wait always shows
    at(0.09, page(Stage.XERO, 3))  # still too soon after page 1
    at(0.12, page(Stage.XERO, 4))  # a tenth of a second on
    at(0.13, FetchEvent(Stage.XERO, "reading", "accounts"))  # no page count: shows
    at(0.14, FetchEvent(Stage.DEXT, "failed", error="bad\x1b[31m gateway"))
    at(0.15, FetchEvent(Stage.XERO, "done"))
    seen = [(m.stage, m.state, m.text, m.short) for m in posted]
    assert seen == [
        (Stage.XERO, "reading", "fetching", ""),
        (Stage.XERO, "reading", "contacts, page 1 of 20", "contacts 1/20"),
        (Stage.DEXT, "reading", "contacts, page 1 of 20", "contacts 1/20"),
        (Stage.XERO, "reading", "waiting 12 s for Xero's minute limit", "minute limit, 12 s"),
        (Stage.XERO, "reading", "contacts, page 4 of 20", "contacts 4/20"),
        (Stage.XERO, "reading", "accounts", ""),
        (Stage.DEXT, "failed", "bad\x1b[31m gateway", ""),
        (Stage.XERO, "done", "", ""),
    ]


def test_a_page_too_soon_to_show_is_shown_when_due_unless_the_read_moved_on() -> None:
    """The last pages of a list often come close together, and the next list (or the end)
    may be long in coming: a page held for being too soon is shown when it is due, so a card
    never stays on an older count; a held page never comes after its system's end."""
    from troubleshooter.model import Stage
    from troubleshooter.sources.fetch import FetchEvent
    from troubleshooter.tui.messages import ProgressPacer, SystemProgress

    now = [100.0]
    posted: list[SystemProgress] = []
    due: list[tuple[float, Callable[[], None]]] = []
    pacer = ProgressPacer(
        posted.append, clock=lambda: now[0], later=lambda delay, call: due.append((delay, call))
    )

    def at(seconds: float, event: FetchEvent | None = None) -> None:
        now[0] = 100.0 + seconds
        if event is None:  # the moment a held page is due
            _, call = due.pop(0)
            call()
        else:
            pacer(event)

    def page(read: int) -> FetchEvent:
        return FetchEvent(Stage.XERO, "reading", "contacts", read, 50)

    at(0.00, page(48))
    at(0.03, page(49))  # too soon: held, due a tenth of a second after page 48
    assert [round(delay, 3) for delay, _ in due] == [0.07]
    at(0.05, page(50))  # too soon too: the newest is held, no second call is asked for
    assert len(due) == 1
    at(0.10)  # due: the card sees page 50, not stuck on 48 while the next list is read
    at(0.15, page(1))  # accounts may come next; too soon after page 50 was shown: held
    at(0.16, FetchEvent(Stage.XERO, "done"))
    at(0.20)  # the held page is due after the end: it is not shown
    seen = [(m.state, m.short) for m in posted]
    assert seen == [("reading", "contacts 48/50"), ("reading", "contacts 50/50"), ("done", "")]


def test_a_check_given_up_says_no_more_on_the_cards() -> None:
    """A check given up for another (a check again, another organisation) leaves its read to
    end in its thread: once the pacer is stopped, nothing of that read reaches the cards, not
    even a page held to be shown later."""
    from troubleshooter.model import Stage
    from troubleshooter.sources.fetch import FetchEvent
    from troubleshooter.tui.messages import ProgressPacer, SystemProgress

    now = [0.0]
    due: list[object] = []
    posted: list[SystemProgress] = []
    pacer = ProgressPacer(
        posted.append, clock=lambda: now[0], later=lambda _delay, call: due.append(call)
    )
    pacer(FetchEvent(Stage.XERO, "reading", "contacts", 1, 20))
    now[0] = 0.05
    pacer(FetchEvent(Stage.XERO, "reading", "contacts", 2, 20))  # held, to show at 0.1 s
    assert len(posted) == 1 and len(due) == 1
    pacer.stop()
    now[0] = 0.2
    due[0]()  # type: ignore[operator]  # the held page's time comes
    pacer(FetchEvent(Stage.XERO, "reading", "contacts", 3, 20))
    pacer(FetchEvent(Stage.XERO, "done"))
    assert len(posted) == 1


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        ((80, 24), "⟳ contacts 12/50"),
        ((160, 45), "⟳ contacts, page 12 of 50, about 40 s left"),
    ],
)
async def test_a_narrow_card_says_a_reads_progress_in_fewer_words(
    size: tuple[int, int], shown: str
) -> None:
    """At 80 columns a card has about 20 columns: "contacts, page 12 of 50" would lose its
    count at the edge, so the card says "contacts 12/50", with the whole sentence as its
    tooltip; where the card is wide it says the sentence."""
    from troubleshooter.model import Stage
    from troubleshooter.sources.fetch import FetchEvent
    from troubleshooter.tui.messages import ProgressPacer

    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.main.reading()
        ProgressPacer(app.post_message)(
            FetchEvent(Stage.XERO, "reading", "contacts", 12, 50, estimate=40)
        )
        await pilot.pause()
        card = app.main.query_one("#system-xero", SystemCard)
        assert str(card.render()) == shown
        assert card.region.width < 30 or card.tooltip is None
        if card.tooltip is not None:
            assert "page 12 of 50, about 40 s left" in str(card.tooltip)


async def test_a_read_is_set_aside_from_the_collector_until_the_next() -> None:
    """Once read (and once its diagnosis is shown) the read is set aside from the collector's
    passes (gcpause.set_aside); the next check brings it back first, so cycles left from one
    read are freed at the next, never kept longer."""
    import gc

    from conftest import Cycle

    app = make_app()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.diagnosis is not None
            assert gc.get_freeze_count() > 0  # the read and its diagnosis
            Cycle.freed.clear()
            left = Cycle("left by the last read")
            gc.freeze()  # as set_aside would have taken it
            del left
            gc.collect()
            assert Cycle.freed == []
            await pilot.press("r")  # check again
            await settle(pilot)
            assert Cycle.freed == ["left by the last read"]
            assert app.diagnosis is not None
    finally:
        gc.unfreeze()


async def test_a_reads_diagnosis_is_set_aside_once_its_table_is_filled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read's diagnosis has its rows all made when its table is first filled: everything is
    set aside then, once. A diagnosis made again from answers is not (what was made since the
    read stays in the collector's sight), nor is a filter; the next read's is."""
    import troubleshooter.tui.main as main_module

    calls: list[int] = []
    monkeypatch.setattr(main_module, "set_aside", lambda: calls.append(1))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(calls) == 1
        first = app.diagnosis
        app.rediagnose()  # a new diagnosis of the same read (as an answer makes)
        await settle(pilot)
        assert app.diagnosis is not first
        app.main.filters.problems_only = True
        app.main.apply_filters()
        await settle(pilot)
        assert len(calls) == 1
        await pilot.press("r")  # a new read
        await settle(pilot)
        assert len(calls) == 2


async def test_a_cards_pages_redraw_it_without_laying_out_the_screen() -> None:
    """A page count that keeps the card's height redraws the card alone; a text that changes
    its height (or may wrap) lays the screen out again, so nothing is cut."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        card = app.main.query_one("#system-xero", SystemCard)
        card.reading()
        await pilot.pause()
        layouts: list[bool] = []
        refresh = card.refresh

        def counted(*args: object, layout: bool = False, **kwargs: object) -> object:
            layouts.append(layout)
            return refresh(*args, layout=layout, **kwargs)  # type: ignore[arg-type]

        card.refresh = counted  # type: ignore[method-assign]
        card.reading("contacts, page 2 of 50")
        card.reading("contacts, page 3 of 50")
        assert layouts and not any(layouts)
        await pilot.pause()
        assert "page 3 of 50" in str(card.render())
        before = len(layouts)
        card.failed("the gateway timed out")  # two lines: the card grows
        assert any(layouts[before:])
        before = len(layouts)
        card.reading("x" * 300)  # wider than the card: it wraps
        assert any(layouts[before:])
        await pilot.pause()
        assert card.size.height > 3
