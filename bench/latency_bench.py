"""Benchmark 1, latency-bound: the large organisation (2,000 accounts, 2 × 100 tracking options,
50,000 contacts of which 20,000 suppliers, 100 tax rates, 20 bank accounts) read from a sandbox
on a real socket, in its own process, that answers every request 100 ms late.

Prints the wall time, the requests per system, the lower bound (the fewest sequential round trips
any client needs under Xero's paging and its 5-in-flight limit, times the delay) and the ratio.
Target: ratio ≤ 1.3.

    python bench/latency_bench.py [--delay 0.1] [--contacts 50000] [--page-size 1000]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import served, write_scenario

from troubleshooter.infra import aio
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.generate import large_organisation
from troubleshooter.sources.fetch import fetch_snapshots
from troubleshooter.sources.http import HttpSettings

IN_FLIGHT = 5
ADAPTER_PAGE = 500
KINDS = 6


def lower_bound_rounds(contacts: int, page_size: int, items_per_kind: dict[str, int]) -> int:
    """Round trips, each system on its own connection (they run side by side):
    Xero: the tenant (1), then Organisation, Accounts, TrackingCategories, TaxRates and the first
    Contacts page (5, one round at 5 in flight), then the other pages 5 at a time. An adapter:
    its state and the first page of each kind (7, two rounds at 5 in flight), then the rest."""
    pages = max(1, math.ceil(contacts / page_size))
    xero = 1 + 1 + math.ceil((pages - 1) / IN_FLIGHT)
    extra = sum(max(0, math.ceil(n / ADAPTER_PAGE) - 1) for n in items_per_kind.values())
    adapter = math.ceil((1 + KINDS + extra) / IN_FLIGHT)
    return max(xero, adapter)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    scenario = large_organisation(contacts=args.contacts, suppliers=args.contacts * 2 // 5)
    # The bound below is about paging and the 5-in-flight limit, as the issue defines it; Xero's
    # 60 a minute is measured apart (see docs/performance.md). The sandbox's counters must not
    # tell the client the minute is spent, or the client (rightly) waits it out.
    scenario["xero"]["rate_limits"] = {"per_minute": 1_000_000, "per_day": 10_000_000}
    with tempfile.TemporaryDirectory() as folder:
        path = write_scenario(scenario, Path(folder) / "large.yaml", args.delay)
        with served(path) as base:
            settings = HttpSettings(timeout=60, max_in_flight=IN_FLIGHT)
            connections = sandbox_connections(
                base_url=base,
                settings=settings,
                contacts_page_size=args.page_size,
                xero_per_minute=None,  # lifted, as in the scenario: the paging alone
            )
            began = time.perf_counter()
            snapshots = aio.run(fetch_snapshots(connections))
            wall = time.perf_counter() - began
            from troubleshooter.model import Stage

            held = {k.value: len(v) for k, v in snapshots[Stage.APPROVALMAX].items.items()}
    failed = [s.stage.value for s in snapshots.values() if s.failed]
    counts = Counter()
    for stage, snapshot in snapshots.items():
        counts[stage.value] = sum(len(v) for v in snapshot.items.values())
    rounds = lower_bound_rounds(args.contacts, args.page_size, held)
    pages = math.ceil(args.contacts / args.page_size)
    bound = rounds * args.delay
    delay_ms = args.delay * 1000
    extra = sum(max(0, math.ceil(n / ADAPTER_PAGE) - 1) for n in held.values())
    print(
        f"large organisation: {args.contacts} contacts, page size {args.page_size} "
        f"({pages} pages), delay {delay_ms:.0f} ms"
    )
    print(f"items read: {dict(counts)}{'  FAILED: ' + ', '.join(failed) if failed else ''}")
    print(f"requests: Xero {1 + 4 + pages}, each adapter {1 + KINDS + extra}")
    print(f"wall time: {wall:.2f} s")
    print(f"lower bound: {rounds} round trips × {args.delay * 1000:.0f} ms = {bound:.2f} s")
    ratio = wall / bound
    print(f"ratio: {ratio:.2f}   (target ≤ 1.3: {'met' if ratio <= 1.3 else 'NOT met'})")


if __name__ == "__main__":
    main()
