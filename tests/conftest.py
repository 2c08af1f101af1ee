from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import uvicorn

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.infra.gcpause import bring_back
from troubleshooter.infra.redact import release_secrets
from troubleshooter.infra.resources import demo_scenario
from troubleshooter.model import Diagnosis
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import IN_PROCESS_BASE, SandboxTransport, sandbox_connections
from troubleshooter.sandbox.scenario import Scenario, load_scenario, scenario_from_text
from troubleshooter.sources.fetch import Endpoint
from troubleshooter.sources.http import HttpSettings, JsonClient

# Fast retries: tests must not sleep for real backoff.
FAST = HttpSettings(timeout=2.0, attempts=3, backoff=0.001, max_backoff=0.002, max_retry_after=5)


@pytest.fixture(autouse=True)
def _this_machine_left_alone(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes this machine's real settings, sign-ins or cache (and none
    finds something connected there), nor reads its time zone: each has its own empty ones, and
    TZ=UTC, which the processes a test starts inherit."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TROUBLESHOOTER_CONFIG", str(home / "config.yaml"))
    monkeypatch.setenv("TROUBLESHOOTER_DATA", str(home / "data"))
    monkeypatch.setenv("TROUBLESHOOTER_TOKEN_STORE", "file")
    # Where no system names the organisation's zone, times are this machine's: no test may
    # depend on the zone of the machine it runs on (a test that wants another sets TZ itself).
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture(autouse=True)
def _no_secrets_held_from_another_test() -> Iterator[None]:
    """Sign-ins hold their tokens for the whole process's redaction (infra/redact.py); a test
    starts with none held, as a command does."""
    release_secrets()
    yield
    release_secrets()


@pytest.fixture(autouse=True)
def _the_collector_sees_everything() -> Iterator[None]:
    """What a test's TUI or command set aside from the collector (infra/gcpause.py) goes back
    to it, so no test's garbage outlives the test."""
    yield
    bring_back()


@pytest.fixture(scope="session")
def library() -> Library:
    return Library.load()


@pytest.fixture
def demo() -> Scenario:
    return load_scenario(demo_scenario())


def scenario(text: str) -> Scenario:
    """A scenario from indented YAML text (the clock is 2026-11-25T10:00:00Z unless given)."""
    body = textwrap.dedent(text)
    if not re.search(r"^clock:", body, re.MULTILINE):
        body = "clock: 2026-11-25T10:00:00Z\n" + body
    if not re.search(r"^organisation:", body, re.MULTILINE):
        body = "organisation: {name: Test Org Ltd}\n" + body
    return scenario_from_text(body)


def run(sandbox: Sandbox, library: Library, **kwargs: object) -> Diagnosis:
    connections = sandbox_connections(sandbox, settings=FAST, **kwargs)  # type: ignore[arg-type]
    return asyncio.run(diagnose(connections, library))


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """The command line as a person runs it (in this process): exit code, stdout, stderr. An
    exception other than the exit itself is raised, so a traceback fails the test."""
    from click.testing import CliRunner

    from troubleshooter.cli import main

    result = CliRunner().invoke(main, list(args), input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    def __init__(self, sandbox: Sandbox, port: int) -> None:
        self.sandbox = sandbox
        self.scenario = sandbox.scenario
        self.base_url = f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def serve(sandbox: Sandbox) -> Iterator[Served]:
    """The sandbox on a real socket (uvicorn in a thread), for clients that need the network."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(sandbox, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.01)
    try:
        yield Served(sandbox, port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def served_demo(demo: Scenario) -> Iterator[Served]:
    with serve(Sandbox(demo)) as served:
        yield served


@pytest.fixture
def tmp_scenario(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


class Cycle:
    """An object in a reference cycle, that says when the collector frees it."""

    freed: ClassVar[list[str]] = []

    def __init__(self, name: str) -> None:
        self.name = name
        self.me = self

    def __del__(self) -> None:
        Cycle.freed.append(self.name)


def sandbox_client(
    scenario: Scenario, path: str, system: str, settings: HttpSettings = FAST
) -> JsonClient:
    """A client of one system of the scenario's sandbox, in process (`path`: "/xero",
    "/adapter/dext"), made as the tool makes its own (`Endpoint.client`)."""
    transport = SandboxTransport(Sandbox(scenario))
    return Endpoint(IN_PROCESS_BASE + path, "t", transport).client(system, settings)
