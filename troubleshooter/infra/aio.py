"""Running a coroutine to completion from synchronous code."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, but the result never sits on the main task.

    When `asyncio.run` finishes, Python 3.11 checks the SIGINT handler it installed, and that
    check formats the handler, the main task and the task's result with `repr` (signal.py's
    `_int_to_enum` builds an error message it then discards). For a diagnosis of 20,000 items
    that repr alone took seconds. Keeping the result off the task makes it free.
    """
    box: list[T] = []

    async def main() -> None:
        box.append(await coroutine)

    asyncio.run(main())
    return box[0]
