"""Messages the workers post back to the app."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from troubleshooter.model import Diagnosis, Stage


@dataclass
class SystemProgress(Message):
    """One system's read moved on: `state` is "reading", "done" or "failed"; `text` says how
    it goes in a person's words ("contacts, page 12 of 50"), or why it failed."""

    stage: Stage
    state: str
    text: str


@dataclass
class Diagnosing(Message):
    """Every system is read; the diagnosis is being made."""


@dataclass
class DiagnosisReady(Message):
    diagnosis: Diagnosis


@dataclass
class CheckFailed(Message):
    """The check could not finish at all (not one system failing: that is a diagnosis too)."""

    reason: str
