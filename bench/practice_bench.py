"""Benchmark 3, practice: 200 organisations diagnosed in one run (`diagnose --all-organisations`),
each answering 50 ms late, under Xero's per-organisation limits (5 in flight, 60 a minute) and
its app-wide limit (10,000 a minute across organisations). Prints organisations per minute
against the bound those limits allow. Target: ≥ 80 % of the bound.

    python bench/practice_bench.py [--orgs 200] [--delay 0.05] [--at-once 16]
"""

from __future__ import annotations

import argparse
import math
import time

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.infra import aio
from troubleshooter.runs.practice import diagnose_practice
from troubleshooter.runs.source import Source, SourceKind
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.generate import practice
from troubleshooter.sandbox.scenario import Scenario, parse_scenario

APP_PER_MINUTE = 10_000
XERO_ROUNDS = 2  # the tenant, then Organisation, Accounts, Tracking, Contacts, TaxRates together
ADAPTER_ROUNDS = 2  # the state and six lists: seven requests at five in flight


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--at-once", type=int, default=16)
    args = parser.parse_args()
    scenarios: list[Scenario] = []
    for raw in practice(args.orgs):
        raw["faults"] = [
            {"system": s, "delay": args.delay}
            for s in ("xero", "approvalmax", "approvalmax_adapter", "dext_adapter")
        ]
        scenarios.append(parse_scenario(raw))
    sandboxes = [Sandbox(s) for s in scenarios]
    runs = [
        Source(
            s.organisation.name, SourceKind.SCENARIO, connect=lambda sb=sb: sandbox_connections(sb)
        )
        for s, sb in zip(scenarios, sandboxes, strict=True)
    ]
    library = Library.load()
    began = time.perf_counter()
    summary = aio.run(diagnose_practice(runs, library, at_once=args.at_once))
    wall = time.perf_counter() - began
    xero_requests = sum(len(sb.log.for_system("xero")) for sb in sandboxes)
    per_org = xero_requests / args.orgs
    # What the limits allow: the app-wide minute across organisations, or, were that not the
    # bound, every organisation in parallel at its own 5-in-flight pace.
    by_app_limit = APP_PER_MINUTE / per_org
    by_latency = args.orgs / (max(XERO_ROUNDS, ADAPTER_ROUNDS) * args.delay / 60)
    bound = min(by_app_limit, by_latency)
    rate = args.orgs / (wall / 60)
    print(
        f"practice: {args.orgs} organisations, {args.delay * 1000:.0f} ms per request, {args.at_once} at once; {per_org:.1f} Xero requests each"
    )
    print(
        f"diagnosed: {len(summary.organisations)} in {wall:.1f} s = {rate:.0f} organisations a minute"
    )
    print(
        f"bound the limits allow: {bound:.0f} a minute (app-wide {APP_PER_MINUTE:,} requests a minute / {per_org:.1f} per organisation = {by_app_limit:.0f})"
    )
    # A run of 200 stays under 10,000 requests, so it may go faster than a sustained minute
    # allows; over a longer run the shared app limiter holds it to the bound.
    sustained = min(rate, bound)
    ratio = sustained / bound
    print(
        f"sustained: {sustained:.0f} a minute; ratio {ratio:.0%}   (target ≥ 80 %: {'met' if ratio >= 0.8 else 'NOT met'})"
    )
    print(
        f"per organisation the wall time was {wall / args.orgs * args.at_once:.2f} s against a latency floor of {math.ceil(max(XERO_ROUNDS, ADAPTER_ROUNDS)) * args.delay:.2f} s: the rest is Python (parsing, lineage, rules) on this machine"
    )


if __name__ == "__main__":
    main()
