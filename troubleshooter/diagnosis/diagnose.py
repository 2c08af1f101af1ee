"""From snapshots to a Diagnosis: lineage, rules, plan. The one place a verdict is computed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from troubleshooter.diagnosis.answers import (
    AnswerSet,
    apply_to_snapshots,
    apply_to_traces,
    organisation_names,
    read_answers,
)
from troubleshooter.diagnosis.evaluate import Evaluation, evaluate
from troubleshooter.diagnosis.facts import FactContext
from troubleshooter.diagnosis.hypothesis import (
    PlanFor,
    Ranked,
    can_gate,
    distance,
    frontier,
    gate_on,
    likely_answers,
    merge_plans,
    merged_plan,
    plans_differ,
    rank,
)
from troubleshooter.diagnosis.inference import infer
from troubleshooter.diagnosis.knowledge import KnowledgeBase, load_knowledge
from troubleshooter.diagnosis.lineage import compact_counts, trace_rows
from troubleshooter.diagnosis.plan import build_plan
from troubleshooter.diagnosis.questions import (
    QuestionSpec,
    fill,
    open_questions,
    question_id,
    spec_for,
)
from troubleshooter.diagnosis.questions import handles as question_handles
from troubleshooter.diagnosis.ruleset import RuleSet, load_rules
from troubleshooter.diagnosis.search import closest_names, search_items
from troubleshooter.errors import ConfigError, ExitCode, RuleLoadError
from troubleshooter.infra.gcpause import collector_paused
from troubleshooter.infra.resources import data_dir
from troubleshooter.model import (
    STAGES,
    ArticleRef,
    Assumption,
    Diagnosis,
    Finding,
    Gate,
    ItemKind,
    ItemTrace,
    Mark,
    OrganisationRef,
    PlanStep,
    Provenance,
    Question,
    QuietCause,
    Stage,
    StageDetail,
    StageSnapshot,
    Summary,
    SystemStatus,
    Traces,
    built,
    normalise_name,
)
from troubleshooter.wording import times_read_in, zone_of


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
        """Every article a rule or an action cites exists; all that do not are listed at once."""
        problems = [
            f"{rule.source}:{rule.line}: rule '{rule.id}' cites article "
            f"'{rule.spec.article}', which no knowledge folder holds"
            for rule in self.rules.rules
            if rule.spec.article not in self.knowledge
        ]
        problems += [
            f"action '{action.id}' cites article '{action.article}', "
            "which no knowledge folder holds"
            for action in self.rules.actions.values()
            if action.article and action.article not in self.knowledge
        ]
        if problems:
            raise RuleLoadError.listing(problems)

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


def find_items(traces: Sequence[ItemTrace], text: str) -> list[ItemTrace]:
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
    """Answers first (they fill in what the systems could not tell), then lineage, what the
    chain lets one infer, the rules and the plan; a focused run keeps to the items `focus`
    names, explains even the causes a whole-organisation run only counts, ranks its questions
    by how much their answers would change the plan, and gives a plan even while the cause is
    not settled (steps that wait on a check)."""
    with collector_paused():
        return _diagnose_snapshots(snapshots, library, now, answers=answers, focus=focus)


@dataclass
class _Prepared:
    """The snapshots and traces after the answers: the expensive part (lineage), done once."""

    snapshots: dict[Stage, StageSnapshot]
    traces: Sequence[ItemTrace]
    now: datetime
    answered: set[str]
    organisation: OrganisationRef


@dataclass
class _Reasoned:
    evaluation: Evaluation
    plan: list[PlanStep]
    questions: list[Question]
    assumptions: list[Assumption]


def _answered(
    snapshots: dict[Stage, StageSnapshot],
    traces: list[ItemTrace] | None,
    answer_set: AnswerSet,
) -> tuple[dict[Stage, StageSnapshot], list[ItemTrace] | None]:
    """The snapshots (shallow copies) and traces with the answers applied; the caller's stay
    as they were. The items themselves are never changed, only which lists a snapshot holds."""
    if answer_set.answers:
        snapshots = {stage: _shallow(snap) for stage, snap in snapshots.items()}
        apply_to_snapshots(answer_set, snapshots)
        if traces is not None:
            apply_to_traces(answer_set, traces)
    return snapshots, traces


def _assumptions(
    specs: list[QuestionSpec], context: FactContext
) -> tuple[dict[str, object], dict[str, str], list[tuple[str, QuestionSpec]]]:
    """What the normal setup says of each organisation fact nobody could tell."""
    known = context.known_organisation_facts()
    assumed: dict[str, object] = {}
    texts: dict[str, str] = {}
    checks: list[tuple[str, QuestionSpec]] = []
    for spec in specs:
        if any(known.get(fact) is not None for fact in spec.assume):
            # Told in part ("Dext takes its lists from Xero"): the rest of the normal setup
            # no longer stands in for what was not told, nor is it said to be assumed.
            continue
        for fact, value in spec.assume.items():
            if known.get(fact) is None and fact not in assumed:
                assumed[fact] = value
                texts[fact] = spec.assumption or fact
                checks.append((fact, spec))
    return assumed, texts, checks


def _premise(
    specs: list[QuestionSpec], traces: Sequence[ItemTrace], handles: dict[str, str]
) -> list[tuple[Assumption, ItemTrace]]:
    """In a focused run: what is taken of the item itself while unanswered (that it is not in
    Dext: that is why the person asked)."""
    made = []
    for spec in specs:
        if not spec.assume_in_focus:
            continue
        for trace in traces:
            if trace.eligible is False:
                continue
            for fact, value in spec.assume_in_focus.items():
                stage = Stage(fact)
                if trace.stages[stage] is not Mark.UNKNOWN or stage in trace.blocked:
                    continue
                text = fill(spec.assumption or fact, {"name": trace.label})
                mark = Mark(str(value))
                trace.stages[stage] = mark
                trace.detail[stage] = StageDetail(
                    name=None if mark is Mark.MISSING else trace.name,
                    provenance=Provenance.ASSUMED,
                    because=text,
                )
                qid = question_id(spec, trace, handles.get(trace.key))
                made.append((Assumption(fact=fact, value=mark.value, text=text, question=qid,
                                        key=trace.key), trace))  # fmt: skip
    return made


def _reason(
    prepared: _Prepared,
    library: Library,
    traces: Sequence[ItemTrace],
    *,
    focused: bool,
    handles: dict[str, str],
) -> _Reasoned:
    """Assumptions, inference and rules over `traces` (in a focused run, copies of the items
    asked about: this part runs again for every answer tried)."""
    specs = library.rules.questions
    plain = FactContext(prepared.snapshots, prepared.now)
    assumed, texts, checks = _assumptions(specs, plain)
    context = FactContext(prepared.snapshots, prepared.now, assumed, texts)
    organisation_facts = context.organisation_facts()
    infer(library.rules.inferences, traces, context, organisation_facts)
    premises = _premise(specs, traces, handles) if focused else []
    keys = {t.key for t in traces} if focused else None
    evaluation = evaluate(
        library.rules, traces, context, focus=keys, known=plain.known_organisation_facts()
    )
    zone = zone_of(prepared.organisation)
    plan = build_plan(evaluation.findings, library.rules.actions, zone)
    # Only what a rule (or an inference) looked at is something the plan rests on.
    checks = [
        (fact, spec) for fact, spec in checks if fact in evaluation.read | organisation_facts.read
    ]
    assumptions = [
        Assumption(fact=fact, value=str(assumed[fact]).lower(), text=texts[fact], question=None)
        for fact, _ in checks
    ]
    unknown = list(evaluation.unknown)
    unknown += [(fact, None) for fact, _ in checks]
    unknown += [(a.fact, trace) for a, trace in premises]
    questions = open_questions(
        specs,
        unknown,
        focused=focused,
        organisation=(
            prepared.snapshots[Stage.APPROVALMAX].organisation or prepared.organisation
        ).name,
        answered=prepared.answered,
        handles=handles,
    )
    by_fact = {fact: texts[fact] for fact, _ in checks}
    by_item = {(a.fact, a.key): a.text for a, _ in premises}
    questions = [_with_check(q, specs, by_fact, by_item) for q in questions]
    zone_hint = times_read_in(prepared.organisation)  # a time is read in which zone
    questions = [
        q.model_copy(update={"where": f"{q.where} {zone_hint}"}) if q.type == "datetime" else q
        for q in questions
    ]
    for assumption in assumptions:
        assumption.question = next((q.id for q in questions if q.checks == assumption.text), None)
    plan = _wait_behind_assumptions(plan, evaluation, assumptions)
    assumptions += [a for a, _ in premises]
    return _Reasoned(evaluation, plan, questions, assumptions)


def _wait_behind_assumptions(
    plan: list[PlanStep], evaluation: Evaluation, assumptions: list[Assumption]
) -> list[PlanStep]:
    """Waiting offered by a finding that holds only with what the plan assumes (Dext's daily
    pull working, when nobody said when it last ran) waits on those checks: "If the setup is
    as assumed, you can simply wait", never a plain "Or simply wait", and never "nothing is
    broken" (the verdict reads a gated wait as a check to make)."""
    actions = {f.action for f in evaluation.findings if f.rule in evaluation.assumed}
    asked = next((a.question for a in assumptions if a.question), None)
    if not actions or asked is None:
        return plan
    gate = Gate(
        question=asked,
        check="Check what the plan assumes (the questions ask it)",
        answers=[],
        reading="If the setup is as assumed",
    )
    return [
        step.model_copy(update={"gate": gate})
        if step.wait and step.gate is None and step.action in actions
        else step
        for step in plan
    ]


