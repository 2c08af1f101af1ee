"""The command line: the group `main`, and one module per command group, thin over the core
(runs/, report/, sandbox/, signin/). Each module defines its commands; this one adds them to the
group, so no command module imports another.

stdout carries the result only; everything else goes to stderr through `output.say()`. A
project error (TroubleshooterError) prints its message and ends with its ExitCode, never a
traceback; Ctrl-C ends with ExitCode.INTERRUPTED; a usage error with ExitCode.USAGE.

Imports are at the top of each module, except Textual, uvicorn and textual-serve, which are
imported by the commands that start them: together they take longer to import than the rest of
the tool, and `troubleshooter --help` (or any command that does not start a server or the TUI)
should not wait for them.
"""

from __future__ import annotations

import contextlib
import os
import sys
import textwrap
from typing import Any

import click

from troubleshooter import __version__
from troubleshooter.cli import answers, check, diagnose, docs, knowledge, rules, sandbox, signin, ui
from troubleshooter.cli.output import fail, forget_secrets, say
from troubleshooter.errors import ExitCode, TroubleshooterError


def exit_codes_text() -> str:
    """The exit codes and what each means, from ExitCode (where they are written once)."""
    return "\n".join(
        textwrap.fill(
            code.meaning, 78, initial_indent=f"  {int(code):<4}", subsequent_indent=" " * 6
        )
        for code in ExitCode
    )


class _Main(click.Group):
    """The group, with the project's error handling around every command."""

    def invoke(self, ctx: click.Context) -> Any:
        forget_secrets()
        try:
            return super().invoke(ctx)
        except TroubleshooterError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", ExitCode.INTERRUPTED)

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's own main, except that what it would print goes through `say()` (a usage
        error can quote what was typed) and Ctrl-C at a prompt ends with 130."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            _show(exc)
            code = exc.exit_code
        except click.Abort:
            say("troubleshooter: interrupted")
            code = ExitCode.INTERRUPTED
        except BrokenPipeError:
            # The reader went away (`troubleshooter diagnose | head`): nothing more to say.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = ExitCode.OK
        sys.exit(code if isinstance(code, int) else ExitCode.OK)


def _show(exc: click.ClickException) -> None:
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        say(exc.ctx.get_usage())
        if exc.ctx.command.get_help_option(exc.ctx) is not None:
            say(f"Try '{exc.ctx.command_path} {exc.ctx.help_option_names[0]}' for help.\n")
    say(f"Error: {exc.format_message()}")


@click.group(
    cls=_Main,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="\b\nExit codes:\n" + exit_codes_text(),
)
@click.version_option(__version__, prog_name="troubleshooter")
def main() -> None:
    """Finds where Xero reference data stopped on its way through ApprovalMax to Dext,
    and says what to do, in order. `troubleshooter help` lists the guides."""


for command in (
    diagnose.diagnose,
    diagnose.collect,
    diagnose.report,
    check.check,
    answers.answers,
    ui.demo,
    ui.tui,
    ui.serve,
    sandbox.sandbox,
    rules.rules,
    knowledge.knowledge,
    signin.connect,
    signin.disconnect,
    signin.config,
    docs.help_command,
):
    main.add_command(command)

__all__ = ["main"]
