"""Half a UTF-16 pair, made whole or replaced.

JSON may write a surrogate on its own (`"\\ud800"`), and YAML's `\\u` escapes write each half of
a pair separately: valid text to their parsers, yet a string that no output can encode (UTF-8
refuses it, so printing, writing or serialising it fails). Every JSON the tool reads (files,
servers' answers, sign-in services) and every YAML file passes through `without_lone_surrogates`
when its text escapes a surrogate at all: pairs are joined into their character, and a lone half
becomes U+FFFD, the replacement character.
"""

from __future__ import annotations

import re
from typing import Any

# The escape of a UTF-16 surrogate (\ud800 to \udfff), in JSON's text or YAML's.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\(?:u|U0000)[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def may_hold_surrogates(raw: str | bytes) -> bool:
    """Whether JSON or YAML text escapes a surrogate anywhere (cheap: most text does not)."""
    if isinstance(raw, bytes):
        return _SURROGATE_ESCAPE_BYTES.search(raw) is not None
    return _SURROGATE_ESCAPE.search(raw) is not None


def _whole(text: str) -> str:
    """`text` with each pair of surrogates joined into its character, and each lone one
    replaced by U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def without_lone_surrogates(data: Any) -> Any:
    """JSON-like `data` (parsed JSON or YAML) with every string, keys included, made
    encodable: surrogate pairs joined, lone surrogates replaced by U+FFFD. Changed in place
    (no copy, no recursion) and returned."""
    if isinstance(data, str):
        return _whole(data)
    stack = [data] if isinstance(data, dict | list) else []
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, str):
                    node[index] = _whole(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
            continue
        for key in list(node):
            value = node[key]
            if isinstance(value, str):
                node[key] = _whole(value)
            elif isinstance(value, dict | list):
                stack.append(value)
            if isinstance(key, str) and (fixed := _whole(key)) != key:
                node[fixed] = node.pop(key)
    return data
