"""Pausing Python's cyclic garbage collector while building many objects at once.

A diagnosis of a large organisation creates a few hundred thousand small objects (traces, their
per-stage detail, dictionaries) and keeps nearly all of them. The collector, triggered every 700
allocations, walks that growing heap again and again: measured on 52,000 items it was more than
half the time (3.6 s with it, 1.7 s without). None of these objects form reference cycles, so
pausing it for the duration loses nothing; it runs again as soon as the work is done.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = True
_set_aside = False  # set_aside has frozen objects that bring_back has not returned yet
_aside_lock = threading.Lock()  # set_aside and bring_back run in different threads


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pauses the collector until the last of the overlapping pauses ends (pauses overlap when
    several organisations are diagnosed at once, or a thread diagnoses while a fetch runs)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def set_aside() -> None:
    """Takes every object alive now out of the collector's sight (`gc.freeze`), for a program
    that keeps a large result a while: the TUI, once a read is done and once its diagnosis is
    on screen.

    Without it, the collector walks every item and trace of that result again: right after the
    read (a tenth of a second before the diagnosis could show, for 20,000 items), and in its
    full passes (a quarter of a second each, at moments the allocations decide: a person's
    first search took that much more). Objects set aside are still freed as soon as nothing
    refers to them; only cycles among them wait, until `bring_back`."""
    global _set_aside
    with _aside_lock:
        _set_aside = True
        gc.freeze()


def bring_back() -> None:
    """Returns what `set_aside` took out of the collector's sight, and collects what of it no
    longer lives (cycles: a read leaves a few thousand objects in them). Before the next read,
    so that what waits is never more than one read's. Nothing set aside, nothing to do."""
    global _set_aside
    with _aside_lock:
        if not _set_aside:
            return
        _set_aside = False
        gc.unfreeze()
    gc.collect()


@contextmanager
def kept_aside() -> Iterator[None]:
    """For work whose result a program keeps until it does the same work again (a read the TUI
    shows, or `diagnose --watch` checks again): what the last such work set aside is brought
    back first, the collector is paused meanwhile, and what the work made is set aside at the
    end, before the collector could walk it."""
    bring_back()
    with collector_paused():
        yield
        set_aside()
