"""The option sets commands share, each handed to the command as one value.

Every command that reads an organisation (`diagnose`, `collect`, `tui`, `serve`) takes the same
source options (`--demo`, `--scenario`, `--url`, `--snapshot`; none: the connected systems), the
same answer options and, where it diagnoses, the same library options. The scenario option has
one name everywhere, `--scenario`; `--sandbox` stays as a hidden alias where it was used before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from troubleshooter.cli.output import FORMATS, check_output, say
from troubleshooter.diagnosis.answers import load_answers_file, parse_answer_args
from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.runs.source import Source, live_source, select
from troubleshooter.signin.tokens import default_store

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[F], F]


def _gathered(target: str, options: Sequence[Decorator[Any]], build: Callable[..., Any]) -> Any:
    """Declares `options` and hands the command one value, `build(**their values)`, as
    `target`, instead of one argument each."""

    def decorate(func: F) -> F:
        names: list[str] = []

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in names}
            kwargs[target] = build(**values)
            return func(*args, **kwargs)

        before = list(getattr(wrapper, "__click_params__", []))
        for option in reversed(options):
            wrapper = option(wrapper)
        added = getattr(wrapper, "__click_params__", [])[len(before) :]
        names.extend(p.name for p in added if p.name)
        return wrapper  # type: ignore[return-value]

    return decorate


# Sources ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceArgs:
    """The organisations a command was told to read."""

    demo: bool = False
    scenarios: tuple[Path, ...] = ()
    urls: tuple[str, ...] = ()
    snapshots: tuple[Path, ...] = ()
    scenario_flag: str = "--scenario"  # as typed: "--sandbox" is the old name
    cache: bool = True  # Xero's lists kept between runs (--no-cache: read whole, keep nothing)

    def named(self) -> list[str]:
        """The options given, by name, in the order the help lists them."""
        given = [
            ("--demo", self.demo),
            (self.scenario_flag, self.scenarios),
            ("--url", self.urls),
            ("--snapshot", self.snapshots),
        ]
        return [name for name, value in given if value]

    @property
    def count(self) -> int:
        """How many organisations were named (a folder counts as several)."""
        folders = sum(1 for p in self.scenarios if p.is_dir())
        return int(self.demo) + len(self.scenarios) + folders + len(self.urls) + len(self.snapshots)

    def folders(self) -> list[Path]:
        return [p for p in self.scenarios if p.is_dir()]

    def sources(self, *, check: bool = True) -> list[Source]:
        """Sources for what was named; nothing named: the connected systems."""
        return select(
            demo=self.demo,
            scenarios=self.scenarios,
            urls=self.urls,
            snapshots=self.snapshots,
            check=check,
            live=lambda: [live_source(store=default_store(warn=say), use_cache=self.cache)],
            cache=self.cache,
        )

    def forward(self) -> list[str]:
        """The same options, for another troubleshooter process (`serve` starts `tui`)."""
        args = ["--demo"] if self.demo else []
        args += [a for p in self.scenarios for a in ("--scenario", str(p.resolve()))]
        args += [a for url in self.urls for a in ("--url", url)]
        args += [a for p in self.snapshots for a in ("--snapshot", str(p.resolve()))]
        return args + ([] if self.cache else ["--no-cache"])


def source_options(
    *,
    scenario_help: str,
    snapshot: bool = True,
    legacy_sandbox: bool = False,
    several: bool = False,
) -> Decorator[Any]:
    """--demo, --scenario, --url and (unless `snapshot` is False) --snapshot, as `sources`."""
    each = " Repeatable: one organisation each." if several else ""
    options: list[Decorator[Any]] = [
        click.option("--demo", is_flag=True, help="The bundled demo organisation (sandbox)."),
        click.option(
            "--scenario",
            "scenarios",
            multiple=True,
            metavar="FILE",
            type=click.Path(path_type=Path),
            help=scenario_help,
        ),
    ]
    if legacy_sandbox:
        options.append(
            click.option(
                "--sandbox",
                "old_scenarios",
                multiple=True,
                hidden=True,
                type=click.Path(path_type=Path),
            )
        )
    options.append(
        click.option(
            "--url",
            "urls",
            multiple=True,
            metavar="URL",
            help=f"A sandbox served by `troubleshooter sandbox start`, at this URL.{each}",
        )
    )
    if snapshot:
        options.append(
            click.option(
                "--snapshot",
                "snapshots",
                multiple=True,
                metavar="FILE",
                type=click.Path(dir_okay=False, path_type=Path),
                help=f"A bundle made by `troubleshooter collect`, instead of live systems.{each}",
            )
        )

    options.append(
        click.option(
            "--no-cache",
            "no_cache",
            is_flag=True,
            help="Read Xero's lists whole and keep nothing (by default they are kept, and a "
            "repeat asks Xero only for what changed).",
        )
    )

    def build(
        demo: bool,
        scenarios: tuple[Path, ...],
        urls: tuple[str, ...],
        snapshots: tuple[Path, ...] = (),
        old_scenarios: tuple[Path, ...] = (),
        no_cache: bool = False,
    ) -> SourceArgs:
        flag = "--sandbox" if old_scenarios and not scenarios else "--scenario"
        return SourceArgs(demo, scenarios + old_scenarios, urls, snapshots, flag, not no_cache)

    return _gathered("sources", options, build)  # type: ignore[no-any-return]


# Answers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerArgs:
    """Answers to the diagnosis's questions, from --answer and --answers."""

    args: tuple[str, ...] = ()
    file: Path | None = None

    def named(self) -> list[str]:
        return [name for name, v in (("--answer", self.args), ("--answers", self.file)) if v]

    def load(self) -> dict[str, str]:
        """The answers, the file's first and --answer's over them."""
        answers = load_answers_file(self.file) if self.file is not None else {}
        return answers | parse_answer_args(self.args)

    def forward(self) -> list[str]:
        args = [a for answer in self.args for a in ("--answer", answer)]
        return args + (["--answers", str(self.file.resolve())] if self.file else [])