def _with_check(
    question: Question,
    specs: list[QuestionSpec],
    by_fact: dict[str, str],
    by_item: dict[tuple[str, str | None], str],
) -> Question:
    spec, _ = spec_for(specs, question.id)
    if question.key is not None and (spec.sets, question.key) in by_item:
        return question.model_copy(update={"checks": by_item[(spec.sets, question.key)]})
    texts = [by_fact[f] for f in spec.facts if f in by_fact]
    if not texts:
        return question
    return question.model_copy(update={"checks": "; ".join(dict.fromkeys(texts))})


def _diagnose_snapshots(
    snapshots: dict[Stage, StageSnapshot],
    library: Library,
    now: datetime | None,
    *,
    answers: Mapping[str, str] | None,
    focus: str | None,
) -> Diagnosis:
    now = now or system_clock(snapshots)
    organisation = _organisation(snapshots)
    zone = zone_of(organisation)
    specs = library.rules.questions
    answer_set = read_answers(answers or {}, specs, now, zone, organisation_names(snapshots))
    snapshots, _ = _answered(snapshots, None, answer_set)  # per-item answers: traces, below
    for answer in answer_set.answers:
        if answer.spec.per == "item" and answer.spec.stage is not None:
            # Counted with the system's other answers ("2 of 3 answered").
            snapshots[answer.spec.stage].answered[answer.id] = Provenance.ANSWER
    traces = trace_rows(snapshots)
    apply_to_traces(answer_set, traces)
    prepared = _Prepared(snapshots, traces, now, answer_set.ids, organisation)
    focused = find_items(traces, focus) if focus is not None else None
    shown: Sequence[ItemTrace]
    if focused is None:
        reasoned = _reason(prepared, library, traces, focused=False, handles={})
        shown = traces
        reasoned = _with_stopped_items(prepared, library, reasoned, traces)
    else:
        handles = question_handles(focused, among=traces)
        shown = [t.model_copy(deep=True) for t in focused]
        reasoned = _reason(prepared, library, shown, focused=True, handles=handles)
        reasoned = _ranked(prepared, library, focused, handles, reasoned)
    return _diagnosis(prepared, library, reasoned, shown, focus)


