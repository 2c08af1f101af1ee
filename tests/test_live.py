"""Live connections, offline: the whole sign-in against the sandbox's identity service (the test
plays the browser), refresh, the token store, resilience against every kind of fault, and proof
that only GETs (plus OAuth token calls) are sent and no token leaks."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from pathlib import Path

import httpx
import pytest
from conftest import FAST, free_port, scenario

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.errors import ConfigError, SourceError
from troubleshooter.infra import aio
from troubleshooter.model import Mark, Provenance, Stage
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import IN_PROCESS_BASE, SandboxTransport, sandbox_connections
from troubleshooter.sandbox.identity import SANDBOX_CLIENT_SECRET
from troubleshooter.sandbox.scenario import Scenario
from troubleshooter.signin.live import live_connections, sign_in_approvalmax, sign_in_xero, status
from troubleshooter.signin.oauth import Pkce, read_callback, s256
from troubleshooter.signin.settings import Settings, load_settings
from troubleshooter.signin.tokens import FileStore
from troubleshooter.sources.fetch import fetch_snapshots
from troubleshooter.sources.http import HttpSettings

BASE = IN_PROCESS_BASE


def sandbox_settings(port: int) -> Settings:
    return Settings.model_validate(
        {
            "xero": {
                "client_id": "sandbox-xero-app",
                "redirect_port": port,
                "authorize_url": f"{BASE}/identity/xero/connect/authorize",
                "token_url": f"{BASE}/identity/xero/connect/token",
                "api_url": f"{BASE}/xero",
            },
            "approvalmax": {
                "client_id": "sandbox-am-app",
                "client_secret": SANDBOX_CLIENT_SECRET,
                "redirect_uri": "https://localhost/approvalmax-callback",
                "authorize_url": f"{BASE}/identity/approvalmax/connect/authorize",
                "token_url": f"{BASE}/identity/approvalmax/connect/token",
                "api_url": f"{BASE}/approvalmax",
            },
            "adapters": {
                "approvalmax": {"url": f"{BASE}/adapter/approvalmax", "token": "adapter-token-am"},
                "dext": {"url": f"{BASE}/adapter/dext", "token": "adapter-token-dext"},
            },
        }
    )


class Browser:
    """Plays the person's browser: follows the sign-in page's redirect to wherever it points
    (the listener on 127.0.0.1, or an HTTPS page whose address the person pastes)."""

    def __init__(self, sandbox: Sandbox, tamper_state: bool = False) -> None:
        self.transport = SandboxTransport(sandbox)
        self.tamper_state = tamper_state
        self.landed: str | None = None

    async def open(self, url: str) -> None:
        async with httpx.AsyncClient(transport=self.transport) as client:
            answer = await client.get(url)
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        if self.tamper_state:
            location = location.replace("state=", "state=forged")
        self.landed = location
        if location.startswith("http://localhost:"):
            async with httpx.AsyncClient() as client:
                page = await client.get(location.replace("localhost", "127.0.0.1", 1))
            assert page.status_code == 200 and "close this window" in page.text

    def __call__(self, url: str) -> asyncio.Task[None]:
        return asyncio.ensure_future(self.open(url))


def signed_in(tmp_path: Path, s: Scenario) -> tuple[Sandbox, Settings, FileStore]:
    sandbox = Sandbox(s, require_sign_in=True)
    settings = sandbox_settings(free_port())
    store = FileStore(tmp_path / "tokens.json")
    transport = SandboxTransport(sandbox)
    aio.run(
        sign_in_xero(settings, store, Browser(sandbox), lambda orgs: orgs[0], transport=transport)
    )
    browser = Browser(sandbox)

    async def approvalmax() -> None:
        await sign_in_approvalmax(
            settings, store, browser, lambda prompt: browser.landed or "", transport=transport
        )

    aio.run(approvalmax())
    return sandbox, settings, store


def test_pkce_pair_follows_rfc_7636() -> None:
    pair = Pkce.new()
    assert 43 <= len(pair.verifier) <= 128
    assert set(pair.verifier) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )
    # RFC 7636 appendix B's example
    assert (
        s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    assert "verifier" not in repr(pair) or pair.verifier not in repr(pair)


def test_sign_in_end_to_end_then_diagnose(tmp_path: Path, demo: Scenario, library: Library) -> None:
    sandbox, settings, store = signed_in(tmp_path, demo)
    xero = store.load("xero")
    assert xero is not None and xero.tenant_id == demo.tenant_id
    assert xero.organisation == demo.organisation.name and xero.refresh_token is not None
    am = store.load("approvalmax")
    assert am is not None and am.organisation == demo.organisation.name
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    assert mode == 0o600  # only the user can read the sign-ins
    connections = live_connections(settings, store, transport=SandboxTransport(sandbox))
    result = aio.run(diagnose(connections, library))
    assert result.summary.with_findings == 5 and not result.failed_systems
    lines = {line.name: line for line in status(settings, store)}
    assert lines["Xero"].connected and "valid for" in lines["Xero"].detail
    # read-only: GETs, plus the token calls of the sign-ins
    for request in sandbox.log.requests:
        assert request.method == "GET" or (
            request.method == "POST" and request.path.endswith("/connect/token")
        ), request


def test_an_expired_token_is_refreshed_once_and_the_new_one_kept(
    tmp_path: Path, demo: Scenario, library: Library
) -> None:
    sandbox, settings, store = signed_in(tmp_path, demo)
    before = store.load("xero")
    assert before is not None
    sandbox.identity.expire_all()  # half an hour later, as far as the server is concerned
    connections = live_connections(settings, store, transport=SandboxTransport(sandbox))
    result = aio.run(diagnose(connections, library))
    assert not result.failed_systems
    after = store.load("xero")
    assert after is not None and after.tenant_id == before.tenant_id
    assert after.access_token.get_secret_value() != before.access_token.get_secret_value()
    assert after.refresh_token != before.refresh_token  # rotated, and kept
    refreshes = [r for r in sandbox.log.requests if r.method == "POST" and "/xero/" in r.path]
    assert len(refreshes) == 2  # the sign-in's exchange, then exactly one refresh
    # The old refresh token is spent: using it again is refused, by name, without the token.
    from troubleshooter.signin.oauth import token_request

    assert before.refresh_token is not None
    with pytest.raises(SourceError) as caught:
        aio.run(
            token_request(
                settings.xero.token_url,
                {
                    "grant_type": "refresh_token",
                    "refresh_token": before.refresh_token.get_secret_value(),
                    "client_id": "sandbox-xero-app",
                },
                system="Xero",
                transport=SandboxTransport(sandbox),
            )
        )
    assert "invalid_grant" in str(caught.value)
    assert before.refresh_token.get_secret_value() not in str(caught.value)


def test_a_forged_state_is_refused(tmp_path: Path, demo: Scenario) -> None:
    sandbox = Sandbox(demo, require_sign_in=True)
    settings = sandbox_settings(free_port())
    store = FileStore(tmp_path / "tokens.json")
    with pytest.raises(ConfigError, match="state mismatch"):
        aio.run(
            sign_in_xero(
                settings,
                store,
                Browser(sandbox, tamper_state=True),
                lambda o: o[0],
                transport=SandboxTransport(sandbox),
            )
        )
    assert store.load("xero") is None


def test_the_verifier_is_checked(demo: Scenario) -> None:
    from troubleshooter.signin.oauth import SignIn

    sandbox = Sandbox(demo, require_sign_in=True)
    flow = SignIn(
        system="Xero",
        authorize=f"{BASE}/identity/xero/connect/authorize",
        token_url=f"{BASE}/identity/xero/connect/token",
        client_id="app",
        redirect_uri="http://localhost:1/callback",
        scope="offline_access",
    )
    browser = Browser(sandbox)

    async def run() -> None:
        async with httpx.AsyncClient(transport=SandboxTransport(sandbox)) as client:
            answer = await client.get(flow.url)
        landed = answer.headers["location"]
        flow.pkce = Pkce.new()  # another verifier than the one the challenge came from
        await flow.finish(landed, transport=browser.transport)

    with pytest.raises(SourceError, match="invalid_grant"):
        aio.run(run())


def test_read_callback_reports_a_denied_sign_in() -> None:
    with pytest.raises(ConfigError, match="access_denied"):
        read_callback("http://localhost:1/callback?error=access_denied&state=x", "x")
    with pytest.raises(ConfigError, match="no authorization code"):
        read_callback("http://localhost:1/callback?state=x", "x")


def test_settings_file_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("xero:\n  client_id: from-file\n  redirect_port: 9000\n", encoding="utf-8")
    settings = load_settings(path, {"TROUBLESHOOTER_XERO_CLIENT_ID": "from-env"})
    assert settings.xero.client_id == "from-env" and settings.xero.redirect_port == 9000
    path.write_text("xero:\n  clientid: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config.yaml:2: xero.clientid: unknown key"):
        load_settings(path, {})


def test_nothing_connected_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nothing is connected yet"):
        live_connections(Settings(), FileStore(tmp_path / "t.json"))


FAULTS = {
    "429 with Retry-After": ("{status: 429, retry_after: 0.01, times: 1}", None),
    "500": ("{status: 500}", "500"),
    "slow beyond the timeout": ("{delay: 1}", "did not answer within"),
    "connection dropped": ("{drop: true}", "connection failed"),
    "truncated JSON": ('{status: 200, body: \'{"Accounts": [{"Code"\'}', "not JSON"),
    "401 expired": ("{status: 401}", "sign-in was refused or has expired"),
}
SYSTEMS = {
    "xero": ("Xero", Stage.XERO),
    "approvalmax_adapter": ("ApprovalMax adapter", Stage.APPROVALMAX),
    "dext_adapter": ("Dext adapter", Stage.DEXT),
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
@pytest.mark.parametrize("system", SYSTEMS)
def test_fault_matrix(system: str, fault: str, library: Library) -> None:
    spec, expected = FAULTS[fault]
    s = scenario(
        f"""
        xero:
          accounts: [{{code: '200', name: Sales}}, {{code: '429', name: Staff Wellbeing, created: -40m}}]
        approvalmax: {{last_sync: -1h}}
        faults: [{{system: {system}, {spec[1:-1]}}}]
        """
    )
    settings = HttpSettings(
        timeout=0.3, attempts=2, backoff=0.001, max_backoff=0.001, max_retry_after=5
    )
    connections = sandbox_connections(Sandbox(s), settings=settings)
    result = aio.run(diagnose(connections, library))  # the run always completes
    label, stage = SYSTEMS[system]
    status_of = {st.stage: st for st in result.systems}[stage]
    if expected is None:  # a 429 once: waited, retried, fine
        assert not result.failed_systems
        return
    assert status_of in result.failed_systems
    error = status_of.error or " ".join(status_of.kind_errors.values())
    assert label in error and expected in error
    # A failure is never reported as "missing": everything at that stage is unknown, unless
    # the chain tells (Dext cannot have what ApprovalMax lacks), and then it says so.
    assert result.items
    inferred = {
        i.key
        for i in result.items
        if (detail := i.detail.get(stage)) is not None and detail.provenance is Provenance.INFERRED
    }
    assert all(i.stages[stage] is Mark.UNKNOWN or i.key in inferred for i in result.items)
    assert not [f for f in result.findings if f.stage is stage and f.key not in inferred]


def test_minute_limit_is_respected_before_xero_refuses(library: Library) -> None:
    # The sandbox enforces 3 a minute and would answer 429; the client keeps under it instead.
    contacts = "\n".join(f"    - {{name: S{n:03d}, is_supplier: true}}" for n in range(12))
    s = scenario(
        "xero:\n  rate_limits: {per_minute: 7, enforce: true}\n  contacts:\n" + contacts + "\n"
    )
    sandbox = Sandbox(s)
    connections = sandbox_connections(sandbox, settings=FAST, contacts_page_size=100)
    assert connections.xero_per_minute == 7
    snapshots = aio.run(fetch_snapshots(connections))
    assert not snapshots[Stage.XERO].failed
    assert all(r.status != 429 for r in sandbox.log.for_system("xero"))


def test_the_day_limit_stops_with_a_reason(library: Library) -> None:
    s = scenario(
        """
        xero: {accounts: [{code: '200', name: Sales}]}
        faults: [{system: xero, path: /api.xro/2.0/Accounts, status: 429, retry_after: 30000, rate_limit_problem: day}]
        """
    )
    sandbox = Sandbox(s)
    result = aio.run(diagnose(sandbox_connections(sandbox, settings=FAST), library))
    xero = result.systems[0]
    message = " ".join(xero.kind_errors.values())
    assert "daily limit" in message and "about 8 h" in message
    accounts = [r for r in sandbox.log.requests if r.path.endswith("/Accounts")]
    assert len(accounts) == 1  # no retry against a spent day


def test_no_token_reaches_a_log_or_an_error(
    tmp_path: Path, demo: Scenario, library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox, settings, store = signed_in(tmp_path, demo)
    sandbox.identity.expire_all()
    connections = live_connections(settings, store, transport=SandboxTransport(sandbox))
    aio.run(diagnose(connections, library))
    tokens = store.load("xero"), store.load("approvalmax")
    secrets = (
        [t.access_token.get_secret_value() for t in tokens if t]
        + [t.refresh_token.get_secret_value() for t in tokens if t and t.refresh_token]
        + [SANDBOX_CLIENT_SECRET, "adapter-token-am"]
    )
    assert caplog.records  # httpx did log its requests
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in repr(connections) and secret not in repr(tokens)


def test_a_practice_run_over_the_signed_in_organisations(
    tmp_path: Path, demo: Scenario, library: Library
) -> None:
    from troubleshooter.runs.practice import diagnose_practice
    from troubleshooter.runs.source import live_organisations

    sandbox, settings, store = signed_in(tmp_path, demo)
    sources = aio.run(live_organisations(settings, store, transport=SandboxTransport(sandbox)))
    assert [s.label for s in sources] == [demo.organisation.name]
    summary = aio.run(diagnose_practice(sources, library))
    [line] = summary.organisations
    assert line.with_findings == 5 and line.first_action and not line.failed_systems
