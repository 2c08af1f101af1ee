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
