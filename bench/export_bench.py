"""Benchmark: the JSON export of the large organisation's diagnosis (`export_json_bytes`, what
`diagnose --format json --output F` writes), with the diagnosis already made. Prints the
median and best of a few rounds and the size, beside the plain export it must equal byte for
byte (the model's own serialiser, a redactor call per string: what the export was before),
after a first export that makes the items a whole-organisation diagnosis keeps compact;
`--profile` prints where the lean export's time goes.

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
from troubleshooter.report import _export_json_bytes_plain, export_json_bytes


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
    print(f"items: {len(diagnosis.items)}; findings: {len(diagnosis.findings)}")
    # A whole-organisation diagnosis keeps the items with nothing to say compact until read
    # (model.Traces): the first export makes them, as the command's one export does.
    began = time.perf_counter()
    export_json_bytes(diagnosis, secrets=args.secret)
    print(f"first JSON export (making the compact items): {time.perf_counter() - began:.3f} s")
    outputs = {}
    for name, export in (("lean", export_json_bytes), ("plain", _export_json_bytes_plain)):
        times = []
        for _ in range(args.rounds):
            began = time.perf_counter()
            outputs[name] = export(diagnosis, secrets=args.secret)
            times.append(time.perf_counter() - began)
        print(
            f"JSON export, {name}: median {statistics.median(times):.3f} s, "
            f"best {min(times):.3f} s over {args.rounds}; {len(outputs[name]) / 1e6:.1f} MB"
        )
    print(f"the same bytes: {outputs['lean'] == outputs['plain']}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(export_json_bytes, diagnosis, secrets=args.secret)
        print("\nwhere the time goes (own time, under cProfile):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
