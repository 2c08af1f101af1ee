"""Words people read: plurals, lengths of time, the names of kinds, wherever they are made."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from conftest import FAST

from troubleshooter.cli import main
from troubleshooter.infra.resources import demo_scenario
from troubleshooter.model import ItemKind, Stage
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import load_scenario
from troubleshooter.sources.fetch import FetchEvent, describe, fetch_snapshots
from troubleshooter.wording import KINDS, age, kind_listed, span, them

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_whole_hours_read_without_minutes() -> None:
    assert span(2 * 3600) == "2 h"
    assert span(6 * 3600) == "6 h"
    assert span(2 * 3600 + 5 * 60) == "2 h 05 min"
    assert span(89 * 60) == "89 min"
    assert span(13 * 3600 + 20 * 60) == "13 h"
    assert span(3 * 86400) == "3 days"
    assert age(NOW - timedelta(hours=2), NOW) == "2 h ago"
    assert age(NOW - timedelta(hours=6, seconds=30), NOW) == "6 h ago"
    assert age(NOW - timedelta(hours=4, minutes=5), NOW) == "4 h 05 min ago"


def test_it_and_them() -> None:
    assert [them(n) for n in (1, 2, 0)] == ["it", "them", "them"]


def test_a_question_names_a_kind_in_the_words_of_the_system_it_asks_about() -> None:
    assert kind_listed(ItemKind.ACCOUNT, Stage.APPROVALMAX) == "accounts"
    assert kind_listed(ItemKind.ACCOUNT, Stage.DEXT) == "Categories (accounts in Xero)"
    for kind in ItemKind:
        words = KINDS[kind]
        # A heading gets a count in brackets after it: no brackets of its own.
        assert "(" not in words.title, words.title
        assert "Dext" not in kind_listed(kind, Stage.APPROVALMAX)
        assert kind_listed(kind, Stage.DEXT).count("(") <= 1


def test_the_markdown_headings_and_questions_hold_no_doubled_brackets() -> None:
    result = CliRunner().invoke(main, ["diagnose", "--demo", "--format", "md"])
    assert "### Tracking options — the values of Projects in Dext (11)" in result.stdout
    assert not re.search(r"\) \(\d+\)", result.stdout)


def test_the_adapters_progress_names_kinds_in_plain_plurals() -> None:
    events: list[FetchEvent] = []
    sandbox = Sandbox(load_scenario(demo_scenario()))
    asyncio.run(fetch_snapshots(sandbox_connections(sandbox, settings=FAST), events=events.append))
    said = {describe(e) for e in events if e.stage is not Stage.XERO and e.what}
    assert "ApprovalMax: tracking categories, page 1" in said, said
    assert not [text for text in said if "categorys" in text or "ys," in text]
    whats = {e.what for e in events if e.stage is not Stage.XERO and e.pages_read}
    assert whats <= {words.many for words in KINDS.values()}


def test_sandbox_check_counts_in_plain_plurals(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(
        "clock: 2026-11-25T10:00:00Z\n"
        "organisation: {name: One Co}\n"
        "xero: {accounts: [{code: '200', name: Sales}]}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["sandbox", "check", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "  Xero: 1 item\n" in result.stdout and "1 items" not in result.stdout


def test_the_open_questions_say_yes_and_no_one_way(tmp_path: Path) -> None:
    path = tmp_path / "blind.yaml"
    path.write_text(
        "clock: 2026-11-25T10:00:00Z\n"
        "organisation: {name: Blind Co}\n"
        "xero: {accounts: [{code: '429', name: Staff Wellbeing, created: -40m}]}\n"
        "approvalmax: {access: none}\n"
        "dext: {access: none}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["diagnose", "--scenario", str(path), "--item", "429", "--format", "md"]
    )
    hints = re.findall(r"\((Yes / No[^)]*|yes / no[^)]*)\)", result.stdout)
    assert hints and all(h.startswith("Yes / No") for h in hints), hints
    assert "yes / no" not in result.stdout
