"""The command line. stdout carries the result only; progress and errors go to stderr.

Exit codes: 0 nothing wrong, 1 findings, 2 usage or configuration error, 3 a system could not
be reached (or only partly read), 130 interrupted.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from troubleshooter import __version__
from troubleshooter.diagnosis.diagnose import exit_code_for
from troubleshooter.errors import ConfigError, ExitCode, TroubleshooterError
from troubleshooter.infra import aio
from troubleshooter.model import Diagnosis, Stage

if TYPE_CHECKING:
    from troubleshooter.runs.session import Source
    from troubleshooter.sources.fetch import Connections
from troubleshooter.infra.resources import data_dir, demo_scenario

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


def _progress(stage: Stage, message: str) -> None:
    if sys.stderr.isatty():
        click.echo(f"  {stage.label}: {message}", err=True)


def parse_duration(text: str) -> float:
    """`90s`, `30m`, `2h`, `1h30m` or a number of seconds (infra/durations.py's grammar)."""
    from troubleshooter.infra.durations import DurationError
    from troubleshooter.infra.durations import parse_duration as parse

    try:
        return parse(text).total_seconds()
    except DurationError as exc:
        raise click.BadParameter(str(exc)) from None


def _stopped(diagnosis: Diagnosis) -> int:
    return diagnosis.summary.with_findings + sum(1 for f in diagnosis.findings if f.key is None)


def watch(
    check: Callable[[], Diagnosis], interval: float, limit: float, fmt_time: Callable[[], str]
) -> Diagnosis:
    """Checks again every `interval` seconds until nothing is left to fix or `limit` passes,
    saying on stderr how each check went."""
    deadline = time.monotonic() + limit
    number = 1
    while True:
        result = check()
        left = _stopped(result)
        if not result.findings:
            click.echo(f"check {number} at {fmt_time()}: resolved, nothing left to fix", err=True)
            return result
        if time.monotonic() + interval > deadline:
            click.echo(
                f"check {number} at {fmt_time()}: {left} still to fix; stopped watching "
                f"after {limit:g} s",
                err=True,
            )
            return result
        click.echo(
            f"check {number} at {fmt_time()}: {left} still to fix; next check in {interval:g} s",
            err=True,
        )
        time.sleep(interval)
        number += 1


_rules_dirs = click.option(
    "--rules",
    "rules_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A rules folder to use instead of the bundled one. Repeatable.",
)
_knowledge_dirs = click.option(
    "--knowledge",
    "knowledge_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A knowledge folder to use instead of the bundled one. Repeatable.",
)


def _source_options(func: F) -> F:
    """Where the diagnosis reads from: the demo, a scenario, a served sandbox."""
    for option in reversed(
        [
            click.option("--demo", is_flag=True, help="The bundled demo organisation (sandbox)."),
            click.option(
                "--sandbox",
                "scenario_path",
                type=click.Path(path_type=Path),
                help="A sandbox scenario file (see docs/scenarios.md); with "
                "--all-organisations, a folder of them.",
            ),
            click.option(
                "--url", help="A sandbox served by `troubleshooter sandbox serve`, at this URL."
            ),
            click.option(
                "--answer",
                "answer_args",
                multiple=True,
                metavar="ID=VALUE",
                help="Answer one of the diagnosis's questions; VALUE @FILE reads a pasted "
                "list from FILE. Repeatable.",
            ),
            click.option(
                "--answers",
                "answers_file",
                type=click.Path(dir_okay=False, path_type=Path),
                help="A YAML file mapping question ids to answers.",
            ),
            click.option(
                "--include-contact-details",
                "contact_details",
                is_flag=True,
                help="Keep contacts' emails and phone numbers in what is written (they are "
                "removed by default).",
            ),
        ]
    ):
        func = option(func)
    return func


def _output_options(func: F) -> F:
    func = click.option(
        "--output",
        "-o",
        default="-",
        metavar="FILE",
        help='Write to FILE ("-": standard output, the default).',
    )(func)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "md", "html", "json"]),
        default=None,
        help="text for a terminal, md for a ticket, html to send, json for machines "
        "(default: from the --output suffix, else text).",
    )(func)


