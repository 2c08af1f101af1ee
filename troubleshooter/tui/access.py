"""Who may use `troubleshooter serve`: the token its address carries, and whether a host is
this computer only. Standard library only, so that the command line can check its options
before it imports the server."""

from __future__ import annotations

import hmac
import secrets

from troubleshooter.infra.hosts import is_loopback

TOKEN_ENV = "TROUBLESHOOTER_SERVE_TOKEN"
# Set by `serve` for the TUI processes it starts when it serves beyond this computer: their
# page comes over plain http from another machine, where browsers refuse the clipboard.
REMOTE_ENV = "TROUBLESHOOTER_SERVE_REMOTE"
MIN_TOKEN = 16  # characters: a token someone could guess is no token
__all__ = ["MIN_TOKEN", "TOKEN_ENV", "is_loopback", "new_token", "same_token", "token_problem"]


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_problem(token: str) -> str | None:
    """Why a token given explicitly will not do, or None."""
    if len(token) < MIN_TOKEN:
        return f"a token needs {MIN_TOKEN} characters or more (this one has {len(token)})"
    if not all(c.isalnum() or c in "-_.~" for c in token):
        return "a token may hold letters, digits and - _ . ~ only (it goes in an address)"
    return None


def same_token(given: str | None, token: str) -> bool:
    """Compared in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), token.encode())
