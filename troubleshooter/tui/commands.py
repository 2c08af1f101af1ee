"""The command palette (ctrl+p): what makes sense now. Names of organisations and articles
are data: they are shown as literal text, and matched without ever being read as markup."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from troubleshooter.infra.safetext import visible
from troubleshooter.tui.host import Host

Command = tuple[str, Callable[[], object], str]


class TroubleshooterCommands(Provider):
    def _commands(self) -> list[Command]:
        app = self.app
        assert isinstance(app, Host)
        commands: list[Command] = []
        if app.diagnosis is not None:
            commands += [
                ("Export report…", app.action_export, "Save or download the report"),
                ("The plan", app.action_plan, "What to do, in order, and copy it (y)"),
            ]
        commands += [
            ("Check again", app.action_recheck, "Read the three systems again and diagnose"),
            ("Find an item…", app.action_find, "What can't you find in Dext?"),
            ("Knowledge articles", app.action_knowledge, "Browse and search the articles"),
        ]
        if app.diagnosis is not None:
            if app.diagnosis.questions:
                commands.append(
                    ("Answer questions…", app.action_questions, "Settle what the tool cannot see")
                )
            for article in app.diagnosis.articles:
                commands.append(
                    (
                        f"Open article: {article.title}",
                        partial(app.action_knowledge, article.id),
                        article.excerpt[:80],
                    )
                )
        sources = app.session.sources
        if len(sources) > 1:
            commands.append(
                ("Switch organisation…", app.action_organisation, "Choose another organisation")
            )
            for index, source in enumerate(sources):
                if index != app.session.current:
                    commands.append(
                        (
                            f"Switch organisation: {source.label}",
                            partial(app.switch_organisation, index),
                            "Diagnose another organisation",
                        )
                    )
        return [(visible(name), run, visible(help_text)) for name, run, help_text in commands]

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(Text(name), callback, text=name, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score, offsets = matcher.fuzzy_search.match(matcher.query, name)
            if score > 0:
                shown = Text(name)
                for offset in offsets:
                    shown.stylize("reverse", offset, offset + 1)
                yield Hit(score, shown, callback, text=name, help=escape(help_text))
