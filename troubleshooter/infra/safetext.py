"""Text from systems and files shown as text: control and bidi characters made visible.

Names, codes and messages come from systems and files the tool does not control. A name holding
`ESC [2J` would wipe a terminal, `ESC ] 0;… BEL` retitle it, an OSC 8 sequence hide a link, a
right-to-left override reverse what a person reads, and C1 controls (U+0080–U+009F) are read as
escapes by some terminals. Half a UTF-16 pair (U+D800–U+DFFF) cannot be encoded at all, so
printing it would fail. Every such character is shown as a visible escape (`\\x1b`,
`\\u202e`, `\\ud800`), so the text stays readable and inert in a terminal, in Markdown and in
the TUI.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL; the bidi embeddings, overrides, isolates and marks; the line and
# paragraph separators (which some renderers treat as new lines); surrogates (unencodable).
_BIDI_AND_SURROGATES = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff"
# Characters that show nothing and join nothing: a zero-width space, the word joiner and the
# byte-order mark make two names that look the same differ. (The zero-width joiners U+200C and
# U+200D stay: scripts and emoji need them.)
_INVISIBLE = "\u200b\u2060\ufeff"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_AND_SURROGATES}{_INVISIBLE}]")
_UNSAFE_KEEP_LINES = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_BIDI_AND_SURROGATES}{_INVISIBLE}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# What JSON lets through raw but a terminal, an editor or a viewer may obey: DEL, C1 controls, the
# bidi characters and the line separators (C0 controls are always escaped by JSON itself).
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_BIDI_AND_SURROGATES}]")
# The same in UTF-8: each is one lead byte (never a continuation byte) and its continuations,
# so a match can never start inside another character.
_JSON_UNSAFE_BYTES = re.compile(
    rb"\x7f|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]"
)


def json_visible(text: str) -> str:
    """JSON text with DEL, C1, bidi and line-separator characters written as `\\uXXXX`: the
    same JSON to a parser, and inert to a person who opens it. Such characters can only be
    inside strings (JSON's own syntax is ASCII), so this is safe on the whole text."""
    if not _JSON_UNSAFE.search(text):
        return text
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


# The bytes every match starts with: most JSON holds none of them, or few, and looking for a
# byte is many times faster than a regular expression's scan of 50 MB.
_JSON_UNSAFE_LEADS = (b"\x7f", b"\xc2", b"\xd8", b"\xe2")


def _json_escape(match: re.Match[bytes]) -> bytes:
    return f"\\u{ord(match.group(0).decode('utf-8')):04x}".encode("ascii")


def json_visible_bytes(data: bytes) -> bytes:
    """`json_visible` for UTF-8 JSON, without decoding it (a 50 MB export is not copied).
    The regular expression is tried only where one of its lead bytes is (a match never starts
    inside a character, so every match starts at one of them)."""
    starts: list[int] = []
    for lead in _JSON_UNSAFE_LEADS:
        at = data.find(lead)
        while at >= 0:
            starts.append(at)
            at = data.find(lead, at + 1)
    if not starts:
        return data
    if len(starts) > 100_000:  # text in a script with many of them: one scan is quicker
        return _JSON_UNSAFE_BYTES.sub(_json_escape, data)
    starts.sort()
    parts: list[bytes] = []
    done = 0
    for at in starts:
        if at < done:
            continue
        match = _JSON_UNSAFE_BYTES.match(data, at)
        if match is not None:
            parts += (data[done:at], _json_escape(match))
            done = match.end()
    parts.append(data[done:])
    return b"".join(parts)


def visible(text: str) -> str:
    """One line of text, safe to print: every control and bidi character (new lines and tabs
    too) becomes a visible escape. Plain text comes back as it was, at no cost."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_escape, text)


def visible_lines(text: str) -> str:
    """Like `visible`, but new lines stay new lines (for messages of several lines)."""
    if not _UNSAFE_KEEP_LINES.search(text):
        return text
    return _UNSAFE_KEEP_LINES.sub(_escape, text)
