"""Whether a host or an address is this computer only. Standard library only: the command line
checks its options with it before it imports any server, and the servers (`serve`, the
sandbox) check each request's `Host` with it, so that a page whose own name points at
127.0.0.1 (DNS rebinding) is refused."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address) is this computer only."""
    name = host.strip("[]").casefold()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_header_name(value: str) -> str:
    """The name in a `Host` header, without its port (`[::1]:80` → `::1`). A port that is not
    a number leaves the whole value, which then names no host of this computer."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        name, _, rest = value[1:].partition("]")
        return name if rest == "" or (rest[:1] == ":" and rest[1:].isdigit()) else value
    if value.count(":") == 1:
        name, _, port = value.partition(":")
        return name if port.isdigit() else value
    return value


def is_loopback_url(url: str) -> bool:
    """Whether `url` is an http or https address on this computer."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and host is not None and is_loopback(host)
