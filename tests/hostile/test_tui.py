"""Data is never code in the TUI (issue 15 items 1 and 3): codes and names that are Textual
markup with `@click` actions, or that hold terminal escapes and bidi overrides, are shown as
literal text in the table, the story, the palette and the notifications, and clicking them does
nothing. The proof is a file that an action would write, and the app still running; a control
shows that the same markup, read as markup, does write it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FAST
from textual.app import App, ComposeResult
from textual.command import CommandList
from textual.widgets import Static

from troubleshooter.cli import main
from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.infra.resources import demo_scenario
from troubleshooter.runs.session import Session
from troubleshooter.runs.source import Source, scenario_source, snapshot_source
from troubleshooter.tui.app import TroubleshooterApp
from troubleshooter.tui.messages import CheckFailed
from troubleshooter.tui.screens import ItemScreen
from troubleshooter.tui.widgets import ItemsTable

SIZE = (160, 45)
ORGANISATION = "[@click=app.quit]Evil Org \x1b[2J\u202eharmless"


def click_writes(folder: Path, name: str) -> str:
    """Markup whose click would write `folder/name` (Textual's screenshot action)."""
    return f"[@click=app.screenshot('{name}','{folder}')]CLICK ME[/]"


def hostile_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.yaml"
    organisation = json.dumps(ORGANISATION)
    name = json.dumps(click_writes(tmp_path, "name.svg") + " \x1b]0;pwned\x07")
    path.write_text(
        "clock: 2026-11-25T10:00:00Z\n"
        f"organisation: {{name: {organisation}}}\n"
        "xero:\n"
        "  accounts:\n"
        f"    - {{code: '429', name: {name}, created: -40m}}\n"
        "    - {code: '200', name: Sales}\n"
        "approvalmax: {last_sync: -1h}\n"
        "dext: {last_pull: -2h}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A bundle (`tui --snapshot`) whose account code is markup: a code is short in a
    scenario, but a bundle is a file anyone can write."""
    bundle = tmp_path / "bundle.json"
    result = CliRunner().invoke(main, ["collect", "--scenario", str(hostile_scenario(tmp_path)),
                                       "-o", str(bundle)])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = bundle.read_text(encoding="utf-8")
    code = json.dumps(click_writes(tmp_path, "code.svg"))
    bundle.write_text(text.replace('"code": "429"', f'"code": {code}'), encoding="utf-8")
    return bundle


def make_app(*sources: Source) -> TroubleshooterApp:
    return TroubleshooterApp(Session(list(sources), Library.load()))


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Until the check, the table (filled by a worker the check's result starts) and the
    detail pane (which follows the cursor a moment later) are done."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.2)
    await pilot.wait_for_scheduled_animations()


def written(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.glob("*.svg"))


async def test_the_control_markup_does_write_when_read_as_markup(tmp_path: Path) -> None:
    """Without this, a test that clicks and sees no file would prove nothing."""

    class Plain(App[None]):
        def compose(self) -> ComposeResult:
            yield Static(click_writes(tmp_path, "control.svg"), id="control")

    app = Plain()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.click("#control", offset=(2, 0))
        await pilot.pause(0.5)
    assert written(tmp_path) == ["control.svg"]


async def test_codes_and_names_in_the_table_and_the_story_do_nothing(
    tmp_path: Path, bundle: Path
) -> None:
    app = make_app(snapshot_source(bundle))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ItemsTable)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[2] == click_writes(tmp_path, "code.svg")  # the code, as it is
        assert row[3].startswith(click_writes(tmp_path, "name.svg") + " \\x1b]0;pwned\\x07")
        # Click the code and the name in the table, then in the item's story.
        for x in (20, 60):
            await pilot.click(ItemsTable, offset=(x, 1))
            await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ItemScreen)
        for x in (2, 20, 45):
            for y in range(0, 3):  # the story's first lines: the name and the code
                await pilot.click("#story", offset=(x, y))
        await pilot.pause(0.5)
        assert app.is_running
        assert written(tmp_path) == []


async def test_escapes_are_shown_not_obeyed(tmp_path: Path, bundle: Path) -> None:
    app = make_app(snapshot_source(bundle))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause(0.3)
        screen = app.export_screenshot()
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in screen
    assert "\\x1b[2J\\u202eharmless" in screen.replace("&#160;", " ")
    assert "[@click=app.quit]Evil" in screen.replace("&#160;", " ")
    assert app.title.startswith("[@click=app.quit]Evil Org \\x1b[2J")


async def test_the_palette_shows_organisations_as_they_are_named(tmp_path: Path) -> None:
    hostile = scenario_source(hostile_scenario(tmp_path), settings=FAST)
    app = make_app(scenario_source(demo_scenario(), settings=FAST), hostile)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"switch evil")
        await pilot.pause(0.5)
        commands = app.screen.query_one(CommandList)
        prompts = [
            str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)
        ]
        [hit] = [p for p in prompts if "Evil" in p]
        assert hit.startswith("Switch organisation: [@click=app.quit]Evil Org \\x1b[2J\\u202e")
        # Click where the markup would be: the command runs (it switches), nothing else.
        await pilot.click(CommandList, offset=(25, 1))
        await settle(pilot)
        assert app.is_running
        assert app.session.current == 1
        assert written(tmp_path) == []


async def test_notifications_show_data_as_it_is(tmp_path: Path) -> None:
    app = make_app(scenario_source(demo_scenario(), settings=FAST))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        # A server's message in an error is data too.
        app.post_message(CheckFailed(click_writes(tmp_path, "toast.svg") + " \x1b[2J"))
        await pilot.pause(0.3)
        toasts = list(app.screen.query("Toast"))
        assert toasts
        shown = str(toasts[0].render())
        assert click_writes(tmp_path, "toast.svg") in shown and "\\x1b[2J" in shown
        await pilot.click("Toast", offset=(8, 1))
        await pilot.pause(0.5)
        assert app.is_running
        assert written(tmp_path) == []


def test_a_ui_that_stops_on_an_error_does_not_exit_0(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual prints an error it did not handle and ends the app with return code 1; the
    command must end with it, not with 0 as if all were well (issue 15 review, item 5)."""
    import troubleshooter.tui.app as tui_app

    class Failing(App[None]):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__()

        def on_mount(self) -> None:
            raise RuntimeError("an error nobody handled")

        def run(self, **kwargs: object) -> None:  # type: ignore[override]
            super().run(headless=True, size=SIZE)

    monkeypatch.setattr(tui_app, "TroubleshooterApp", Failing)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 1, result.output
    assert "the terminal UI stopped on an unexpected error" in result.output
