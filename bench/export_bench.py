"""Benchmark: the JSON export of the large organisation's diagnosis (`export_json_bytes`, what
`diagnose --format json --output F` writes), with the diagnosis already made. Prints the
median and best of a few rounds and the size; `--profile` prints where the time goes.

    python bench/export_bench.py [--contacts 50000] [--rounds 3] [--profile] [--secret S]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time

from cpu_bench import snapshots

from troubleshooter.diagnosis.diagnose import Library, diagnose_snapshots
from troubleshooter.report import export_json_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    parser.add_argument(
        "--secret", action="append", default=[], help="a secret the export must cut out"
    )
    args = parser.parse_args()
    diagnosis = diagnose_snapshots(snapshots(args.contacts), Library.load())
    times = []
    size = 0
    for _ in range(args.rounds):
        began = time.perf_counter()
        size = len(export_json_bytes(diagnosis, secrets=args.secret))
        times.append(time.perf_counter() - began)
    print(f"traces: {len(diagnosis.items)}; findings: {len(diagnosis.findings)}")
    print(
        f"JSON export: median {statistics.median(times):.3f} s, best {min(times):.3f} s "
        f"over {args.rounds}; {size / 1e6:.1f} MB"
    )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(export_json_bytes, diagnosis, secrets=args.secret)
        print("\nwhere the time goes (own time, under cProfile):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
