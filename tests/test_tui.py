"""The terminal UI, driven by Textual's Pilot: open, filter, select, answer, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FAST
from textual.widgets import Button, Checkbox, Input, Markdown, OptionList, Select, Static

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.infra.resources import demo_scenario
from troubleshooter.runs.session import Session
from troubleshooter.runs.source import scenario_source
from troubleshooter.tui.app import TroubleshooterApp
from troubleshooter.tui.commands import TroubleshooterCommands
from troubleshooter.tui.screens import ExportScreen, FindScreen, KnowledgeScreen, QuestionsScreen
from troubleshooter.tui.widgets import ItemsTable, SystemCard

SIZE = (160, 45)


def make_app(*paths: Path, export_folder: Path | None = None) -> TroubleshooterApp:
    # Labelled by file name (check=False), as the snapshots show them.
    sources = [
        scenario_source(p, check=False, settings=FAST) for p in (paths or (demo_scenario(),))
    ]
    return TroubleshooterApp(Session(sources, Library.load()), export_folder=export_folder)


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.3)  # and the detail pane, which follows the cursor a moment later


def text_of(app: TroubleshooterApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def test_the_demo_opens_with_its_diagnosis() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.diagnosis is not None
        assert "5 items stopped on the way from Xero to Dext" in text_of(app, "#verdict")
        assert "1. Give the bank account an account code in Xero" in text_of(app, "#plan")
        assert text_of(app, "#count") == "79 of 79 items"
        assert app.query_one(ItemsTable).row_count == 79
        cards = {c.stage.value: c.classes for c in app.query(SystemCard)}
        assert all("ok" in classes for classes in cards.values())
        assert app.focused is app.query_one(ItemsTable)  # letters are commands at once


async def test_filters_and_search() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        assert app.query_one("#problems", Checkbox).value is True
        assert text_of(app, "#count") == "5 of 79 items"
        await pilot.press("p", "slash")
        await pilot.press(*"wellbeing")
        assert text_of(app, "#count") == "1 of 79 items"
        await pilot.press("escape")
        app.query_one("#search", Input).value = ""
        app.query_one("#kind", Select).value = "tax_rate"
        await pilot.pause()
        assert text_of(app, "#count") == "5 of 79 items"
        table = app.query_one(ItemsTable)
        assert all(
            str(table.get_row_at(r)[0]).strip().startswith("tax rate")
            for r in range(table.row_count)
        )


async def test_selecting_an_item_tells_its_story() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down")  # problems come first: the second is Staff Wellbeing
        await pilot.pause(0.3)
        story = text_of(app, "#story")
        assert story.startswith("Staff Wellbeing  (account, code 429)")
        assert "ApprovalMax: ✗ missing" in story and "last synced from Xero" in story
        advice = text_of(app, "#advice")
        assert "not yet in ApprovalMax" in advice and "1. Sync to ApprovalMax first" in advice
        article = app.query_one("#article", Markdown)
        assert "Sync the item to ApprovalMax first" in article.source


BLIND = """\
clock: 2026-11-25T10:00:00Z
organisation: {name: Blind Co}
xero: {accounts: [{code: '200', name: Sales}, {code: '429', name: Staff Wellbeing, created: -40m}]}
approvalmax: {access: none}
dext: {access: none}
"""


async def test_answering_a_question_updates_the_diagnosis(tmp_path: Path) -> None:
    path = tmp_path / "blind.yaml"
    path.write_text(BLIND, encoding="utf-8")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.diagnosis is not None
        before = len(app.diagnosis.questions)
        assert "question(s) would settle the rest" in text_of(app, "#verdict")
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QuestionsScreen)
        card = next(
            c
            for c in screen.query("QuestionCard")
            if c.question.id == "approvalmax.xero_connection"
        )  # type: ignore[attr-defined]
        card.query_one(Select).value = "connected"
        card.query_one(Button).press()
        await settle(pilot)  # the diagnosis is made again in a worker
        assert app.session.answers == {"approvalmax.xero_connection": "connected"}
        assert len(app.diagnosis.questions) == before - 1
        # A bad answer is refused with its reason and changes nothing.
        card = next(c for c in screen.query("QuestionCard") if c.question.id == "dext.last_pull")  # type: ignore[attr-defined]
        card.query_one(Input).value = "the day before"
        card.query_one(Button).press()
        await pilot.pause()
        problem = str(card.query_one(".problem", Static).render())
        assert problem.startswith("Write a time such as 13:00") and "dext." not in problem
        assert "dext.last_pull" not in app.session.answers


async def test_export_writes_a_file_that_reads_back(tmp_path: Path) -> None:
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
        dialog.query_one("#export-save", Button).press()
        await pilot.pause()
        written = Path(path_input.value)
        assert f"Saved to {written.resolve()}" in str(
            dialog.query_one("#export-result", Static).render()
        )
        data = json.loads(written.read_text(encoding="utf-8"))
        assert data["organisation"]["name"] == "Harbour Street Coffee Roasters Ltd"
        assert data["summary"]["with_findings"] == 5


async def test_find_knowledge_and_the_palette() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FindScreen)
        await pilot.press(*"oat milk")
        await pilot.pause()
        options = app.screen.query_one("#matches", OptionList)
        assert options.option_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert "Kaimai Oat Milk Co" in str(app.screen.query_one("#story", Static).render())
        assert "Dext: ✗ missing" in str(app.screen.query_one("#story", Static).render())
        await pilot.press("escape", "k")
        await pilot.pause()
        assert isinstance(app.screen, KnowledgeScreen)
        await pilot.press(*"supplier bill")
        await pilot.pause()
        first = app.screen.query_one("#kb-list", OptionList).get_option_at_index(0)
        assert first.id == "contact-is-not-a-supplier"
        await pilot.press("escape")
        provider = TroubleshooterCommands(app.screen)
        names = [name for name, _, _ in provider._commands()]
        assert names[0] == "Export report…" and "Re-check" in names
        assert any(n.startswith("Open article: ") for n in names)


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
        card = app.query_one("#system-dext", SystemCard)
        assert "failed" in card.classes
        assert "503" in str(card.render())
        assert "Dext could not be fully checked" in text_of(app, "#verdict")
        await pilot.press("r")  # check again: still up, same answer
        await settle(pilot)
        assert app.is_running and "failed" in card.classes


async def test_switching_organisation(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(BLIND.replace("Blind Co", "Other Co"), encoding="utf-8")
    app = make_app(demo_scenario(), other)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.diagnosis is not None and app.diagnosis.organisation.name.startswith("Harbour")
        names = [n for n, _, _ in TroubleshooterCommands(app.screen)._commands()]
        assert "Switch organisation: other" in names
        app.switch_organisation(1)
        await settle(pilot)
        assert app.diagnosis is not None and app.diagnosis.organisation.name == "Other Co"


@pytest.mark.parametrize(
    "keys",
    [(), ("a",), ("e",), ("k",), ("question_mark",)],
    ids=["main", "questions", "export", "knowledge", "help"],
)
def test_screens_look_right(snap_compare, keys: tuple[str, ...], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False

    path = demo_scenario()
    if "a" in keys:  # the questions of a blind organisation
        path = tmp_path / "blind.yaml"
        path.write_text(BLIND, encoding="utf-8")
    app = make_app(path, export_folder=Path("/reports"))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


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
        assert "Visible" in app.screen.query_one("#kb-article", Markdown).source
