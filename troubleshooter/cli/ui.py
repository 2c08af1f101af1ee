"""`demo`, `tui` and `serve`: the terminal UI, here or in a browser."""

from __future__ import annotations

import os
import shlex
import sys

import click

from troubleshooter.cli.listen import listen
from troubleshooter.cli.options import (
    AnswerArgs,
    LibraryArgs,
    SourceArgs,
    answer_options,
    conflict,
    library_options,
    source_options,
)
from troubleshooter.cli.output import finish, say
from troubleshooter.errors import ConfigError
from troubleshooter.runs.answerstore import default_store
from troubleshooter.runs.session import Session
from troubleshooter.runs.source import Source, demo_source
from troubleshooter.tui.access import (
    MIN_TOKEN,
    REMOTE_ENV,
    TOKEN_ENV,
    is_loopback,
    new_token,
    token_problem,
)

_SCENARIOS = (
    "A sandbox scenario file (`troubleshooter help scenarios`), or a folder of them. "
    "Repeatable: one organisation each."
)


def _organisations(sources: SourceArgs) -> list[Source] | None:
    """The organisations named, or the connected systems; None when nothing is named and
    nothing is connected (the UI then opens on the guided check, which asks about Xero too)."""
    if sources.named():
        return sources.sources()
    try:
        return sources.sources()
    except ConfigError:
        return None


def _prepare(
    sources: SourceArgs, answers: AnswerArgs, library: LibraryArgs
) -> tuple[list[Source], Session] | None:
    """The organisations and the session over them, checked now: a bad scenario, rules folder
    or answers file is an error before any screen opens. None: nothing is connected."""
    organisations = _organisations(sources)
    if organisations is None:
        library.load()  # a bad rules folder is said now all the same
        return None
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

    store = default_store()  # answers kept per organisation
    app = TroubleshooterApp(session, answer_store=store)
    app.run()
    _ended(app.return_code)


def _run_guided(library: LibraryArgs) -> None:
    """Nothing connected: the guided check, which asks about Xero too."""
    from troubleshooter.tui.guided import GuidedApp

    app = GuidedApp(library.load())
    app.run()
    _ended(app.return_code)


def _ended(code: int | None) -> None:
    """A UI that stopped on an error it did not handle (Textual printed it, and set a return
    code) must not exit 0, as if all were well."""
    if code:
        say("troubleshooter: the terminal UI stopped on an unexpected error; please report it")
        finish(code)


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
    prepared = _prepare(sources, answers, library)
    if prepared is None:
        _run_guided(library)
        return
    _run(prepared[1])


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on. Any other than this computer's own (127.0.0.1, localhost) "
    "needs --token: it puts the organisation's data on the network.",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--token",
    envvar=TOKEN_ENV,
    metavar="TOKEN",
    help=f"The token the address must carry ({MIN_TOKEN} characters or more; letters, digits, "
    f"- _ . ~). Without it, a random one each start. Better in the environment "
    f"({TOKEN_ENV}) than on the command line, where other users of this computer can see it.",
)
@source_options(scenario_help=_SCENARIOS, several=True)
@answer_options
@library_options
@click.argument("tui_args", nargs=-1, type=click.UNPROCESSED)
def serve(
    host: str,
    port: int,
    token: str | None,
    sources: SourceArgs,
    answers: AnswerArgs,
    library: LibraryArgs,
    tui_args: tuple[str, ...],
) -> None:
    """Offer the terminal UI in a browser (textual-serve), on 127.0.0.1 by default, at an
    address with a token that it prints. It takes the options `tui` takes, and opens the same
    organisations (with none: the connected systems). Arguments after `--` are passed on to
    `tui` as they are."""
    if token is not None and (problem := token_problem(token)):
        raise click.BadParameter(problem, param_hint="--token")
    if not is_loopback(host) and token is None:
        raise click.UsageError(
            f"--host {host} would serve the organisation's data (names, codes, the diagnosis, "
            "its export) to the network: give a token to allow it (--token, or "
            f"{TOKEN_ENV} in the environment), and share the address only with who should "
            "see it"
        )
    os.environ.pop(TOKEN_ENV, None)  # the TUI processes it starts have no use for it
    if is_loopback(host):
        os.environ.pop(REMOTE_ENV, None)
    else:
        os.environ[REMOTE_ENV] = "1"  # they say that copying may be refused there
    if not tui_args and _prepare(sources, answers, library) is None:  # errors said now
        say("Nothing is connected: the browser opens on the guided check (it asks about Xero too).")
    sock = listen(host, port)  # a busy port: said now, before any banner
    args = [*sources.forward(), *answers.forward(), *library.forward(), *tui_args]
    command = shlex.join([sys.executable, "-m", "troubleshooter", "tui", *args])
    from troubleshooter.tui.serve import GuardedServer  # heavy, and only this command needs it

    def announce() -> None:
        click.echo(f"Serving the troubleshooter at {server.address()}", err=True)
        if is_loopback(host):
            say("Open that address, with its token, in a browser on this computer. Ctrl+C stops.")
        else:
            say(
                "warning: this serves the organisation's data to the network. Anyone who can "
                f"reach this computer on port {port} and has the address with its token can "
                "read the diagnosis and export it; the connection is not encrypted (http). "
                "Ctrl+C stops."
            )

    server = GuardedServer(
        command,
        host=host,
        port=port,
        token=token or new_token(),
        sock=sock,
        title="troubleshooter",
        announce=announce,
    )
    server.serve()
