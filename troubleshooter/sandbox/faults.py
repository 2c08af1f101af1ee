"""What the sandbox records, and how it misbehaves on purpose.

- Every request is recorded (method, path, query, status, bytes sent back), so tests can prove
  the clients only read, and count what they asked for.
- The scenario's faults are played: error statuses in each system's own style, `Retry-After`,
  delays, dropped connections, raw bodies, and answers that break Xero's format or the adapter
  contract (`misbehave`: an endless body, no `pagination` block, a huge page count, the same
  page again, the wrong kind, a row sent twice, times without a zone, a compressed body that
  inflates to 256 MiB, and one compressed twice over).
- Xero's rate-limit counters (per organisation a minute and a day, the app's minute) are kept on
  a clock the sandbox is given, so a test can move time instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import zlib
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from troubleshooter.sandbox.scenario import Fault, RateLimits

APP_MINUTE_LIMIT = 10_000  # Xero: per app, across all organisations

SYSTEM_PREFIXES = {
    "/identity": "identity",
    "/adapter/approvalmax": "approvalmax_adapter",
    "/adapter/dext": "dext_adapter",
    "/approvalmax": "approvalmax",
    "/xero": "xero",
}

# One chunk of an endless body: big enough that a client's cap, not the chunking, is the cost.
_ENDLESS_ROW = b'{"name": "endless", "Name": "endless"}, '
_ENDLESS_CHUNK = _ENDLESS_ROW * (65_536 // len(_ENDLESS_ROW))
HUGE_PAGE_COUNT = 300_000
BOMB_BYTES = 256 * 1024 * 1024  # what a compressed bomb inflates to: 8 times the body cap


class SandboxConnectionDropped(ConnectionResetError):
    """Raised by the app where a fault says the connection drops without an answer."""


@dataclass
class LoggedRequest:
    system: str
    method: str
    path: str
    query: str
    status: int | None = None
    bytes: int = 0  # of the response body
    modified_since: str | None = None  # the If-Modified-Since header, where sent


@dataclass
class RequestLog:
    """Every request the sandbox saw, and the most that were in flight at once per system."""

    requests: list[LoggedRequest] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    max_in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def methods(self) -> set[str]:
        return {r.method for r in self.requests}

    def for_system(self, system: str) -> list[LoggedRequest]:
        return [r for r in self.requests if r.system == system]

    def start(self, scope: Scope) -> LoggedRequest:
        system, _ = split_system(scope["path"])
        entry = LoggedRequest(
            system,
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode(),
            modified_since=header(scope, b"if-modified-since"),
        )
        self.requests.append(entry)
        self.in_flight[system] += 1
        self.max_in_flight[system] = max(self.max_in_flight[system], self.in_flight[system])
        return entry

    def finish(self, entry: LoggedRequest) -> None:
        self.in_flight[entry.system] -= 1

    @staticmethod
    def recording(entry: LoggedRequest, send: Send) -> Send:
        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            elif message["type"] == "http.response.body":
                entry.bytes += len(message.get("body", b""))
            await send(message)

        return recording_send


class _RateWindow:
    """One organisation's minute and day, and the app's minute, as the sandbox counts them."""

    def __init__(self) -> None:
        self.minute: deque[float] = deque()
        self.day = 0
        self.app_minute: deque[float] = deque()

    def spend(self, now: float) -> None:
        for window in (self.minute, self.app_minute):
            while window and now - window[0] >= 60:
                window.popleft()
            window.append(now)
        self.day += 1

    def seconds_until_free(self, now: float) -> int:
        return max(1, math.ceil(60 - (now - self.minute[0]))) if self.minute else 1


@dataclass
class RateAnswer:
    """The rate-limit headers of one answer; `problem` ("minute" or "day") when it is refused."""

    headers: dict[str, str]
    problem: str | None = None


class RateCounters:
    """Xero's counters: each request is counted when it is handled (as Xero counts it)."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self._windows: dict[str, _RateWindow] = defaultdict(_RateWindow)

    def spend(self, tenant: str | None) -> RateAnswer:
        limits = self.limits
        window = self._windows[tenant or "(app)"]
        now = self.clock()
        window.spend(now)
        minute_left = limits.per_minute - len(window.minute)
        day_left = limits.per_day - window.day
        headers = {
            "X-AppMinLimit-Remaining": str(max(0, APP_MINUTE_LIMIT - len(window.app_minute)))
        }
        if tenant is not None:
            headers["X-MinLimit-Remaining"] = str(max(0, minute_left))
            headers["X-DayLimit-Remaining"] = str(max(0, day_left))
        if limits.enforce and tenant is not None and (minute_left < 0 or day_left < 0):
            problem = "day" if day_left < 0 else "minute"
            retry = window.seconds_until_free(now) if problem == "minute" else 86400
            headers |= {"Retry-After": str(retry), "X-Rate-Limit-Problem": problem}
            return RateAnswer(headers, problem)
        return RateAnswer(headers)