def answer_options(func: F) -> F:
    """--answer ID=VALUE (repeatable) and --answers FILE, as `answers`."""
    options: list[Decorator[Any]] = [
        click.option(
            "--answer",
            "answer_args",
            multiple=True,
            metavar="ID=VALUE",
            help="Answer one of the diagnosis's questions; VALUE @FILE reads a pasted list "
            "from FILE. Repeatable.",
        ),
        click.option(
            "--answers",
            "answers_file",
            metavar="FILE",
            type=click.Path(dir_okay=False, path_type=Path),
            help="A YAML file mapping question ids to answers.",
        ),
    ]

    def build(answer_args: tuple[str, ...], answers_file: Path | None) -> AnswerArgs:
        return AnswerArgs(answer_args, answers_file)

    return _gathered("answers", options, build)(func)  # type: ignore[no-any-return]


# Rules and knowledge ---------------------------------------------------------------------------


def rules_option(func: F) -> F:
    return click.option(
        "--rules",
        "rules_dirs",
        multiple=True,
        metavar="DIR",
        type=click.Path(file_okay=False, path_type=Path),
        help="A rules folder to use instead of the bundled one. Repeatable.",
    )(func)


def knowledge_option(func: F) -> F:
    return click.option(
        "--knowledge",
        "knowledge_dirs",
        multiple=True,
        metavar="DIR",
        type=click.Path(file_okay=False, path_type=Path),
        help="A knowledge folder to use instead of the bundled one. Repeatable.",
    )(func)


@dataclass(frozen=True)
class LibraryArgs:
    """Whose rules and articles: the bundled ones, or the folders given."""

    rules_dirs: tuple[Path, ...] = ()
    knowledge_dirs: tuple[Path, ...] = ()

    def load(self) -> Library:
        return Library.load(self.rules_dirs or None, self.knowledge_dirs or None)

    def forward(self) -> list[str]:
        args = [a for p in self.rules_dirs for a in ("--rules", str(p.resolve()))]
        return args + [a for p in self.knowledge_dirs for a in ("--knowledge", str(p.resolve()))]


def library_options(func: F) -> F:
    """--rules DIR and --knowledge DIR (both repeatable), as `library`."""
    return _gathered("library", [rules_option, knowledge_option], LibraryArgs)(func)  # type: ignore[no-any-return]


# What is written -------------------------------------------------------------------------------


def contact_details_option(where: str) -> Decorator[Any]:
    return click.option(
        "--include-contact-details",
        "contact_details",
        is_flag=True,
        help=f"Keep contacts' emails and phone numbers in {where} (removed by default).",
    )


def output_options(func: F) -> F:
    """--output/-o FILE and --format."""
    func = click.option(
        "--output",
        "-o",
        default="-",
        metavar="FILE",
        callback=check_output,
        help='Write to FILE ("-": standard output, the default).',
    )(func)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="text for a terminal, md for a ticket, html to send, json for machines "
        "(default: from the --output suffix, else text).",
    )(func)


def conflict(*options: str, why: str) -> click.UsageError:
    """A usage error about options that do not go together, naming each."""
    names = f"{', '.join(options[:-1])} and {options[-1]}" if len(options) > 1 else options[0]
    return click.UsageError(f"{names} do not go together: {why}")
