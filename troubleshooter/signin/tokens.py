"""Where sign-ins are kept: the OS keyring where one works, else a file only the user can read.

A token set is stored whole (access token, refresh token, expiry, scope) and replaced whole on
every refresh: Xero hands out a new refresh token each time, and the old one stops working.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from troubleshooter.errors import ConfigError
from troubleshooter.infra.jsonfile import write_private_json
from troubleshooter.signin.settings import data_path

SERVICE = "troubleshooter"


class TokenSet(BaseModel):
    """One sign-in. Tokens are SecretStr: they never show in a repr, a log or an error."""

    model_config = ConfigDict(extra="ignore")

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_at: datetime
    scope: str | None = None
    token_type: str = "Bearer"
    tenant_id: str | None = None
    organisation: str | None = None

    @classmethod
    def from_response(cls, body: dict[str, Any], now: datetime | None = None) -> TokenSet:
        """From an OAuth token response (`access_token`, `expires_in`, `refresh_token`, …)."""
        now = now or datetime.now(UTC)
        return cls(
            access_token=SecretStr(str(body["access_token"])),
            refresh_token=SecretStr(str(body["refresh_token"]))
            if body.get("refresh_token")
            else None,
            expires_at=now + timedelta(seconds=int(body.get("expires_in", 1800))),
            scope=body.get("scope"),
            token_type=str(body.get("token_type", "Bearer")),
        )

    def expires_within(self, seconds: float, now: datetime | None = None) -> bool:
        return self.expires_at - (now or datetime.now(UTC)) <= timedelta(seconds=seconds)

    def stored(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["access_token"] = self.access_token.get_secret_value()
        data["refresh_token"] = (
            self.refresh_token.get_secret_value() if self.refresh_token else None
        )
        return data


class TokenStore(Protocol):
    kind: str

    def load(self, name: str) -> TokenSet | None: ...

    def save(self, name: str, tokens: TokenSet) -> None: ...

    def delete(self, name: str) -> None: ...


class FileStore:
    """A JSON file readable and writable by its owner only (0600), replaced atomically."""

    kind = "file"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_path() / "tokens.json"

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"{self.path}: the token store cannot be read ({exc.__class__.__name__})"
            ) from None
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, Any]) -> None:
        write_private_json(self.path, data)

    def load(self, name: str) -> TokenSet | None:
        raw = self._read().get(name)
        if raw is None:
            return None
        try:
            return TokenSet.model_validate(raw)
        except ValidationError:
            return None

    def save(self, name: str, tokens: TokenSet) -> None:
        data = self._read()
        data[name] = tokens.stored()
        self._write(data)

    def delete(self, name: str) -> None:
        data = self._read()
        if data.pop(name, None) is not None:
            self._write(data)


class KeyringStore:
    """The OS keyring (Keychain, Secret Service, Windows Credential Locker)."""

    kind = "keyring"

    def __init__(self) -> None:
        import keyring

        self._keyring = keyring

    def load(self, name: str) -> TokenSet | None:
        raw = self._keyring.get_password(SERVICE, name)
        if raw is None:
            return None
        try:
            return TokenSet.model_validate(json.loads(raw))
        except (ValueError, ValidationError):
            return None

    def save(self, name: str, tokens: TokenSet) -> None:
        self._keyring.set_password(SERVICE, name, json.dumps(tokens.stored()))

    def delete(self, name: str) -> None:
        with contextlib.suppress(self._keyring.errors.PasswordDeleteError):
            self._keyring.delete_password(SERVICE, name)


def default_store() -> TokenStore:
    """The keyring when a real backend answers; the file otherwise (servers, containers, CI).
    `TROUBLESHOOTER_TOKEN_STORE=file` or `=keyring` chooses."""
    wanted = os.environ.get("TROUBLESHOOTER_TOKEN_STORE", "").strip().lower()
    if wanted == "file":
        return FileStore()
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        usable = not isinstance(backend, fail.Keyring) and backend.priority > 0
    except Exception:
        usable = False
    if usable:
        return KeyringStore()
    if wanted == "keyring":
        raise ConfigError("TROUBLESHOOTER_TOKEN_STORE=keyring, but no keyring backend works here")
    return FileStore()
