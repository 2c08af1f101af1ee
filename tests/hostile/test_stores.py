"""The token store and the data folder on a shared machine: folders and files only their owner
can enter or read, no link planted beside or in place of the store is ever followed, a store
others could read is fixed with a warning, and `disconnect` revokes the sign-in at Xero."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import free_port
from test_live import BASE, Browser, sandbox_settings

from troubleshooter.errors import ConfigError, SourceError
from troubleshooter.infra import aio, files
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import SandboxTransport
from troubleshooter.sandbox.scenario import Scenario
from troubleshooter.signin.live import disconnect, sign_in_xero
from troubleshooter.signin.oauth import OAuthAuth
from troubleshooter.signin.settings import Settings
from troubleshooter.signin.tokens import FileStore, TokenSet
from troubleshooter.sources.cache import CacheEntry, FetchCache

SECRET = "refresh-token-that-must-stay-put"


def tokens(refresh: str = SECRET) -> TokenSet:
    return TokenSet.model_validate(
        {
            "access_token": "access-token-value",
            "refresh_token": refresh,
            "expires_at": datetime(2026, 11, 25, 10, tzinfo=UTC),
        }
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask (022), under which plain mkdir makes folders others can list."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("loose_umask")
def test_data_and_cache_folders_are_private(tmp_path: Path) -> None:
    data = tmp_path / "home" / "data"
    FileStore(data / "tokens.json").save("xero", tokens())
    cache = FetchCache(data / "cache")
    cache.save(
        "tenant-1", "Contacts", CacheEntry(server_time=datetime(2026, 11, 25, tzinfo=UTC), rows=[])
    )
    entry = cache._path("tenant-1", "Contacts")  # cache/<tenant>-<digest of Xero's URL>/…
    for folder in (tmp_path / "home", data, data / "cache", entry.parent):
        assert mode(folder) == 0o700, folder
    for file in (data / "tokens.json", entry):
        assert mode(file) == 0o600, file


@pytest.mark.usefixtures("loose_umask")
def test_a_data_folder_others_can_list_is_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    store = FileStore(data / "tokens.json")
    store.save("xero", tokens())
    assert mode(data) == 0o700


def test_a_planted_partial_link_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoever guesses the temporary name and plants a link there gets a refusal, not the
    tokens: the name is created with O_EXCL|O_NOFOLLOW."""
    victim = tmp_path / "victim.txt"
    victim.write_text("the victim's own file\n", encoding="utf-8")
    store = FileStore(tmp_path / "data" / "tokens.json")
    store.path.parent.mkdir(mode=0o700)
    monkeypatch.setattr(files.secrets, "token_hex", lambda n: "guessed0")
    planted = store.path.with_name(f".tokens.json.{os.getpid()}.guessed0.partial")
    planted.symlink_to(victim)
    old_style = store.path.with_name(".tokens.json.partial")  # the name every writer used to share
    old_style.symlink_to(victim)
    with pytest.raises(ConfigError, match="cannot write"):
        store.save("xero", tokens())
    assert victim.read_text(encoding="utf-8") == "the victim's own file\n"
    assert not store.path.exists() and planted.is_symlink()
    monkeypatch.undo()
    store.save("xero", tokens())  # a name nobody could guess: written, the old link ignored
    assert victim.read_text(encoding="utf-8") == "the victim's own file\n"
    assert store.load("xero") is not None and old_style.is_symlink()


def test_a_token_store_that_is_a_link_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    FileStore(target).save("xero", tokens())
    before = target.read_bytes()
    link = tmp_path / "data" / "tokens.json"
    link.parent.mkdir()
    link.symlink_to(target)
    store = FileStore(link)
    for attempt in (
        lambda: store.load("xero"),
        lambda: store.save("xero", tokens("another")),
        lambda: store.delete("xero"),
    ):
        with pytest.raises(ConfigError, match="symbolic link"):
            attempt()
    assert link.is_symlink() and target.read_bytes() == before


def test_disconnect_through_a_linked_store_sends_and_deletes_nothing(
    tmp_path: Path, demo: Scenario
) -> None:
    sandbox = Sandbox(demo)
    target = tmp_path / "elsewhere.json"
    FileStore(target).save("xero", tokens())
    link = tmp_path / "tokens.json"
    link.symlink_to(target)
    settings = sandbox_settings(free_port())
    with pytest.raises(ConfigError, match="symbolic link"):
        aio.run(disconnect("xero", settings, FileStore(link), SandboxTransport(sandbox)))
    assert SECRET in target.read_text(encoding="utf-8") and link.is_symlink()
    assert not sandbox.log.requests


def test_a_token_store_with_another_name_is_refused(tmp_path: Path) -> None:
    """A hard link keeps the tokens after `disconnect` rewrites the store (attack review, item
    13), and making the store private would change the other name's permissions too."""
    path = tmp_path / "data" / "tokens.json"
    FileStore(path).save("xero", tokens())
    path.chmod(0o644)
    other = tmp_path / "other.json"
    os.link(path, other)
    store = FileStore(path)
    for attempt in (
        lambda: store.load("xero"),
        lambda: store.save("xero", tokens("another")),
        lambda: store.delete("xero"),
    ):
        with pytest.raises(ConfigError, match="has 1 other name \\(a hard link\\)"):
            attempt()
    assert SECRET in other.read_text(encoding="utf-8")
    assert stat.S_IMODE(other.stat().st_mode) == 0o644  # not changed through the link
    assert os.stat(path).st_ino == os.stat(other).st_ino  # nothing written through it


