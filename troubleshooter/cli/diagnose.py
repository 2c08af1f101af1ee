"""`diagnose`, `collect` and `report`: an organisation's diagnosis, its bundle, a saved one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from troubleshooter.cli.options import (
    AnswerArgs,
    F,
    LibraryArgs,
    SourceArgs,
    answer_options,
    conflict,
    contact_details_option,
    library_options,
    output_options,
    source_options,
)
from troubleshooter.cli.output import (
    FetchProgress,
    check_output,
    finish,
    format_for,
    keep_secrets,
    progress,
    say,
    write_diagnosis,
    write_result,
)
from troubleshooter.diagnosis.diagnose import exit_code_for
from troubleshooter.errors import ExitCode
from troubleshooter.infra import aio
from troubleshooter.infra.durations import DurationError, parse_duration
from troubleshooter.infra.gcpause import kept_aside
from troubleshooter.model import Diagnosis
from troubleshooter.report import (
    export_json_bytes,
    export_practice,
    load_diagnosis,
    report_json_schema,
)
from troubleshooter.runs.answerstore import default_store as kept_answers
from troubleshooter.runs.answerstore import diagnose_with_kept, offer
from troubleshooter.runs.bundle import bundle_json
from troubleshooter.runs.bundle import collect as gather
from troubleshooter.runs.practice import OrganisationSummary, diagnose_practice
from troubleshooter.runs.source import Source, SourceKind, live_organisations, read
from troubleshooter.runs.watch import watch
from troubleshooter.signin.tokens import default_store
from troubleshooter.wording import plural, them


def _seconds(ctx: click.Context, param: click.Parameter, value: str) -> float:
    """A length of time in the one duration grammar (infra/durations.py)."""
    try:
        return parse_duration(value).total_seconds()
    except DurationError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source is not click.core.ParameterSource.DEFAULT


ALL_ITEMS_FORMATS = ("md", "html")


def all_items_option(func: F) -> F:
    """--all-items: Markdown and HTML list every item, not only those with findings."""
    return click.option(
        "--all-items",
        "all_items",
        is_flag=True,
        help="With --format md or html: list every item, not only those with findings "
        "(Markdown otherwise counts the others; HTML lists up to 500 a kind).",
    )(func)


def check_all_items(all_items: bool, fmt: str, given: str | None, output: str) -> None:
    """--all-items is about the lists of Markdown and HTML: with another format it would do
    nothing, so it is refused rather than ignored (naming where the format came from)."""
    if not all_items or fmt in ALL_ITEMS_FORMATS:
        return
    why = (
        "JSON always holds every item"
        if fmt == "json"
        else "the text report shows the items with findings; use --format md or html"
    )
    if given is not None:
        source = ""
    elif output != "-" and fmt != "text":
        source = " (from the --output suffix)"
    else:
        source = " (the default)"
    raise conflict("--all-items", f"--format {fmt}{source}", why=why)


def one_organisation(sources: SourceArgs, command: str) -> None:
    """A command that reads one organisation was named one (or none: the connected one)."""
    named = sources.named()
    if len(named) > 1:
        raise click.UsageError(
            f"choose one of {' and '.join(named)}: {command} reads one organisation"
        )
    if folders := sources.folders():
        raise click.UsageError(
            f"{sources.scenario_flag} {folders[0]} is a folder: {command} reads one organisation"
            " (`diagnose --all-organisations` reads every scenario in a folder)"
        )
    if sources.count > 1:
        raise click.UsageError(
            f"{named[0]} is given {sources.count} times: {command} reads one organisation"
        )


@click.command()
@source_options(
    scenario_help="A sandbox scenario file (`troubleshooter help scenarios`). With "
    "--all-organisations: repeatable, and a folder means every scenario in it.",
    legacy_sandbox=True,
    several=False,
)
@click.option(
    "--item",
    "focus",
    metavar="TEXT",
    help="Focus on the items matching a code, a name or part of one, and explain even the "
    "causes a whole-organisation run only counts.",
)
@answer_options
@output_options
@contact_details_option("what is written")
@all_items_option
@library_options
@click.option(
    "--watch",
    "watching",
    is_flag=True,
    help="Check again on an interval until everything is resolved or --until passes "
    "(with --scenario, edits to the file count).",
)
@click.option(
    "--interval",
    default="60s",
    show_default=True,
    callback=_seconds,
    help="With --watch: the time between checks.",
)
@click.option(
    "--until",
    "limit",
    default="30m",
    show_default=True,
    callback=_seconds,
    help="With --watch: when to stop.",
)
@click.option(
    "--fresh",
    is_flag=True,
    help="Ignore the answers kept from earlier runs for this organisation (and keep none).",
)
@click.option(
    "--all-organisations",
    "practice",
    is_flag=True,
    help="Diagnose several organisations and print one line each: every connected one, or "
    "each --demo, --scenario (file or folder), --url and --snapshot given.",
)
@click.pass_context
def diagnose(
    ctx: click.Context,
    sources: SourceArgs,
    focus: str | None,
    answers: AnswerArgs,
    fmt: str | None,
    output: str,
    contact_details: bool,
    all_items: bool,
    library: LibraryArgs,
    watching: bool,
    interval: float,
    limit: float,
    fresh: bool,
    practice: bool,
) -> None:
    """Diagnose one organisation and print the findings and the ordered fix plan."""
    if practice:
        for option, used in (
            ("--item", focus is not None),
            ("--watch", watching),
            ("--all-items", all_items),
            *((name, True) for name in answers.named()),
        ):
            if used:
                raise conflict(
                    "--all-organisations",
                    option,
                    why=f"{option} is about one organisation; diagnose it on its own",
                )
        _diagnose_practice(sources, library, fmt, output, contact_details)
        return
    one_organisation(sources, "diagnose")
    chosen = format_for(fmt, output)
    check_all_items(all_items, chosen, fmt, output)  # before anything is read
    if watching and sources.snapshots:
        raise conflict(
            "--watch", "--snapshot", why="--watch checks again, and a snapshot never changes"
        )
    for option, name in (("--interval", "interval"), ("--until", "limit")):
        if not watching and _given(ctx, name):
            raise conflict(option, "no --watch", why=f"{option} says how to watch")
    [source] = sources.sources()
    rules = library.load()
    given = answers.load()
    secrets: list[str] = []
    kept_store = None if fresh or not source.changes else kept_answers()
    said: list[str] = []

    def check() -> Diagnosis:
        connections = None
        if source.changes:
            connections = source.connections()
            secrets[:] = connections.secrets()
            keep_secrets(secrets)
        events = None if watching else FetchProgress()
        with kept_aside():  # the collector need not walk the read: it is kept to the end
            reading = aio.run(read(source, connections=connections, focus=focus, events=events))
        if kept_store is None:
            for note in offer(reading, rules, None, given).notes:
                _say_once(note)  # an answer given here over what a system reports
            return reading.diagnose(rules, answers=given, focus=focus)
        run = diagnose_with_kept(reading, rules, kept_store, given, focus=focus)
        if run.used:
            _say_once(
                f"using {plural(run.used, 'answer')} kept from before for "
                f"{run.diagnosis.organisation.name} "
                f"(`troubleshooter answers clear` forgets {them(run.used)})"
            )
        for note in run.notes:  # a kept answer a system now contradicts; a given one over it
            _say_once(note)
        return run.diagnosis

    def _say_once(text: str) -> None:
        """Said once, not on every check of --watch."""
        if text not in said:
            said.append(text)
            say(text)

    if watching:
        result = watch(check, interval=interval, limit=limit, report=lambda c: say(str(c)))
    else:
        result = check()
    if chosen == "json":  # the big one: serialised once, as bytes, straight to where it goes
        write_result(
            export_json_bytes(result, secrets=secrets, contact_details=contact_details), output
        )
    else:  # on a terminal, text at its width and in colour
        write_diagnosis(
            result,
            chosen,
            output,
            secrets=secrets,
            contact_details=contact_details,
            all_items=all_items,
        )
    finish(exit_code_for(result))


def _diagnose_practice(
    sources: SourceArgs,
    library: LibraryArgs,
    fmt: str | None,
    output: str,
    contact_details: bool,
) -> None:
    rules = library.load()
    organisations: list[Source]
    if sources.named():
        # Checked as each is read: a bad scenario becomes its line, and the run goes on.
        organisations = sources.sources(check=False)
    else:
        organisations = aio.run(live_organisations(store=default_store(warn=say)))
    for source in organisations:
        if source.kind is SourceKind.LIVE:  # connections made already: their tokens
            keep_secrets(source.connections().secrets())
    with click.progressbar(
        length=len(organisations),
        label="Diagnosing organisations",
        file=sys.stderr,
        show_pos=True,
    ) as bar:

        def advance(summary: OrganisationSummary) -> None:
            bar.update(1)

        summary = aio.run(diagnose_practice(organisations, rules, done=advance))
    text = export_practice(summary, format_for(fmt, output), contact_details=contact_details)
    write_result(text, output)
    finish(summary.exit_code)


@click.command()
@source_options(
    scenario_help="A sandbox scenario file (`troubleshooter help scenarios`).", snapshot=False
)
@answer_options
@contact_details_option("the bundle")
@click.option(
    "--output",
    "-o",
    required=True,
    metavar="FILE",
    callback=check_output,
    help='Where to write the bundle (JSON); "-" for standard output.',
)
def collect(sources: SourceArgs, answers: AnswerArgs, contact_details: bool, output: str) -> None:
    """Save what the tool fetched, with your answers, redacted, to attach to a ticket."""
    one_organisation(sources, "collect")
    [source] = sources.sources()
    connections = source.connections()
    keep_secrets(connections.secrets())
    bundle = aio.run(gather(connections, answers.load(), progress))
    text = bundle_json(bundle, secrets=connections.secrets(), contact_details=contact_details)
    write_result(text, output, private=True)  # a bundle is the organisation's data: 0600
    failed = [s for s in bundle.snapshots if s.failed]
    if failed:
        names = ", ".join(s.stage.label for s in failed)
        say(f"note: {names} could not be fully read; the bundle says why")
        finish(ExitCode.INCOMPLETE)


class _ReportGroup(click.Group):
    """`report FILE …` renders a saved diagnosis; `report schema` prints its JSON Schema."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["render", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_ReportGroup)
def report() -> None:
    """Render a saved diagnosis (`report DIAGNOSIS.json --format html`), or print the JSON
    Schema of the diagnosis (`report schema`)."""


@report.command("render")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@output_options
@contact_details_option("what is written")
@all_items_option
def report_render(
    source: Path, fmt: str | None, output: str, contact_details: bool, all_items: bool
) -> None:
    """Render a diagnosis saved as JSON (`diagnose --format json`) in another format."""
    chosen = format_for(fmt, output)
    check_all_items(all_items, chosen, fmt, output)
    diagnosis = load_diagnosis(source)
    write_diagnosis(diagnosis, chosen, output, contact_details=contact_details, all_items=all_items)


@report.command("schema")
def report_schema() -> None:
    """Print the JSON Schema of a diagnosis (what `--format json` writes)."""
    click.echo(json.dumps(report_json_schema(), indent=2))
