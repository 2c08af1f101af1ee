"""Values as inert Markdown and safe links: the filters the templates use."""

from __future__ import annotations

import re
from typing import Any

from troubleshooter.infra.safetext import visible

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_WEB_LINK = re.compile(r"https?://[^\s<>\"'`\\]+")


def md(value: Any) -> str:
    """A value as inert Markdown text: one line (new lines and tabs become spaces, other
    control characters visible escapes), markup characters escaped, and no leading character a
    spreadsheet would take for a formula."""
    text = visible(" ".join(str(value).split()))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    if text[:1] in ("=", "+", "-", "@", "#"):
        text = "\\" + text
    return text


def safe_url(value: Any) -> str:
    """Only plain web links; anything else (javascript:, data:, …) becomes nothing."""
    text = str(value or "")
    return text if _WEB_LINK.fullmatch(text) else ""


def code(value: Any) -> str:
    """A value inside `backticks`."""
    return visible(str(value)).replace("`", "'")
