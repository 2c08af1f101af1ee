"""Reading a JSON file the user named (every problem is a ConfigError naming the file), and
writing one only its owner can read, whole or not at all.

Every JSON the tool reads back (bundles, saved diagnoses, the token store, the fetch cache) goes
through `parse_json`: at most `MAX_DEPTH` levels of nesting, so that no deeply nested file can
exhaust the stack here or in whatever walks the data later. Files are read through
`infra.files.read_text`, which bounds their size.

Lone surrogates (`"\\ud800"`, valid JSON that no output can encode) become U+FFFD
(infra/surrogates.py).
"""

from __future__ import annotations

import functools
import json
import re
import typing
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import AwareDatetime, BaseModel, ValidationError

from troubleshooter.errors import ConfigError
from troubleshooter.infra.files import MAX_READ, read_text, write_file
from troubleshooter.infra.surrogates import may_hold_surrogates, without_lone_surrogates
from troubleshooter.infra.yamlfile import first_problem
from troubleshooter.infra.years import outside_years, years_problem

MAX_DEPTH = 64  # a diagnosis or a bundle nests 7 levels


class JsonLimitError(ValueError):
    """JSON nested beyond `MAX_DEPTH`; `str()` names the line."""


def parse_json(text: str) -> Any:
    """`json.loads`, refusing (JsonLimitError, a ValueError) nesting beyond `MAX_DEPTH` and
    numbers too long to read (Python's 4,300 digits), with lone surrogates replaced."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise JsonLimitError(_too_deep(text)) from None
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError):
            raise
        raise JsonLimitError(_too_long_number(text)) from None
    if isinstance(data, dict | list) and _deeper_than(data, MAX_DEPTH):
        raise JsonLimitError(_too_deep(text))
    if may_hold_surrogates(text):
        data = without_lone_surrogates(data)
    return data


def _too_long_number(text: str) -> str:
    """Python refuses integers of more than 4,300 digits (they take quadratic time): where."""
    match = re.search(r"\d{4300,}", text)
    if match is None:
        return "a number too long to read"
    line = text.count("\n", 0, match.start()) + 1
    return f"line {line}: a number of {len(match.group(0)):,} digits, too long to read"


def _deeper_than(data: dict[str, Any] | list[Any], limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep(text: str) -> str:
    """The message, with the line where the nesting first goes past the limit."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group(0)
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                return f"line {line}: nested more than {MAX_DEPTH} levels deep"
        elif token in "]}":
            depth -= 1
    return f"nested more than {MAX_DEPTH} levels deep"


def read_json(path: Path, *, limit: int = MAX_READ) -> Any:
    try:
        return parse_json(read_text(path, limit))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    except JsonLimitError as exc:
        raise ConfigError(f"{path}: {exc}") from None


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any, path: Path) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {first_problem(exc)}") from None


def time_problem(model: BaseModel) -> str | None:
    """Where (`snapshots.0.last_pull`) the first time without a zone, or outside the years
    1970 to 2999 (infra/years.py), is in `model`, and what is wrong with it; or None.
    JSON that a tool wrote always has zones; a time without one can only be compared with
    nothing, and one near datetime's ends overflows when it is shown, so a file holding one is
    refused when it is read, not when it is used. Only the fields whose type can hold a time
    are visited (a bundle of 50,000 items in a few ms)."""
    stack: list[tuple[Any, str]] = [(model, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, BaseModel):
            children: Iterable[tuple[Any, Any]] = (
                (k, getattr(node, k)) for k in _timed_fields(type(node))
            )
        elif isinstance(node, dict):
            children = node.items()
        elif isinstance(node, list | tuple):
            children = enumerate(node)
        else:
            continue
        later = []
        for key, value in children:
            if value is None or isinstance(value, str | int | float):
                continue
            if isinstance(value, datetime):
                place = f"{where}.{key}".lstrip(".")
                if value.tzinfo is None:
                    return f"{place}: the time has no time zone"
                if outside_years(value):
                    return f"{place}: {years_problem(value)}"
            else:
                later.append((value, f"{where}.{key}"))
        stack.extend(reversed(later))
    return None


@functools.cache
def _timed_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `model` whose type may hold a datetime, at any depth."""
    return tuple(
        name for name, info in model.model_fields.items() if _may_hold_time(info.annotation)
    )


def _may_hold_time(annotation: Any) -> bool:
    if annotation is Any or annotation is datetime or annotation is AwareDatetime:
        return True
    if isinstance(annotation, type):
        return issubclass(annotation, datetime) or (
            issubclass(annotation, BaseModel) and bool(_timed_fields(annotation))
        )
    return any(_may_hold_time(arg) for arg in typing.get_args(annotation))


def write_private_json(path: Path, data: Any) -> None:
    """Writes `data` to `path` readable by its owner only (0600), in a folder only the owner can
    enter, never half-written and never through a planted link (infra/files.py)."""
    write_file(path, json.dumps(data), private=True, follow_links=False)
