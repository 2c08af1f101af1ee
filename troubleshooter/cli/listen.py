"""A listening socket for the commands that serve (`serve`, `sandbox start`), taken before
anything is printed: a busy port is a plain error (exit 2), never a banner and then a crash."""

from __future__ import annotations

import errno
import socket

from troubleshooter.errors import ConfigError


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to `host:port` (port 0: any free one), ready to hand to a server."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on {host}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    # As the servers themselves do: a port left in TIME_WAIT by an earlier run is free.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        why = (
            "is busy (another program listens there)"
            if exc.errno == errno.EADDRINUSE
            else exc.strerror
        )
        raise ConfigError(
            f"cannot listen on {host}:{port}: the port {why}; choose another with --port"
        ) from None
    return sock


def check_free(host: str, port: int) -> None:
    """Says now when `host:port` cannot be listened on (for a server that binds it itself)."""
    listen(host, port).close()
