"""From snapshots to a Diagnosis: lineage, rules, plan. The one place a verdict is computed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from troubleshooter.diagnosis.answers import apply_to_snapshots, apply_to_traces, read_answers
from troubleshooter.diagnosis.engine import RuleSet, evaluate, load_rules
from troubleshooter.diagnosis.facts import FactContext
from troubleshooter.diagnosis.knowledge import KnowledgeBase, load_knowledge
from troubleshooter.diagnosis.lineage import build_traces
from troubleshooter.diagnosis.plan import build_plan
from troubleshooter.diagnosis.questions import open_questions
from troubleshooter.diagnosis.search import closest_names, search_items
from troubleshooter.errors import ConfigError, ExitCode, RuleLoadError
from troubleshooter.infra.gcpause import collector_paused
from troubleshooter.infra.resources import data_dir
from troubleshooter.model import (
    STAGES,
    ArticleRef,
    Diagnosis,
    Finding,
    ItemKind,
    ItemTrace,
    OrganisationRef,
    PlanStep,
    QuietCause,
    Stage,
    StageSnapshot,
    Summary,
    SystemStatus,
    normalise_name,
)
from troubleshooter.wording import zone_of


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

    def cited(self, findings: list[Finding], plan: list[PlanStep]) -> list[ArticleRef]:
        """The articles the findings and the plan's actions cite, in that order."""
        ids = [f.article for f in findings]
        ids += [a for step in plan if (a := self.rules.actions[step.action].article)]
        refs = []
        for article_id in dict.fromkeys(ids):
            article = self.knowledge.get(article_id)
            if article is not None:
                refs.append(
                    ArticleRef(
                        id=article.id,
                        title=article.title,
                        excerpt=article.excerpt(),
                        link=next((s for s in article.meta.source if s.startswith("http")), None),
                    )
                )
        return refs

    def lint(self) -> list[str]:
        """Problems that loading lets pass but a support team should fix: questions no rule
        can raise, actions and articles nothing uses."""
        problems = []
        used = set().union(
            *(r.condition.facts() | {r.spec.expected_by or ""} for r in self.rules.rules)
        )
        for question in self.rules.questions:
            if not ({question.sets, *question.settles} & used):
                problems.append(f"question '{question.id}': no rule uses the facts it settles")
        cited = {r.spec.action for r in self.rules.rules} | {
            a for r in self.rules.rules for a in r.spec.then
        }
        for action in self.rules.actions:
            if action not in cited:
                problems.append(f"action '{action}': no rule leads to it")
        for rule in self.rules.rules:
            if not rule.spec.description and not rule.spec.references:
                problems.append(f"rule '{rule.id}': give a description or references")
        return problems


def system_clock(snapshots: dict[Stage, StageSnapshot]) -> datetime:
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
        answered=snapshot.answered,
    )


def _organisation(snapshots: dict[Stage, StageSnapshot]) -> OrganisationRef:
    for stage in STAGES:
        if (org := snapshots[stage].organisation) is not None:
            return org
    return OrganisationRef(name="(organisation unknown)")


def _shallow(snapshot: StageSnapshot) -> StageSnapshot:
    return snapshot.model_copy(
        update={
            "items": dict(snapshot.items),
            "kind_errors": dict(snapshot.kind_errors),
            "last_sync": dict(snapshot.last_sync),
            "answered": dict(snapshot.answered),
        }
    )


def find_items(traces: list[ItemTrace], text: str) -> list[ItemTrace]:
    """The items a person means by `text` (diagnosis/search.py); none is an error that offers
    the nearest names and what to check."""
    if not normalise_name(text):
        raise ConfigError("--item needs a code or (part of) a name")
    found = search_items(traces, text)
    if found:
        return found
    close = closest_names(traces, text)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ConfigError(
        f"no item in Xero, ApprovalMax or Dext matches {text!r}{hint} (check that it is the "
        "right organisation, and that the item was saved in Xero)"
    )


def diagnose_snapshots(
    snapshots: dict[Stage, StageSnapshot],
    library: Library,
    now: datetime | None = None,
    *,
    answers: Mapping[str, str] | None = None,
    focus: str | None = None,
) -> Diagnosis:
    """Answers first (they fill in what the systems could not tell), then lineage, rules and
    the plan; a focused run keeps to the items `focus` names and explains even the causes a
    whole-organisation run only counts."""
    with collector_paused():
        return _diagnose_snapshots(snapshots, library, now, answers=answers, focus=focus)


def _diagnose_snapshots(
    snapshots: dict[Stage, StageSnapshot],
    library: Library,
    now: datetime | None,
    *,
    answers: Mapping[str, str] | None,
    focus: str | None,
) -> Diagnosis:
    now = now or system_clock(snapshots)
    answer_set = read_answers(answers or {}, library.rules.questions, now)
    if answer_set.answers:
        # Answers change what a snapshot says; the caller's snapshots stay as they were. The
        # items themselves are never changed, only which lists a snapshot holds.
        snapshots = {stage: _shallow(snap) for stage, snap in snapshots.items()}
        apply_to_snapshots(answer_set, snapshots)
    traces = build_traces(snapshots)
    apply_to_traces(answer_set, traces)
    focused = find_items(traces, focus) if focus is not None else None
    keys = {t.key for t in focused} if focused is not None else None
    evaluation = evaluate(library.rules, traces, FactContext(snapshots, now), focus=keys)
    findings = evaluation.findings
    shown = focused if focused is not None else traces
    keys_with_findings = {f.key for f in findings if f.key}
    organisation = _organisation(snapshots)
    questions = open_questions(
        library.rules.questions,
        evaluation.unknown,
        focused=focus is not None,
        organisation=(snapshots[Stage.APPROVALMAX].organisation or organisation).name,
        answered=answer_set.ids,
    )
    plan = build_plan(findings, library.rules.actions, zone_of(organisation))
    return Diagnosis(
        generated_at=now,
        organisation=organisation,
        articles=library.cited(findings, plan),
        systems=[_system_status(snapshots[stage]) for stage in STAGES],
        items=shown,
        findings=findings,
        plan=plan,
        questions=questions,
        focus=focus,
        summary=Summary(
            items=len(shown),
            healthy=sum(1 for t in shown if not t.has_gap and t.key not in keys_with_findings),
            with_findings=len(keys_with_findings),
            findings=len(findings),
            not_expected_downstream=sum(1 for t in shown if t.eligible is False),
            quiet=[
                QuietCause(rule=rule_id, title=library.rules.rule(rule_id).spec.title, count=n)
                for rule_id, n in evaluation.quiet.items()
            ],
        ),
    )


def exit_code_for(diagnosis: Diagnosis) -> ExitCode:
    """The code a diagnosis ends with (ExitCode says what each means). Questions still open
    make it incomplete: the tool could not see enough to say all is well."""
    if diagnosis.failed_systems:
        return ExitCode.INCOMPLETE
    if diagnosis.findings:
        return ExitCode.FINDINGS
    return ExitCode.INCOMPLETE if diagnosis.questions else ExitCode.OK
