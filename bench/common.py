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
