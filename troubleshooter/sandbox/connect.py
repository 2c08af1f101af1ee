"""Connections that reach a sandbox in-process or on a base URL.

In process, the transport streams the app's answer as a socket would (httpx's own
ASGITransport gathers the whole body before it answers, so an endless body would fill memory
before the client could refuse it), and a dropped connection becomes the error httpx raises
for one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx

from troubleshooter.sources.cache import FetchCache
from troubleshooter.sources.fetch import Connections, Endpoint
from troubleshooter.sources.http import HttpSettings
from troubleshooter.sources.ratelimit import XERO_PER_MINUTE

if TYPE_CHECKING:  # the sandbox's server (Starlette) loads only where a sandbox runs in process
    from troubleshooter.sandbox.app import Sandbox

SANDBOX_TOKEN = "sandbox-token"  # the sandbox accepts any bearer token
IN_PROCESS_BASE = "http://sandbox.invalid"
_END = object()  # the body is complete


class _BodyStream(httpx.AsyncByteStream):
    """The app's body, chunk by chunk, as the app sends it. A few chunks are buffered; a
    client that stops reading stops the app (it waits to send), and closing cancels it."""

    def __init__(self, chunks: asyncio.Queue[Any], task: asyncio.Task[None]) -> None:
        self._chunks = chunks
        self._task = task

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await self._chunks.get()
            if chunk is _END:
                return
            if isinstance(chunk, BaseException):
                raise httpx.ReadError(f"the sandbox stopped answering ({chunk})") from None
            yield chunk

    async def aclose(self) -> None:
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task


class SandboxTransport(httpx.AsyncBaseTransport):
    """The sandbox in process, over the same code path as a socket: streamed answers, and a
    dropped connection raised as httpx raises one."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for (k, v) in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port),
            "client": ("127.0.0.1", 123),
            "root_path": "",
        }
        loop = asyncio.get_running_loop()
        started: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] = loop.create_future()
        chunks: asyncio.Queue[Any] = asyncio.Queue(maxsize=4)
        finished = asyncio.Event()
        sent_request = False

        async def receive() -> dict[str, Any]:
            nonlocal sent_request
            if not sent_request:
                sent_request = True
                return {"type": "http.request", "body": body, "more_body": False}
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.set_result((message["status"], list(message.get("headers", []))))
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    await chunks.put(message["body"])
                if not message.get("more_body", False):
                    finished.set()
                    await chunks.put(_END)

        async def run() -> None:
            try:
                await self.sandbox(scope, receive, send)  # type: ignore[arg-type]
            except Exception as exc:  # a cancellation (the client hung up) just ends it
                if not started.done():
                    started.set_exception(exc)
                elif not finished.is_set():
                    finished.set()
                    await chunks.put(exc)
            else:
                if not finished.is_set():
                    finished.set()
                    await chunks.put(_END)

        from troubleshooter.sandbox.faults import SandboxConnectionDropped  # loaded: in process

        task = asyncio.create_task(run())
        try:
            status, headers = await started
        except SandboxConnectionDropped as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None
        return httpx.Response(status, headers=headers, stream=_BodyStream(chunks, task))

    async def aclose(self) -> None:
        pass


def sandbox_connections(
    sandbox: Sandbox | None = None,
    *,
    base_url: str | None = None,
    settings: HttpSettings | None = None,
    contacts_page_size: int | None = None,
    token: str = SANDBOX_TOKEN,
    cache: FetchCache | None = None,
    xero_per_minute: int | None = XERO_PER_MINUTE,
) -> Connections:
    """Connections to a sandbox: in-process when given the app, else over HTTP at `base_url`.

    Xero's minute is counted as in live mode: the scenario's own limit in process, Xero's 60
    over a URL (`xero_per_minute=None` lifts it, for a benchmark of the paging alone). `cache`
    keeps Xero's lists between runs, keyed by the URL and the tenant (None: no cache).
    """
    if (sandbox is None) == (base_url is None):
        raise ValueError("give either the sandbox app or its base URL")
    transport = SandboxTransport(sandbox) if sandbox is not None else None
    root = (base_url or IN_PROCESS_BASE).rstrip("/")
    scenario = sandbox.scenario if sandbox is not None else None

    def endpoint(prefix: str) -> Endpoint:
        return Endpoint(root + prefix, token, transport)

    offers_am = scenario is None or scenario.approvalmax.access != "none"
    offers_dext = scenario is None or scenario.dext.access != "none"
    if scenario is not None and xero_per_minute is not None:
        xero_per_minute = scenario.xero.rate_limits.per_minute
    extra: dict[str, Any] = {}
    if contacts_page_size is not None:
        extra["contacts_page_size"] = contacts_page_size
    return Connections(
        xero_per_minute=xero_per_minute,
        xero=endpoint("/xero"),
        approvalmax=endpoint("/approvalmax"),
        approvalmax_adapter=endpoint("/adapter/approvalmax") if offers_am else None,
        dext_adapter=endpoint("/adapter/dext") if offers_dext else None,
        sandbox=True,
        settings=settings or HttpSettings(),
        cache=cache,
        **extra,
    )
