"""The text report on a terminal: the terminal's width, colour by role (never markup), none
with NO_COLOR; piped, the same plain text as ever (issue 13, "command-line text")."""

from __future__ import annotations

import io

import pytest
from conftest import run
from rich.console import Console

from troubleshooter.cli.output import ROLE_STYLES, print_text_report, write_diagnosis
from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.infra.resources import demo_scenario
from troubleshooter.model import Diagnosis
from troubleshooter.report import export
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.scenario import load_scenario

ESC = "\x1b"


@pytest.fixture(scope="module")
def demo_diagnosis() -> Diagnosis:
    return run(Sandbox(load_scenario(demo_scenario())), Library.load())


def on_terminal(diagnosis: Diagnosis, width: int, *, no_color: bool = False) -> str:
    out = io.StringIO()
    console = Console(
        file=out, width=width, force_terminal=True, color_system="standard", no_color=no_color
    )
    print_text_report(diagnosis, console)
    return out.getvalue()


def test_it_follows_the_terminals_width(demo_diagnosis: Diagnosis) -> None:
    for width in (60, 140):
        plain = on_terminal(demo_diagnosis, width, no_color=True)
        wrapped = [line for line in plain.splitlines() if line.startswith("     - ")]
        assert wrapped and max(len(line) for line in wrapped) <= width
    narrow = on_terminal(demo_diagnosis, 60, no_color=True)
    wide = on_terminal(demo_diagnosis, 140, no_color=True)
    assert len(narrow.splitlines()) > len(wide.splitlines())


def test_roles_are_coloured_and_unknown_is_not_missing(demo_diagnosis: Diagnosis) -> None:
    coloured = on_terminal(demo_diagnosis, 100)
    assert f"{ESC}[1;31m✗ missing" in coloured  # bold red
    assert f"{ESC}[32m✓ present" in coloured  # green
    assert ROLE_STYLES["unknown"] != ROLE_STYLES["missing"]
    assert "red" not in ROLE_STYLES["unknown"]


def test_no_color_means_no_colour(demo_diagnosis: Diagnosis) -> None:
    plain = on_terminal(demo_diagnosis, 100, no_color=True)
    assert f"{ESC}[3" not in plain and "✗ missing" in plain


def test_names_are_never_markup(demo_diagnosis: Diagnosis) -> None:
    hostile = demo_diagnosis.model_copy(deep=True)
    hostile.organisation.name = "[bold red]Not bold[/] [link=https://evil.example]x[/link]"
    text = on_terminal(hostile, 100, no_color=True)
    assert "[bold red]Not bold[/] [link=https://evil.example]x[/link]" in text


def test_piped_it_is_the_plain_export(
    demo_diagnosis: Diagnosis, capsys: pytest.CaptureFixture[str]
) -> None:
    write_diagnosis(demo_diagnosis, "text", "-")  # stdout is not a terminal here
    assert capsys.readouterr().out == export(demo_diagnosis, "text")