def _format_for(fmt: str | None, output: str) -> str:
    if fmt:
        return fmt
    suffix = Path(output).suffix.lower() if output != "-" else ""
    return {".md": "md", ".html": "html", ".htm": "html", ".json": "json"}.get(suffix, "text")


def write_output(text: str, output: str) -> None:
    """Writes the result to stdout, or to a file whole (never half-written)."""
    if output == "-":
        click.echo(text, nl=False)
        return
    from troubleshooter.report import write_report

    click.echo(f"wrote {write_report(text, Path(output))}", err=True)


def _answers(answers_file: Path | None, answer_args: tuple[str, ...]) -> dict[str, str]:
    from troubleshooter.diagnosis.answers import load_answers_file, parse_answer_args

    answers = load_answers_file(answers_file) if answers_file else {}
    return answers | parse_answer_args(answer_args)


def _connections_factory(
    demo: bool, scenario_path: Path | None, url: str | None, snapshot: Path | None = None
) -> Callable[[], Connections]:
    """Checks that exactly one source was named; returns how to connect to it (afresh each
    time, so a watched scenario file can be edited)."""
    from troubleshooter.sandbox.app import Sandbox
    from troubleshooter.sandbox.connect import sandbox_connections
    from troubleshooter.sandbox.scenario import load_scenario

    sources: list[tuple[str, object]] = [
        ("--demo", demo),
        ("--sandbox", scenario_path),
        ("--url", url),
        ("--snapshot", snapshot),
    ]
    chosen = [name for name, given in sources if given]
    if len(chosen) > 1:
        raise click.UsageError(f"choose one of {', '.join(chosen)}")

    def connect() -> Connections:
        if not chosen:  # the real systems, as signed in and configured
            from troubleshooter.signin.live import live_connections
            from troubleshooter.signin.settings import data_path, load_settings
            from troubleshooter.signin.tokens import default_store
            from troubleshooter.sources.cache import FetchCache

            # Xero's lists are cached per organisation; a repeat asks only for what changed.
            cache = FetchCache(data_path() / "cache")
            return live_connections(load_settings(), default_store(), cache=cache)
        if url:
            return sandbox_connections(base_url=url)
        return sandbox_connections(Sandbox(load_scenario(scenario_path or demo_scenario())))

    return connect


