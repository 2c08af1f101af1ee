"""From snapshots to a Diagnosis: lineage, rules, plan. The one place a verdict is computed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from troubleshooter.engine import RuleSet, evaluate, load_rules
from troubleshooter.errors import RuleLoadError
from troubleshooter.facts import FactContext
from troubleshooter.knowledge import KnowledgeBase, load_knowledge
from troubleshooter.lineage import build_traces
from troubleshooter.model import (
    STAGES,
    Diagnosis,
    ItemKind,
    OrganisationRef,
    Stage,
    StageSnapshot,
    Summary,
    SystemStatus,
)
from troubleshooter.plan import build_plan
from troubleshooter.resources import data_dir
from troubleshooter.sources.fetch import Connections, Progress, fetch_snapshots


@dataclass(frozen=True)
class Library:
    """Rules, actions and knowledge: the data the diagnosis runs on."""

    rules: RuleSet
    knowledge: KnowledgeBase

    @classmethod
    def load(
        cls,
        rules_dirs: Sequence[Path] | None = None,
        knowledge_dirs: Sequence[Path] | None = None,
    ) -> Library:
        """The bundled rules and knowledge, plus (or instead of) the user's own folders."""
        rules = load_rules(list(rules_dirs) if rules_dirs else [data_dir("rules")])
        knowledge = load_knowledge(
            list(knowledge_dirs) if knowledge_dirs else [data_dir("knowledge")]
        )
        library = cls(rules, knowledge)
        library.check_links()
        return library

    def check_links(self) -> None:
        for rule in self.rules.rules:
            if rule.spec.article not in self.knowledge:
                raise RuleLoadError(
                    f"{rule.source}:{rule.line}: rule '{rule.id}' cites article "
                    f"'{rule.spec.article}', which no knowledge folder holds"
                )
        for action in self.rules.actions.values():
            if action.article and action.article not in self.knowledge:
                raise RuleLoadError(
                    f"action '{action.id}' cites article '{action.article}', "
                    "which no knowledge folder holds"
                )


def _clock(snapshots: dict[Stage, StageSnapshot]) -> datetime:
    """The systems' own clock where they say (Xero's DateTimeUTC first), else this machine's."""
    for stage in STAGES:
        if (stamp := snapshots[stage].fetched_at) is not None:
            return stamp
    return datetime.now(UTC)


def _system_status(snapshot: StageSnapshot) -> SystemStatus:
    return SystemStatus(
        stage=snapshot.stage,
        reached=snapshot.reached,
        configured=snapshot.configured,
        provenance=snapshot.provenance,
        error=snapshot.error,
        fetched_at=snapshot.fetched_at,
        organisation=snapshot.organisation,
        unknown_kinds=[k for k in ItemKind if not snapshot.knows(k)],
        kind_errors=snapshot.kind_errors,
        item_counts={k: len(v) for k, v in snapshot.items.items()},
        xero_connection=snapshot.xero_connection,
        last_sync=snapshot.last_sync,
        last_pull=snapshot.last_pull,
        integration=snapshot.integration,
    )


def _organisation(snapshots: dict[Stage, StageSnapshot]) -> OrganisationRef:
    for stage in STAGES:
        if (org := snapshots[stage].organisation) is not None:
            return org
    return OrganisationRef(name="(organisation unknown)")


def diagnose_snapshots(
    snapshots: dict[Stage, StageSnapshot], library: Library, now: datetime | None = None
) -> Diagnosis:
    now = now or _clock(snapshots)
    traces = build_traces(snapshots)
    findings = evaluate(library.rules, traces, FactContext(snapshots, now))
    plan = build_plan(findings, library.rules.actions)
    keys_with_findings = {f.key for f in findings if f.key}
    return Diagnosis(
        generated_at=now,
        organisation=_organisation(snapshots),
        systems=[_system_status(snapshots[stage]) for stage in STAGES],
        items=traces,
        findings=findings,
        plan=plan,
        summary=Summary(
            items=len(traces),
            healthy=sum(1 for t in traces if not t.has_gap and t.key not in keys_with_findings),
            with_findings=len(keys_with_findings),
            findings=len(findings),
            not_expected_downstream=sum(1 for t in traces if t.eligible is False),
        ),
    )


async def diagnose(
    connections: Connections, library: Library, progress: Progress | None = None
) -> Diagnosis:
    snapshots = await fetch_snapshots(connections, progress)
    return diagnose_snapshots(snapshots, library)