def _stopped_unexplained(trace: ItemTrace, with_findings: set[str]) -> bool:
    """An item known not to be where it should (Dext's pasted list lacks it), with no finding
    to say why: the stage before is not known."""
    return trace.key not in with_findings and bool(trace.missing_at())


def _with_stopped_items(
    prepared: _Prepared, library: Library, reasoned: _Reasoned, among: Sequence[ItemTrace]
) -> _Reasoned:
    """A whole-organisation run with a few items known to have stopped, but not why (a pasted
    Dext list lacks them; ApprovalMax is not known): those items are reasoned about as a
    focused run would, so they are named, asked about one by one, and given the plan that
    waits on a check; the rest of the run stands as it is."""
    with_findings = {f.key for f in reasoned.evaluation.findings if f.key}
    stopped = [t for t in built(among) if _stopped_unexplained(t, with_findings)]
    if not stopped or len(stopped) > MAX_STOPPED_FOR_PLAN:
        return reasoned  # none, or so many that the per-kind lists are what to look at
    handles = question_handles(stopped, among=prepared.traces)
    copies = [t.model_copy(deep=True) for t in stopped]
    part = _reason(prepared, library, copies, focused=True, handles=handles)
    part = _ranked(prepared, library, stopped, handles, part)
    seen = {(f.rule, f.key) for f in reasoned.evaluation.findings}
    findings = reasoned.evaluation.findings + [
        f for f in part.evaluation.findings if f.key is not None and (f.rule, f.key) not in seen
    ]
    evaluation = Evaluation(
        findings=findings,
        quiet=reasoned.evaluation.quiet,
        unknown=reasoned.evaluation.unknown,
        read=reasoned.evaluation.read | part.evaluation.read,
    )
    plan = merge_plans(reasoned.plan, part.plan, library.rules.actions)
    if len(stopped) > MAX_FOCUSED_FOR_RANKING:  # one question each would be a long list
        return _Reasoned(evaluation, plan, reasoned.questions, reasoned.assumptions)
    asked = {q.id for q in part.questions}
    questions = part.questions + [q for q in reasoned.questions if q.id not in asked]
    known = {(a.fact, a.key, a.text) for a in reasoned.assumptions}
    assumptions = reasoned.assumptions + [
        a for a in part.assumptions if (a.fact, a.key, a.text) not in known
    ]
    return _Reasoned(evaluation, plan, questions, assumptions)


