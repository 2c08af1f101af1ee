"""YAML reading for every file the project loads: safe only, with line numbers kept so that an
error can name the line a person has to fix, and with limits, so that a small hostile file
cannot take minutes or gigabytes:

- an alias (`*name`) counts as the nodes it stands for: a file whose aliases add up to more than
  `ALIAS_BUDGET` nodes (a "billion laughs") is refused, and so is an alias inside the node it
  names (a loop);
- nesting deeper than `MAX_DEPTH` (aliases included) is refused before it can exhaust the stack;
- text longer than `MAX_CHARS` is refused before it is parsed;
- a surrogate written as an escape (`"\\ud800"`) is made whole or replaced (infra/surrogates.py),
  so that no output fails to encode what was read.

Each refusal is a `YamlLimitError` (a `yaml.YAMLError`) with the line and column, so every
loader that already names the file and line for a YAML error does so for these too.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import yaml
from pydantic import ValidationError

from troubleshooter.infra.surrogates import may_hold_surrogates, without_lone_surrogates

MAX_CHARS = 64 * 1024 * 1024  # a 50,000-contact scenario is under 3 MB
MAX_DEPTH = 64  # the deepest shipped file nests 8 levels
ALIAS_BUDGET = 10_000  # nodes that aliases may add, all together


class YamlLimitError(yaml.MarkedYAMLError):
    """A file beyond one of the limits above. `problem` says which, in a person's words."""


class LineDict(dict[Any, Any]):
    """A mapping from a YAML file that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader (no Python tags, ever) whose mappings remember their lines, and which counts
    what aliases stand for and how deep the nodes nest while it composes them."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._expanded = 0
        self._open: set[str] = set()  # anchors whose nodes are still being composed
        self._shape: dict[int, tuple[int, int]] = {}  # id(node) → (nodes, depth)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            node = self.anchors.get(event.anchor)
            if node is not None:
                self._count_alias(event, node)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YamlLimitError(
                problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=event.start_mark
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open.discard(anchor)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value its tag cannot hold (`2026-13-45`, `!!int abc`) is a YAML error at its
        line, like any other, not a ValueError from deep inside the parser."""
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            tag = str(node.tag).rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(
                None, None, f"not a valid {tag} ({exc})", node.start_mark
            ) from None

    def _count_alias(self, event: Any, node: yaml.Node) -> None:
        anchor = event.anchor
        if anchor in self._open:
            raise YamlLimitError(
                problem=f"the alias *{anchor} is inside the node it names (a loop)",
                problem_mark=event.start_mark,
            )
        size, depth = self._measure(node)
        self._expanded += size
        if self._expanded > ALIAS_BUDGET:
            raise YamlLimitError(
                problem=f"aliases (*name) stand for more than {ALIAS_BUDGET:,} values in all; "
                "write the values out, or use fewer aliases",
                problem_mark=event.start_mark,
            )
        if self._depth + depth > MAX_DEPTH:
            raise YamlLimitError(
                problem=f"the alias *{anchor} nests more than {MAX_DEPTH} levels deep",
                problem_mark=event.start_mark,
            )

    def _measure(self, node: yaml.Node) -> tuple[int, int]:
        """How many nodes `node` stands for, aliases expanded, and how deep it nests. Each
        node is measured once, so this costs no more than the file's own size."""
        known = self._shape.get(id(node))
        if known is not None:
            return known
        size, depth = 1, 1
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        for child in children:
            child_size, child_depth = self._measure(child)
            size += child_size
            depth = max(depth, child_depth + 1)
        self._shape[id(node)] = (size, depth)
        return size, depth


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                "a key must be plain text",
                key_node.start_mark,
            )
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"the key {key!r} appears twice",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


