"""One Source type for every origin of an organisation's facts, used without the command line:
the demo, a scenario, a folder of them, a served sandbox, a snapshot, the signed-in systems."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FAST, Served

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.errors import ConfigError, ScenarioError
from troubleshooter.infra import aio
from troubleshooter.model import Mark, Stage
from troubleshooter.runs.bundle import bundle_json, collect
from troubleshooter.runs.practice import diagnose_practice
from troubleshooter.runs.session import Session
from troubleshooter.runs.source import (
    SourceKind,
    demo_source,
    live_source,
    read,
    scenario_folder,
    scenario_source,
    select,
    snapshot_source,
    url_source,
)
from troubleshooter.sandbox.connect import SANDBOX_TOKEN
from troubleshooter.signin.settings import Settings
from troubleshooter.signin.tokens import FileStore

DEMO = "Harbour Street Coffee Roasters Ltd"
CALM = "clock: 2026-11-25T10:00:00Z\norganisation: {name: Calm Co}\n"


def test_the_demo_is_read_and_diagnosed_again_without_fetching(library: Library) -> None:
    source = demo_source(settings=FAST)
    assert source.kind is SourceKind.DEMO and source.changes
    reading = aio.run(read(source))
    assert reading.secrets == (SANDBOX_TOKEN,)  # what exports and stderr cut out
    whole = reading.diagnose(library)
    assert whole.organisation.name == DEMO and whole.summary.with_findings == 5
    focused = reading.diagnose(library, focus="Ponsonby")
    assert [i.name for i in focused.items] == ["Ponsonby Bakehouse Ltd"]
    assert reading.clock() == whole.generated_at  # the systems' clock


def test_a_scenario_is_checked_now_or_when_read(tmp_path: Path) -> None:
    good = tmp_path / "calm.yaml"
    good.write_text(CALM, encoding="utf-8")
    assert scenario_source(good).label == "Calm Co · sandbox calm.yaml"
    assert scenario_source(good, check=False).label == "calm"
    broken = tmp_path / "broken.yaml"
    broken.write_text("clock: [oops\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken\.yaml"):
        scenario_source(broken)
    later = scenario_source(broken, check=False)  # a practice's line says why, later
    with pytest.raises(ScenarioError, match=r"broken\.yaml"):
        aio.run(read(later))


def test_a_scenario_is_read_from_its_file_each_time(tmp_path: Path, library: Library) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(CALM, encoding="utf-8")
    source = scenario_source(path, settings=FAST)
    assert aio.run(read(source)).diagnose(library).organisation.name == "Calm Co"
    path.write_text(CALM.replace("Calm Co", "Edited Co"), encoding="utf-8")
    assert aio.run(read(source)).diagnose(library).organisation.name == "Edited Co"


def test_a_folder_is_one_source_per_scenario(tmp_path: Path) -> None:
    for name in ("b", "a"):
        (tmp_path / f"{name}.yaml").write_text(CALM.replace("Calm", name.upper()), "utf-8")
    (tmp_path / "notes.txt").write_text("not a scenario", encoding="utf-8")
    assert [s.label for s in scenario_folder(tmp_path, check=False)] == ["a", "b"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match=r"no \*\.yaml scenarios"):
        scenario_folder(empty)


def test_select_names_sources_in_order_and_falls_back_to_live(tmp_path: Path) -> None:
    path = tmp_path / "calm.yaml"
    path.write_text(CALM, encoding="utf-8")
    bundle = tmp_path / "bundle.json"
    chosen = select(
        demo=True, scenarios=[tmp_path], urls=["http://127.0.0.1:1"], snapshots=[bundle]
    )
    assert [s.kind for s in chosen] == [
        SourceKind.DEMO,
        SourceKind.SCENARIO,
        SourceKind.URL,
        SourceKind.SNAPSHOT,
    ]
    live = [url_source("http://live.invalid")]
    assert select(live=lambda: live) == live
    with pytest.raises(ConfigError, match="no organisation named"):
        select()


def test_a_snapshot_never_changes_and_has_no_connections(tmp_path: Path, library: Library) -> None:
    bundle = aio.run(collect(demo_source(settings=FAST).connections()))
    path = tmp_path / "bundle.json"
    path.write_text(bundle_json(bundle), encoding="utf-8")
    source = snapshot_source(path)
    assert source.kind is SourceKind.SNAPSHOT and not source.changes
    with pytest.raises(ConfigError, match="snapshot"):
        source.connections()
    reading = aio.run(read(source))
    assert reading.clock() == bundle.collected_at
    diagnosis = reading.diagnose(library)
    assert diagnosis.snapshot is not None and diagnosis.snapshot.source == "bundle.json"
    assert diagnosis.summary.with_findings == 5


def test_a_served_sandbox_by_url(served_demo: Served, library: Library) -> None:
    reading = aio.run(read(url_source(served_demo.base_url, settings=FAST)))
    assert reading.diagnose(library).organisation.name == DEMO


def test_live_says_now_when_nothing_is_connected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nothing is connected"):
        live_source(Settings(), FileStore(tmp_path / "tokens.json"))


def test_a_practice_takes_sources_of_every_kind(tmp_path: Path, library: Library) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("clock: [oops\n", encoding="utf-8")
    bundle = aio.run(collect(demo_source(settings=FAST).connections()))
    snapshot = tmp_path / "bundle.json"
    snapshot.write_text(bundle_json(bundle), encoding="utf-8")
    sources = [
        demo_source(check=False, settings=FAST),
        scenario_source(broken, check=False),
        snapshot_source(snapshot),
    ]
    summary = aio.run(diagnose_practice(sources, library))
    lines = {o.name: o for o in summary.organisations}
    assert lines["broken"].error and "not valid YAML" in lines["broken"].error
    assert [o.with_findings for o in summary.organisations if o.name == DEMO] == [5, 5]


def test_a_session_switches_between_sources(tmp_path: Path, library: Library) -> None:
    path = tmp_path / "calm.yaml"
    path.write_text(CALM, encoding="utf-8")
    session = Session([demo_source(settings=FAST), scenario_source(path, settings=FAST)], library)
    with pytest.raises(ConfigError, match="nothing fetched"):
        session.diagnose()
    aio.run(session.fetch())
    assert session.ready and session.secrets == [SANDBOX_TOKEN]
    assert session.diagnose().organisation.name == DEMO
    session.switch(1)
    assert not session.ready
    aio.run(session.fetch())
    assert session.diagnose().organisation.name == "Calm Co"


def test_a_read_overtaken_by_another_is_let_go(
    tmp_path: Path, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read still going when the person moves to another organisation (or checks again)
    ends after the newer one: the session keeps the newer, never the other organisation's."""
    import asyncio

    import troubleshooter.runs.session as session_module

    path = tmp_path / "calm.yaml"
    path.write_text(CALM, encoding="utf-8")
    session = Session([demo_source(settings=FAST), scenario_source(path, settings=FAST)], library)
    real_read = session_module.read
    held, waiting = asyncio.Event(), asyncio.Event()

    async def slow_for_the_demo(source, progress=None, *, events=None):  # type: ignore[no-untyped-def]
        reading = await real_read(source, progress, events=events)
        if source is session.sources[0] and not held.is_set():
            waiting.set()
            await held.wait()  # the demo's read ends last
        return reading

    monkeypatch.setattr(session_module, "read", slow_for_the_demo)

    async def scene() -> None:
        demo = asyncio.create_task(session.fetch())
        await waiting.wait()  # the demo's read is under way
        session.switch(1)
        await session.fetch()
        assert session.diagnose().organisation.name == "Calm Co"
        held.set()
        await demo  # the demo's read ends now, overtaken
        assert session.diagnose().organisation.name == "Calm Co"
        # Checking one organisation again: the newer read of it is the one kept.
        session.switch(0)
        first = asyncio.create_task(session.fetch())
        await asyncio.sleep(0)
        await session.fetch()
        newer = session.reading
        await first
        assert session.reading is newer

    aio.run(scene())


