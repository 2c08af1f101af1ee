"""Answers are kept per organisation and per source, offered again, listed and cleared; a kept
answer never stands over what a system reports."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.model import OrganisationRef
from troubleshooter.runs.answerstore import AnswerStore, Owner, diagnose_with_kept, offer
from troubleshooter.runs.source import Reading, read, scenario_source

HARBOUR = Owner(
    OrganisationRef(id="7f3a-uuid-1", name="Harbour Street Coffee Roasters Ltd"), "live"
)
NO_ID = Owner(OrganisationRef(name="Case Co"), "scenario", "/somewhere/case.yaml")

# ApprovalMax's adapter reports its syncs (an hour ago); Dext is not connected.
SEEN = """
clock: 2026-11-25T01:00:00Z
organisation: {name: Example Trading Ltd}
xero:
  accounts:
    - {code: "400", name: Advertising, type: OVERHEADS}
    - {code: "429", name: Staff Wellbeing, created: -40m}
approvalmax: {last_sync: -1h}
dext: {access: none}
"""


def test_answers_come_back_for_the_same_owner_only(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path / "answers")
    store.save(HARBOUR, {"dext.last_pull": "11 hours ago", "approvalmax.has.429": "no"})
    store.save(NO_ID, {"dext.integration": "Xero"})
    kept = AnswerStore(tmp_path / "answers").load(HARBOUR)
    assert kept is not None
    assert kept.answers == {"dext.last_pull": "11 hours ago", "approvalmax.has.429": "no"}
    assert (found := store.load(NO_ID)) is not None and found.answers == {
        "dext.integration": "Xero"
    }
    assert store.load(Owner(OrganisationRef(name="Someone Else"), "live")) is None
    path = tmp_path / "answers" / f"{HARBOUR.key}.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_one_name_in_two_sources_is_two_owners() -> None:
    """Two scenarios of one name, the demo and a live organisation of that name, two live
    organisations of one name with their own Xero ids: none shares another's answers."""
    org = OrganisationRef(name="Example Trading Ltd")
    keys = {
        Owner(org, "scenario", "/a/cause-01.yaml").key,
        Owner(org, "scenario", "/a/cause-02.yaml").key,
        Owner(org, "demo", "/a/demo.yaml").key,
        Owner(org, "live").key,
        Owner(org.model_copy(update={"id": "tenant-1"}), "live").key,
        Owner(org.model_copy(update={"id": "tenant-2"}), "live").key,
        Owner(org.model_copy(update={"short_code": "!abc12"}), "live").key,
    }
    assert len(keys) == 7
    assert Owner(org, "live").key == Owner(OrganisationRef(name="example trading ltd"), "live").key


def test_kept_as_typed_and_as_meant(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path)
    store.save(
        HARBOUR,
        {"approvalmax.last_sync.accounts": "2026-11-24T01:00:00+00:00", "dext.has.429": "no"},
        {"approvalmax.last_sync.accounts": "13:00"},
        timezone="Pacific/Auckland",
    )
    kept = store.load(HARBOUR)
    assert kept is not None and kept.timezone == "Pacific/Auckland"
    assert kept.answers["approvalmax.last_sync.accounts"] == "2026-11-24T01:00:00+00:00"
    assert kept.typed == {"approvalmax.last_sync.accounts": "13:00", "dext.has.429": "no"}
    # Saved again with the same meaning and no words: the words it was typed in stay.
    store.save(HARBOUR, dict(kept.answers))
    again = store.load(HARBOUR)
    assert again is not None and again.typed["approvalmax.last_sync.accounts"] == "13:00"


def test_listed_and_cleared(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path)
    store.save(HARBOUR, {"a": "1"})
    store.save(NO_ID, {"b": "2"})
    assert sorted(k.organisation for k in store.all()) == ["Case Co", HARBOUR.organisation.name]
    assert store.clear(NO_ID) == 1 and store.load(NO_ID) is None
    assert store.clear() == 1 and store.all() == []


def test_a_broken_or_hostile_file_is_simply_not_offered(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path)
    (tmp_path / f"{HARBOUR.key}.json").write_text("[" * 100_000, encoding="utf-8")
    assert store.load(HARBOUR) is None
    hostile = Owner(OrganisationRef(id="../../etc/passwd", name="x"), "../../live")
    assert "/" not in hostile.key and ".." not in hostile.key


# -- a kept answer and what a system reports ------------------------------------------------------


def _reading(tmp_path: Path, text: str = SEEN, name: str = "seen.yaml") -> Reading:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return asyncio.run(read(scenario_source(path)))


def test_a_kept_answer_gives_way_to_what_a_system_reports(tmp_path: Path, library: Library) -> None:
    """ApprovalMax's adapter reports its last accounts sync (an hour ago): a kept "2 days
    ago" is set aside, and said to be; a kept answer about Dext, which nothing reports, is
    used. Both stay kept."""
    reading = _reading(tmp_path)
    store = AnswerStore(tmp_path / "answers")
    assert reading.organisation is not None
    owner = offer(reading, library, store).owner
    assert owner is not None
    store.save(
        owner,
        {"approvalmax.last_sync.accounts": "2026-11-23T01:00:00+00:00", "dext.has.429": "no"},
        {"approvalmax.last_sync.accounts": "2 days ago"},
    )
    run = diagnose_with_kept(reading, library, store, {}, focus="429")
    assert run.used == 1
    assert run.notes == [
        "ApprovalMax reports its last accounts sync now; your earlier answer (2 days ago) is "
        "not used"
    ]
    approvalmax = next(s for s in run.diagnosis.systems if s.stage.value == "approvalmax")
    assert approvalmax.answered == {}  # nothing of ApprovalMax's from the person
    assert approvalmax.last_sync["accounts"] == reading.clock().replace(hour=0)  # an hour ago
    assert "dext.has.429" not in {q.id for q in run.diagnosis.questions}  # used: answered
    kept = store.load(owner)
    assert kept is not None and set(kept.answers) == {
        "approvalmax.last_sync.accounts",
        "dext.has.429",
    }


def test_an_answer_given_for_the_run_overrides_a_system_and_says_so(
    tmp_path: Path, library: Library
) -> None:
    reading = _reading(tmp_path)
    store = AnswerStore(tmp_path / "answers")
    given = {"approvalmax.last_sync.accounts": "2 days ago"}
    run = diagnose_with_kept(reading, library, store, given, focus="429")
    assert run.notes == [
        "ApprovalMax reports its last accounts sync, but your answer for this run (2 days ago) "
        "is used instead"
    ]
    approvalmax = next(s for s in run.diagnosis.systems if s.stage.value == "approvalmax")
    assert approvalmax.last_sync["accounts"].day == 23  # the person's, on purpose


def test_a_kept_list_stays_with_its_scenario(tmp_path: Path, library: Library) -> None:
    """A Dext list pasted for one scenario is not offered to another scenario of the same
    organisation name."""
    store = AnswerStore(tmp_path / "answers")
    first = _reading(tmp_path, name="first.yaml")
    second = _reading(tmp_path, name="second.yaml")
    diagnose_with_kept(first, library, store, {"dext.list.account": "400 Advertising"})
    assert offer(first, library, store).usable == {"dext.list.account": "400 Advertising"}
    assert offer(second, library, store).kept is None
    run = diagnose_with_kept(second, library, store, {})
    assert run.used == 0
