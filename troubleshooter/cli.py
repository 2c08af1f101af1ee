"""The command line. stdout carries the result only; progress and errors go to stderr.

Exit codes: 0 nothing wrong, 1 findings, 2 usage or configuration error, 3 a system could not
be reached (or only partly read), 130 interrupted.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from troubleshooter import __version__
from troubleshooter.errors import ExitCode, TroubleshooterError
from troubleshooter.model import Diagnosis, Stage
from troubleshooter.resources import demo_scenario

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: ExitCode) -> None:
    click.echo(f"troubleshooter: {message}", err=True)
    sys.exit(code)


def _friendly(func: F) -> F:
    """Turns the project's errors into a message and an exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TroubleshooterError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", ExitCode.INTERRUPTED)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="troubleshooter")
def main() -> None:
    """Finds where Xero reference data stopped on its way through ApprovalMax to Dext,
    and says what to do, in order."""


def exit_code_for(diagnosis: Diagnosis) -> ExitCode:
    if diagnosis.failed_systems:
        return ExitCode.UNREACHABLE
    return ExitCode.FINDINGS if diagnosis.findings else ExitCode.OK


def _progress(stage: Stage, message: str) -> None:
    if sys.stderr.isatty():
        click.echo(f"  {stage.label}: {message}", err=True)


@main.command()
@click.option("--demo", is_flag=True, help="Diagnose the bundled demo organisation (sandbox).")
@click.option(
    "--sandbox",
    "scenario_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Diagnose a sandbox scenario file (see docs/scenarios.md).",
)
@click.option(
    "--url",
    help="Diagnose a sandbox served by `troubleshooter sandbox serve` at this base URL.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for machines.",
)
@click.option(
    "--rules",
    "rules_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Use the rules (and actions) in this folder instead of the bundled ones. Repeatable.",
)
@click.option(
    "--knowledge",
    "knowledge_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Use the knowledge articles in this folder instead of the bundled ones. Repeatable.",
)
@_friendly
def diagnose(
    demo: bool,
    scenario_path: Path | None,
    url: str | None,
    fmt: str,
    rules_dirs: tuple[Path, ...],
    knowledge_dirs: tuple[Path, ...],
) -> None:
    """Diagnose one organisation and print the findings and the ordered fix plan."""
    from troubleshooter.diagnose import Library
    from troubleshooter.diagnose import diagnose as run
    from troubleshooter.report import render
    from troubleshooter.sandbox.app import Sandbox
    from troubleshooter.sandbox.connect import sandbox_connections
    from troubleshooter.sandbox.scenario import load_scenario

    chosen = [
        name
        for name, given in (("--demo", demo), ("--sandbox", scenario_path), ("--url", url))
        if given
    ]
    if len(chosen) > 1:
        raise click.UsageError(f"choose one of {', '.join(chosen)}")
    if not chosen:
        raise click.UsageError(
            "say what to diagnose: --demo, --sandbox FILE or --url URL "
            "(signing in to the real Xero, ApprovalMax and Dext is not available yet)"
        )
    library = Library.load(rules_dirs or None, knowledge_dirs or None)
    if url:
        connections = sandbox_connections(base_url=url)
    else:
        scenario = load_scenario(scenario_path or demo_scenario())
        connections = sandbox_connections(Sandbox(scenario))
    result = asyncio.run(run(connections, library, _progress))
    click.echo(render(result, fmt), nl=False)
    sys.exit(exit_code_for(result))


@main.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Diagnose the bundled demo organisation (the same as `diagnose --demo`)."""
    ctx.invoke(diagnose, demo=True)


@main.group()
def sandbox() -> None:
    """The sandbox: the three systems served from a scenario file."""


@sandbox.command("schema")
def sandbox_schema() -> None:
    """Print the JSON Schema of the scenario format."""
    from troubleshooter.sandbox.scenario import scenario_json_schema

    click.echo(json.dumps(scenario_json_schema(), indent=2))


@sandbox.command("check")
@click.argument("scenario_path", type=click.Path(dir_okay=False, path_type=Path))
@_friendly
def sandbox_check(scenario_path: Path) -> None:
    """Check a scenario file and say what each system would hold."""
    from troubleshooter.sandbox.scenario import load_scenario
    from troubleshooter.sandbox.timeline import Timeline

    scenario = load_scenario(scenario_path)
    timeline = Timeline(scenario)
    click.echo(f"{scenario_path}: a valid scenario for {scenario.organisation.name}")
    for stage, items in (
        ("Xero", timeline.xero_items()),
        ("ApprovalMax", timeline.approvalmax_items()),
        ("Dext", timeline.dext_items()),
    ):
        click.echo(f"  {stage}: {len(items)} items")


@sandbox.command("serve")
@click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The scenario to serve (default: the bundled demo).",
)
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on. Keep the default unless you know why not.",
)
@_friendly
def sandbox_serve(scenario_path: Path | None, port: int, host: str) -> None:
    """Serve the three systems of a scenario over HTTP (read-only, no credentials)."""
    import uvicorn

    from troubleshooter.sandbox.app import Sandbox
    from troubleshooter.sandbox.scenario import load_scenario

    app = Sandbox(load_scenario(scenario_path or demo_scenario()))
    base = f"http://{host}:{port}"
    click.echo(f"Serving {app.scenario.organisation.name} on {base}", err=True)
    click.echo(f"  Xero:        {base}/xero/api.xro/2.0/Accounts", err=True)
    click.echo(f"  ApprovalMax: {base}/approvalmax/api/v1/companies", err=True)
    click.echo(f"  Adapters:    {base}/adapter/approvalmax, {base}/adapter/dext", err=True)
    click.echo(f"Diagnose it with: troubleshooter diagnose --url {base}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


if __name__ == "__main__":  # pragma: no cover
    main()
