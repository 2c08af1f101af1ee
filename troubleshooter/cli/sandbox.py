"""`sandbox …`: the three systems served from a scenario file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import click
import yaml

from troubleshooter.cli.listen import listen
from troubleshooter.cli.output import finish, say
from troubleshooter.errors import ExitCode, ScenarioError
from troubleshooter.infra.files import write_file
from troubleshooter.infra.hosts import is_loopback
from troubleshooter.infra.resources import demo_scenario
from troubleshooter.infra.safetext import visible
from troubleshooter.sandbox.generate import large_organisation, practice
from troubleshooter.sandbox.scenario import load_scenario, scenario_json_schema
from troubleshooter.sandbox.timeline import Timeline
from troubleshooter.wording import plural


@click.group()
def sandbox() -> None:
    """The sandbox: the three systems served from a scenario file."""


@sandbox.command("schema")
def sandbox_schema() -> None:
    """Print the JSON Schema of the scenario format."""
    click.echo(json.dumps(scenario_json_schema(), indent=2))


class _ScenarioArgument(click.Command):
    """`sandbox check FILE` (the older form) is `sandbox check --scenario FILE`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        bare = [a for a in args if not a.startswith("-")]
        if args and not args[0].startswith("-") and len(bare) == len(args):
            args = [a for path in args for a in ("--scenario", path)]
        return super().parse_args(ctx, args)


@sandbox.command("check", cls=_ScenarioArgument)
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    required=True,
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="A scenario file, or a folder of them. Repeatable.",
)
def sandbox_check(scenarios: tuple[Path, ...]) -> None:
    """Check scenario files and say what each system would hold."""
    paths = [p for given in scenarios for p in (_scenario_files(given))]
    bad = 0
    for path in paths:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            say(f"troubleshooter: {exc}")
            bad += 1
            continue
        timeline = Timeline(scenario)
        click.echo(visible(f"{path}: a valid scenario for {scenario.organisation.name}"))
        for stage, items in (
            ("Xero", timeline.xero_items()),
            ("ApprovalMax", timeline.approvalmax_items()),
            ("Dext", timeline.dext_items()),
        ):
            click.echo(f"  {stage}: {plural(len(items), 'item')}")
    if bad:
        finish(ExitCode.USAGE)


def _scenario_files(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path]
    found = sorted(path.glob("*.yaml"))
    if not found:
        raise ScenarioError(f"{path}: no *.yaml scenarios in this folder")
    return found


@sandbox.command("generate")
@click.option("--practice", "count", type=click.IntRange(1, 2000), help="N small organisations.")
@click.option("--contacts", default=50_000, show_default=True, help="For one large organisation.")
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
              help="A file (one organisation) or a folder (a practice).")  # fmt: skip
def sandbox_generate(count: int | None, contacts: int, output: Path) -> None:
    """Write generated scenarios: one large organisation, or a practice of N."""
    if count:
        for number, scenario in enumerate(practice(count), start=1):
            text = yaml.safe_dump(scenario, sort_keys=False)
            write_file(output / f"client-{number:03d}.yaml", text)
        say(f"wrote {plural(count, 'scenario')} to {output}")
        return
    suppliers = min(contacts, max(1, contacts * 2 // 5))
    scenario = large_organisation(contacts=contacts, suppliers=suppliers)
    written = write_file(output, yaml.safe_dump(scenario, sort_keys=False))
    say(f"{'replaced' if written.replaced else 'wrote'} {written.path}")


@click.command("start")
@click.option(
    "--scenario",
    "scenario_path",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The scenario to serve (default: the bundled demo).",
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="The port to listen on (0: any free one, said when it starts).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on. Keep the default unless you know why not.",
)
def sandbox_start(scenario_path: Path | None, port: int, host: str) -> None:
    """Serve the three systems of a scenario over HTTP (read-only, no credentials)."""
    from troubleshooter.sandbox.app import LoopbackOnly, Sandbox  # only this command serves

    app = Sandbox(load_scenario(scenario_path or demo_scenario()))
    sock = listen(host, port)  # a busy port: said now, before the banner
    import uvicorn  # heavy, and only this command needs it

    port = sock.getsockname()[1]
    base = f"http://{host}:{port}"
    say(f"Serving {app.scenario.organisation.name} on {base}")
    say(f"  Xero:        {base}/xero/api.xro/2.0/Accounts")
    say(f"  ApprovalMax: {base}/approvalmax/api/v1/companies")
    say(f"  Adapters:    {base}/adapter/approvalmax, {base}/adapter/dext")
    say(f"Diagnose it with: troubleshooter diagnose --url {base}")
    # On loopback, only this computer's names: a DNS-rebinding page carries its own.
    served = LoopbackOnly(app) if is_loopback(host) else app
    server = uvicorn.Server(uvicorn.Config(served, host=host, port=port, log_level="warning"))
    server.run(sockets=[sock])


sandbox.add_command(sandbox_start)
# The older name, kept so that scripts using it still work; not listed.
_serve = copy.copy(sandbox_start)
_serve.hidden = True
sandbox.add_command(_serve, "serve")