class FaultPlayer:
    """Picks the fault for a request (the first that matches and has uses left) and plays it."""

    def __init__(self, faults: list[Fault]) -> None:
        self.faults = faults
        self._uses: dict[int, int] = defaultdict(int)

    def take(self, system: str, path: str) -> Fault | None:
        for index, fault in enumerate(self.faults):
            if fault.system != system or not path.startswith(fault.path):
                continue
            if fault.times is not None and self._uses[index] >= fault.times:
                continue
            self._uses[index] += 1
            return fault
        return None

    async def play(
        self, fault: Fault, system: str, scope: Scope, receive: Receive, send: Send, app: ASGIApp
    ) -> None:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.drop:
            raise SandboxConnectionDropped(f"sandbox fault: {system} dropped the connection")
        if fault.misbehave == "endless_body":
            await _endless(scope, receive, send)
            return
        if fault.misbehave in ("gzip_bomb", "nested_gzip"):
            await _bomb(fault.misbehave, scope, receive, send)
            return
        if fault.misbehave is not None:
            await _rewritten(fault.misbehave, scope, receive, send, app)
            return
        if fault.status is None and fault.body is None:
            await app(scope, receive, send)  # only slow
            return
        status = fault.status or 200
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        if status == 429 and system == "xero":
            headers["X-Rate-Limit-Problem"] = fault.rate_limit_problem or "minute"
        if fault.body is not None:
            response: Response = Response(
                fault.body, status_code=status, headers=headers, media_type="application/json"
            )
        else:
            response = JSONResponse(error_body(system, status), status_code=status, headers=headers)
        await response(scope, receive, send)


async def _endless(scope: Scope, receive: Receive, send: Send) -> None:
    """A 200 whose JSON body never ends: the start of a list, then rows for ever, until the
    client hangs up (a streaming response stops when the client disconnects)."""

    async def rows() -> AsyncIterator[bytes]:
        yield b'{"items": ['
        while True:
            yield _ENDLESS_CHUNK
            await asyncio.sleep(0)  # let the server notice a client that hung up

    await StreamingResponse(rows(), media_type="application/json")(scope, receive, send)


