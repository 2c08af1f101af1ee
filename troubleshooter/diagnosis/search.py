"""The one item search: what a person means by "wellbeing", "429" or "Region / Auck".

Used by `--item`, the TUI's "What can't you find in Dext?" and the items table's filter, so the
three agree. A query matches an item by its key, its code, or (part of) any name it has at any
stage, its tracking category's name included ("Region / Auckland"); case, accents, spacing and
surrounding punctuation aside ("maori" finds "Café Māori", "Māori" finds "Maori Wardens").
Matches come best first: the code itself, the whole name, a name that starts with the query, a
word that does, then anything containing it.

When nothing matches, `closest_names` offers the nearest names as they are spelt, so a person
sees "Staff Wellbeing", not a normalised key; only names close enough to be a typo of what was
typed, so "GST" is never offered for "Staf Welbeing".
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable

from rapidfuzz import fuzz, process, utils

from troubleshooter.model import ItemTrace, normalise_name

# Letters that are not a Latin letter with a mark, spelt as people type them without it.
_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "đ": "d",
     "Đ": "D", "ð": "d", "Ð": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH", "ı": "i"}
)  # fmt: skip


@functools.lru_cache(maxsize=65536)
def unaccented(text: str) -> str:
    """Text without its accents, as typed on a keyboard without them: "Café Māori" → "Cafe
    Maori", "Øresund" → "Oresund". Letters of other scripts are kept as they are."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _fold(name: str) -> str:
    """A name as the search compares it: case, accents, spacing and punctuation aside."""
    return normalise_name(unaccented(name))


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
        normal = _fold(name)
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
    wanted = _fold(raw)
    if not wanted:
        return lambda trace: True
    return lambda trace: _rank(trace, raw, wanted) is not None


def search_items(traces: Iterable[ItemTrace], text: str) -> list[ItemTrace]:
    """The items a person means by `text`, best first (a stable order within a rank)."""
    raw = text.strip()
    wanted = _fold(raw)
    if not wanted:
        return []
    ranked = [
        (rank, i, t) for i, t in enumerate(traces) if (rank := _rank(t, raw, wanted)) is not None
    ]
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    if ranked and ranked[0][0] == _CODE:  # a code or key names its items exactly
        return [t for rank, _, t in ranked if rank == _CODE]
    return [t for _, _, t in ranked]


# How close a name must be to be offered: a typo or two in the whole name, or in the words
# typed ("Staf Welbeing", "welbeing", "Sparkel cleaning"), but not a short name that merely
# shares a few letters ("GST" or "Cleaning" for "Staf Welbeing").
CLOSE_ENOUGH = 80
_CANDIDATES = 50  # the nearest by rapidfuzz's quick measure, scored again word by word


def closeness(typed: str, name: str) -> float:
    """0 to 100: the whole name against what was typed, or word by word (each word typed
    against the name's nearest word, longer words counting more), whichever is closer."""
    query = utils.default_process(unaccented(typed))
    target = utils.default_process(unaccented(name))
    whole = fuzz.ratio(query, target)
    words, targets = query.split(), target.split()
    if not words or not targets:
        return whole
    weights = [len(w) for w in words]
    nearest = [max(fuzz.ratio(w, t) for t in targets) for w in words]
    by_word = sum(n * w for n, w in zip(nearest, weights, strict=True)) / sum(weights)
    return max(whole, by_word)


def closest_names(traces: Iterable[ItemTrace], text: str, limit: int = 3) -> list[str]:
    """The names nearest to `text`, as they are spelt, for "did you mean …?": only names close
    enough to be what was meant (`CLOSE_ENOUGH`), best first."""
    names = list(dict.fromkeys(name for t in traces for name in _names(t)))
    if not names or not text.strip():
        return []
    # rapidfuzz's weighted ratio (in C) narrows thousands of names to a few; it also rates a
    # short name that shares letters highly, so the few are scored again by `closeness`.
    candidates = process.extract(
        unaccented(text), [unaccented(n) for n in names], scorer=fuzz.WRatio,
        processor=utils.default_process, limit=_CANDIDATES, score_cutoff=50,
    )  # fmt: skip
    scored = [(closeness(text, name), index) for name, _score, index in candidates]
    kept = sorted((s for s in scored if s[0] >= CLOSE_ENOUGH), key=lambda s: (-s[0], s[1]))
    return [names[index] for _, index in kept[:limit]]