@main.command()
@_source_options
@click.option(
    "--snapshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Diagnose a bundle made by `troubleshooter collect` instead of live systems.",
)
@click.option(
    "--item",
    "focus",
    metavar="TEXT",
    help="Focus on the items matching a code, a name or part of one, and explain even the "
    "causes a whole-organisation run only counts.",
)
@_output_options
@_rules_dirs
@_knowledge_dirs
@click.option(
    "--watch",
    "watching",
    is_flag=True,
    help="Check again on an interval until everything is resolved or --until passes "
    "(with --sandbox, edits to the file count).",
)
@click.option("--interval", default="60s", show_default=True, help="Time between checks.")
@click.option("--until", "limit", default="30m", show_default=True, help="When to stop.")
@click.option(
    "--all-organisations",
    "practice",
    is_flag=True,
    help="Diagnose every connected organisation (or every scenario in the --sandbox folder) "
    "and print one line each.",
)
@_friendly
def diagnose(
    demo: bool,
    scenario_path: Path | None,
    url: str | None,
    answer_args: tuple[str, ...],
    answers_file: Path | None,
    contact_details: bool,
    snapshot: Path | None,
    focus: str | None,
    fmt: str | None,
    output: str,
    rules_dirs: tuple[Path, ...],
    knowledge_dirs: tuple[Path, ...],
    watching: bool,
    interval: str,
    limit: str,
    practice: bool,
) -> None:
    """Diagnose one organisation and print the findings and the ordered fix plan."""
    if practice:
        _diagnose_practice(
            demo, scenario_path, rules_dirs, knowledge_dirs, fmt, output, contact_details
        )
        return
    from troubleshooter.diagnosis.diagnose import Library
    from troubleshooter.diagnosis.diagnose import diagnose as run
    from troubleshooter.report import export
    from troubleshooter.runs.bundle import diagnose_bundle, load_bundle

    connect = _connections_factory(demo, scenario_path, url, snapshot)
    every, stop = parse_duration(interval), parse_duration(limit)
    library = Library.load(rules_dirs or None, knowledge_dirs or None)
    answers = _answers(answers_file, answer_args)
    secrets: list[str] = []

    def check() -> Diagnosis:
        if snapshot is not None:
            bundle = load_bundle(snapshot)
            return diagnose_bundle(
                bundle, library, source=snapshot.name, answers=answers, focus=focus
            )
        connections = connect()
        secrets[:] = connections.secrets()
        progress = None if watching else _progress
        return aio.run(run(connections, library, progress, answers=answers, focus=focus))

    if watching and snapshot is not None:
        raise click.UsageError("--watch checks live systems again; a snapshot never changes")
    clock = lambda: time.strftime("%H:%M:%S")  # noqa: E731
    result = watch(check, every, stop, clock) if watching else check()
    text = export(
        result, _format_for(fmt, output), secrets=secrets, contact_details=contact_details
    )
    write_output(text, output)
    sys.exit(exit_code_for(result))


def _diagnose_practice(
    demo: bool,
    scenario_path: Path | None,
    rules_dirs: tuple[Path, ...],
    knowledge_dirs: tuple[Path, ...],
    fmt: str | None,
    output: str,
    contact_details: bool,
) -> None:
    from troubleshooter.diagnosis.diagnose import Library
    from troubleshooter.report import export_practice
    from troubleshooter.runs.practice import OrganisationRun, OrganisationSummary, diagnose_practice
    from troubleshooter.sandbox.app import Sandbox
    from troubleshooter.sandbox.connect import sandbox_connections
    from troubleshooter.sandbox.scenario import load_scenario

    library = Library.load(rules_dirs or None, knowledge_dirs or None)
    if scenario_path is not None or demo:
        paths = [demo_scenario()] if demo else []
        if scenario_path is not None:
            paths += (
                sorted(scenario_path.glob("*.yaml")) if scenario_path.is_dir() else [scenario_path]
            )
        if not paths:
            raise ConfigError(f"{scenario_path}: no *.yaml scenarios in this folder")

        def connect(path: Path) -> Connections:
            return sandbox_connections(Sandbox(load_scenario(path)))

        runs = [OrganisationRun(path.stem, functools.partial(connect, path)) for path in paths]
    else:
        from troubleshooter.signin.live import practice_runs
        from troubleshooter.signin.settings import load_settings
        from troubleshooter.signin.tokens import default_store

        runs = aio.run(practice_runs(load_settings(), default_store()))
    with click.progressbar(
        length=len(runs), label="Diagnosing organisations", file=sys.stderr, show_pos=True
    ) as bar:

        def advance(summary: OrganisationSummary) -> None:
            bar.update(1)

        summary = aio.run(diagnose_practice(runs, library, done=advance))
    text = export_practice(summary, _format_for(fmt, output), contact_details=contact_details)
    write_output(text, output)
    sys.exit(summary.exit_code)


