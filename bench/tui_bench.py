"""How the terminal UI copes with a big organisation (20,000 items).

Prints, from starting the app: the first frame (the screen and its system cards), every system
read (the fetch from the in-process sandbox), the first render of the diagnosis (the systems,
the verdict and the plan, shown as soon as they are known), and the table filled after them;
with the fetch and the diagnosis apart, so what the screen itself costs is plain. Then the time
to apply a filter (a search, a kind, problems only). Targets: first render of the diagnosis
within 1 s, a filter within 0.2 s.

The app runs twice, each time in a process of its own with an in-process sandbox. The first
time the sandbox makes every page as it is asked for, in the app's process (the demo's case).
The second time the sandbox has been read once before the clock starts, and serves the pages
it made then: the systems' side costs the app's process next to nothing, as a real
organisation's systems do, which answer from their own machines. The targets are judged on the
second run; both are printed. Making the sandbox from the scenario (the systems' data) is done
before the clock starts, and timed apart.

    python bench/tui_bench.py [--items 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import subprocess
import sys
import time

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.runs.session import Session
from troubleshooter.runs.source import Source, SourceKind
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import parse_scenario
from troubleshooter.sources.fetch import fetch_snapshots
from troubleshooter.sources.http import HttpSettings
from troubleshooter.tui.app import TroubleshooterApp
from troubleshooter.tui.widgets import ItemsTable, SystemCard


def big_scenario(items: int) -> dict[str, object]:
    accounts = [{"code": str(1000 + n), "name": f"Expense account {n}"} for n in range(400)]
    accounts += [{"code": "999", "name": "Brand new account", "created": "-30m"}]
    contacts = [
        {
            "name": f"Supplier {n:05d} Ltd",
            "is_supplier": n % 3 != 0,
            "created": "-3h" if n % 500 == 0 else None,
        }
        for n in range(items - len(accounts) - 20)
    ]
    for contact in contacts:
        if contact["created"] is None:
            del contact["created"]
    categories = [
        {"name": "Region", "options": [{"name": f"Region {n}"} for n in range(10)]},
        {"name": "Department", "options": [{"name": f"Department {n}"} for n in range(8)]},
    ]
    return {
        "clock": "2026-11-25T10:00:00Z",
        "organisation": {"name": "Big Practice Client Ltd"},
        "xero": {"accounts": accounts, "contacts": contacts, "tracking_categories": categories},
        "approvalmax": {"last_sync": "-1h"},
        "dext": {"last_pull": "-5h"},
    }


async def measure(sandbox: Sandbox, rounds: int, title: str) -> tuple[float, float]:
    """One run of the app on `sandbox`; prints its figures. Returns the first render of the
    diagnosis and the slowest filter's median, in seconds."""
    settings = HttpSettings(max_in_flight=5)
    source = Source(
        "big",
        SourceKind.SCENARIO,
        connect=lambda: sandbox_connections(sandbox, settings=settings, contacts_page_size=1000),
    )
    app = TroubleshooterApp(Session([source], Library.load()))
    started = time.perf_counter()
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        marks.setdefault(name, time.perf_counter() - started)

    async with app.run_test(size=(160, 45)) as pilot:
        main = app.main
        while True:
            cards = list(main.query(SystemCard)) if main.is_mounted else []
            if cards:
                mark("first frame")
            if cards and not any("fetching" in card.classes for card in cards):
                mark("every system read")
            verdict = str(main.query_one("#verdict").render()) if cards else ""
            if app.diagnosis is not None and app.diagnosis.organisation.name in verdict:
                mark("first render of the diagnosis")
            if app.diagnosis is not None and main.query_one(ItemsTable).row_count:
                mark("table filled")
                break
            await asyncio.sleep(0.02)  # looking less often leaves the read its CPU
        await pilot.pause()
        assert app.diagnosis is not None
        total = len(app.diagnosis.items)
        timings: dict[str, list[float]] = {"search": [], "kind": [], "problems only": []}
        filters = main.filters
        for _ in range(rounds):
            for name, change in (
                ("search", lambda: setattr(filters, "text", "supplier 01")),
                ("kind", lambda: setattr(filters, "kind", "account")),
                ("problems only", lambda: setattr(filters, "problems_only", True)),
            ):
                change()
                began = time.perf_counter()
                main.apply_filters()  # the selection runs in a thread; then the table is drawn
                await app.workers.wait_for_complete()
                await pilot.pause()
                timings[name].append(time.perf_counter() - began)
                filters.text, filters.kind, filters.problems_only = "", "all", False
                main.apply_filters()
                await app.workers.wait_for_complete()
                await pilot.pause()
    spent = app.session.timings
    print(f"{title}: items in the diagnosis: {total}")
    for name, seconds in marks.items():
        print(f"  {name:<32} {seconds:5.2f} s after the start")
    first = marks["first render of the diagnosis"]
    screen = first - spent["fetch"] - spent["diagnose"]
    print(
        f"  of the first render: fetch {spent['fetch']:.2f} s (the clients, and the in-process "
        f"sandbox serving), diagnose {spent['diagnose']:.2f} s (lineage, rules, plan), the "
        f"screen {screen:.2f} s (starting the app, the cards, the verdict and the plan)"
    )
    worst = 0.0
    for name, values in timings.items():
        median = statistics.median(values)
        worst = max(worst, median)
        print(
            f"  apply filter {name:<14} median {median * 1000:.0f} ms, first "
            f"{values[0] * 1000:.0f} ms, over {len(values)} rounds"
        )
    return first, worst


async def measure_one(items: int, rounds: int, warm: bool) -> None:
    scenario = parse_scenario(big_scenario(items))
    began = time.perf_counter()
    sandbox = Sandbox(scenario)
    print(f"making the sandbox's data (before the clock): {time.perf_counter() - began:.2f} s")
    if warm:  # one read first, so that the sandbox has made its pages
        connections = sandbox_connections(sandbox, contacts_page_size=1000)
        await fetch_snapshots(connections)
        gc.collect()
        first, worst = await measure(
            sandbox, rounds, "sandbox serving made pages (as real systems)"
        )
        met = "met" if first <= 1.0 else "NOT met"
        print(f"time to first render:   {first:.2f} s   (target <= 1 s: {met})")
        met = "met" if worst < 0.2 else "NOT met"
        print(f"slowest filter (median): {worst * 1000:.0f} ms   (target < 200 ms: {met})")
    else:
        first, _ = await measure(sandbox, rounds, "sandbox making its pages in this process (demo)")
        print(f"time to first render in the demo's case: {first:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=["demo", "warm"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        asyncio.run(measure_one(args.items, args.rounds, warm=args.only == "warm"))
        return
    for only in ("demo", "warm"):  # each in a process of its own: neither run's heap in the other's
        command = [
            sys.executable,
            __file__,
            "--items",
            str(args.items),
            "--rounds",
            str(args.rounds),
        ]
        subprocess.run([*command, "--only", only], check=True)


if __name__ == "__main__":
    main()
