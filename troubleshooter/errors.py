"""The project's exceptions. Each carries a message meant for a person, with no secrets in it."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What `troubleshooter` exits with (documented in the README)."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    UNREACHABLE = 3
    INTERRUPTED = 130


class TroubleshooterError(Exception):
    """Base class: a problem the user can act on. `str(exc)` is the message to show."""

    exit_code = ExitCode.USAGE


class ScenarioError(TroubleshooterError):
    """A scenario file that cannot be read or does not fit the format."""


class RuleLoadError(TroubleshooterError):
    """A rule, action or knowledge file that does not fit its format."""


class ConfigError(TroubleshooterError):
    """Missing or wrong settings."""


class SourceError(TroubleshooterError):
    """A system could not be reached or answered in a way we cannot use."""

    exit_code = ExitCode.UNREACHABLE

    def __init__(self, system: str, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system
        self.reason = message
        self.status = status
