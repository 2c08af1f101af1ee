"""`help [TOPIC]`: the guides in docs/, which ship with the package, printed; and the exit
codes, from ExitCode."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from troubleshooter.errors import ConfigError, ExitCode
from troubleshooter.infra.resources import data_dir

EXIT_CODES = "exit-codes"


def guides() -> dict[str, Path]:
    """The guides by topic: each docs/*.md by its name."""
    return {path.stem: path for path in sorted(data_dir("docs").glob("*.md"))}


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def exit_codes() -> str:
    lines = ["# Exit codes", ""]
    lines += [f"- {int(code)}: {code.meaning}" for code in ExitCode]
    return "\n".join(lines) + "\n"


@click.command("help")
@click.argument("topic", required=False)
@click.pass_context
def help_command(ctx: click.Context, topic: str | None) -> None:
    """Print a guide (`troubleshooter help connecting`), or a command's help; with no topic,
    list the guides."""
    found = guides()
    if topic is None:
        click.echo("Guides (troubleshooter help TOPIC):")
        for name, path in found.items():
            click.echo(f"  {name:<16} {_title(path)}")
        click.echo(f"  {EXIT_CODES:<16} What each exit code means")
        click.echo("A command's options: troubleshooter COMMAND --help")
        return
    if topic == EXIT_CODES:
        click.echo(exit_codes(), nl=False)
        return
    if topic in found:
        click.echo(found[topic].read_text(encoding="utf-8"), nl=False)
        return
    group = ctx.find_root().command
    command = group.get_command(ctx, topic) if isinstance(group, click.Group) else None
    if command is not None:
        with click.Context(command, info_name=topic, parent=ctx.find_root()) as sub:
            click.echo(command.get_help(sub))
        return
    known = [*found, EXIT_CODES]
    close = difflib.get_close_matches(topic, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ConfigError(
        f"no guide or command {topic!r}{hint} (`troubleshooter help` lists the guides)"
    )
