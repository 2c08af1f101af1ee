"""The fact vocabulary: the one list of facts, kept true to the code that computes them, to the
values they take, to what answers set, and to docs/rules.md."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.diagnosis.facts import FactContext, finding_facts
from troubleshooter.diagnosis.lineage import build_traces
from troubleshooter.diagnosis.vocabulary import (
    FACTS,
    FINDING_FACTS,
    ITEM_FACTS,
    ORGANISATION_FACTS,
    SETTABLE,
    Fact,
    ValueType,
    facts_markdown,
)
from troubleshooter.infra.resources import demo_scenario
from troubleshooter.infra.yamlfile import load_yaml
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import load_scenario, parse_scenario
from troubleshooter.sources.fetch import fetch_snapshots

DOC = Path(__file__).parent.parent / "docs" / "rules.md"
BEGIN, END = "<!-- facts:", "<!-- end of facts -->"


def test_the_docs_list_exactly_the_facts_of_the_code() -> None:
    """docs/rules.md's tables are generated from the vocabulary: a fact added to one and not to
    the other fails here. UPDATE_DOCS=1 writes the generated tables into the doc."""
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    comment, rest = rest.split("-->\n", 1)
    documented, tail = rest.split(END, 1)
    expected = facts_markdown()
    if documented != expected and os.environ.get("UPDATE_DOCS"):
        DOC.write_text(f"{head}{BEGIN}{comment}-->\n{expected}{END}{tail}", encoding="utf-8")
        documented = expected
    assert documented == expected, "run UPDATE_DOCS=1 pytest tests/test_vocabulary.py"
    for name in FACTS:
        assert f"| `{name}` |" in documented


def test_the_scopes_are_what_the_code_computes() -> None:
    assert set(FACTS) == ITEM_FACTS | ORGANISATION_FACTS | FINDING_FACTS
    assert not (ITEM_FACTS & ORGANISATION_FACTS or ORGANISATION_FACTS & FINDING_FACTS)
    assert set(finding_facts([], [])) == FINDING_FACTS
    snapshots = asyncio.run(
        fetch_snapshots(sandbox_connections(Sandbox(load_scenario(demo_scenario())), settings=FAST))
    )
    context = FactContext(snapshots, load_scenario(demo_scenario()).clock)
    organisation = context.organisation_facts()
    assert set(organisation) == ORGANISATION_FACTS
    [trace, *_] = build_traces(snapshots)
    assert set(context.item_facts(trace, organisation)) == ITEM_FACTS | ORGANISATION_FACTS


def _fits(fact: Fact, value: Any) -> bool:
    if value is None:
        return True  # unknown
    if fact.type is ValueType.TIME:
        return isinstance(value, datetime) and value.tzinfo is not None
    if fact.type is ValueType.YES_NO:
        return isinstance(value, bool)
    return isinstance(value, str) and value in fact.values


SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_fact_takes_only_the_values_the_vocabulary_says(path: Path) -> None:
    """The values a rule may compare with (checked when rules load) are the values the facts
    really take, in every scenario."""
    scenario = parse_scenario(load_yaml(path.read_text(encoding="utf-8"))["scenario"])
    snapshots = asyncio.run(fetch_snapshots(sandbox_connections(Sandbox(scenario), settings=FAST)))
    context = FactContext(snapshots, scenario.clock)
    organisation = context.organisation_facts()
    seen: dict[str, set[Any]] = {}
    for trace in build_traces(snapshots):
        facts = context.item_facts(trace, organisation)
        for name in ITEM_FACTS | ORGANISATION_FACTS:
            value = facts[name]
            assert _fits(FACTS[name], value), f"{trace.name}: {name} = {value!r}"
            seen.setdefault(name, set()).add(type(value))
    assert seen["xero"] == {str}  # the check looked at real values


def test_answers_set_exactly_the_facts_the_bundled_questions_ask_about(library: Library) -> None:
    assert {question.sets for question in library.rules.questions} == SETTABLE
