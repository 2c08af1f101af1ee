"""Where a client's bearer token comes from: a fixed one (adapters, the sandbox), or a signed-in
session that refreshes itself before it expires and once more when the server says it has."""

from __future__ import annotations

from typing import Protocol


class Auth(Protocol):
    """Gives the Authorization header; may renew the token once the server refused it."""

    async def header(self) -> str: ...

    async def renew(self) -> bool:
        """Gets a new token after a 401; False when it cannot (nothing to refresh with)."""
        ...

    def secrets(self) -> list[str]:
        """The values redaction must cut out of anything that leaves."""
        ...


class StaticAuth:
    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticAuth(token=***)"

    async def header(self) -> str:
        return f"Bearer {self._token}"

    async def renew(self) -> bool:
        return False

    def secrets(self) -> list[str]:
        return [self._token]
