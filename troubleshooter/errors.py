"""The project's exceptions. Each carries a message meant for a person, with no secrets in it."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum


class ExitCode(IntEnum):
    """What `troubleshooter` exits with; `meaning` says what each code means, in the one place
    it is written (the README's table is tested against it)."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    INCOMPLETE = 3
    INTERRUPTED = 130

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "nothing wrong: everything that should reach Dext has reached it",
    ExitCode.FINDINGS: "findings: something stopped on the way from Xero to Dext",
    ExitCode.USAGE: "usage or configuration error (a bad scenario, rules or answers file is "
    "named with its line)",
    ExitCode.INCOMPLETE: "the diagnosis is incomplete: a system could not be reached or only "
    "partly read, or nothing was found while questions remain open",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}


class TroubleshooterError(Exception):
    """Base class: a problem the user can act on. `str(exc)` is the message to show."""

    exit_code = ExitCode.USAGE


class ScenarioError(TroubleshooterError):
    """A scenario file that cannot be read or does not fit the format."""


class RuleLoadError(TroubleshooterError):
    """A rule, action or knowledge file that does not fit its format. `problems` holds every
    problem found ("file:line: what"), so that a person can fix them all in one go."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems) or [message]

    @classmethod
    def listing(cls, problems: Sequence[str], where: str = "the rules") -> RuleLoadError:
        """One error for all the problems: the problem itself when there is one."""
        if len(problems) == 1:
            return cls(problems[0])
        listed = "\n".join(f"  {problem}" for problem in problems)
        return cls(f"{len(problems)} problems in {where}:\n{listed}", problems)


class ConfigError(TroubleshooterError):
    """Missing or wrong settings."""


class SourceError(TroubleshooterError):
    """A system could not be reached or answered in a way we cannot use."""

    exit_code = ExitCode.INCOMPLETE

    def __init__(self, system: str, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system
        self.reason = message
        self.status = status
