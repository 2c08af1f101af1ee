"""`troubleshooter serve`: the terminal UI in a browser (textual-serve), guarded.

textual-serve's `Server` runs one TUI process per browser connection (its WebSocket carries the
keys in and the screen out). Whoever reaches that WebSocket sees the organisation's data and
drives the app, so this server, a subclass, lets in only the person the address was given to:

- **A token in the address it prints**, random on every start (or one given explicitly): the
  page needs it in its query (`/?token=…`), its WebSocket in its path (`/ws/<token>`), and
  everything else (the scripts, the font, a report being downloaded) the cookie that the page
  sets, which a browser sends only to this same server (`SameSite=Strict`, `HttpOnly`).
- **The WebSocket's `Origin` must be this server** (same host and port), so that another page
  open in the same browser cannot drive the app even with the cookie.
- **On loopback, only loopback names** in the `Host` header (a DNS-rebinding page carries its
  own name), and a host other than loopback is refused by the command line unless a token is
  configured explicitly.
- **The page asks nothing of another machine**: textual-serve's own page loads a font from
  Google; this one uses the font textual-serve ships, and a Content Security Policy that lets
  the page reach only this server. No request is logged (the token is in the addresses).

Exports in the browser are downloads (the app uses `App.deliver_text`, which textual-serve
carries to `/download/<key>`), never a path on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.server import Server

from troubleshooter.tui.access import is_loopback, same_token

PAGE = Path(__file__).parent / "page"
COOKIE = "troubleshooter_serve"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _refused(why: str) -> web.Response:
    return web.Response(
        status=403,
        text=f"Refused: {why}\n",
        headers={"Cache-Control": "no-store", "Content-Type": "text/plain; charset=utf-8"},
    )


class GuardedServer(Server):
    """textual-serve's Server, with the token, the Origin and Host checks and its own page."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        token: str,
        sock: socket.socket | None = None,
        title: str = "troubleshooter",
        announce: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(command, host=host, port=port, title=title, templates_path=PAGE)
        self.token = token
        self.loopback = is_loopback(host)
        self.sock = sock
        self.announce = announce

    def address(self) -> str:
        """The address to open, with its token (a wildcard host: this computer's name)."""
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = socket.gethostname()
        elif ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}/?token={self.token}"

    # -- the checks --

    def _host_allowed(self, request: web.Request) -> bool:
        if not self.loopback:
            return True  # the token decides
        name = request.url.host or ""
        return is_loopback(name)

    def _origin_allowed(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if not origin:
            return False
        return origin.casefold() == f"{request.scheme}://{request.host}".casefold()

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self._host_allowed(request):
            return _refused("this server answers to this computer's own address only")
        route = request.match_info.route.name
        if route == "index":
            if not same_token(request.query.get("token"), self.token):
                return _refused(
                    "this address needs the token that `troubleshooter serve` printed (…/?token=…)"
                )
        elif route == "websocket":
            if not same_token(request.match_info.get("token"), self.token):
                return _refused("the connection needs the token")
            if not self._origin_allowed(request):
                return _refused("the connection must come from this server's own page")
        elif not same_token(request.cookies.get(COOKIE), self.token):
            return _refused("open the address with its token first")
        response = await handler(request)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    # -- the app and its page --

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(PAGE), autoescape=True)
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws/{token}", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, name="static"),  # no folder listing
            ]
        )
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        nonce = secrets.token_urlsafe(16)
        scheme = "wss" if request.scheme == "https" else "ws"
        try:
            font_size = max(8, min(int(request.query.get("fontsize", "16")), 32))
        except ValueError:
            font_size = 16
        context: dict[str, Any] = {
            "title": self.title,
            "nonce": nonce,
            "font_size": font_size,
            "websocket_url": f"{scheme}://{request.host}/ws/{self.token}",
        }
        response = aiohttp_jinja2.render_template("page.html", request, context)
        own = f"{request.scheme}://{request.host}"
        response.headers["Content-Security-Policy"] = "; ".join(
            [
                "default-src 'none'",
                f"script-src 'self' 'nonce-{nonce}'",
                "style-src 'self' 'unsafe-inline'",  # xterm.js styles its own elements
                "font-src 'self'",
                "img-src 'self' data:",
                f"connect-src 'self' {scheme}://{request.host}",
                "frame-ancestors 'none'",
                "base-uri 'none'",
                "form-action 'none'",
            ]
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.set_cookie(
            COOKIE,
            self.token,
            httponly=True,
            samesite="Strict",
            path="/",
            secure=own.startswith("https"),
        )
        return response

    async def on_startup(self, app: web.Application) -> None:
        if self.announce is not None:
            self.announce()

    def serve(self, debug: bool = False) -> None:
        """Runs until Ctrl+C, on the socket taken before anything was printed; no request is
        logged (their addresses carry the token)."""
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows
                loop.add_signal_handler(sig, self.request_exit)
        where: dict[str, Any] = (
            {"sock": self.sock} if self.sock is not None else {"host": self.host, "port": self.port}
        )
        web.run_app(
            self._make_app(),
            handle_signals=False,
            loop=loop,
            print=lambda *args: None,
            access_log=None,
            **where,
        )
