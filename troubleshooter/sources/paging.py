"""What a paged list may claim before the client stops believing it: no more pages than a
run will read, page numbers as asked, and no page that repeats one already read.

A server that answers every page with page 1, or claims 300,000 pages, or never sends a short
page, would otherwise keep a run going for ever. Each check raises a SourceError that names the
list and what was wrong, so that list (or the whole system) becomes unknown with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from troubleshooter.errors import SourceError

MAX_PAGES = 2_000  # 2 million contacts at 1,000 a page; more than 5,000 requests a day allow


class PageCheck:
    """The pages of one list, as they come in."""

    def __init__(self, system: str, what: str, max_pages: int = MAX_PAGES) -> None:
        self.system = system
        self.what = what
        self.max_pages = max_pages
        self._ends: dict[tuple[str, str], int] = {}  # (first id, last id) → page number
        self.pages_read = 0

    def fail(self, problem: str) -> SourceError:
        return SourceError(self.system, f"{self.what}: {problem}")

    def page_count(self, pages: int) -> int:
        """A page count the run will read, or the reason it will not."""
        if pages < 1:
            raise self.fail(f"the answer claims {pages} pages; a list has at least one")
        if pages > self.max_pages:
            raise self.fail(
                f"the answer claims {pages:,} pages, more than the {self.max_pages:,} a run "
                "reads (http.max_pages); stopped before reading them"
            )
        return pages

    def next_page(self, number: int) -> None:
        """Before asking for page `number` of a list whose length is not known."""
        if number > self.max_pages:
            raise self.fail(
                f"still full pages after {self.max_pages:,} pages (http.max_pages); the list "
                "does not seem to end, so the read stopped"
            )

    def numbered(self, asked: int, answered: int | None) -> None:
        if answered is not None and answered != asked:
            raise self.fail(f"asked for page {asked}, the answer is page {answered}")

    def add(self, number: int, ids: Sequence[str]) -> None:
        """A page's rows, by identity: a page that begins and ends where another did is the
        same page again."""
        self.pages_read += 1
        if not ids:
            return
        ends = (ids[0], ids[-1])
        earlier = self._ends.get(ends)
        if earlier is not None and earlier != number:
            raise self.fail(
                f"page {number} repeats page {earlier} (the same first and last rows); the "
                "server is not paging, so the read stopped"
            )
        self._ends[ends] = number
