"""Benchmark 7, Xero's minute: the first read of the large organisation (50,000 contacts)
from a sandbox that enforces Xero's 60 requests a minute and answers every request 100 ms late,
by the client as `diagnose --url` sets it up. Prints the requests, the time against the bound
that the minute sets, and the 429s the sandbox had to send (target: none; and with 1,000
contacts a page, the read within 70 s).

    python bench/rate_bench.py [--contacts 50000] [--page-size 1000] [--delay 0.1]

With `--page-size 100` (Xero's default page) the read needs 505 requests and takes more than
eight minutes: that is the minute limit, and the benchmark shows the client keeps to it.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from common import round_trips, served_here

from troubleshooter.infra import aio
from troubleshooter.model import Stage
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.generate import large_organisation
from troubleshooter.sandbox.scenario import parse_scenario
from troubleshooter.sources.fetch import FetchEvent, describe, fetch_snapshots
from troubleshooter.sources.http import HttpSettings

PER_MINUTE = 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.1)
    args = parser.parse_args()
    raw = large_organisation(contacts=args.contacts, suppliers=args.contacts * 2 // 5)
    raw["xero"]["rate_limits"] = {"per_minute": PER_MINUTE, "per_day": 5000, "enforce": True}
    raw["faults"] = [
        {"system": s, "delay": args.delay}
        for s in ("xero", "approvalmax", "approvalmax_adapter", "dext_adapter")
    ]
    sandbox = Sandbox(parse_scenario(raw))
    waits: list[float] = []

    def follow(event: FetchEvent) -> None:
        if event.state == "waiting" and event.waiting:
            waits.append(event.waiting)
            print("  " + describe(event), flush=True)

    with served_here(sandbox) as base:
        connections = sandbox_connections(
            base_url=base,
            settings=HttpSettings(timeout=60),
            contacts_page_size=args.page_size,
        )
        began = time.perf_counter()
        snapshots = aio.run(fetch_snapshots(connections, events=follow))
        wall = time.perf_counter() - began
    xero = [r for r in sandbox.log.for_system("xero") if "/api.xro/" in r.path]
    statuses = Counter(r.status for r in xero)
    refused = statuses.get(429, 0)
    counted = len(xero)
    held = {k.value: len(v) for k, v in snapshots[Stage.APPROVALMAX].items.items()}
    rounds = round_trips(args.contacts, args.page_size, held)
    # The n-th request may reach Xero no sooner than a minute after the (n-60)-th did; before
    # the first, the tenant's round trip; after the last, its own. Paging sets the other bound.
    minute_bound = ((counted - 1) // PER_MINUTE) * 60.0
    bound = max(minute_bound + 2 * args.delay, rounds * args.delay)
    failed = [s.stage.value for s in snapshots.values() if s.failed]
    print(
        f"large organisation: {args.contacts:,} contacts, {args.page_size} a page, {args.delay * 1000:.0f} ms a request, Xero enforcing {PER_MINUTE} a minute"
    )
    print(
        f"Xero requests: {counted} (and 1 for the tenant); 429s: {refused}   (target: none: {'met' if refused == 0 else 'NOT met'}){'  FAILED: ' + ', '.join(failed) if failed else ''}"
    )
    print(f"time: {wall:.1f} s; waits for the minute announced: {len(waits)}")
    print(
        f"bound: {minute_bound:.0f} s of whole minutes ({counted} requests at {PER_MINUTE} a minute) + 2 round trips, or {rounds} round trips × {args.delay * 1000:.0f} ms, whichever is longer = {bound:.1f} s; ratio {wall / bound:.2f}"
    )
    if args.page_size == 1000 and args.contacts <= 50_000:
        print(f"first read within 70 s: {'met' if wall <= 70 else 'NOT met'}")


if __name__ == "__main__":
    main()
