"""`troubleshooter serve` offers the TUI in a browser on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
from conftest import free_port


def test_serve_answers_on_localhost() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "troubleshooter", "serve", "--demo", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        page = None
        while time.monotonic() < deadline:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert page is not None and page.status_code == 200
        assert "textual" in page.text.lower()
        assert f"http://127.0.0.1:{port}/" in page.text  # bound to loopback, as asked
    finally:
        proc.terminate()
        proc.wait(timeout=10)