def _construct_int(loader: _LineLoader, node: yaml.ScalarNode) -> int | str:
    """YAML 1.1 reads `0710` as octal 456. Here a number with a leading zero is an account
    code, so it stays the text it was written as."""
    text = str(node.value)
    if len(text) > 1 and text.startswith("0") and text[1].isdigit():
        return text
    value: int = loader.construct_yaml_int(node)
    return value


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class _TextLoader(_LineLoader):
    """The same, with every scalar the text it was written as: in an answers file `13:00` is a
    time (YAML 1.1 reads it as 780), `yes` a word (not True), `2026-11-25` a date as typed."""


def _as_written(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    return str(node.value)


for _tag in ("bool", "int", "float", "timestamp", "null"):
    _TextLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _as_written)


def load_yaml(text: str, *, as_written: bool = False) -> Any:
    """Parses YAML text safely (like `yaml.safe_load`), keeping line numbers in `LineDict`s,
    within the limits above; with `as_written`, every scalar stays the text it was written as."""
    if len(text) > MAX_CHARS:
        raise YamlLimitError(
            problem=f"larger than {MAX_CHARS // (1024 * 1024)} MB, the most this tool reads"
        )
    try:
        data = yaml.load(text, Loader=_TextLoader if as_written else _LineLoader)
    except RecursionError:  # cannot happen within MAX_DEPTH; a safety net all the same
        raise YamlLimitError(problem=f"nested more than {MAX_DEPTH} levels deep") from None
    return without_lone_surrogates(data) if may_hold_surrogates(text) else data


def yaml_error_text(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, YamlLimitError):
        return f"{where}{problem}"
    return f"{where}not valid YAML ({problem})"


def line_of(data: Any, loc: Sequence[str | int]) -> int | None:
    """The line of the deepest part of `loc` (a pydantic error location) found in `data`."""
    line: int | None = getattr(data, "line", None)
    node = data
    for part in loc:
        if isinstance(node, LineDict) and str(part) in node.key_lines:
            line = node.key_lines[str(part)]
            node = node[part] if part in node else node.get(str(part))
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line


def validation_problem(
    exc: ValidationError, data: Any, known: Iterable[str] = ()
) -> tuple[int | None, str]:
    """The problem to show first (see `validation_problems`)."""
    return validation_problems(exc, data, known)[0]


def validation_problems(
    exc: ValidationError, data: Any, known: Iterable[str] = ()
) -> list[tuple[int | None, str]]:
    """Every problem pydantic found, each with its line and "key: what is wrong". A misspelt key
    comes first, with the nearest known key offered; the "required" error it explains (the key
    it offers) is left out. The alternatives of a union are one problem."""
    known = list(known)
    found: dict[tuple[Any, ...], tuple[int | None, list[str]]] = {}
    offered: set[str] = set()
    for err in sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden"):
        loc = _data_loc(data, err["loc"])
        problem = err["msg"]
        if err["type"] == "extra_forbidden":
            problem = "unknown key"
            close = difflib.get_close_matches(str(err["loc"][-1]), known, n=1)
            if close and len(err["loc"]) == 1:
                problem += f" (did you mean '{close[0]}'?)"
                offered.add(close[0])
        elif err["type"] == "missing" and len(loc) == 1 and str(loc[0]) in offered:
            continue
        found.setdefault(loc, (line_of(data, loc), []))[1].append(problem)
    return [
        (line, f"{'.'.join(str(p) for p in loc) or '(top level)'}: {'; or '.join(problems)}")
        for loc, (line, problems) in found.items()
    ]


def _data_loc(data: Any, loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """The part of a pydantic error location that names the data: a union member's tag (such
    as `str-enum[ItemKind]`) is not a place in the file."""
    node, shown = data, []
    for part in loc:
        if isinstance(node, dict):
            shown.append(part)
            if part not in node:
                break  # a missing or unknown key: the place is the key
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            shown.append(part)
            node = node[part]
        else:
            break
    return tuple(shown)


def first_problem(exc: ValidationError) -> str:
    """The first thing pydantic found wrong, as "where: what"."""
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
