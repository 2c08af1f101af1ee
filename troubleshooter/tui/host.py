"""What the screens and the command palette need of the app, as a Protocol: they type against
it instead of importing the app, so that the app imports them and nothing imports it back."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from troubleshooter.model import Diagnosis
from troubleshooter.runs.session import Session


@runtime_checkable
class Host(Protocol):
    session: Session
    diagnosis: Diagnosis | None
    drafts: dict[str, str]  # answers typed on the questions screen and kept for later
    export_folder: Path

    @property
    def is_web(self) -> bool: ...

    def apply_answers(self, answers: dict[str, str]) -> None: ...

    def copy_markdown(self, text: str, what: str) -> None: ...

    def copy_item(self, key: str) -> None: ...

    def secrets_shown(self) -> list[str]: ...

    def open_item(self, key: str) -> None: ...

    def switch_organisation(self, index: int) -> None: ...

    def action_recheck(self) -> None: ...

    def action_find(self) -> None: ...

    def action_plan(self) -> None: ...

    def action_questions(self, focus: str | None = None) -> None: ...

    def action_knowledge(self, article_id: str | None = None) -> None: ...

    def action_export(self) -> None: ...

    def action_organisation(self) -> None: ...
