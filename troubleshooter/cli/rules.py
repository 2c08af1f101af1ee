"""`rules …`: check the rules, run their cases, print their format."""

from __future__ import annotations

import json

import click

from troubleshooter.cli.options import LibraryArgs, library_options
from troubleshooter.cli.output import finish
from troubleshooter.diagnosis.ruleset import rules_file_schema
from troubleshooter.errors import ExitCode
from troubleshooter.infra.resources import data_dir
from troubleshooter.infra.safetext import visible
from troubleshooter.runs.ruletest import lint, run_cases


@click.group()
def rules() -> None:
    """The rules: check them, run their cases, print their format."""


@rules.command("lint")
@library_options
def rules_lint(library: LibraryArgs) -> None:
    """Check the rules, actions, questions and articles, and how they link."""
    loaded = library.load()
    problems = lint(loaded, list(library.rules_dirs) or [data_dir("rules")])
    ruleset = loaded.rules
    click.echo(
        f"{len(ruleset.rules)} rules, {len(ruleset.actions)} actions, "
        f"{len(ruleset.questions)} questions, {len(loaded.knowledge)} articles"
    )
    for problem in problems:
        click.echo(visible(f"  ! {problem}"))
    if problems:
        finish(ExitCode.FINDINGS)
    click.echo("no problems")


@rules.command("test")
@library_options
@click.option("-v", "--verbose", is_flag=True, help="Show passing cases too.")
def rules_test(library: LibraryArgs, verbose: bool) -> None:
    """Run every rule's fire and quiet cases (tests/*.yaml beside the rules)."""
    results = run_cases(library.load(), list(library.rules_dirs) or [data_dir("rules")])
    failed = [r for r in results if not r.passed]
    for result in results:
        if verbose or not result.passed:
            mark = "ok  " if result.passed else "FAIL"
            line = f"{mark} {result.rule} [{result.expect}] {result.case}: {result.detail}"
            click.echo(visible(line))
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        finish(ExitCode.FINDINGS)


@rules.command("schema")
def rules_schema() -> None:
    """Print the JSON Schema of a rules file."""
    click.echo(json.dumps(rules_file_schema(), indent=2))
