"""`answers`: the answers kept per organisation, listed and cleared."""

from __future__ import annotations

import click

from troubleshooter.infra.safetext import visible
from troubleshooter.runs.answerstore import default_store
from troubleshooter.wording import plural, when


@click.group("answers")
def answers() -> None:
    """The answers kept from earlier runs, per organisation (used again until cleared)."""


@answers.command("list")
def answers_list() -> None:
    """List the organisations with kept answers, and the answers."""
    kept = default_store().all()
    if not kept:
        click.echo("No answers are kept.")
        return
    for entry in kept:
        saved = f", saved {when(entry.saved_at)}" if entry.saved_at else ""
        click.echo(visible(f"{entry.organisation}: {plural(len(entry.answers), 'answer')}{saved}"))
        for qid, value in entry.answers.items():
            first = value.strip().splitlines()[0] if value.strip() else ""
            more = " …" if "\n" in value.strip() else ""
            click.echo(visible(f"  {qid} = {first[:60]}{more}"))


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
