"""A small interpreter for Xero's `where` filter, enough for what clients send.

Grammar: comparisons `Field==value` / `Field!=value`, methods `Field.Contains("x")`,
`.StartsWith`, `.EndsWith`, joined by `AND` / `OR` (or `&&` / `||`), with parentheses.
Values: "strings", true, false, null, numbers, and Guid("…"). Anything else is a
`WhereError`, which the sandbox answers with Xero's 400 validation error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>==|!=|&&|\|\||\(|\)|\.|,)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_METHODS: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda field, arg: arg.casefold() in field.casefold(),
    "startswith": lambda field, arg: field.casefold().startswith(arg.casefold()),
    "endswith": lambda field, arg: field.casefold().endswith(arg.casefold()),
}


class WhereError(ValueError):
    """A filter the sandbox does not understand."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise WhereError(f"cannot read the filter at {text[pos : pos + 20]!r}")
        pos = match.end()
        kind = match.lastgroup
        assert kind is not None
        value = match.group(kind)
        if kind == "word" and value.upper() in ("AND", "OR"):
            kind, value = "op", "&&" if value.upper() == "AND" else "||"
        out.append((kind, value))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (kind and token[0] != kind) or (value and token[1] != value):
            wanted = value or kind or "more"
            raise WhereError(
                f"expected {wanted} in the filter, found {token[1] if token else 'the end'}"
            )
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        if self.peek() is not None:
            raise WhereError(f"unexpected {self.peek()[1]!r} in the filter")  # type: ignore[index]
        return predicate

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == ("op", "||"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else lambda row: any(p(row) for p in parts)

    def conjunction(self) -> Predicate:
        parts = [self.atom()]
        while self.peek() == ("op", "&&"):
            self.take()
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else lambda row: all(p(row) for p in parts)

    def atom(self) -> Predicate:
        if self.peek() == ("op", "("):
            self.take()
            inner = self.disjunction()
            self.take("op", ")")
            return inner
        path = [self.take("word")[1]]
        while self.peek() == ("op", "."):
            self.take()
            path.append(self.take("word")[1])
        if self.peek() == ("op", "("):
            return self.method(path)
        op = self.take("op")[1]
        if op not in ("==", "!="):
            raise WhereError(f"unsupported operator {op!r}")
        expected = self.value()
        equal = op == "=="
        return lambda row: (_compare(_lookup(row, path), expected)) == equal

    def method(self, path: list[str]) -> Predicate:
        name = path.pop().casefold()
        if name not in _METHODS or not path:
            raise WhereError(f"unsupported method {name!r}")
        self.take("op", "(")
        argument = self.value()
        self.take("op", ")")
        if not isinstance(argument, str):
            raise WhereError(f"{name} takes a string")
        test = _METHODS[name]
        return lambda row: isinstance(v := _lookup(row, path), str) and test(v, argument)

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "number":
            return float(text)
        if kind == "word":
            lowered = text.casefold()
            if lowered in ("true", "false"):
                return lowered == "true"
            if lowered == "null":
                return None
            if lowered == "guid":
                self.take("op", "(")
                inner = self.value()
                self.take("op", ")")
                return inner
        raise WhereError(f"expected a value, found {text!r}")


def _lookup(row: Mapping[str, Any], path: list[str]) -> Any:
    value: Any = row
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _compare(actual: Any, expected: Any) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        return actual.casefold() == expected.casefold()
    if (
        isinstance(expected, float)
        and isinstance(actual, int | float)
        and not isinstance(actual, bool)
    ):
        return float(actual) == expected
    return bool(actual == expected)


def compile_where(text: str | None) -> Predicate:
    """Turns a `where` string into a predicate over a Xero JSON object."""
    if text is None or not text.strip():
        return lambda row: True
    return _Parser(text).parse()
