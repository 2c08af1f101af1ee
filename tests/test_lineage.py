"""Lineage joins the three snapshots: one trace per item, a rename is one item."""

from __future__ import annotations

from conftest import Cycle, run

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.diagnosis.lineage import build_traces, item_key
from troubleshooter.model import (
    Item,
    ItemKind,
    ItemTrace,
    Mark,
    Provenance,
    Stage,
    StageDetail,
    StageSnapshot,
    Status,
)
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.scenario import Scenario


def snap(
    stage: Stage, *items: Item, known: tuple[ItemKind, ...] = tuple(ItemKind)
) -> StageSnapshot:
    by_kind: dict[ItemKind, list[Item]] = {k: [] for k in known}
    for item in items:
        by_kind[item.kind].append(item)
    provenance = Provenance.API if stage is Stage.XERO else Provenance.ADAPTER
    return StageSnapshot(stage=stage, provenance=provenance, reached=True, items=by_kind)


def unreached(stage: Stage) -> StageSnapshot:
    return StageSnapshot(stage=stage, provenance=Provenance.ADAPTER, reached=False, error="down")


def account(code: str | None, name: str, xero_id: str | None = None, **extra: object) -> Item:
    return Item(kind=ItemKind.ACCOUNT, code=code, name=name, xero_id=xero_id, **extra)  # type: ignore[arg-type]


def trace_of(traces, name):  # type: ignore[no-untyped-def]
    return next(t for t in traces if t.name == name)


def test_matching_by_id_then_code_then_name() -> None:
    xero = snap(
        Stage.XERO,
        account("200", "Sales", "ID-1"),
        account("400", "Advertising", "ID-2"),
        Item(kind=ItemKind.SUPPLIER, name="Beans  Ltd.", xero_id="C-1", is_supplier=True),
    )
    am = snap(
        Stage.APPROVALMAX,
        account("999", "Sales (renamed code?)", "id-1"),  # same id, case aside
        account("400", "Advertising"),  # no id: code
        Item(kind=ItemKind.SUPPLIER, name="beans ltd"),  # no id, no code: name
    )
    dext = snap(Stage.DEXT)
    traces = build_traces({Stage.XERO: xero, Stage.APPROVALMAX: am, Stage.DEXT: dext})
    assert len(traces) == 3
    assert all(t.stages[Stage.APPROVALMAX] is Mark.PRESENT for t in traces)
    assert all(t.stages[Stage.DEXT] is Mark.MISSING for t in traces)
    sales = trace_of(traces, "Sales")
    assert sales.key == "account:id-1" and sales.renamed
    assert sales.detail[Stage.APPROVALMAX].name == "Sales (renamed code?)"


def test_a_rename_in_flight_is_one_item_with_two_names() -> None:
    # Xero renamed the tracking option; ApprovalMax carries the id and the new name; Dext has
    # no id and still the old name, which only ApprovalMax's previous name could tell... so
    # Dext's old name links through the stage before it.
    option = dict(kind=ItemKind.TRACKING_OPTION, parent_name="Region", parent_id="CAT")
    xero = snap(Stage.XERO, Item(name="Auckland CBD", xero_id="OPT", **option))  # type: ignore[arg-type]
    am = snap(Stage.APPROVALMAX, Item(name="Auckland", xero_id="OPT", **option))  # type: ignore[arg-type]
    dext = snap(Stage.DEXT, Item(name="auckland", **option))  # type: ignore[arg-type]
    [trace] = [t for t in build_traces({Stage.XERO: xero, Stage.APPROVALMAX: am, Stage.DEXT: dext})]
    assert trace.renamed
    assert trace.name == "Auckland CBD" and trace.parent == "Region"
    assert [trace.stages[s] for s in Stage] == [Mark.PRESENT] * 3
    assert trace.detail[Stage.DEXT].name == "auckland"


def test_downstream_only_items_and_unknown_stages() -> None:
    xero = snap(Stage.XERO, account("200", "Sales", "ID-1"))
    am = snap(Stage.APPROVALMAX, account("200", "Sales", "ID-1"), account("310", "Gone From Xero"))
    traces = build_traces(
        {Stage.XERO: xero, Stage.APPROVALMAX: am, Stage.DEXT: unreached(Stage.DEXT)}
    )
    gone = trace_of(traces, "Gone From Xero")
    assert gone.stages[Stage.XERO] is Mark.MISSING
    assert gone.key == "account:code:310" and gone.xero_id is None and gone.eligible is None
    sales = trace_of(traces, "Sales")
    assert sales.stages[Stage.DEXT] is Mark.UNKNOWN  # never "missing" when we could not look


def test_a_kind_a_stage_could_not_read_is_unknown_there() -> None:
    xero = snap(Stage.XERO, account("200", "Sales", "ID-1"), known=(ItemKind.ACCOUNT,))
    am = snap(Stage.APPROVALMAX, known=(ItemKind.TAX_RATE,))
    traces = build_traces({Stage.XERO: xero, Stage.APPROVALMAX: am, Stage.DEXT: snap(Stage.DEXT)})
    assert trace_of(traces, "Sales").stages[Stage.APPROVALMAX] is Mark.UNKNOWN


