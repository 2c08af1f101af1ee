"""The one redaction function every export and bundle passes through.

- Tokens, client secrets, passwords and Authorization headers never leave: a key that names one
  loses its value, a `Bearer …` or JWT-looking string loses its secret part, and any secret the
  caller knows of (the tokens this run used) is cut out wherever it appears.
- Every secret this process has held is known to every redaction, whoever asks for it: a sign-in
  registers its tokens with `hold_secrets` when it loads them and again each time it renews
  them, so a token renewed in the middle of a run is cut out of what is printed and exported
  after, even by a caller that listed the run's secrets before the renewal.
- Contact emails and phone numbers are removed, unless the person asked to keep them.
- Bank account numbers are masked to their last four digits (Dext's payment methods show the
  same four, so support can still match them).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Any

REDACTED = "[redacted]"
EMAIL_REMOVED = "[email removed]"
PHONE_REMOVED = "[phone removed]"

_SECRET_KEYS = re.compile(
    r"(^|_)(access_?token|refresh_?token|id_?token|token|secret|client_?secret|password|"
    r"authorization|api_?key|code_?verifier)$",
    re.IGNORECASE,
)
_CONTACT_KEYS = {"email": EMAIL_REMOVED, "phone": PHONE_REMOVED}
_BANK_KEYS = re.compile(r"bank_?account_?number", re.IGNORECASE)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")
# `client_secret=VALUE`, `token: VALUE`. Not the tool's own words about such a key in a settings
# file ("xero.client_secret: unknown key", "…: Input should be a valid string"): what follows
# there is a sentence, not the value.
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b(access_token|refresh_token|client_secret|api_key|password|token)"
    r"(\s*[=:]\s*)(\"?)(?!(?:unknown key|Input should|Field required|Value error)\b)"
    r"[^\s\"&,;]{4,}"
)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
# A phone number written as people write them: internationally (+64 9 555 0100), with an area
# code in brackets ((09) 555-0100), or nationally with its leading zero (021 555 0100). Dates,
# times, amounts, codes and ids do not look like any of these.
_PHONE = re.compile(
    r"(?<![\w+-])(?:\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){2,4}"
    r"|\(0?\d{1,4}\)[\s.-]?\d{3,4}[\s.-]?\d{3,4}"
    r"|0\d{1,4}[\s.-]\d{3,4}[\s.-]?\d{3,4})(?![\w-])"
)
# A bank account number: NZ-style 12-3456-0123456-00, or 8+ digits with spaces or dashes.
_BANK = re.compile(r"(?<![\w-])\d{2}-\d{4}-\d{7}-\d{2,3}(?![\w-])")


def mask_account_number(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return "••••" + digits[-4:] if len(digits) > 4 else "••••"


# Everything the patterns below can match holds one of these: an @, a JWT's start, a word that
# names a secret or a scheme, or a run of six digits or more with a phone's or a bank
# number's separators. Most text (names, codes) holds none, and is let through after one search.
_SUSPECT = re.compile(r"@|eyJ|(?i:bearer|basic|token|secret|password|api_?key)|\d[\d\s().+-]{5,}\d")


# Many strings checked at once (an export's 200,000): a few searches of all of them joined, for
# what every pattern above needs, instead of a regular expression per string. The ASCII text is
# folded first: digits to "0", letters to lower case, white space and "." to " ", every other
# character but "_", "+", "-", "(" and "@" to "#" (the "\x00" that joins the strings too). Then
# an email holds "@", a JWT "eyj", a `Bearer`/`Basic` value or a `token=…` assignment one of the
# words, a bank number "00-0000-0000000", and a phone number "+0" (international), "(0" (an area
# code in brackets) or what `_BULK_PHONE` finds (national: a 0 after no word character, "+" or
# "-", 1 to 4 digits, a separator and 3 digits). None of them holds the joining "#", so every
# find lies inside one string. Text that is not ASCII (where `\d`, `\s` and case are wider) is
# checked one string at a time.
_BULK_NEEDLES = (
    b"@", b"eyj", b"bearer", b"basic", b"token", b"secret", b"password", b"api_key", b"apikey",
    b"+0", b"(0", b"00-0000-0000000",
)  # fmt: skip
_BULK_PHONE = re.compile(rb"[ #(@]0{2,5}[ \-]000")  # the match starts one before the string's


def _fold(c: int) -> int:
    char = chr(c)
    if re.fullmatch(r"\d", char):
        return ord("0")
    if char.isalpha():
        return ord(char.lower())
    if char in "_+-(@":
        return c
    return ord(" ") if re.fullmatch(r"[\s.]", char) else ord("#")


_BULK_FOLD = bytes(_fold(c) for c in range(128)) + bytes(range(128, 256))


def _suspects(texts: Sequence[str], secrets: tuple[str, ...]) -> set[str]:
    """The texts redaction might change (a superset of those it does change)."""
    found = {text for text in texts if not text.isascii()}
    plain = [text for text in texts if text.isascii()] if found else texts
    if not plain:
        return found
    joined = "\x00" + "\x00".join(plain)
    starts = [*accumulate((len(text) + 1 for text in plain), initial=1)]
    folded = joined.encode("ascii").translate(_BULK_FOLD)

    def index_at(at: int) -> int:
        index = bisect_right(starts, at) - 1
        found.add(plain[index])
        return index

    for needle in _BULK_NEEDLES:
        at = folded.find(needle)
        while at >= 0:
            at = folded.find(needle, starts[index_at(at) + 1])
    for secret in secrets:
        at = joined.find(secret)
        while at >= 0:
            at = joined.find(secret, starts[index_at(at) + 1])
    match = _BULK_PHONE.search(folded)
    while match is not None:
        match = _BULK_PHONE.search(folded, starts[index_at(match.start() + 1) + 1] - 1)
    return found


def _scrub_text(text: str, secrets: tuple[str, ...], contact_details: bool) -> str:
    if not _SUSPECT.search(text) and not any(secret in text for secret in secrets):
        return text
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    text = _SECRET_ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{REDACTED}", text)
    text = _BANK.sub(lambda m: mask_account_number(m.group(0)), text)
    if not contact_details:
        text = _EMAIL.sub(EMAIL_REMOVED, text)
        text = _PHONE.sub(_phone_or_not, text)
    return text


def _phone_or_not(match: re.Match[str]) -> str:
    """Only numbers with a phone's count of digits (7 to 15)."""
    digits = re.sub(r"\D", "", match.group(0))
    return PHONE_REMOVED if 7 <= len(digits) <= 15 else match.group(0)


