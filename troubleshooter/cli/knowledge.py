"""`knowledge …`: the knowledge articles, listed, searched, read."""

from __future__ import annotations

from pathlib import Path

import click

from troubleshooter.cli.options import knowledge_option
from troubleshooter.cli.output import finish, say
from troubleshooter.diagnosis.knowledge import KnowledgeBase, load_knowledge
from troubleshooter.errors import ConfigError, ExitCode
from troubleshooter.infra.resources import data_dir
from troubleshooter.infra.safetext import visible, visible_lines


def _articles(knowledge_dirs: tuple[Path, ...]) -> KnowledgeBase:
    return load_knowledge(list(knowledge_dirs) or [data_dir("knowledge")])


@click.group()
def knowledge() -> None:
    """The knowledge articles: list, search, read."""


@knowledge.command("list")
@knowledge_option
def knowledge_list(knowledge_dirs: tuple[Path, ...]) -> None:
    """List the articles."""
    for article in _articles(knowledge_dirs):
        click.echo(visible(f"{article.id:<45} {article.title}"))


@knowledge.command("search")
@click.argument("words", nargs=-1, required=True)
@knowledge_option
def knowledge_search(words: tuple[str, ...], knowledge_dirs: tuple[Path, ...]) -> None:
    """Find the articles about some words, best first."""
    hits = _articles(knowledge_dirs).search(" ".join(words))
    if not hits:
        say("no article mentions that")
        finish(ExitCode.FINDINGS)
    for article, _score in hits:
        click.echo(visible(f"{article.id:<45} {article.title}"))
        click.echo(visible(f"    {article.excerpt(160)}"))


@knowledge.command("show")
@click.argument("article_id")
@knowledge_option
def knowledge_show(article_id: str, knowledge_dirs: tuple[Path, ...]) -> None:
    """Print one article (Markdown)."""
    article = _articles(knowledge_dirs).get(article_id)
    if article is None:
        raise ConfigError(f"no article {article_id!r}; `troubleshooter knowledge list` lists them")
    click.echo(visible_lines(article.body), nl=False)
    click.echo()
    click.echo(visible("Sources: " + ", ".join(article.meta.source)))
