"""Benchmark 2, CPU-bound: lineage, rules and plan for the large organisation (2,000 accounts,
2 × 100 options, 50,000 contacts of which 20,000 suppliers, 100 tax rates, 20 bank accounts),
with the three systems' data already in memory. Targets (issue 12): ≤ 0.5 s and ≤ 150 MB peak.
`--profile` prints where the time goes (cProfile, the functions with the most own time).

    python bench/cpu_bench.py [--contacts 50000] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
import tracemalloc

from troubleshooter.diagnosis.diagnose import Library, diagnose_snapshots
from troubleshooter.model import ItemKind, Provenance, Stage, StageSnapshot
from troubleshooter.sandbox.generate import large_organisation
from troubleshooter.sandbox.scenario import parse_scenario
from troubleshooter.sandbox.timeline import Timeline


def snapshots(contacts: int) -> dict[Stage, StageSnapshot]:
    scenario = parse_scenario(large_organisation(contacts=contacts, suppliers=contacts * 2 // 5))
    timeline = Timeline(scenario)

    def by_kind(items: list) -> dict[ItemKind, list]:  # type: ignore[type-arg]
        grouped: dict[ItemKind, list] = {kind: [] for kind in ItemKind}  # type: ignore[type-arg]
        for item in items:
            grouped[item.kind].append(item)
        return grouped

    sync = {
        t: scenario.approvalmax.sync_time(t, scenario.clock)
        for t in ("accounts", "tracking_categories", "contacts", "tax_rates")
    }
    return {
        Stage.XERO: StageSnapshot(
            stage=Stage.XERO,
            provenance=Provenance.API,
            reached=True,
            fetched_at=scenario.clock,
            items=by_kind(timeline.xero_items()),
        ),
        Stage.APPROVALMAX: StageSnapshot(
            stage=Stage.APPROVALMAX,
            provenance=Provenance.ADAPTER,
            reached=True,
            items=by_kind(timeline.approvalmax_items()),
            xero_connection="connected",
            last_sync=sync,
        ),
        Stage.DEXT: StageSnapshot(
            stage=Stage.DEXT,
            provenance=Provenance.ADAPTER,
            reached=True,
            items=by_kind(timeline.dext_items()),
            integration="approvalmax",
            last_pull=scenario.dext_last_pull,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()
    data = snapshots(args.contacts)
    library = Library.load()
    items = sum(len(v) for s in data.values() for v in s.items.values())
    times = []
    for _ in range(args.rounds):
        began = time.perf_counter()
        diagnosis = diagnose_snapshots(data, library)
        times.append(time.perf_counter() - began)
    tracemalloc.start()
    diagnose_snapshots(data, library)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    best, median = min(times), statistics.median(times)
    print(
        f"items held across the three systems: {items}; traces: {diagnosis.summary.items}; findings: {diagnosis.summary.findings}"
    )
    print(
        f"lineage + rules + plan: median {median:.2f} s, best {best:.2f} s over {args.rounds}   (target ≤ 0.5 s: {'met' if median <= 0.5 else 'NOT met'})"
    )
    print(
        f"peak memory allocated during one diagnosis: {peak / 2**20:.0f} MB   (target ≤ 150 MB: {'met' if peak <= 150 * 2**20 else 'NOT met'})"
    )
    # What a reader that goes through every item pays afterwards (the JSON export, the TUI's
    # table): the compact rows, made once each (model.Traces).
    fresh = diagnose_snapshots(data, library)
    began = time.perf_counter()
    every = sum(1 for _ in fresh.items)
    made = time.perf_counter() - began
    print(
        f"then reading all {every} items (what an export of every item or the TUI's table does): {made:.2f} s"
    )
    if args.profile:
        # Under the profiler everything takes about twice as long; the shares are what count.
        profiler = cProfile.Profile()
        profiler.runcall(diagnose_snapshots, data, library)
        print("\nwhere the time goes (own time, under cProfile):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
