"""Items with nothing to say are kept compact until read (model.Traces, lineage.trace_rows):
whatever reads them, in whatever order, sees what making every trace at once gives, and a
diagnosis with compact rows exports byte for byte what one without them does."""

from __future__ import annotations

import asyncio
import copy
import random
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from conftest import FAST

from troubleshooter.diagnosis import diagnose as diagnose_module
from troubleshooter.diagnosis.conditions import Group, Leaf
from troubleshooter.diagnosis.diagnose import Library, diagnose_snapshots
from troubleshooter.diagnosis.lineage import (
    HEALTHY,
    HELD_BACK,
    compact_counts,
    held_back_groups,
    trace_rows,
)
from troubleshooter.infra.yamlfile import load_yaml
from troubleshooter.model import (
    Diagnosis,
    Item,
    ItemKind,
    Provenance,
    Stage,
    StageSnapshot,
    Status,
    Traces,
)
from troubleshooter.report import export, export_json_bytes
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.generate import large_organisation
from troubleshooter.sandbox.scenario import Scenario, parse_scenario
from troubleshooter.sources.fetch import fetch_snapshots

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


def _scenario(path: Path) -> Scenario:
    data = load_yaml(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return parse_scenario(data["scenario"])


def _snapshots(scenario: Scenario) -> dict[Stage, StageSnapshot]:
    connections = sandbox_connections(Sandbox(scenario), settings=FAST)
    return asyncio.run(fetch_snapshots(connections))


@pytest.fixture(scope="module")
def large() -> dict[Stage, StageSnapshot]:
    return _snapshots(parse_scenario(large_organisation(contacts=3000, suppliers=1200)))


def _cases(large: dict[Stage, StageSnapshot], demo: Scenario) -> list[dict[Stage, StageSnapshot]]:
    return [large, _snapshots(demo), *(_snapshots(_scenario(p)) for p in SCENARIOS)]


def diagnosed_both_ways(
    snapshots: dict[Stage, StageSnapshot],
    library: Library,
    monkeypatch: pytest.MonkeyPatch,
    now: datetime | None = None,
    **options: object,
) -> tuple[Diagnosis, Diagnosis]:
    """The diagnosis with compact rows, and the same with every trace made at once (each from
    its own copy of the snapshots)."""
    lazy = diagnose_snapshots(copy.deepcopy(snapshots), library, now, **options)  # type: ignore[arg-type]
    with monkeypatch.context() as patched:
        patched.setattr(diagnose_module, "trace_rows", partial(trace_rows, compact=False))
        whole = diagnose_snapshots(copy.deepcopy(snapshots), library, now, **options)  # type: ignore[arg-type]
    return lazy, whole


def test_the_large_organisation_is_mostly_compact(large: dict[Stage, StageSnapshot]) -> None:
    traces = trace_rows(large)
    healthy, held_back = compact_counts(traces)
    assert healthy > 1000 and held_back > 1000  # both sorts, so the tests below test both
    assert len(list(traces.built())) + healthy + held_back == len(traces)
    sorts = {entry.compact for _, entry in traces.rows()}
    assert sorts == {HEALTHY, HELD_BACK}


def test_compact_rows_read_in_any_order_are_the_traces_made_at_once(
    large: dict[Stage, StageSnapshot], demo: Scenario
) -> None:
    for snapshots in _cases(large, demo):
        made = list(trace_rows(snapshots, compact=False))
        traces = trace_rows(snapshots)
        # names() describes a compact row just as its trace would
        assert [n[1:] for n in traces.names()] == [(t.kind, t.code, t.label) for t in made]
        order = list(range(len(traces)))
        random.Random(7).shuffle(order)
        for index in order:
            assert traces[index] == made[index]
        assert list(traces) == made and traces == made
        assert not list(traces.rows())  # every row read is kept made


def test_a_diagnosis_with_compact_rows_exports_what_one_without_them_does(
    large: dict[Stage, StageSnapshot],
    demo: Scenario,
    library: Library,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Summary counts, quiet causes (counted a group at a time), findings, plan, questions and
    every item: the JSON, Markdown and text are the same with and without compact rows."""
    for snapshots in _cases(large, demo):
        lazy, whole = diagnosed_both_ways(snapshots, library, monkeypatch)
        assert isinstance(whole.items, Traces) and not list(whole.items.rows())
        for fmt in ("md", "text"):
            assert export(lazy, fmt) == export(whole, fmt)
        assert export_json_bytes(lazy) == export_json_bytes(whole)


def test_a_held_back_group_its_rules_cannot_decide_at_once_is_made_item_by_item(
    large: dict[Stage, StageSnapshot], library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group whose rules need an item's own facts (here: every rule is undecided on shared
    facts alone) is made whole and goes through the rules item by item, with the same result."""
    monkeypatch.setattr(Leaf, "partial", lambda self, facts, given: None)
    monkeypatch.setattr(Group, "partial", lambda self, facts, given: None)
    traces = trace_rows(large)
    groups = held_back_groups(traces)
    assert groups
    lazy, whole = diagnosed_both_ways(large, library, monkeypatch)
    assert isinstance(lazy.items, Traces)
    assert compact_counts(lazy.items)[1] == 0  # every held-back row was made for the rules
    assert lazy.summary == whole.summary and lazy.summary.quiet
    assert export_json_bytes(lazy) == export_json_bytes(whole)


def test_traces_behave_as_a_sequence(large: dict[Stage, StageSnapshot]) -> None:
    traces = trace_rows(large)
    made = list(trace_rows(large, compact=False))
    assert traces[-1] == made[-1] and traces[2:5] == made[2:5]
    assert len(traces) == len(made)
    copied = copy.deepcopy(traces)
    assert isinstance(copied, list) and copied == made
    copied[0].stages[Stage.XERO] = copied[0].stages[Stage.DEXT]  # a copy is its own
    assert traces[0] == made[0]
    assert repr(traces) == f"Traces({len(made)} items)"
    kinds = {t.kind for t in traces}
    assert ItemKind.SUPPLIER in kinds


def test_a_diagnosis_keeps_its_compact_rows_and_serialises_them_as_a_list(
    large: dict[Stage, StageSnapshot], library: Library
) -> None:
    diagnosis = diagnose_snapshots(large, library)
    assert isinstance(diagnosis.items, Traces)
    assert sum(compact_counts(diagnosis.items)) > 0
    dumped = diagnosis.model_dump(mode="json")
    assert len(dumped["items"]) == len(diagnosis.items)
    again = Diagnosis.model_validate(dumped)
    assert isinstance(again.items, list) and again.items == list(diagnosis.items)


def _random_snapshots(seed: int) -> dict[Stage, StageSnapshot]:
    """Small organisations of every shape lineage meets: ids repeated (within Xero, and a
    stage holding one twice), items renamed or archived or hidden downstream, arrival times,
    pasted matches, kinds a stage could not read or read in part, categories archived."""
    rng = random.Random(seed)
    ids = [f"ID-{n}" for n in range(12)]
    categories = [
        Item(
            kind=ItemKind.TRACKING_CATEGORY,
            xero_id=f"CAT-{n}",
            name=f"Category {n}",
            status=rng.choice([Status.ACTIVE, Status.ACTIVE, Status.ARCHIVED]),
        )
        for n in range(2)
    ]
    xero: list[Item] = list(categories)
    for n in range(rng.randint(5, 25)):
        kind = rng.choice(list(ItemKind))
        parent = rng.choice(categories)
        xero.append(
            Item(
                kind=kind,
                xero_id=rng.choice([None, *ids]) if rng.random() < 0.9 else None,
                code=rng.choice([None, str(400 + n), "400"]),
                name=rng.choice([f"Item {n}", "Same Name", f"item {n}."]),
                status=rng.choice([Status.ACTIVE] * 4 + [Status.ARCHIVED, Status.DELETED]),
                is_supplier=rng.choice([None, True, False]) if kind is ItemKind.SUPPLIER else None,
                parent_id=parent.xero_id if kind is ItemKind.TRACKING_OPTION else None,
                parent_name=parent.name if kind is ItemKind.TRACKING_OPTION else None,
            )
        )

    def downstream(stage: Stage) -> StageSnapshot:
        held: list[Item] = []
        for item in xero:
            if rng.random() < 0.3:
                continue
            change: dict[str, object] = {}
            if rng.random() < 0.15:
                change["name"] = item.name + " (old)"
            if rng.random() < 0.1:
                change["status"] = Status.ARCHIVED
            if rng.random() < 0.1:
                change["visible"] = False
            if rng.random() < 0.1:
                change["synced_at"] = datetime(2026, 11, 25, 9, tzinfo=UTC)
            if rng.random() < 0.05:
                change["provenance"] = Provenance.PASTED
                change["confidence"] = 0.9
            copy_ = item.model_copy(update=change)
            held.append(copy_)
            if rng.random() < 0.05:
                held.append(copy_)  # held twice
        if rng.random() < 0.3:
            held.append(Item(kind=ItemKind.SUPPLIER, name="Only downstream"))
        known = [k for k in ItemKind if rng.random() < 0.85]
        items: dict[ItemKind, list[Item]] = {k: [] for k in known}
        for item in held:
            if item.kind in items:
                items[item.kind].append(item)
        partial = {k: "a search" for k in known if rng.random() < 0.1}
        return StageSnapshot(
            stage=stage,
            provenance=Provenance.ADAPTER,
            reached=True,
            items=items,
            partial=partial,
        )

    by_kind: dict[ItemKind, list[Item]] = {k: [] for k in ItemKind}
    for item in xero:
        by_kind[item.kind].append(item)
    return {
        Stage.XERO: StageSnapshot(
            stage=Stage.XERO, provenance=Provenance.API, reached=True, items=by_kind
        ),
        Stage.APPROVALMAX: downstream(Stage.APPROVALMAX),
        Stage.DEXT: downstream(Stage.DEXT),
    }


@pytest.mark.parametrize("seed", range(60))
def test_any_organisation_comes_out_the_same_with_and_without_compact_rows(
    seed: int, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshots = _random_snapshots(seed)
    made = list(trace_rows(snapshots, compact=False))
    assert list(trace_rows(snapshots)) == made
    clock = datetime(2026, 11, 25, 10, tzinfo=UTC)
    lazy, whole = diagnosed_both_ways(snapshots, library, monkeypatch, clock)
    assert export_json_bytes(lazy) == export_json_bytes(whole)
    assert export(lazy, "md") == export(whole, "md")


def test_the_random_organisations_hold_both_sorts_of_compact_row() -> None:
    """So that the test above compares something: many of them keep rows of each sort."""
    both = 0
    for seed in range(60):
        healthy, held_back = compact_counts(trace_rows(_random_snapshots(seed)))
        both += healthy > 0 and held_back > 0
    assert both >= 10