# Every secret this process has held (the tokens of its sign-ins, renewed ones included, and
# what the command line was given): every Redactor cuts them out too. Workers renew tokens in
# threads of their own, hence the lock.
_held: set[str] = set()
_held_lock = threading.Lock()


def hold_secrets(secrets: Iterable[str]) -> None:
    """Adds secrets that nothing redacted from now on may show, in this process."""
    with _held_lock:
        _held.update(s for s in secrets if s)


def release_secrets() -> None:
    """Forgets the secrets held (a new command starts with none)."""
    with _held_lock:
        _held.clear()


def held_secrets() -> tuple[str, ...]:
    with _held_lock:
        return tuple(_held)


class Redactor:
    """Redaction with its secrets prepared once, for text (`text`) and JSON-like data (`data`):
    the secrets given, and every secret the process holds (`hold_secrets`)."""

    def __init__(self, *, secrets: Iterable[str] = (), contact_details: bool = False) -> None:
        known = {*secrets, *held_secrets()}
        self.secrets = tuple(sorted({s for s in known if s and len(s) >= 4}, key=len, reverse=True))
        self.contact_details = contact_details

    def text(self, text: str) -> str:
        return _scrub_text(text, self.secrets, self.contact_details)

    def changes(self, texts: Sequence[str]) -> dict[str, str]:
        """Of many texts, those redaction changes, each with what `text` makes of it: the same
        redaction as `text` on each, found with one search of them all."""
        changed: dict[str, str] = {}
        for text in _suspects(texts, self.secrets):
            shown = _scrub_text(text, self.secrets, self.contact_details)
            if shown != text:
                changed[text] = shown
        return changed

    def data(self, node: Any) -> Any:
        return _walk(node, self.secrets, self.contact_details)


def redact(data: Any, *, secrets: Iterable[str] = (), contact_details: bool = False) -> Any:
    """A copy of JSON-like `data` (dicts, lists, strings, numbers) that is safe to share."""
    return Redactor(secrets=secrets, contact_details=contact_details).data(data)


def redact_text(text: str, *, secrets: Iterable[str] = (), contact_details: bool = False) -> str:
    """One string, safe to share or print."""
    return Redactor(secrets=secrets, contact_details=contact_details).text(text)


def _walk(node: Any, secrets: tuple[str, ...], contact_details: bool) -> Any:
    if isinstance(node, dict):
        out: dict[Any, Any] = {}
        for original, value in node.items():
            name = str(original)
            # Keys are data too (a server chooses them): a token in one is cut out as well.
            key = (
                _scrub_text(original, secrets, contact_details)
                if isinstance(original, str)
                else original
            )
            if _SECRET_KEYS.search(name) and value not in (None, "", [], {}):
                out[key] = REDACTED
            elif name in _CONTACT_KEYS and not contact_details and value is not None:
                out[key] = None
            elif _BANK_KEYS.search(name) and isinstance(value, str):
                out[key] = mask_account_number(value)
            else:
                out[key] = _walk(value, secrets, contact_details)
        return out
    if isinstance(node, list | tuple):
        return [_walk(value, secrets, contact_details) for value in node]
    if isinstance(node, str):
        return _scrub_text(node, secrets, contact_details)
    return node