@main.command()
@_source_options
@click.option(
    "--output",
    "-o",
    required=True,
    metavar="FILE",
    help='Where to write the bundle (JSON); "-" for standard output.',
)
@_friendly
def collect(
    demo: bool,
    scenario_path: Path | None,
    url: str | None,
    answer_args: tuple[str, ...],
    answers_file: Path | None,
    contact_details: bool,
    output: str,
) -> None:
    """Save what the tool fetched, with your answers, redacted, to attach to a ticket."""
    from troubleshooter.runs.bundle import bundle_json
    from troubleshooter.runs.bundle import collect as gather

    connections = _connections_factory(demo, scenario_path, url)()
    answers = _answers(answers_file, answer_args)
    bundle = aio.run(gather(connections, answers, _progress))
    text = bundle_json(bundle, secrets=connections.secrets(), contact_details=contact_details)
    write_output(text, output)
    failed = [s for s in bundle.snapshots if s.failed]
    if failed:
        names = ", ".join(s.stage.label for s in failed)
        click.echo(f"note: {names} could not be fully read; the bundle says why", err=True)
        sys.exit(ExitCode.INCOMPLETE)


class _ReportGroup(click.Group):
    """`report FILE …` renders a saved diagnosis; `report schema` prints its JSON Schema."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["render", *args]
        return super().parse_args(ctx, args)


@main.group(cls=_ReportGroup)
def report() -> None:
    """Render a saved diagnosis (`report DIAGNOSIS.json --format html`), or print the JSON
    Schema of the diagnosis (`report schema`)."""


@report.command("render")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@_output_options
@click.option("--include-contact-details", "contact_details", is_flag=True)
@_friendly
def report_render(source: Path, fmt: str | None, output: str, contact_details: bool) -> None:
    """Render a diagnosis saved as JSON (`diagnose --format json`) in another format."""
    from troubleshooter.report import export, load_diagnosis

    diagnosis = load_diagnosis(source)
    text = export(diagnosis, _format_for(fmt, output), contact_details=contact_details)
    write_output(text, output)


@report.command("schema")
def report_schema() -> None:
    """Print the JSON Schema of a diagnosis (what `--format json` writes)."""
    from troubleshooter.report import report_json_schema

    click.echo(json.dumps(report_json_schema(), indent=2))


def _tui_sources(
    demo: bool, scenarios: tuple[Path, ...], urls: tuple[str, ...], snapshots: tuple[Path, ...]
) -> list[Source]:
    from troubleshooter.runs.session import Source
    from troubleshooter.sandbox.app import Sandbox
    from troubleshooter.sandbox.connect import sandbox_connections
    from troubleshooter.sandbox.scenario import load_scenario

    sources: list[Source] = []
    if demo:
        scenarios = (demo_scenario(), *scenarios)
    for path in scenarios:
        scenario = load_scenario(path)  # checked now: a bad file is a usage error, not a crash

        def connect(path: Path = path) -> Connections:
            return sandbox_connections(Sandbox(load_scenario(path)))

        sources.append(
            Source(f"{scenario.organisation.name} · sandbox {path.name}", connect=connect)
        )
    for url in urls:
        sources.append(
            Source(url, connect=lambda url=url: sandbox_connections(base_url=url))  # type: ignore[misc]
        )
    sources.extend(Source(f"snapshot {path.name}", bundle=path) for path in snapshots)
    if not sources:  # the real systems, as signed in and configured
        from troubleshooter.signin.live import live_connections
        from troubleshooter.signin.settings import load_settings
        from troubleshooter.signin.tokens import default_store

        settings, store = load_settings(), default_store()
        live_connections(settings, store)  # says now, plainly, when nothing is connected
        sources.append(Source("live", connect=lambda: live_connections(settings, store)))
    return sources


def _run_tui(sources: list[Source], answers: dict[str, str]) -> None:
    from troubleshooter.diagnosis.diagnose import Library
    from troubleshooter.runs.session import Session
    from troubleshooter.tui.app import TroubleshooterApp

    session = Session(sources, Library.load(), answers=answers)
    TroubleshooterApp(session).run()


@main.command()
@_friendly
def demo() -> None:
    """Open the terminal UI on the bundled demo organisation (no account, no setup)."""
    _run_tui(_tui_sources(True, (), (), ()), {})


@main.command()
@click.option("--demo", is_flag=True, help="Add the bundled demo organisation.")
@click.option(
    "--sandbox",
    "scenarios",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A sandbox scenario file. Repeatable: one organisation each.",
)
@click.option("--url", "urls", multiple=True, help="A served sandbox. Repeatable.")
@click.option(
    "--snapshot",
    "snapshots",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A bundle from `troubleshooter collect`. Repeatable.",
)
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A YAML file of answers to start from.",
)
@_friendly
def tui(
    demo: bool,
    scenarios: tuple[Path, ...],
    urls: tuple[str, ...],
    snapshots: tuple[Path, ...],
    answers_file: Path | None,
) -> None:
    """Open the terminal UI on one or more organisations (switch in the command palette)."""
    _run_tui(_tui_sources(demo, scenarios, urls, snapshots), _answers(answers_file, ()))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.argument("tui_args", nargs=-1, type=click.UNPROCESSED)
@_friendly
def serve(host: str, port: int, tui_args: tuple[str, ...]) -> None:
    """Offer the terminal UI in a browser (textual-serve), on 127.0.0.1 by default.

    Arguments after `--` go to `troubleshooter tui` (default: --demo), e.g.
    `troubleshooter serve -- --sandbox my.yaml`.
    """
    import shlex

    from textual_serve.server import Server

    args = list(tui_args) or ["--demo"]
    command = shlex.join([sys.executable, "-m", "troubleshooter", "tui", *args])
    click.echo(f"Serving the troubleshooter at http://{host}:{port}", err=True)
    Server(command, host=host, port=port, title="troubleshooter").serve()


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


@sandbox.command("generate")
@click.option("--practice", "count", type=click.IntRange(1, 2000), help="N small organisations.")
@click.option("--contacts", default=50_000, show_default=True, help="For one large organisation.")
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
              help="A file (one organisation) or a folder (a practice).")  # fmt: skip
@_friendly
def sandbox_generate(count: int | None, contacts: int, output: Path) -> None:
    """Write generated scenarios: one large organisation, or a practice of N."""
    import yaml

    from troubleshooter.sandbox.generate import large_organisation, practice

    if count:
        output.mkdir(parents=True, exist_ok=True)
        for number, scenario in enumerate(practice(count), start=1):
            (output / f"client-{number:03d}.yaml").write_text(
                yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8"
            )
        click.echo(f"wrote {count} scenarios to {output}", err=True)
        return
    suppliers = min(contacts, max(1, contacts * 2 // 5))
    scenario = large_organisation(contacts=contacts, suppliers=suppliers)
    output.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


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


@main.group()
def rules() -> None:
    """The rules: check them, run their cases, print their format."""


@rules.command("lint")
@_rules_dirs
@_knowledge_dirs
@_friendly
def rules_lint(rules_dirs: tuple[Path, ...], knowledge_dirs: tuple[Path, ...]) -> None:
    """Check the rules, actions, questions and articles, and how they link."""
    from troubleshooter.diagnosis.diagnose import Library
    from troubleshooter.runs.ruletest import load_cases

    library = Library.load(rules_dirs or None, knowledge_dirs or None)
    problems = library.lint()
    folders = list(rules_dirs) or [data_dir("rules")]
    known = {r.id for r in library.rules.rules}
    for case_file, path in load_cases(folders):
        if case_file.rule not in known:
            problems.append(f"{path}: cases for unknown rule '{case_file.rule}'")
    rules_, actions, questions = library.rules.rules, library.rules.actions, library.rules.questions
    click.echo(
        f"{len(rules_)} rules, {len(actions)} actions, {len(questions)} questions, "
        f"{len(library.knowledge)} articles"
    )
    for problem in problems:
        click.echo(f"  ! {problem}")
    if problems:
        sys.exit(ExitCode.FINDINGS)
    click.echo("no problems")


@rules.command("test")
@_rules_dirs
@_knowledge_dirs
@click.option("-v", "--verbose", is_flag=True, help="Show passing cases too.")
@_friendly
def rules_test(
    rules_dirs: tuple[Path, ...], knowledge_dirs: tuple[Path, ...], verbose: bool
) -> None:
    """Run every rule's fire and quiet cases (tests/*.yaml beside the rules)."""
    from troubleshooter.diagnosis.diagnose import Library
    from troubleshooter.runs.ruletest import run_cases

    library = Library.load(rules_dirs or None, knowledge_dirs or None)
    results = run_cases(library, list(rules_dirs) or [data_dir("rules")])
    failed = [r for r in results if not r.passed]
    for result in results:
        if verbose or not result.passed:
            mark = "ok  " if result.passed else "FAIL"
            click.echo(f"{mark} {result.rule} [{result.expect}] {result.case}: {result.detail}")
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(ExitCode.FINDINGS)