def _ranked(
    prepared: _Prepared,
    library: Library,
    focused: list[ItemTrace],
    handles: dict[str, str],
    reasoned: _Reasoned,
) -> _Reasoned:
    """A focused run's questions ranked by what their answers would change, and its plan made
    whole where it waits on one."""
    specs = library.rules.questions
    zone = zone_of(prepared.organisation)

    def plan_for(extra: dict[str, str]) -> list[PlanStep]:
        try:
            extra_set = read_answers(extra, specs, prepared.now, zone)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        snapshots, _ = _answered(
            prepared.snapshots,
            None,
            AnswerSet([a for a in extra_set.answers if a.spec.per != "item"]),
        )
        copies = [t.model_copy(deep=True) for t in focused]
        apply_to_traces(extra_set, copies)
        trial = _Prepared(
            snapshots,
            prepared.traces,
            prepared.now,
            prepared.answered | extra_set.ids,
            prepared.organisation,
        )
        return _reason(trial, library, copies, focused=True, handles=handles).plan

    if len(focused) > MAX_FOCUSED_FOR_RANKING:
        return _gated_unranked(library, focused, reasoned, plan_for)
    ranked = rank(reasoned.questions, specs, reasoned.plan, plan_for, focused)
    # A finding that calls the usual setup into doubt asks its question first.
    doubted = [
        asked
        for finding in reasoned.evaluation.findings
        for asked in library.rules.rule(finding.rule).spec.asks
    ]
    ranked.sort(key=lambda entry: entry.question.id not in doubted)
    questions = [
        entry.question.model_copy(update={"changes_plan": _changes(entry, reasoned.plan)})
        for entry in ranked
    ]
    plan = reasoned.plan
    gate = gate_on(ranked)
    if gate is not None:
        gate, names = _together(gate, ranked, focused, plan_for)
        check = fill(gate.spec.check or gate.question.text, {"name": names})
        plan = merged_plan(gate, library.rules.actions, check, gate.spec.readings)
    return _Reasoned(reasoned.evaluation, plan, questions, reasoned.assumptions)