@functools.cache
def gzip_bomb() -> bytes:
    """`BOMB_BYTES` of spaces, gzipped: about 260 KB on the wire. Made once per process."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    spaces = b" " * (4 * 1024 * 1024)
    parts = [packer.compress(spaces) for _ in range(BOMB_BYTES // len(spaces))]
    return b"".join([*parts, packer.flush()])


async def _bomb(misbehaviour: str, scope: Scope, receive: Receive, send: Send) -> None:
    """A 200 whose body is small on the wire and huge once decoded: `gzip_bomb`, gzip of 256
    MiB of spaces; `nested_gzip`, that gzipped again and sent as `gzip, gzip` (a few hundred
    bytes, as a misbehaving proxy may send it)."""
    body, coding = gzip_bomb(), "gzip"
    if misbehaviour == "nested_gzip":
        body, coding = _gzip(body), "gzip, gzip"
    headers = {"Content-Encoding": coding}
    await Response(body, media_type="application/json", headers=headers)(scope, receive, send)


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return packer.compress(data) + packer.flush()


async def _rewritten(
    misbehaviour: str, scope: Scope, receive: Receive, send: Send, app: ASGIApp
) -> None:
    """Runs the app, then changes its JSON answer the way the fault says."""
    start: dict[str, Any] = {}
    parts: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    page = _query_int(scope, "page")
    if misbehaviour == "repeated_page" and page is not None and page > 1:
        scope = {**scope, "query_string": _with_page_one(scope)}
    await app(scope, receive, capture)
    body = b"".join(parts)
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    if start.get("status") == 200:
        data = json.loads(body)
        size = _query_int(scope, "pageSize") or _query_int(scope, "page_size") or 100
        rewrite(misbehaviour, data, page, size)
        body = json.dumps(data).encode()
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": start["status"], "headers": headers})
    await send({"type": "http.response.body", "body": body})


def rewrite(misbehaviour: str, data: Any, page: int | None, size: int = 100) -> None:
    """Breaks a Xero or adapter answer in place, as `misbehave` says (`size`: the page size
    asked for)."""
    if not isinstance(data, dict):
        return
    rows_key = next((k for k in ("Contacts", "items") if isinstance(data.get(k), list)), None)
    if misbehaviour == "no_pagination":
        data.pop("pagination", None)
    elif misbehaviour == "huge_page_count":
        if isinstance(data.get("pagination"), dict):
            data["pagination"]["pageCount"] = HUGE_PAGE_COUNT
        if "page_count" in data:
            data["page_count"] = HUGE_PAGE_COUNT
    elif misbehaviour == "endless_pages":
        # No pagination block, and every page full of rows never seen before.
        data.pop("pagination", None)
        if "page_count" in data:
            data["page_count"] = HUGE_PAGE_COUNT
        if rows_key is not None:
            template = data[rows_key][0] if data[rows_key] else _TEMPLATES[rows_key]
            data[rows_key] = [_fresh(template, page or 1, n) for n in range(size)]
    elif misbehaviour == "repeated_page":
        # The rows of page 1, under the page number asked for.
        if page is not None:
            if isinstance(data.get("pagination"), dict):
                data["pagination"]["page"] = page
            if "page" in data:
                data["page"] = page
    elif misbehaviour == "wrong_kind" and isinstance(data.get("kind"), str):
        data["kind"] = "account" if data["kind"] != "account" else "supplier"
    elif misbehaviour == "duplicate_rows" and rows_key is not None and data[rows_key]:
        data[rows_key].append(dict(data[rows_key][0]))
    elif misbehaviour == "naive_timestamps":
        _strip_zones(data)


_TEMPLATES: dict[str, dict[str, Any]] = {
    "Contacts": {"ContactID": "", "Name": "", "ContactStatus": "ACTIVE", "IsSupplier": True},
    "items": {"xero_id": "", "name": ""},
}


def _fresh(template: dict[str, Any], page: int, number: int) -> dict[str, Any]:
    row = dict(template)
    name = f"Endless {page}-{number}"
    for key in ("Name", "name"):
        if key in row:
            row[key] = name
    for key in ("ContactID", "xero_id"):
        if key in row:
            row[key] = f"00000000-0000-4000-8000-{page:06d}{number:06d}"
    return row


_TIME_FIELDS = ("as_of", "last_pull", "synced_at")


def _strip_zones(node: Any, key: str | None = None) -> None:
    """Times in the adapter's answer written without their zone (`2026-11-25T10:00:00`)."""
    if isinstance(node, dict):
        for k, value in list(node.items()):
            if isinstance(value, str) and (k in _TIME_FIELDS or key == "last_sync"):
                node[k] = value.replace("+00:00", "").replace("Z", "")
            else:
                _strip_zones(value, k)
    elif isinstance(node, list):
        for value in node:
            _strip_zones(value, key)


def _query_int(scope: Scope, name: str) -> int | None:
    values = parse_qs(scope.get("query_string", b"").decode()).get(name)
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def _with_page_one(scope: Scope) -> bytes:
    pairs = parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True)
    return urlencode([(k, "1" if k == "page" else v) for k, v in pairs]).encode()


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def error_body(system: str, status: int) -> dict[str, Any]:
    """An error body in the system's own style."""
    title = _TITLES.get(status, "Error")
    if system == "xero":
        return {"Type": None, "Title": title, "Status": status, "Detail": title, "Extensions": {}}
    if system == "approvalmax":
        return {"type": "/api/errors/sandbox", "title": title, "status": status}
    return {"error": {"code": title.lower().replace(" ", "_"), "message": title}}


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def split_system(path: str) -> tuple[str, str]:
    """The system a path belongs to, and the path within it."""
    for prefix, system in SYSTEM_PREFIXES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return system, path[len(prefix) :] or "/"
    return "sandbox", path
