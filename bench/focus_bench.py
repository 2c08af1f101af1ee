"""Benchmark 8, a focused run: `--item` on the large organisation (50,000 contacts), every
request answered 100 ms late, Xero's minute counted. Prints the requests each system saw and
the time, beside the whole read. Target: at most 10 Xero requests.

    python bench/focus_bench.py [--item "Contact 04242"] [--contacts 50000] [--delay 0.1]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from common import served_here

from troubleshooter.diagnosis.diagnose import Library, diagnose_snapshots
from troubleshooter.infra import aio
from troubleshooter.model import Stage
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.generate import large_organisation
from troubleshooter.sandbox.scenario import parse_scenario
from troubleshooter.sources.fetch import fetch_snapshots
from troubleshooter.sources.http import HttpSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--item", default="Contact 04242")
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--delay", type=float, default=0.1)
    args = parser.parse_args()
    raw = large_organisation(contacts=args.contacts, suppliers=args.contacts * 2 // 5)
    raw["faults"] = [
        {"system": s, "delay": args.delay}
        for s in ("xero", "approvalmax", "approvalmax_adapter", "dext_adapter")
    ]
    sandbox = Sandbox(parse_scenario(raw))
    library = Library.load()
    with served_here(sandbox) as base:
        connections = sandbox_connections(base_url=base, settings=HttpSettings(timeout=60))
        began = time.perf_counter()
        snapshots = aio.run(fetch_snapshots(connections, focus=args.item))
        fetched = time.perf_counter() - began
        diagnosis = diagnose_snapshots(snapshots, library, focus=args.item)
        focused = time.perf_counter() - began
        requests = Counter(r.system for r in sandbox.log.requests)
        before = len(sandbox.log.requests)
        began = time.perf_counter()
        aio.run(fetch_snapshots(connections))
        whole = time.perf_counter() - began
        whole_requests = Counter(r.system for r in sandbox.log.requests[before:])
    xero = requests["xero"]
    print(
        f"large organisation: {args.contacts:,} contacts, {args.delay * 1000:.0f} ms a request; --item {args.item!r}"
    )
    print(
        f"focused: {focused:.2f} s (fetch {fetched:.2f} s); requests: Xero {xero}, ApprovalMax {requests['approvalmax']}, its adapter {requests['approvalmax_adapter']}, Dext's adapter {requests['dext_adapter']}"
    )
    print(
        f"items shown: {len(diagnosis.items)} ({', '.join(sorted({i.name for i in diagnosis.items}))}); Xero's contacts read in part: {bool(snapshots[Stage.XERO].partial)}"
    )
    print(
        f"whole read for comparison: {whole:.2f} s; requests: Xero {whole_requests['xero']}, adapters {whole_requests['approvalmax_adapter']} and {whole_requests['dext_adapter']}"
    )
    print(f"Xero requests ≤ 10: {'met' if xero <= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