def _gated_unranked(
    library: Library, focused: list[ItemTrace], reasoned: _Reasoned, plan_for: PlanFor
) -> _Reasoned:
    """Many items asked about (or stopped): the questions stay in the chain's order, unranked,
    but the plan still says what to do, waiting on the check about where they stopped ("Open
    ApprovalMax and look for each of the 12 items this step is for")."""
    specs = library.rules.questions
    front = frontier(focused)
    entries = [Ranked(q, spec_for(specs, q.id)[0], 0.0, {}, {}) for q in reasoned.questions]
    gate = next(
        (
            e
            for e in entries
            if e.question.key is not None and e.question.stage is front and can_gate(e.spec)
        ),
        None,
    )
    if gate is None:
        return reasoned
    likely = likely_answers(gate.spec, gate.question)
    gate = replace(
        gate,
        plans={a.answer: [] for a in likely},
        weights={a.answer: a.weight for a in likely},
    )
    gate, names = _together(gate, entries, focused, plan_for)
    if not plans_differ(gate):
        return reasoned  # every answer gives the same plan: nothing to wait on
    check = fill(gate.spec.check or gate.question.text, {"name": names})
    plan = merged_plan(gate, library.rules.actions, check, gate.spec.readings)
    return _Reasoned(reasoned.evaluation, plan, reasoned.questions, reasoned.assumptions)


def _together(
    gate: Ranked,
    ranked: list[Ranked],
    focused: list[ItemTrace],
    plan_for: PlanFor,
) -> tuple[Ranked, str]:
    """The gate a plan waits on, made about every item that has the same check open ("Open
    ApprovalMax and look for each of 400 Advertising and 429 Staff Wellbeing"), so that each
    of them gets its steps, not only the item the best question was about; and the names the
    check is about. Each answer is tried for all of them at once: what holds for each item
    alone is in the merged plan, as the steps name the items they are for."""

    def name(key: str | None) -> str:
        trace = next((t for t in focused if t.key == key), None)
        if trace is None:
            return ""
        return f"{trace.code} {trace.label}" if trace.code else trace.label

    if gate.question.key is None:
        return gate, ""
    siblings = [e for e in ranked if e.spec is gate.spec and e.question.key is not None]
    if len(siblings) < 2:
        return gate, name(gate.question.key)
    plans: dict[str, list[PlanStep]] = {}
    for answer in gate.plans:
        try:
            plans[answer] = plan_for({e.question.id: answer for e in siblings})
        except ValueError:  # an answer one of them cannot take: keep the one item's plan
            return gate, name(gate.question.key)
    names = [name(e.question.key) for e in siblings]
    if len(names) > MAX_FOCUSED_FOR_RANKING:
        joined = f"each of the {len(names)} items this step is for"
    else:
        joined = "each of " + ", ".join(names[:-1]) + " and " + names[-1]
    return replace(gate, plans=plans), joined


def _changes(entry: Ranked, plan: list[PlanStep]) -> bool:
    """Whether some likely answer to the question gives another plan than this one (a
    question with no likely answers to try, a pasted list, may: it is not ruled out)."""
    if not entry.plans:
        return True
    return any(distance(other, plan) > 0 for other in entry.plans.values())


MAX_FOCUSED_FOR_RANKING = 8  # a search that matched many items is ranked in the chain's order
# Items known to have stopped, cause unknown, that still get a plan waiting on a check; beyond
# that (a pasted list from the wrong place, most likely) the per-kind lists are what to look at.
MAX_STOPPED_FOR_PLAN = 500