@rules.command("schema")
def rules_schema() -> None:
    """Print the JSON Schema of a rules file."""
    from troubleshooter.diagnosis.ruleset import rules_file_schema

    click.echo(json.dumps(rules_file_schema(), indent=2))


@main.group()
def knowledge() -> None:
    """The knowledge articles: list, search, read."""


@knowledge.command("list")
@_knowledge_dirs
@_friendly
def knowledge_list(knowledge_dirs: tuple[Path, ...]) -> None:
    """List the articles."""
    from troubleshooter.diagnosis.knowledge import load_knowledge

    for article in load_knowledge(list(knowledge_dirs) or [data_dir("knowledge")]):
        click.echo(f"{article.id:<45} {article.title}")


@knowledge.command("search")
@click.argument("words", nargs=-1, required=True)
@_knowledge_dirs
@_friendly
def knowledge_search(words: tuple[str, ...], knowledge_dirs: tuple[Path, ...]) -> None:
    """Find the articles about some words, best first."""
    from troubleshooter.diagnosis.knowledge import load_knowledge

    base = load_knowledge(list(knowledge_dirs) or [data_dir("knowledge")])
    hits = base.search(" ".join(words))
    if not hits:
        click.echo("no article mentions that", err=True)
        sys.exit(ExitCode.FINDINGS)
    for article, _score in hits:
        click.echo(f"{article.id:<45} {article.title}")
        click.echo(f"    {article.excerpt(160)}")