def test_disconnect_with_a_hard_linked_store_keeps_nothing_hidden(
    tmp_path: Path, demo: Scenario
) -> None:
    sandbox = Sandbox(demo)
    path = tmp_path / "tokens.json"
    FileStore(path).save("xero", tokens())
    os.link(path, tmp_path / "copy.json")
    settings = sandbox_settings(free_port())
    with pytest.raises(ConfigError, match="hard link"):
        aio.run(disconnect("xero", settings, FileStore(path), SandboxTransport(sandbox)))
    assert not sandbox.log.requests


def test_a_token_file_others_can_read_is_fixed_with_one_warning(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    FileStore(path).save("xero", tokens())
    path.chmod(0o644)
    heard: list[str] = []
    store = FileStore(path, warn=heard.append)
    assert store.load("xero") is not None
    assert store.load("xero") is not None  # read again: no second warning
    assert mode(path) == 0o600
    assert len(heard) == 1 and "0644" in heard[0] and "0600" in heard[0]
    assert SECRET not in heard[0]
    path.chmod(0o640)  # loosened again later in the same run: said again
    store.load("xero")
    assert len(heard) == 2 and "0640" in heard[1]


def test_a_private_token_file_is_read_without_a_word(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    FileStore(path).save("xero", tokens())
    heard: list[str] = []
    assert FileStore(path, warn=heard.append).load("xero") is not None
    assert heard == []


# --- disconnect ------------------------------------------------------------------------------


def revocable(port: int) -> Settings:
    settings = sandbox_settings(port)
    settings.xero.revocation_url = f"{BASE}/identity/xero/connect/revocation"
    return settings


def signed_in_xero(tmp_path: Path, demo: Scenario) -> tuple[Sandbox, Settings, FileStore]:
    sandbox = Sandbox(demo, require_sign_in=True)
    settings = revocable(free_port())
    store = FileStore(tmp_path / "tokens.json")
    aio.run(
        sign_in_xero(
            settings,
            store,
            Browser(sandbox),
            lambda orgs: orgs[0],
            transport=SandboxTransport(sandbox),
        )
    )
    return sandbox, settings, store


def test_disconnect_revokes_the_refresh_token_at_xero(tmp_path: Path, demo: Scenario) -> None:
    sandbox, settings, store = signed_in_xero(tmp_path, demo)
    signed = store.load("xero")
    assert signed is not None and signed.refresh_token is not None
    refresh = signed.refresh_token.get_secret_value()
    access = signed.access_token.get_secret_value()
    assert sandbox.identity.valid(access)
    done = aio.run(disconnect("xero", settings, store, SandboxTransport(sandbox)))
    assert done.forgotten and done.revoked is True
    assert "revoked" in done.message and refresh not in done.message
    assert sandbox.identity.revoked == [refresh]
    assert not sandbox.identity.valid(access)  # what was issued with it ends with it
    assert store.load("xero") is None
    # the revocation is an OAuth token call: form-encoded, to the identity service only
    posts = [r for r in sandbox.log.requests if r.method != "GET"]
    assert [r.path for r in posts][-1] == "/identity/xero/connect/revocation"
    assert all(r.path.startswith("/identity/xero/connect/") for r in posts)
    # the old refresh token no longer renews anything
    auth = OAuthAuth(
        system="Xero",
        name="xero",
        store=_holding(tmp_path / "old.json", signed),
        token_url=settings.xero.token_url,
        client_id="sandbox-xero-app",
        transport=SandboxTransport(sandbox),
    )
    with pytest.raises(SourceError, match="invalid_grant"):
        aio.run(auth.renew())


def _holding(path: Path, tokens: TokenSet) -> FileStore:
    store = FileStore(path)
    store.save("xero", tokens)
    return store


def test_disconnect_forgets_even_when_xero_cannot_revoke(tmp_path: Path, demo: Scenario) -> None:
    sandbox, settings, store = signed_in_xero(tmp_path, demo)
    settings.xero.revocation_url = f"{BASE}/identity/xero/connect/nowhere"  # answers 404
    signed = store.load("xero")
    assert signed is not None and signed.refresh_token is not None
    done = aio.run(disconnect("xero", settings, store, SandboxTransport(sandbox)))
    assert done.forgotten and done.revoked is False
    assert "could not be revoked" in done.message and "60 days" in done.message
    assert signed.refresh_token.get_secret_value() not in done.message
    assert store.load("xero") is None


def test_disconnect_approvalmax_says_it_cannot_revoke(tmp_path: Path, demo: Scenario) -> None:
    store = FileStore(tmp_path / "tokens.json")
    store.save("approvalmax", tokens())
    sandbox = Sandbox(demo)
    done = aio.run(
        disconnect("approvalmax", sandbox_settings(free_port()), store, SandboxTransport(sandbox))
    )
    assert done.forgotten and done.revoked is None and "documents no way" in done.message
    assert store.load("approvalmax") is None and not sandbox.log.requests


def test_disconnect_when_not_signed_in(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "tokens.json")
    done = aio.run(disconnect("xero", sandbox_settings(free_port()), store))
    assert not done.forgotten and "not signed in" in done.message


def test_an_expired_token_set_is_still_revoked(tmp_path: Path, demo: Scenario) -> None:
    """Revocation is about the refresh token; an access token long expired changes nothing."""
    sandbox, settings, store = signed_in_xero(tmp_path, demo)
    signed = store.load("xero")
    assert signed is not None
    store.save("xero", signed.model_copy(update={"expires_at": signed.expires_at - timedelta(1)}))
    done = aio.run(disconnect("xero", settings, store, SandboxTransport(sandbox)))
    assert done.revoked is True
