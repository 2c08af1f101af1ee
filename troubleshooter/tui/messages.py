"""Messages the workers post back to the app."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from troubleshooter.model import Diagnosis, Stage


@dataclass
class SystemProgress(Message):
    """One system's fetch moved on ("fetching", "done", "failed: …")."""

    stage: Stage
    text: str


@dataclass
class DiagnosisReady(Message):
    diagnosis: Diagnosis


@dataclass
class CheckFailed(Message):
    """The check could not finish at all (not one system failing: that is a diagnosis too)."""

    reason: str
