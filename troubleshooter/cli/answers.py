"""`answers`: the answers kept per organisation, listed and cleared."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from troubleshooter.diagnosis.answers import option_words
from troubleshooter.diagnosis.ruleset import load_rules
from troubleshooter.infra.resources import data_dir
from troubleshooter.infra.safetext import visible
from troubleshooter.infra.timezones import local_zone, zone_from_label
from troubleshooter.runs.answerstore import default_store
from troubleshooter.wording import plural, when


@click.group("answers")
def answers() -> None:
    """The answers kept from earlier runs, per organisation (used again until cleared)."""


@answers.command("list")
def answers_list() -> None:
    """List the organisations with kept answers, and the answers: each as you typed it and,
    where the tool read it as something else, what it read it as."""
    kept = default_store().all()
    if not kept:
        click.echo("No answers are kept.")
        return
    here = local_zone().zone  # the file's time is this machine's clock
    specs = load_rules([data_dir("rules")]).questions
    for entry in kept:
        saved = f", saved {when(entry.saved_at, here)}" if entry.saved_at else ""
        source = entry.source.removeprefix(f"{entry.organisation} · ")
        shown = f" ({source})" if source and source != entry.organisation else ""
        count = plural(len(entry.answers), "answer")
        click.echo(visible(f"{entry.organisation}{shown}: {count}{saved}"))
        for qid, meant in entry.answers.items():
            typed = entry.typed.get(qid, meant)
            line = f"  {qid} = {_first_line(typed)}"
            if meant != typed:
                read_as = option_words(specs, qid, meant, entry.organisation)
                line += f" (read as {_read_as(read_as, entry.timezone)})"
            click.echo(visible(line))


def _first_line(text: str) -> str:
    """A pasted list as its first line, and that there is more."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    more = " …" if "\n" in text.strip() else ""
    return f"{first[:60]}{more}"


def _read_as(meant: str, timezone: str | None) -> str:
    """What an answer was read as: a moment in the zone it was read in, else the option."""
    try:
        moment = datetime.fromisoformat(meant)
    except ValueError:
        return _first_line(meant)
    if moment.tzinfo is None:
        return _first_line(meant)
    return when(moment, zone_from_label(timezone) or UTC)


@answers.command("clear")
@click.option("--organisation", metavar="NAME", help="Only this organisation's answers.")
def answers_clear(organisation: str | None) -> None:
    """Forget the kept answers (every organisation's, or one's)."""
    store = default_store()
    if organisation is None:
        count = store.clear()
    else:
        matching = [k for k in store.all() if k.organisation.casefold() == organisation.casefold()]
        count = sum(store.clear_key(k.key) for k in matching)
        if not matching:
            click.echo(visible(f"No answers are kept for {organisation}."))
            return
    click.echo(f"Forgot the answers kept for {plural(count, 'organisation')}.")
