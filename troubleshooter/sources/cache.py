"""A local cache of Xero's lists, keyed by organisation and endpoint, so that a diagnosis a few
minutes later asks Xero only for what changed (`If-Modified-Since`, which Xero honours on
Accounts and Contacts).

Entries older than `max_age` are not used: Xero does not report deletions through
`If-Modified-Since`, so a full read now and then keeps the cache honest. The files hold what
Xero returned (names, emails), so they are readable by their owner only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from troubleshooter.jsonfile import write_private_json


@dataclass
class CacheEntry:
    fetched_at: datetime  # Xero's own clock (DateTimeUTC) when the rows were read
    rows: list[dict[str, Any]]


class FetchCache:
    def __init__(self, folder: Path, max_age: timedelta = timedelta(hours=24)) -> None:
        self.folder = folder
        self.max_age = max_age

    def _path(self, tenant: str, endpoint: str) -> Path:
        safe = "".join(c for c in tenant if c.isalnum() or c == "-")[:64] or "tenant"
        return self.folder / safe / f"{endpoint.lower()}.json"

    def load(self, tenant: str, endpoint: str, now: datetime | None = None) -> CacheEntry | None:
        path = self._path(tenant, endpoint)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entry = CacheEntry(datetime.fromisoformat(data["fetched_at"]), list(data["rows"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if (now or datetime.now(UTC)) - entry.fetched_at > self.max_age:
            return None
        return entry

    def save(self, tenant: str, endpoint: str, entry: CacheEntry) -> None:
        write_private_json(
            self._path(tenant, endpoint),
            {"fetched_at": entry.fetched_at.isoformat(), "rows": entry.rows},
        )

    def clear(self) -> None:
        for path in self.folder.rglob("*.json"):
            path.unlink(missing_ok=True)
