"""A local cache of Xero's lists, keyed by where Xero answers (its base URL: real Xero, or a
sandbox served at some address), the organisation and the endpoint, so that a diagnosis a few
minutes later asks Xero only for what changed (`If-Modified-Since`, which Xero honours on
Accounts and Contacts). Each base URL gets its own folder, named by a digest of the URL.

Two clocks, each used for what it means, never compared with each other:

- `server_time` is **Xero's** clock (the `DateTimeUTC` of its first answer). It is what goes
  into `If-Modified-Since` next time: Xero compares it with its own `UpdatedDateUTC`, so only
  Xero's clock is right for it (a host running a day late would otherwise miss a day of changes).
- `stored_at` is **this machine's** clock when the rows were read. The entry's age is this
  machine's clock now minus `stored_at`: a served sandbox dated last week, or a laptop whose
  clock is off by a day, still finds its cache of five minutes ago fresh.

Entries older than `max_age` are not used: Xero does not report deletions through
`If-Modified-Since`, so a full read now and then keeps the cache honest. An entry stored "in the
future" (this machine's clock was set back since) is not trusted either. The files hold what
Xero returned (names, emails), so they are readable by their owner only.

Saving can fail (a full disk, a read-only folder); the caller decides what that costs (the
Xero client ignores it: the read itself succeeded).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from troubleshooter.infra.clock import host_now
from troubleshooter.infra.files import read_text
from troubleshooter.infra.jsonfile import parse_json, write_private_json

# How far this machine's clock may seem to have gone back before an entry is not trusted.
CLOCK_SLACK = timedelta(minutes=5)


@dataclass
class CacheEntry:
    server_time: datetime  # Xero's clock (DateTimeUTC) when the rows were read: If-Modified-Since
    rows: list[dict[str, Any]]
    stored_at: datetime | None = None  # this machine's clock then: the entry's age


class FetchCache:
    def __init__(
        self,
        folder: Path,
        max_age: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = host_now,
    ) -> None:
        self.folder = folder
        self.max_age = max_age
        self.clock = clock

    def _path(self, tenant: str, endpoint: str, source: str = "") -> Path:
        safe = "".join(c for c in tenant if c.isalnum() or c == "-")[:64] or "tenant"
        return self.folder / f"{safe}-{source_digest(source)}" / f"{endpoint.lower()}.json"

    def load(self, tenant: str, endpoint: str, *, source: str = "") -> CacheEntry | None:
        """The entry, if there is one young enough on this machine's clock. `source` is where
        Xero answers (its base URL)."""
        path = self._path(tenant, endpoint, source)
        try:
            data = parse_json(read_text(path))  # bounded in size and depth
            entry = CacheEntry(
                server_time=_aware(data["server_time"]),
                rows=list(data["rows"]),
                stored_at=_aware(data["stored_at"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, unreadable, or written by an older version: read whole
        age = self.clock() - entry.stored_at  # type: ignore[operator]
        if age > self.max_age or age < -CLOCK_SLACK:
            return None
        return entry

    def save(self, tenant: str, endpoint: str, entry: CacheEntry, *, source: str = "") -> None:
        stored_at = entry.stored_at or self.clock()
        write_private_json(
            self._path(tenant, endpoint, source),
            {
                "server_time": entry.server_time.isoformat(),
                "stored_at": stored_at.isoformat(),
                "rows": entry.rows,
            },
        )

    def clear(self) -> None:
        for path in self.folder.rglob("*.json"):
            path.unlink(missing_ok=True)


def source_digest(base_url: str) -> str:
    """A short, URL-safe name for where Xero answers (the same URL, the same name)."""
    normal = base_url.strip().rstrip("/").lower()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]


def _aware(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError("a cache time without a zone")
    return moment
