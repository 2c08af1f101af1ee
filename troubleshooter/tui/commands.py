"""The command palette: what makes sense now."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from troubleshooter.tui.host import Host


class TroubleshooterCommands(Provider):
    def _commands(self) -> list[tuple[str, object, str]]:
        app = self.app
        assert isinstance(app, Host)
        commands: list[tuple[str, object, str]] = [
            ("Re-check", app.action_recheck, "Fetch the three systems again and diagnose"),
            ("Find an item…", app.action_find, "What can't you find in Dext?"),
            ("Knowledge articles", app.action_knowledge, "Browse and search the articles"),
        ]
        if app.diagnosis is not None:
            commands.insert(0, ("Export report…", app.action_export, "Save the report to a file"))
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
        for index, source in enumerate(app.session.sources):
            if index != app.session.current:
                commands.append(
                    (
                        f"Switch organisation: {source.label}",
                        partial(app.switch_organisation, index),
                        "Diagnose another organisation",
                    )
                )
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)  # type: ignore[arg-type]