@knowledge.command("show")
@click.argument("article_id")
@_knowledge_dirs
@_friendly
def knowledge_show(article_id: str, knowledge_dirs: tuple[Path, ...]) -> None:
    """Print one article (Markdown)."""
    from troubleshooter.diagnosis.knowledge import load_knowledge

    base = load_knowledge(list(knowledge_dirs) or [data_dir("knowledge")])
    article = base.get(article_id)
    if article is None:
        raise ConfigError(f"no article {article_id!r}; `troubleshooter knowledge list` lists them")
    click.echo(article.body, nl=False)
    click.echo("\nSources: " + ", ".join(article.meta.source))


@main.group(invoke_without_command=True)
@click.option("--status", is_flag=True, help="Say what is connected and until when.")
@click.pass_context
@_friendly
def connect(ctx: click.Context, status: bool) -> None:
    """Sign in to Xero and ApprovalMax (`connect xero`, `connect approvalmax`)."""
    if ctx.invoked_subcommand is not None:
        return
    if not status:
        click.echo(ctx.get_help())
        return
    from troubleshooter.signin.live import status as connection_status
    from troubleshooter.signin.settings import load_settings
    from troubleshooter.signin.tokens import default_store

    for line in connection_status(load_settings(), default_store()):
        click.echo(f"{'✓' if line.connected else '–'} {line.name:<20} {line.detail}")


