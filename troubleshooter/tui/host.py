"""What the screens and the command palette need of the app, as a Protocol: they type against
it instead of importing the app, so that the app imports them and nothing imports it back."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from troubleshooter.model import Diagnosis
from troubleshooter.runs.session import Session


@runtime_checkable
class Host(Protocol):
    session: Session
    diagnosis: Diagnosis | None

    def apply_answers(self, answers: dict[str, str]) -> None: ...

    def action_recheck(self) -> None: ...

    def action_find(self) -> None: ...

    def action_questions(self) -> None: ...

    def action_knowledge(self, article_id: str | None = None) -> None: ...

    def action_export(self) -> None: ...

    def switch_organisation(self, index: int) -> None: ...