def test_a_focused_read_holds_other_contacts_as_unknown_not_missing(
    tmp_path: Path, library: Library
) -> None:
    """`--item` asks Xero only for the contacts it names: the others are not read, so the
    suppliers ApprovalMax and Dext hold are unknown in Xero, never "missing from Xero"."""
    contacts = "\n".join(
        f"    - {{name: Supplier {n:03d} Ltd, is_supplier: true}}" for n in range(30)
    )
    path = tmp_path / "many.yaml"
    path.write_text(
        CALM + "xero:\n  contacts:\n" + contacts + "\n"
        "    - {name: Kaimai Oat Milk Co, is_supplier: true, created: -6h}\n"
        "approvalmax: {last_sync: -1h}\ndext: {last_pull: -11h}\n",
        encoding="utf-8",
    )
    reading = aio.run(read(scenario_source(path), focus="Kaimai"))
    diagnosis = reading.diagnose(library, focus="Kaimai")
    assert [t.name for t in diagnosis.items] == ["Kaimai Oat Milk Co"]
    assert [s.action for s in diagnosis.plan] == ["reconnect_dext", "wait"]
    whole = reading.diagnose(library)
    others = [t for t in whole.items if t.name.startswith("Supplier")]
    assert others and all(t.stages[Stage.XERO] is Mark.UNKNOWN for t in others)
    assert not [f for f in whole.findings if f.name and f.name.startswith("Supplier")]


def test_no_cache_keeps_nothing_for_a_served_sandbox(
    served_demo: Served, library: Library, tmp_path: Path
) -> None:
    from troubleshooter.signin.settings import data_path

    aio.run(read(url_source(served_demo.base_url, FAST, cache=False)))
    assert not list((data_path() / "cache").rglob("*.json"))
    aio.run(read(url_source(served_demo.base_url, FAST)))
    assert list((data_path() / "cache").rglob("*.json"))  # kept by default, keyed by the URL
