"""The one item search: what a person means by "wellbeing", "429" or "Region / Auck".

Used by `--item`, the TUI's "What can't you find in Dext?" and the items table's filter, so the
three agree. A query matches an item by its key, its code, or (part of) any name it has at any
stage, its tracking category's name included ("Region / Auckland"); case, spacing and
surrounding punctuation aside. Matches come best first: the code itself, the whole name, a name
that starts with the query, a word that does, then anything containing it.

When nothing matches, `closest_names` offers the nearest names as they are spelt (rapidfuzz's
weighted ratio), so a person sees "Staff Wellbeing", not a normalised key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rapidfuzz import fuzz, process, utils

from troubleshooter.model import ItemTrace, normalise_name

# Ranks, best first.
_CODE, _WHOLE, _START, _WORD, _PART = range(5)


def _names(trace: ItemTrace) -> list[str]:
    """Every name the item has at some stage, as a person may type it."""
    found = [d.name for d in trace.detail.values() if d.name] or [trace.name]
    if trace.parent:
        found += [f"{trace.parent} / {n}" for n in found]
    return found


def _rank(trace: ItemTrace, raw: str, wanted: str) -> int | None:
    if trace.key == raw or (trace.code and trace.code.casefold() == raw.casefold()):
        return _CODE
    best: int | None = None
    for name in _names(trace):
        normal = normalise_name(name)
        if normal == wanted:
            return _WHOLE
        if normal.startswith(wanted):
            rank = _START
        elif f" {wanted}" in f" {normal}".replace("/", " "):
            rank = _WORD
        elif wanted in normal:
            rank = _PART
        else:
            continue
        best = rank if best is None else min(best, rank)
    return best


def matcher(text: str) -> Callable[[ItemTrace], bool]:
    """A predicate for filtering many items quickly (the TUI's table): same rules as
    `search_items`, without the ranking."""
    raw = text.strip()
    wanted = normalise_name(raw)
    if not wanted:
        return lambda trace: True
    return lambda trace: _rank(trace, raw, wanted) is not None


def search_items(traces: Iterable[ItemTrace], text: str) -> list[ItemTrace]:
    """The items a person means by `text`, best first (a stable order within a rank)."""
    raw = text.strip()
    wanted = normalise_name(raw)
    if not wanted:
        return []
    ranked = [
        (rank, i, t) for i, t in enumerate(traces) if (rank := _rank(t, raw, wanted)) is not None
    ]
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    if ranked and ranked[0][0] == _CODE:  # a code or key names its items exactly
        return [t for rank, _, t in ranked if rank == _CODE]
    return [t for _, _, t in ranked]


def closest_names(traces: Iterable[ItemTrace], text: str, limit: int = 3) -> list[str]:
    """The names nearest to `text`, as they are spelt, for "did you mean …?"."""
    names = list(dict.fromkeys(name for t in traces for name in _names(t)))
    if not names or not text.strip():
        return []
    hits = process.extract(
        text, names, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit,
        score_cutoff=60,
    )  # fmt: skip
    return [name for name, _score, _index in hits]
