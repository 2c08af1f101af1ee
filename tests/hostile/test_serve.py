"""`troubleshooter serve`: the TUI in a browser, only for whom the printed address was given
to (issue 15 item 2): a token in the address, the WebSocket's Origin checked, loopback names
only on loopback, and no other host without a token configured."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import aiohttp
import httpx
import pytest
from click.testing import CliRunner
from conftest import free_port

from troubleshooter.cli import main
from troubleshooter.errors import ExitCode
from troubleshooter.tui.access import MIN_TOKEN, is_loopback, token_problem
from troubleshooter.tui.serve import COOKIE, GuardedServer


@dataclass
class Served:
    port: int
    address: str
    token: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "troubleshooter", "serve", "--demo", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # the banner, once it listens
        found = re.search(r"(http://\S+/\?token=(\S+))", line)
        assert found, line
        yield Served(port, found.group(1), found.group(2))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def get(url: str, **kwargs: object) -> httpx.Response:
    deadline = time.monotonic() + 10
    while True:
        try:
            return httpx.get(url, timeout=5, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_printed_address_carries_a_random_token(served: Served) -> None:
    assert served.address == f"http://127.0.0.1:{served.port}/?token={served.token}"
    assert len(served.token) >= 32


def test_the_page_needs_the_token(served: Served) -> None:
    assert get(f"{served.base}/").status_code == 403
    assert get(f"{served.base}/?token=wrong-{served.token}").status_code == 403
    page = get(served.address)
    assert page.status_code == 200
    assert f"ws://127.0.0.1:{served.port}/ws/{served.token}" in page.text
    # Its own page: no request to another machine (textual-serve's asks Google for a font).
    assert "googleapis" not in page.text and "https://" not in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    cookie = page.headers["set-cookie"]
    assert f"{COOKIE}={served.token}" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie


def test_everything_else_needs_the_cookie_the_page_sets(served: Served) -> None:
    script = f"{served.base}/static/js/textual.js"
    assert get(script).status_code == 403
    assert get(script, cookies={COOKIE: "guess"}).status_code == 403
    assert get(script, cookies={COOKIE: served.token}).status_code == 200
    assert get(f"{served.base}/static/", cookies={COOKIE: served.token}).status_code in (403, 404)
    assert get(f"{served.base}/download/x", cookies={COOKIE: "guess"}).status_code == 403


def test_a_page_from_another_name_is_refused_on_loopback(served: Served) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: refused even with the
    token."""
    page = get(served.address, headers={"Host": f"attacker.example:{served.port}"})
    assert page.status_code == 403
    assert get(served.address.replace("127.0.0.1", "localhost")).status_code == 200


async def _connect(served: Served, path: str, origin: str | None) -> tuple[int, bytes]:
    """Opens the WebSocket; (101 and the first bytes of the app) or (the refusal's status)."""
    url = f"ws://127.0.0.1:{served.port}{path}?width=120&height=40"
    async with aiohttp.ClientSession() as session:
        try:
            socket = await session.ws_connect(
                url, origin=origin, timeout=aiohttp.ClientWSTimeout(ws_close=5)
            )
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status, b""
        async with socket:
            seen = b""
            async with asyncio.timeout(60):
                while b"Harbour Street Coffee Roasters Ltd" not in seen:
                    message = await socket.receive()
                    if message.type == aiohttp.WSMsgType.BINARY:
                        seen += message.data
                    elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                        break
            return 101, seen


async def test_the_websocket_checks_token_and_origin(served: Served) -> None:
    own = f"http://127.0.0.1:{served.port}"
    token = served.token
    assert (await _connect(served, "/ws", own))[0] in (403, 404)  # textual-serve's, no token
    assert (await _connect(served, f"/ws/wrong{token}", own))[0] == 403
    assert (await _connect(served, f"/ws/{token}", None))[0] == 403
    assert (await _connect(served, f"/ws/{token}", "http://evil.example"))[0] == 403
    assert (await _connect(served, f"/ws/{token}", f"http://127.0.0.1:{served.port + 1}"))[0] == 403
    status, seen = await _connect(served, f"/ws/{token}", own)
    assert status == 101 and b"Harbour Street Coffee Roasters Ltd" in seen


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "my-laptop.local"])
def test_another_host_without_a_token_is_refused(host: str) -> None:
    code, err = invoke("serve", "--demo", "--host", host, "--port", str(free_port()))
    assert code == ExitCode.USAGE
    assert "to the network" in err and "--token" in err and "TROUBLESHOOTER_SERVE_TOKEN" in err
    assert "Serving" not in err


def test_a_weak_token_is_refused() -> None:
    code, err = invoke("serve", "--demo", "--token", "secret", "--port", str(free_port()))
    assert code == ExitCode.USAGE and f"{MIN_TOKEN} characters or more" in err


def test_another_host_with_a_token_is_served_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server itself is not started here (no socket beyond loopback in a test): its
    announcement is what a person would read."""
    seen: list[GuardedServer] = []

    def serve(self: GuardedServer, debug: bool = False) -> None:
        seen.append(self)
        if self.sock is not None:
            self.sock.close()
        assert self.announce is not None
        self.announce()

    def listen(host: str, port: int):  # type: ignore[no-untyped-def]
        from troubleshooter.cli.listen import listen as real

        return real("127.0.0.1", port)

    monkeypatch.setattr(GuardedServer, "serve", serve)
    monkeypatch.setattr("troubleshooter.cli.ui.listen", listen)
    monkeypatch.setenv("TROUBLESHOOTER_SERVE_TOKEN", "a-long-enough-token-1234")
    code, err = invoke("serve", "--demo", "--host", "0.0.0.0", "--port", str(free_port()))
    assert code == ExitCode.OK, err
    [server] = seen
    assert server.token == "a-long-enough-token-1234" and not server.loopback
    assert "?token=a-long-enough-token-1234" in err
    assert "warning: this serves the organisation's data to the network" in err


def test_what_counts_as_loopback() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.2", "example.com", ""))
    assert token_problem("x" * MIN_TOKEN) is None
    assert token_problem("short") is not None
    assert token_problem("has a space in it, sadly") is not None
