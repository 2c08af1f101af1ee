"""Shared by the benchmarks: a sandbox served by a separate process, so the client's figures
are not mixed with the server's work."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_scenario(scenario: dict[str, object], path: Path, delay: float) -> Path:
    """The scenario, with every request to every system answered `delay` seconds late."""
    if delay:
        scenario = dict(scenario)
        scenario["faults"] = [
            {"system": system, "delay": delay}
            for system in ("xero", "approvalmax", "approvalmax_adapter", "dext_adapter")
        ]
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return path


@contextmanager
def served(scenario_path: Path) -> Iterator[str]:
    """`troubleshooter sandbox start` in its own process; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "troubleshooter",
            "sandbox",
            "start",
            "--scenario",
            str(scenario_path),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def served_here(app: object) -> Iterator[str]:
    """An app (a Sandbox) on a real socket, in a thread of this process: its request log can
    be read, at the price of sharing this process's CPU (fine where the minute limit, not the
    CPU, sets the pace)."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def round_trips(contacts: int, page_size: int, adapter_items: dict[str, int]) -> int:
    """The fewest sequential round trips any client needs, each system on its own connection
    (they run side by side), at 5 in flight. Xero: the tenant, then Organisation, Accounts,
    TrackingCategories, TaxRates and the first Contacts page, then the other pages 5 at a time.
    An adapter: its state and every page of the six kinds (500 a page), 5 at a time."""
    import math

    pages = max(1, math.ceil(contacts / page_size))
    xero = 1 + 1 + math.ceil((pages - 1) / 5)
    adapter_pages = sum(max(1, math.ceil(n / 500)) for n in adapter_items.values())
    adapter = math.ceil((1 + adapter_pages) / 5)
    return max(xero, adapter)
