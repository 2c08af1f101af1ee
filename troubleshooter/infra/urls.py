"""Addresses as the tool shows them (`config show`, `connect --status`): an adapter's URL may
carry credentials (`http://admin:PASSWORD@host/…`, `?api_key=…`), and what is shown on a
screen ends up in screenshots and support tickets. The password of the user part and the value
of every query parameter whose name looks like a secret are masked; the rest is shown as given,
so that the person can still tell which address is configured."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "****"

# A query parameter whose name holds one of these is a credential: api_key, apikey, token,
# access_token, secret, password, pwd, sig, signature, auth, code, key, credential, session.
_SECRET_PARAM = re.compile(
    r"(?i)(key|token|secret|passw|pwd|pass$|sig|auth|code|credential|session|jwt)"
)


def shown_url(url: str) -> str:
    """`url` with its user part's password and its secret-looking query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _mask_loose(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        # user:password keeps the user; a user part alone may be a token (https://TOKEN@host)
        netloc = f"{user}:{MASK}@{hostport}" if colon else f"{MASK}@{hostport}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            parts.path,
            _masked_params(parts.query),
            _masked_params(parts.fragment),
        )
    )


def _masked_params(text: str) -> str:
    """`a=1&api_key=…` with the values of secret-looking names masked."""
    out = []
    for param in text.split("&") if text else ():
        name, equals, value = param.partition("=")
        out.append(f"{name}={MASK}" if equals and value and _SECRET_PARAM.search(name) else param)
    return "&".join(out)


def _mask_loose(text: str) -> str:
    """Text that is not a URL urlsplit can read: every `user:password@` and `name=value` of a
    secret-looking name masked all the same."""
    text = re.sub(r"(//[^/@:\s]*):[^/@\s]*@", rf"\1:{MASK}@", text)
    return re.sub(
        r"([?&#;]([^=&#\s]*)=)([^&#\s]*)",
        lambda m: m.group(1) + (MASK if _SECRET_PARAM.search(m.group(2)) else m.group(3)),
        text,
    )
