"""Benchmark 4, repeat: the second diagnosis of an unchanged organisation, a few minutes after the
first, with the local cache of Xero's lists: requests and bytes, against the first.

    python bench/repeat_bench.py [--contacts 50000] [--page-size 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.infra import aio
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.generate import large_organisation
from troubleshooter.sandbox.scenario import parse_scenario
from troubleshooter.sources.cache import FetchCache


def run(
    sandbox: Sandbox, cache: FetchCache, library: Library, page_size: int
) -> tuple[int, int, int, int, float]:
    before = len(sandbox.log.requests)
    connections = sandbox_connections(sandbox, contacts_page_size=page_size, cache=cache)
    began = time.perf_counter()
    result = aio.run(diagnose(connections, library))
    took = time.perf_counter() - began
    mine = sandbox.log.requests[before:]
    xero = [r for r in mine if r.system == "xero"]
    return len(xero), sum(r.bytes for r in xero), len(mine), result.summary.findings, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    scenario = parse_scenario(
        large_organisation(contacts=args.contacts, suppliers=args.contacts * 2 // 5)
    )
    library = Library.load()
    with tempfile.TemporaryDirectory() as folder:
        cache = FetchCache(Path(folder))
        first = run(Sandbox(scenario), cache, library, args.page_size)
        later = scenario.model_copy(
            update={"clock": scenario.clock.replace(minute=scenario.clock.minute + 5)}
        )
        second = run(Sandbox(later), cache, library, args.page_size)
    print(
        f"large organisation: {args.contacts} contacts; the second diagnosis 5 minutes after the first, nothing changed in between"
    )
    print(
        f"first:  Xero requests {first[0]:>4}, Xero bytes {first[1]:>11,}, all requests {first[2]:>4}, findings {first[3]}, {first[4]:.1f} s"
    )
    print(
        f"second: Xero requests {second[0]:>4}, Xero bytes {second[1]:>11,}, all requests {second[2]:>4}, findings {second[3]}, {second[4]:.1f} s"
    )
    print(
        f"the second asks Xero for {second[0] / first[0]:.0%} of the requests and {second[1] / first[1]:.1%} of the bytes; same findings: {first[3] == second[3]}"
    )
    print(
        "(tracking categories and tax rates are read whole each time: Xero offers If-Modified-Since on Accounts and Contacts only; ApprovalMax and Dext are read whole)"
    )


if __name__ == "__main__":
    main()
