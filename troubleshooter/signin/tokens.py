"""Where sign-ins are kept: the OS keyring where one works, else a file only the user can read.

A token set is stored whole (access token, refresh token, expiry, scope) and replaced whole on
every refresh: Xero hands out a new refresh token each time, and the old one stops working.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from troubleshooter.errors import ConfigError
from troubleshooter.infra.files import PRIVATE_FILE, private_folder
from troubleshooter.infra.jsonfile import read_json, write_private_json
from troubleshooter.infra.years import Moment
from troubleshooter.signin.settings import data_path
from troubleshooter.wording import plural

SERVICE = "troubleshooter"
MAX_STORE = 1024 * 1024  # a token store holds two sign-ins: a few kilobytes
Warn = Callable[[str], None]


class TokenSet(BaseModel):
    """One sign-in. Tokens are SecretStr: they never show in a repr, a log or an error."""

    model_config = ConfigDict(extra="ignore")

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_at: Moment  # with its zone: a naive time cannot be compared with now
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
    """A JSON file readable and writable by its owner only (0600), replaced atomically, in a
    folder only its owner can enter (0700).

    A store that is a symbolic link is refused, read or written: a link planted there would
    send the tokens elsewhere, or leave them in the link's target after `disconnect`. So is a
    store with another name (a hard link): the tokens would stay under that name. A store
    that others can read is read, made private (0600), and `warn` is told once.
    """

    kind = "file"

    def __init__(self, path: Path | None = None, *, warn: Warn | None = None) -> None:
        self.path = path or data_path() / "tokens.json"
        self.warnings: list[str] = []  # what `warn` was told (or would have been)
        self._warn = warn

    def _read(self) -> dict[str, Any]:
        if self.path.is_symlink():
            raise ConfigError(
                f"{self.path}: the token store is a symbolic link; refusing to read or write "
                "tokens through it (remove the link, then sign in again)"
            )
        if not self.path.exists():
            return {}
        self._keep_private()
        data = read_json(self.path, limit=MAX_STORE)  # a ConfigError names the file
        return data if isinstance(data, dict) else {}

    def _keep_private(self) -> None:
        """Makes a store others can read private again, and says so once."""
        info = self.path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{self.path}: the token store is not a file")
        if info.st_nlink > 1:
            # Another name for the same file (a hard link) keeps the tokens after `disconnect`
            # rewrites this one, and making this one private would change that one too.
            others = plural(info.st_nlink - 1, "other name")
            raise ConfigError(
                f"{self.path}: the token store has {others} (a hard link); refusing to read or "
                "write tokens through it, as they would stay under the other name after you "
                f"disconnect (find it with `find / -samefile {self.path}`, remove it, then "
                "sign in again)"
            )
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077 and os.name == "posix":
            try:
                self.path.chmod(PRIVATE_FILE)
                done = "it is now readable by you only (0600)"
            except OSError as exc:
                done = f"it could not be made private ({exc.strerror})"
            self._say(
                f"{self.path} could be read by other users (mode {mode:04o}); {done}. If others "
                "use this computer, sign in again to replace the tokens."
            )
        with contextlib.suppress(OSError):
            folder = self.path.parent
            if os.name == "posix" and stat.S_IMODE(folder.stat().st_mode) & 0o077:
                private_folder(folder)

    def _say(self, message: str) -> None:
        if message in self.warnings:
            return
        self.warnings.append(message)
        if self._warn is not None:
            self._warn(message)

    def _write(self, data: dict[str, Any]) -> None:
        write_private_json(self.path, data)

    def load(self, name: str) -> TokenSet | None:
        raw = self._read().get(name)
        if raw is None:
            return None
        try:
            return TokenSet.model_validate(raw)
        except ValidationError as exc:
            fields = sorted({".".join(map(str, e["loc"])) or "the entry" for e in exc.errors()})
            self._say(
                f"{self.path}: the {name} sign-in cannot be used ({', '.join(fields)[:80]} not "
                f"as expected); sign in again (troubleshooter connect {name})"
            )
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


def default_store(warn: Warn | None = None) -> TokenStore:
    """The keyring when a real backend answers; the file otherwise (servers, containers, CI).
    `TROUBLESHOOTER_TOKEN_STORE=file` or `=keyring` chooses. `warn` hears what a person
    should know about the file store (it was readable by others, and is fixed now)."""
    wanted = os.environ.get("TROUBLESHOOTER_TOKEN_STORE", "").strip().lower()
    if wanted == "file":
        return FileStore(warn=warn)
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
    return FileStore(warn=warn)
