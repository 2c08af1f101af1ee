"""A review of compact items (issue 12): what reads a diagnosis's items as a list still gets
one (pickling, a saved JSON read back), answers about one item and focused runs on items kept
compact come out as without compact rows, threads may read and make rows at once, and a
compact row's strings are redacted in the export like any other."""

from __future__ import annotations

import json
import pickle
import random
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_compact import _random_snapshots, diagnosed_both_ways

from troubleshooter.diagnosis.diagnose import Library, diagnose_snapshots
from troubleshooter.diagnosis.lineage import compact_counts, trace_rows
from troubleshooter.diagnosis.questions import handles
from troubleshooter.model import (
    Item,
    ItemKind,
    Provenance,
    Stage,
    StageSnapshot,
    Status,
    Traces,
)
from troubleshooter.report import export, export_json_bytes, load_diagnosis

CLOCK = datetime(2026, 11, 25, 10, tzinfo=UTC)
TOKEN = "tok_PLANTED_9f8e7d6c5b4a"


def test_a_diagnosis_with_compact_rows_pickles_as_it_did_with_a_list(library: Library) -> None:
    diagnosis = diagnose_snapshots(_random_snapshots(3), library, CLOCK)
    assert isinstance(diagnosis.items, Traces) and sum(compact_counts(diagnosis.items))
    again = pickle.loads(pickle.dumps(diagnosis))
    assert isinstance(again.items, list) and again.items == list(diagnosis.items)
    assert export_json_bytes(again) == export_json_bytes(diagnosis)


def test_a_saved_diagnosis_read_back_exports_the_same(library: Library, tmp_path: Path) -> None:
    diagnosis = diagnose_snapshots(_random_snapshots(5), library, CLOCK)
    assert isinstance(diagnosis.items, Traces)
    path = tmp_path / "saved.json"
    path.write_bytes(export_json_bytes(diagnosis))
    loaded = load_diagnosis(path)
    assert isinstance(loaded.items, list) and len(loaded.items) == len(diagnosis.items)
    assert export_json_bytes(loaded) == export_json_bytes(diagnosis)
    for fmt in ("md", "text"):
        assert export(loaded, fmt) == export(diagnosis, fmt)


@pytest.mark.parametrize("seed", [6, 10, 12, 17])  # both sorts of compact row among them
def test_answers_and_focus_on_compact_rows_come_out_as_without_them(
    seed: int, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer about an item lineage kept compact (it is made, and the answer kept on it),
    and a run focused on one: the same as when every trace is made at once."""
    snapshots = _random_snapshots(seed)
    traces = trace_rows(snapshots)
    compact = [index for index, _ in traces.rows()][:3]
    assert compact
    for index in compact:
        trace = traces[index]
        handle = handles([trace], among=traces)[trace.key]  # one only this item has
        for answers in ({f"approvalmax.has.{handle}": "no"}, {f"dext.has.{handle}": "yes"}):
            for focus in (None, trace.name):
                lazy, whole = diagnosed_both_ways(
                    snapshots, library, monkeypatch, CLOCK, answers=answers, focus=focus
                )
                assert export_json_bytes(lazy) == export_json_bytes(whole)
                assert export(lazy, "md") == export(whole, "md")


def test_threads_reading_compact_rows_at_once_see_the_traces_made_at_once() -> None:
    snapshots = _random_snapshots(12)
    made = list(trace_rows(snapshots, compact=False))
    for _ in range(5):
        traces = trace_rows(snapshots)
        assert list(traces.rows())
        problems: list[str] = []

        def read(seed: int, traces: Traces = traces, problems: list[str] = problems) -> None:
            order = list(range(len(traces)))
            random.Random(seed).shuffle(order)
            got = list(traces) if seed % 2 else [traces[i] for i in order]
            want = made if seed % 2 else [made[i] for i in order]
            if got != want:
                problems.append(f"reader {seed}")

        threads = [threading.Thread(target=read, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not problems
        assert list(traces) == made and not list(traces.rows())


def _planted() -> dict[Stage, StageSnapshot]:
    """Suppliers with a secret in their names and contact details: the active ones every stage
    holds as Xero does (healthy), the archived ones nowhere after Xero (held back)."""
    xero = [
        Item(
            kind=ItemKind.SUPPLIER,
            xero_id=f"S{n}",
            name=f"Supplier {TOKEN} {n}",
            status=Status.ACTIVE if n % 2 else Status.ARCHIVED,
            is_supplier=True,
            email=f"accounts{n}@example.com",
            phone="+64 21 555 0101",
            bank_account_number="12-3456-7890123-00",
        )
        for n in range(8)
    ]
    active = [item for item in xero if item.status is Status.ACTIVE]

    def snapshot(stage: Stage, items: list[Item], provenance: Provenance) -> StageSnapshot:
        lists = {kind: items if kind is ItemKind.SUPPLIER else [] for kind in ItemKind}
        return StageSnapshot(stage=stage, provenance=provenance, reached=True, items=lists)

    return {
        Stage.XERO: snapshot(Stage.XERO, xero, Provenance.API),
        Stage.APPROVALMAX: snapshot(Stage.APPROVALMAX, active, Provenance.ADAPTER),
        Stage.DEXT: snapshot(Stage.DEXT, active, Provenance.ADAPTER),
    }


def test_compact_rows_are_redacted_in_every_export(library: Library) -> None:
    diagnosis = diagnose_snapshots(_planted(), library, CLOCK)
    assert isinstance(diagnosis.items, Traces)
    healthy, held_back = compact_counts(diagnosis.items)
    assert healthy and held_back  # both sorts still compact when the export starts
    data = export_json_bytes(diagnosis, secrets=[TOKEN])
    assert TOKEN.encode() not in data and b"example.com" not in data and b"7890123" not in data
    items = json.loads(data)["items"]
    assert len(items) == 8 and all(item["name"].startswith("Supplier ") for item in items)
    for fmt in ("md", "text", "html"):
        text = export(diagnosis, fmt, secrets=[TOKEN], all_items=fmt != "text")
        assert TOKEN not in text and "example.com" not in text and "7890123" not in text
