"""`sandbox start` on loopback (attack review, item 14): it answers only to this computer's
names, as `serve` does, so that a DNS-rebinding page cannot read the scenario; and its fake
sign-in, which signs anyone in at once, hands its code only to a redirect URI on this
computer."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from troubleshooter.infra.hosts import host_header_name, is_loopback_url
from troubleshooter.sandbox.app import LoopbackOnly, Sandbox
from troubleshooter.sandbox.scenario import Scenario


@pytest.fixture(scope="module")
def started() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "troubleshooter", "sandbox", "start", "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # the banner: it listens before it says so
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        assert found, line
        yield found.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def get(url: str, **kwargs: object) -> httpx.Response:
    for _ in range(100):  # the socket listens already; uvicorn may take a moment to accept
        try:
            return httpx.get(url, timeout=5, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            continue
    return httpx.get(url, timeout=5, **kwargs)  # type: ignore[arg-type]


def test_sandbox_start_answers_its_own_names(started: str) -> None:
    assert get(f"{started}/").status_code == 200
    port = started.rsplit(":", 1)[1]
    assert get(f"{started}/", headers={"Host": f"localhost:{port}"}).status_code == 200


@pytest.mark.parametrize("host", ["rebind.example", "rebind.example:8765", "127.0.0.1.nip.io"])
def test_sandbox_start_refuses_a_page_of_another_name(started: str, host: str) -> None:
    answer = get(f"{started}/xero/api.xro/2.0/Accounts", headers={"Host": host})
    assert answer.status_code == 403
    assert "Harbour" not in answer.text and "AccountID" not in answer.text


def authorize(app: object, redirect_uri: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(
                "/identity/approvalmax/connect/authorize",
                params={
                    "response_type": "code",
                    "client_id": "someone",
                    "redirect_uri": redirect_uri,
                    "scope": "public_api/read",
                    "state": "st",
                },
            )

    return asyncio.run(go())


@pytest.mark.parametrize(
    "uri",
    [
        "http://evil.example/cb",
        "https://127.0.0.1.evil.example/cb",
        "http://localhost@evil.example/cb",
        "javascript:alert(1)//127.0.0.1",
        "http://127.0.0.1:notaport/cb",
    ],
)
def test_the_fake_sign_in_sends_no_code_elsewhere(demo: Scenario, uri: str) -> None:
    answer = authorize(Sandbox(demo), uri)
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "code=" not in answer.text


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:5173/callback", "https://localhost/cb", "http://[::1]:9/cb"]
)
def test_the_fake_sign_in_redirects_on_this_computer(demo: Scenario, uri: str) -> None:
    answer = authorize(Sandbox(demo), uri)
    assert answer.status_code == 302
    assert answer.headers["location"].startswith(uri + "?code=")


def test_loopback_only_wraps_any_app(demo: Scenario) -> None:
    async def go(host: str) -> int:
        transport = httpx.ASGITransport(app=LoopbackOnly(Sandbox(demo)))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
            return (await client.get("/")).status_code

    assert asyncio.run(go("127.0.0.1:1")) == 200
    assert asyncio.run(go("[::1]:1")) == 200
    assert asyncio.run(go("sandbox.invalid")) == 403


def test_names_in_a_host_header_and_loopback_addresses() -> None:
    assert host_header_name("[::1]:8080") == "::1"
    assert host_header_name("localhost:1") == "localhost"
    assert host_header_name("::1") == "::1"
    assert host_header_name("127.0.0.1:1@evil.example") == "127.0.0.1:1@evil.example"
    assert host_header_name("[::1]x") == "[::1]x"
    assert not is_loopback_url("ftp://127.0.0.1/x")
    assert is_loopback_url("http://127.0.0.2/x")