def _counts(made: list[ItemTrace], with_findings: set[str]) -> tuple[int, int, int]:
    """Items stopped (with findings, or known missing where they should be), items known not
    to be where they should (from a system, a person or the chain), and items not known to be
    there (unknown, or only assumed), among the traces made. A compact row is none of these:
    lineage keeps only items with nothing to say compact, and an item with a finding has been
    made."""
    missing = unverified = stopped = 0
    for trace in made:
        if trace.eligible is False:
            continue
        known_missing = seen_unknown = False
        for stage in (Stage.APPROVALMAX, Stage.DEXT):
            if stage in trace.blocked:
                continue
            mark = trace.stages[stage]
            detail = trace.detail.get(stage)
            assumed = detail is not None and detail.provenance is Provenance.ASSUMED
            if mark is Mark.UNKNOWN or assumed:
                seen_unknown = True
            elif mark is Mark.MISSING:
                known_missing = True
        missing += known_missing
        unverified += seen_unknown and not known_missing
        # An item Dext holds as Xero does did not stop on the way, whatever else is amiss
        # (lists that contradict the chain are a finding, not a stop).
        dext = trace.detail.get(Stage.DEXT)
        arrived = (
            trace.stages[Stage.DEXT] is Mark.PRESENT
            and not trace.renamed_at(Stage.DEXT)
            and not (dext is not None and dext.provenance is Provenance.ASSUMED)
        )
        stopped += (known_missing or trace.key in with_findings) and not arrived
    stopped += sum(1 for t in made if t.eligible is False and t.key in with_findings)
    return stopped, missing, unverified


def _diagnosis(
    prepared: _Prepared,
    library: Library,
    reasoned: _Reasoned,
    shown: Sequence[ItemTrace],
    focus: str | None,
) -> Diagnosis:
    findings = reasoned.evaluation.findings
    keys_with_findings = {f.key for f in findings if f.key}
    made = list(built(shown))
    stopped, missing, unverified = _counts(made, keys_with_findings)
    # Compact rows are healthy everywhere, or held back by Xero (lineage.trace_rows).
    healthy, held_back = compact_counts(shown) if isinstance(shown, Traces) else (0, 0)
    diagnosis = Diagnosis(
        generated_at=prepared.now,
        organisation=prepared.organisation,
        articles=library.cited(findings, reasoned.plan),
        systems=[_system_status(prepared.snapshots[stage]) for stage in STAGES],
        items=[] if isinstance(shown, Traces) else shown,
        findings=findings,
        plan=reasoned.plan,
        questions=reasoned.questions,
        assumptions=reasoned.assumptions,
        focus=focus,
        summary=Summary(
            items=len(shown),
            healthy=healthy
            + sum(1 for t in made if not t.has_gap and t.key not in keys_with_findings),
            with_findings=len(keys_with_findings),
            findings=len(findings),
            not_expected_downstream=held_back + sum(1 for t in made if t.eligible is False),
            quiet=[
                QuietCause(rule=rule_id, title=library.rules.rule(rule_id).spec.title, count=n)
                for rule_id, n in reasoned.evaluation.quiet.items()
            ],
            stopped=stopped,
            missing=missing,
            unverified=unverified,
        ),
    )
    if isinstance(shown, Traces):
        diagnosis.items = shown  # as it is: validating it would make every trace
    return diagnosis


def exit_code_for(diagnosis: Diagnosis) -> ExitCode:
    """The code a diagnosis ends with (ExitCode says what each means). An item known to be
    missing is a finding even when its cause is not settled; questions still open, or items not
    known to have arrived, make it incomplete: the tool could not see enough to say all is
    well."""
    if diagnosis.failed_systems:
        return ExitCode.INCOMPLETE
    if diagnosis.findings or diagnosis.summary.missing:
        return ExitCode.FINDINGS
    if diagnosis.questions or diagnosis.summary.unverified or diagnosis.plan:
        return ExitCode.INCOMPLETE
    return ExitCode.OK
