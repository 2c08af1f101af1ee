"""What the command line prints and writes, and how it ends.

- stdout carries the result only. Everything else (progress, notes, errors, "wrote …") goes to
  stderr through `say()`, the one function that prints there: it cuts out the run's secrets and
  anything that looks like a token (infra/redact.py), and shows control and bidi characters as
  visible escapes (infra/safetext.py), so a name or a server's message can neither leak a token
  nor drive the terminal.
- A result written to a file (`-o FILE`) goes through the one writer (infra/files.py): whole or
  not at all, pipes and devices written in place, a folder refused; replacing a file is said.
- The text report on a terminal follows the terminal's width and is coloured by the role of
  each span (report/text.py builds lines of (text, role) spans; Rich prints them as `Text`,
  never as markup); with `NO_COLOR` set it has no colour. Piped or written to a file it is the
  same plain text as ever, 100 columns wide.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.text import Text

from troubleshooter.errors import ExitCode
from troubleshooter.infra.files import PRIVATE_FILE, write_file
from troubleshooter.infra.redact import hold_secrets, redact, release_secrets
from troubleshooter.infra.safetext import visible_lines
from troubleshooter.model import Diagnosis, Stage
from troubleshooter.report import export, text_lines
from troubleshooter.report.view import build_view, shower
from troubleshooter.sources.fetch import FetchEvent, describe

FORMATS = ("text", "md", "html", "json")
_BY_SUFFIX = {".md": "md", ".html": "html", ".htm": "html", ".json": "json"}


def keep_secrets(secrets: Iterable[str]) -> None:
    """Adds secrets that nothing printed or exported from now on may show. They join the ones
    the sign-ins hold themselves (renewed tokens included: infra/redact.py), which every
    redaction reads when it is made, so `say` and the exports read them at print time."""
    hold_secrets(secrets)


def forget_secrets() -> None:
    """A new run (each invocation) starts with none."""
    release_secrets()


def safe(message: str) -> str:
    """`message` as it may be shown: secrets cut out, control characters made visible. Contact
    details stay: this is the person's own terminal, and the reports are where they are cut."""
    text = redact(message, contact_details=True)
    return visible_lines(str(text))


def say(message: str) -> None:
    """Prints a line for the person (not the result) on stderr, safely."""
    click.echo(safe(message), err=True)


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def progress(stage: Stage, message: str) -> None:
    """A system's progress, when a person watches (stderr is a terminal)."""
    if stderr_is_terminal():
        say(f"  {stage.label}: {message}")


class FetchProgress:
    """The fetch as it goes, when a person watches (stderr is a terminal): each system's start,
    end or failure, the minute limit's waits, and pages read of pages known with an estimate,
    at most once a second per system (a 50-page read is not 50 lines)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.said: dict[Stage, float] = {}

    def __call__(self, event: FetchEvent) -> None:
        if not stderr_is_terminal():
            return
        now = self.clock()
        last_page = event.pages_read is not None and event.pages_read == event.pages_known
        recent = now - self.said.get(event.stage, -1e9) < 1.0
        if event.state == "reading" and not last_page and recent:
            return
        self.said[event.stage] = now
        say("  " + describe(event))


def fail(message: str, code: ExitCode) -> NoReturn:
    say(f"troubleshooter: {message}")
    finish(code)


def finish(code: ExitCode | int) -> NoReturn:
    raise SystemExit(int(code))


def format_for(fmt: str | None, output: str) -> str:
    """The format asked for, else the one the output file's suffix names, else text."""
    if fmt:
        return fmt
    suffix = Path(output).suffix.lower() if output != "-" else ""
    return _BY_SUFFIX.get(suffix, "text")


def check_output(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """`-o` names somewhere a file can go: a folder, or a name the system cannot look at (too
    long, behind a folder or a link this user may not follow), is a usage error now, before any
    work."""
    if value in (None, "-"):
        return value
    try:
        folder = Path(value).is_dir()
    except OSError as exc:  # ENAMETOOLONG, EACCES, a protected symlink's EPERM, …
        raise click.BadParameter(f"{value}: {exc.strerror or exc}", ctx, param) from None
    if folder:
        raise click.BadParameter(f"{value} is a folder; name a file to write", ctx, param)
    return value


def write_result(text: str | bytes, output: str, *, private: bool = False) -> None:
    """The result to stdout (`-`), or to a file, whole; says where it went. A file replaced
    keeps its permissions; `private` (a bundle) is readable by its owner only (0600)."""
    if output == "-":
        click.echo(text, nl=False)  # bytes go to the binary stream as they are
        return
    written = write_file(Path(output), text, mode=PRIVATE_FILE if private else None)
    if written.direct:
        return  # a pipe or a device (/dev/stdout): the result is what it carries
    say(f"{'replaced' if written.replaced else 'wrote'} {written.path}")


# A role's look on a terminal. Unknown is never the red of missing: it is not missing.
ROLE_STYLES = {
    "verdict": "bold",
    "heading": "bold underline",
    "system": "bold",
    "step": "bold",
    "warning": "bold yellow",
    "present": "green",
    "missing": "bold red",
    "unknown": "italic magenta",
    "archived": "yellow",
    "hidden": "yellow",
    "renamed": "cyan",
}


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def terminal() -> Console:
    """Rich's console on stdout: the terminal's width, colour unless NO_COLOR is set."""
    return Console(highlight=False, emoji=False)


def print_text_report(
    diagnosis: Diagnosis,
    console: Console,
    *,
    secrets: Iterable[str] = (),
    contact_details: bool = False,
) -> None:
    """The text report at the console's width, each span styled by its role."""
    view = build_view(
        diagnosis, shown=shower(secrets=secrets, contact_details=contact_details), healthy_rows=0
    )
    for line in text_lines(view, console.width):
        out = Text()
        for text, role in line:
            out.append(text, style=ROLE_STYLES.get(role or "", ""))
        console.print(out, soft_wrap=True)


def write_diagnosis(
    diagnosis: Diagnosis,
    fmt: str,
    output: str,
    *,
    secrets: Iterable[str] = (),
    contact_details: bool = False,
    all_items: bool = False,
) -> None:
    """A diagnosis as the person asked: on a terminal the text in colour at its width; else
    the export, to stdout or a file (`all_items`: Markdown and HTML list every item)."""
    if fmt == "text" and output == "-" and stdout_is_terminal():
        print_text_report(diagnosis, terminal(), secrets=secrets, contact_details=contact_details)
        return
    text = export(
        diagnosis, fmt, secrets=secrets, contact_details=contact_details, all_items=all_items
    )
    write_result(text, output)
