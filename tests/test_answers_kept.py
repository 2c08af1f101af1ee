"""Kept answers on the command line: what a system reports wins over what was kept (and the run
says so), answers stay with their organisation *and* source, and `answers list` shows each as
typed and as read."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from conftest import invoke

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.runs.answerstore import AnswerStore, diagnose_with_kept
from troubleshooter.runs.source import read, scenario_source

# Cause 1: ApprovalMax's adapter reports its last sync an hour ago; Dext's pull 11 hours ago.
FULL = """
clock: 2026-11-25T01:00:00Z
organisation: {name: Example Trading Ltd}
xero:
  accounts:
    - {code: "400", name: Advertising, type: OVERHEADS}
    - {code: "429", name: Staff Wellbeing, created: -40m}
approvalmax: {last_sync: -1h}
dext: {last_pull: -11h}
"""
# The same organisation name, seen only through Xero.
BLIND = """
clock: 2026-11-25T01:00:00Z
organisation: {name: Example Trading Ltd}
xero:
  accounts:
    - {code: "400", name: Advertising, type: OVERHEADS}
    - {code: "429", name: Staff Wellbeing, created: -40m}
approvalmax: {access: none}
dext: {access: none}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def approvalmax(out: str) -> dict[str, object]:
    systems = json.loads(out)["systems"]
    return dict(next(s for s in systems if s["stage"] == "approvalmax"))


def test_the_adapter_s_sync_time_wins_over_a_kept_answer(tmp_path: Path) -> None:
    path = write(tmp_path, "full.yaml", FULL)
    base = ["diagnose", "--scenario", str(path), "--format", "json"]
    _, first, err = invoke(*base, "--answer", "approvalmax.last_sync.accounts=2 days ago")
    assert approvalmax(first)["last_sync"]["accounts"] == "2026-11-23T01:00:00Z"  # type: ignore[index]
    assert (
        "ApprovalMax reports its last accounts sync, but your answer for this run (2 days ago) "
        "is used instead" in err
    )
    _, again, err = invoke(*base)
    assert (
        "ApprovalMax reports its last accounts sync now; your earlier answer (2 days ago) is "
        "not used" in err
    )
    assert "kept from before" not in err  # none was used
    card = approvalmax(again)
    assert card["last_sync"]["accounts"] == "2026-11-25T00:00:00Z"  # type: ignore[index]
    assert card["answered"] == {}
    _, text, _ = invoke("diagnose", "--scenario", str(path))
    assert "lists and sync times from you" not in text
    _, listed, _ = invoke("answers", "list")
    assert "approvalmax.last_sync.accounts = 2 days ago" in listed  # kept, not lost


def test_a_pasted_list_stays_with_its_scenario(tmp_path: Path) -> None:
    first = write(tmp_path, "first.yaml", BLIND)
    second = write(tmp_path, "second.yaml", BLIND)
    pasted = "dext.list.account=400 Advertising"
    invoke("diagnose", "--scenario", str(first), "--answer", pasted)
    _, _, err = invoke("diagnose", "--scenario", str(first))
    assert "using 1 answer kept from before for Example Trading Ltd" in err
    _, out, err = invoke("diagnose", "--scenario", str(second), "--format", "json")
    assert "kept from before" not in err
    dext = next(s for s in json.loads(out)["systems"] if s["stage"] == "dext")
    assert dext["answered"] == {}
    _, listed, _ = invoke("answers", "list")
    assert "Example Trading Ltd (sandbox first.yaml): 1 answer" in listed
    assert "second.yaml" not in listed


def test_answers_list_shows_what_was_typed_and_what_it_was_read_as(tmp_path: Path) -> None:
    path = write(tmp_path, "blind.yaml", BLIND)
    invoke("diagnose", "--scenario", str(path), "--item", "429",
        "--answer", "approvalmax.last_sync.accounts=13:00",
        "--answer", "dext.connection=1",
        "--answer", "approvalmax.has.429=no")  # fmt: skip
    _, listed, _ = invoke("answers", "list")
    lines = listed.splitlines()
    assert lines[0].startswith("Example Trading Ltd (sandbox blind.yaml): 3 answers, saved ")
    assert "  approvalmax.last_sync.accounts = 13:00 (read as 2026-11-25 13:00 NZDT)" in lines
    assert "  dext.connection = 1 (read as ApprovalMax for Xero, for Example Trading Ltd)" in lines
    assert "  approvalmax.has.429 = no" in lines
    assert "+00:00" not in listed
    # The next run uses what it meant: the moment, and the option (not its number).
    _, out, err = invoke("diagnose", "--scenario", str(path), "--item", "429", "--format", "json")
    assert "using 3 answers kept from before" in err
    assert approvalmax(out)["last_sync"]["accounts"] == "2026-11-25T00:00:00Z"  # type: ignore[index]


def test_watching_a_kept_answer_never_hides_what_a_system_reports_now(
    tmp_path: Path, library: Library
) -> None:
    """--watch reads again and again: each read's report wins over the kept answer, so a sync
    that happens while watching is seen."""
    path = write(tmp_path, "full.yaml", FULL.replace("last_sync: -1h", "last_sync: -3h"))
    store = AnswerStore(tmp_path / "answers")
    source = scenario_source(path)
    first = asyncio.run(read(source))
    given = {"approvalmax.last_sync.accounts": "2 days ago"}
    diagnose_with_kept(first, library, store, given)
    seen = []
    for offset in ("-3h", "-5m"):  # ApprovalMax syncs while watched
        path.write_text(FULL.replace("last_sync: -1h", f"last_sync: {offset}"), encoding="utf-8")
        reading = asyncio.run(read(source))
        run_ = diagnose_with_kept(reading, library, store, {})
        system = next(s for s in run_.diagnosis.systems if s.stage.value == "approvalmax")
        seen.append(system.last_sync["accounts"].strftime("%H:%M"))
        assert run_.used == 0 and len(run_.notes) == 1
    assert seen == ["22:00", "00:55"]