def test_marks_for_archived_and_hidden_and_eligibility() -> None:
    category = Item(
        kind=ItemKind.TRACKING_CATEGORY, name="Events", xero_id="CAT", status=Status.ARCHIVED
    )
    option = Item(
        kind=ItemKind.TRACKING_OPTION,
        name="Fair",
        xero_id="OPT",
        parent_id="CAT",
        parent_name="Events",
    )
    bank = Item(kind=ItemKind.BANK_ACCOUNT, name="Wallet", xero_id="B")
    customer = Item(kind=ItemKind.SUPPLIER, name="A Customer", xero_id="C", is_supplier=False)
    visible_off = Item(
        kind=ItemKind.TRACKING_OPTION, name="North", xero_id="N", parent_name="Region"
    )
    xero = snap(Stage.XERO, category, option, bank, customer, visible_off)
    am = snap(Stage.APPROVALMAX, bank, visible_off)
    dext = snap(Stage.DEXT, visible_off.model_copy(update={"visible": False}))
    traces = build_traces({Stage.XERO: xero, Stage.APPROVALMAX: am, Stage.DEXT: dext})
    assert trace_of(traces, "Events").stages[Stage.XERO] is Mark.ARCHIVED
    fair = trace_of(traces, "Fair")
    assert fair.eligible is False and "tracking category is archived" in fair.blocked[Stage.DEXT]
    wallet = trace_of(traces, "Wallet")
    assert (
        Stage.APPROVALMAX not in wallet.blocked and "no account code" in wallet.blocked[Stage.DEXT]
    )
    assert "not a supplier" in trace_of(traces, "A Customer").blocked[Stage.APPROVALMAX]
    assert trace_of(traces, "North").stages[Stage.DEXT] is Mark.HIDDEN


def test_keys_are_stable_and_distinct() -> None:
    assert item_key(account("200", "Sales", "ABC")) == "account:abc"
    assert item_key(account("200", "Sales")) == "account:code:200"
    supplier = Item(kind=ItemKind.SUPPLIER, name=" Beans   LTD ")
    assert item_key(supplier) == "supplier:name:beans ltd"
    twins = snap(
        Stage.APPROVALMAX,
        Item(kind=ItemKind.SUPPLIER, name="X"),
        Item(kind=ItemKind.SUPPLIER, name="X"),
    )
    traces = build_traces(
        {Stage.XERO: snap(Stage.XERO), Stage.APPROVALMAX: twins, Stage.DEXT: snap(Stage.DEXT)}
    )
    assert len({t.key for t in traces}) == 2


def test_the_collector_pause_nests_and_always_ends() -> None:
    import gc

    from troubleshooter.infra.gcpause import collector_paused

    assert gc.isenabled()
    outer = collector_paused()
    inner = collector_paused()
    outer.__enter__()
    inner.__enter__()
    assert not gc.isenabled()
    outer.__exit__(None, None, None)  # the first to start ends first: still paused
    assert not gc.isenabled()
    inner.__exit__(None, None, None)
    assert gc.isenabled()


def test_what_is_set_aside_waits_for_bring_back_and_no_longer() -> None:
    """`set_aside` keeps a long-lived result out of the collector's passes; a cycle set aside
    is freed by the next `bring_back`, and a `bring_back` with nothing set aside does not make
    the collector walk the heap."""
    import gc

    from troubleshooter.infra import gcpause

    gcpause.bring_back()  # whatever an earlier test set aside
    Cycle.freed.clear()
    passes: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    try:
        kept = Cycle("kept")
        gcpause.set_aside()
        assert gc.get_freeze_count() > 0
        del kept  # garbage now, but a cycle: only the collector can free it
        gc.collect()
        assert Cycle.freed == []  # set aside: out of the collector's sight
        gc.callbacks.append(count)
        gcpause.bring_back()
        assert Cycle.freed == ["kept"]
        assert gc.get_freeze_count() == 0
        assert 2 in passes  # a full pass, by bring_back
        passes.clear()
        gcpause.bring_back()  # nothing set aside since: nothing to do
        assert 2 not in passes
    finally:
        if count in gc.callbacks:
            gc.callbacks.remove(count)
        gc.unfreeze()


def test_traces_built_without_validation_equal_their_validated_twins(
    demo: Scenario, library: Library
) -> None:
    """Lineage builds traces and details with `trusted` (no second validation): each must be
    what validating the same values gives, every field present, so a field added to the model
    and forgotten in lineage fails here rather than showing up missing in a report."""
    traces = run(Sandbox(demo), library).items
    assert traces
    details = [d for t in traces for d in t.detail.values()]
    assert details
    for model, cls in [(t, ItemTrace) for t in traces] + [(d, StageDetail) for d in details]:
        assert set(vars(model)) == set(cls.model_fields), cls.__name__
        twin = cls.model_validate(dict(vars(model)))
        assert twin == model and twin.model_dump() == model.model_dump()


def test_items_share_one_fields_set() -> None:
    """pydantic keeps a set of the fields given per model; nothing here reads it, and for the
    97,000 items of a big organisation those sets were 60 MB. Items made, validated or copied
    share one (holding every field, so that setting a field changes nothing)."""
    made = Item(kind=ItemKind.ACCOUNT, code="429", name="Staff Wellbeing")
    validated = Item.model_validate({"kind": "supplier", "name": "Wise", "is_supplier": True})
    copied = made.model_copy(update={"name": "Wellbeing"})
    sets = {id(i.__pydantic_fields_set__) for i in (made, validated, copied)}
    assert len(sets) == 1
    assert made.__pydantic_fields_set__ == set(Item.model_fields)
    assert copied.name == "Wellbeing" and made.name == "Staff Wellbeing"
    again = Item(kind=ItemKind.ACCOUNT, code="429", name="Staff Wellbeing")
    assert made.model_dump() == again.model_dump() and made == again