def _open_browser(show_only: bool) -> Callable[[str], None]:
    def open_url(url: str) -> None:
        click.echo("Sign in in your browser; if it does not open, visit:", err=True)
        click.echo(f"  {url}", err=True)
        if not show_only:
            import webbrowser

            webbrowser.open(url)

    return open_url


@connect.command("xero")
@click.option("--no-browser", is_flag=True, help="Only print the address to open.")
@click.option("--tenant", help="The organisation to use when the sign-in reaches several.")
@_friendly
def connect_xero(no_browser: bool, tenant: str | None) -> None:
    """Sign in to Xero (OAuth2 with PKCE) and choose the organisation."""
    from troubleshooter.signin.live import sign_in_xero
    from troubleshooter.signin.settings import load_settings
    from troubleshooter.signin.tokens import default_store

    settings = load_settings()
    if tenant:
        settings.xero.tenant_id = tenant

    def choose(organisations: list[Any]) -> Any:
        click.echo("The sign-in reaches several organisations:", err=True)
        for number, org in enumerate(organisations, start=1):
            click.echo(f"  {number}. {org.tenant_name} ({org.tenant_id})", err=True)
        picked = click.prompt("Which one", type=click.IntRange(1, len(organisations)), err=True)
        return organisations[picked - 1]

    store = default_store()
    tokens = aio.run(sign_in_xero(settings, store, _open_browser(no_browser), choose))
    click.echo(f"Signed in to Xero: {tokens.organisation} (kept in the {store.kind} store)")


@connect.command("approvalmax")
@click.option("--no-browser", is_flag=True, help="Only print the address to open.")
@_friendly
def connect_approvalmax(no_browser: bool) -> None:
    """Sign in to ApprovalMax's public API and find the organisation."""
    from troubleshooter.signin.live import sign_in_approvalmax
    from troubleshooter.signin.settings import load_settings
    from troubleshooter.signin.tokens import default_store

    settings, store = load_settings(), default_store()
    xero = store.load("xero")
    organisation = xero.organisation if xero else None
    tokens = aio.run(
        sign_in_approvalmax(
            settings,
            store,
            _open_browser(no_browser),
            lambda prompt: click.prompt(prompt, err=True),
            organisation=organisation,
            choose=_choose_company,
        )
    )
    where = tokens.organisation or "no organisation matched; set approvalmax.company_id"
    click.echo(f"Signed in to ApprovalMax: {where}")


def _choose_company(companies: list[Any]) -> Any:
    click.echo("Which ApprovalMax organisation is this one?", err=True)
    for number, company in enumerate(companies, start=1):
        click.echo(f"  {number}. {company.name}", err=True)
    picked = click.prompt("Number", type=click.IntRange(1, len(companies)), err=True)
    return companies[picked - 1]


@main.command()
@click.argument("system", type=click.Choice(["xero", "approvalmax"]))
@_friendly
def disconnect(system: str) -> None:
    """Forget a sign-in (the tokens are deleted from the store)."""
    from troubleshooter.signin.tokens import default_store

    default_store().delete(system)
    click.echo(f"Forgot the {system} sign-in")


@main.group()
def config() -> None:
    """The settings file."""


@config.command("show")
@_friendly
def config_show() -> None:
    """Print the settings in force (file and environment), secrets masked."""
    import yaml

    from troubleshooter.signin.settings import ENVIRONMENT, config_path, load_settings, masked

    path = config_path()
    click.echo(f"# {path}{'' if path.exists() else ' (not there yet: defaults)'}")
    click.echo(yaml.safe_dump(masked(load_settings()), sort_keys=False).rstrip())
    click.echo("# environment variables that override it: " + ", ".join(ENVIRONMENT))


@config.command("path")
def config_path_command() -> None:
    """Print where the settings file is read from."""
    from troubleshooter.signin.settings import config_path

    click.echo(str(config_path()))


if __name__ == "__main__":  # pragma: no cover
    main()
