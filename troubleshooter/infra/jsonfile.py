"""Reading a JSON file the user named (every problem is a ConfigError naming the file), and
writing one only its owner can read, whole or not at all.

Every JSON the tool reads back (bundles, saved diagnoses, the token store, the fetch cache) goes
through `parse_json`: at most `MAX_DEPTH` levels of nesting, so that no deeply nested file can
exhaust the stack here or in whatever walks the data later. Files are read through
`infra.files.read_text`, which bounds their size.
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

from pydantic import BaseModel, ValidationError

from troubleshooter.errors import ConfigError
from troubleshooter.infra.files import MAX_READ, read_text, write_file
from troubleshooter.infra.yamlfile import first_problem

MAX_DEPTH = 64  # a diagnosis or a bundle nests 7 levels


class JsonLimitError(ValueError):
    """JSON nested beyond `MAX_DEPTH`; `str()` names the line."""


def parse_json(text: str) -> Any:
    """`json.loads`, refusing (JsonLimitError, a ValueError) nesting beyond `MAX_DEPTH`."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise JsonLimitError(_too_deep(text)) from None
    if isinstance(data, dict | list) and _deeper_than(data, MAX_DEPTH):
        raise JsonLimitError(_too_deep(text))
    return data


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


def naive_time(model: BaseModel) -> str | None:
    """Where (`snapshots.0.last_pull`) the first time without a zone is in `model`, or None.
    JSON that a tool wrote always has zones; a time without one can only be compared with
    nothing, so a file holding one is refused when it is read, not when it is used. Only the
    fields whose type can hold a time are visited (a bundle of 50,000 items in a few ms)."""
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
                if value.tzinfo is None:
                    return f"{where}.{key}".lstrip(".")
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
    if annotation is Any or annotation is datetime:
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
