"""`demo`, `tui` and `serve`: the terminal UI, here or in a browser."""

from __future__ import annotations

import shlex
import sys

import click

from troubleshooter.cli.listen import check_free
from troubleshooter.cli.options import (
    AnswerArgs,
    LibraryArgs,
    SourceArgs,
    answer_options,
    conflict,
    library_options,
    source_options,
)
from troubleshooter.cli.output import say
from troubleshooter.runs.session import Session
from troubleshooter.runs.source import Source, demo_source

_SCENARIOS = (
    "A sandbox scenario file (`troubleshooter help scenarios`), or a folder of them. "
    "Repeatable: one organisation each."
)


def _prepare(
    sources: SourceArgs, answers: AnswerArgs, library: LibraryArgs
) -> tuple[list[Source], Session]:
    """The organisations and the session over them, checked now: a bad scenario, rules folder
    or answers file (or nothing connected) is an error before any screen opens."""
    organisations = sources.sources()
    if len(organisations) > 1:
        for name in answers.named():
            raise conflict(
                name,
                *sources.named(),
                why=f"answers belong to one organisation's questions, and {len(organisations)} "
                "organisations are named",
            )
    session = Session(organisations, library.load(), answers=answers.load())
    return organisations, session


def _run(session: Session) -> None:
    # Textual takes a while to import; only the commands that open the TUI pay for it.
    from troubleshooter.tui.app import TroubleshooterApp

    TroubleshooterApp(session).run()


@click.command()
def demo() -> None:
    """Open the terminal UI on the bundled demo organisation (no account, no setup)."""
    _run(Session([demo_source()], LibraryArgs().load()))


@click.command()
@source_options(scenario_help=_SCENARIOS, legacy_sandbox=True, several=True)
@answer_options
@library_options
def tui(sources: SourceArgs, answers: AnswerArgs, library: LibraryArgs) -> None:
    """Open the terminal UI on one or more organisations (switch in the command palette);
    with no --demo, --scenario, --url or --snapshot, on the connected systems."""
    _, session = _prepare(sources, answers, library)
    _run(session)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@source_options(scenario_help=_SCENARIOS, several=True)
@answer_options
@library_options
@click.argument("tui_args", nargs=-1, type=click.UNPROCESSED)
def serve(
    host: str,
    port: int,
    sources: SourceArgs,
    answers: AnswerArgs,
    library: LibraryArgs,
    tui_args: tuple[str, ...],
) -> None:
    """Offer the terminal UI in a browser (textual-serve), on 127.0.0.1 by default. It takes
    the options `tui` takes, and opens the same organisations (with none: the connected
    systems). Arguments after `--` are passed on to `tui` as they are."""
    if not tui_args:  # what the browser would show as an error, said now
        _prepare(sources, answers, library)
    check_free(host, port)
    args = [*sources.forward(), *answers.forward(), *library.forward(), *tui_args]
    command = shlex.join([sys.executable, "-m", "troubleshooter", "tui", *args])
    from textual_serve.server import Server  # heavy, and only this command needs it

    say(f"Serving the troubleshooter at http://{host}:{port}")
    Server(command, host=host, port=port, title="troubleshooter").serve()
