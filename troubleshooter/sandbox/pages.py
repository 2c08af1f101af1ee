"""Answers the sandbox renders once and serves again: a client pages through the same large
list many times (each read of a 50,000-contact organisation is 50 pages of Xero's and a hundred
of each adapter's), and the scenario does not change while it is served.

A page is kept as the bytes Starlette's `JSONResponse` makes of it (the same JSON, byte for
byte), up to a bound on what all kept pages weigh: past it they are dropped and made again as
they are asked for, so a client asking for every page size in turn cannot fill the memory.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from starlette.responses import JSONResponse, Response

MAX_KEPT_BYTES = 128 * 1024 * 1024  # a 50,000-contact organisation's pages weigh about 40 MB


class RenderedPages:
    """Rendered JSON bodies by key, made on first use."""

    def __init__(self, max_bytes: int = MAX_KEPT_BYTES) -> None:
        self.max_bytes = max_bytes
        self._bodies: dict[Hashable, bytes] = {}
        self._weight = 0

    def response(self, key: Hashable, make: Callable[[], Any]) -> Response:
        """The answer for `key`: its body kept, or `make()`'s content rendered and kept."""
        body = self._bodies.get(key)
        if body is None:
            body = bytes(JSONResponse(make()).body)
            if self._weight + len(body) > self.max_bytes:
                self._bodies.clear()
                self._weight = 0
            self._bodies[key] = body
            self._weight += len(body)
        return Response(body, media_type="application/json")
