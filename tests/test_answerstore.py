"""Answers are kept per organisation, offered again, listed and cleared."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from troubleshooter.model import OrganisationRef
from troubleshooter.runs.answerstore import AnswerStore, organisation_key

HARBOUR = OrganisationRef(id="7f3a-uuid-1", name="Harbour Street Coffee Roasters Ltd")
NO_ID = OrganisationRef(name="Case Co")


def test_answers_come_back_for_the_same_organisation_only(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path / "answers")
    store.save(HARBOUR, {"dext.last_pull": "11 hours ago", "approvalmax.has.429": "no"})
    store.save(NO_ID, {"dext.integration": "Xero"})
    assert AnswerStore(tmp_path / "answers").load(HARBOUR) == {
        "dext.last_pull": "11 hours ago",
        "approvalmax.has.429": "no",
    }
    assert store.load(NO_ID) == {"dext.integration": "Xero"}
    assert store.load(OrganisationRef(name="Someone Else")) == {}
    path = tmp_path / "answers" / f"{organisation_key(HARBOUR)}.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_listed_and_cleared(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path)
    store.save(HARBOUR, {"a": "1"})
    store.save(NO_ID, {"b": "2"})
    assert sorted(k.organisation for k in store.all()) == ["Case Co", HARBOUR.name]
    assert store.clear(NO_ID) == 1 and store.load(NO_ID) == {}
    assert store.clear() == 1 and store.all() == []


def test_a_broken_or_hostile_file_is_simply_not_offered(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path)
    (tmp_path / f"{organisation_key(HARBOUR)}.json").write_text("[" * 100_000, encoding="utf-8")
    assert store.load(HARBOUR) == {}
    assert organisation_key(OrganisationRef(id="../../etc/passwd", name="x")) == "etcpasswd"
