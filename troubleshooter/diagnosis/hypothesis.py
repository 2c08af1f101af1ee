"""What an answer would change: the questions ranked, and a plan that says what to do even
while the cause is not settled.

For a focused run (a person asking about one item, or a few), each open question is tried with
its likely answers (`odds` in the rules' questions): the diagnosis is made again as if the person
had answered so, and the plans compared. A question whose answers would change the plan most,
weighed by how likely each answer is, is asked first; among the questions about where the item
stopped (the first stage it is not known to have reached) before the others, as an expert asks.

And where the plan still hangs on an answer nobody has given (is it in ApprovalMax?), the plan
is the one the answers give, merged: the steps every answer needs stand as they are, the others
wait on a check ("Open ApprovalMax and look for 429 Staff Wellbeing. If it is not there: …").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from troubleshooter.diagnosis.plan import Action
from troubleshooter.diagnosis.questions import QuestionSpec, spec_for
from troubleshooter.model import (
    DOWNSTREAM,
    STAGES,
    Gate,
    ItemTrace,
    Mark,
    PlanStep,
    Provenance,
    Question,
    Stage,
)

PlanFor = Callable[[dict[str, str]], list[PlanStep]]  # extra answers → the plan they give


@dataclass(frozen=True)
class Likely:
    answer: str  # as a person would type it
    weight: float


def likely_answers(spec: QuestionSpec, question: Question) -> list[Likely]:
    """The answers worth trying, with their weights (summing to 1); none for a pasted list."""
    if spec.odds:
        offered = {o.value.casefold() for o in question.options} or None
        odds = {
            a: w
            for a, w in spec.odds.items()
            if w > 0 and (offered is None or spec.type != "choice" or a.casefold() in offered)
        }
    elif spec.type == "yes_no":
        odds = {"yes": 0.5, "no": 0.5}
    elif spec.type == "choice":
        values = [o.value for o in question.options] or question.choices
        odds = dict.fromkeys(values, 1.0)
    else:
        odds = {}
    total = sum(odds.values())
    return [Likely(a, w / total) for a, w in odds.items()] if total else []


def _signature(plan: Sequence[PlanStep]) -> tuple[str, ...]:
    return tuple(step.action for step in plan)


def distance(a: Sequence[PlanStep], b: Sequence[PlanStep]) -> float:
    """How different two plans are: steps one has and the other not, and a half for the same
    steps in another order."""
    sa, sb = _signature(a), _signature(b)
    apart = len(set(sa) ^ set(sb))
    return apart + (0.5 if not apart and sa != sb else 0.0)


def frontier(traces: Sequence[ItemTrace]) -> Stage | None:
    """The first stage an item asked about is not known to have reached (an assumption does
    not count as knowing)."""
    for stage in DOWNSTREAM:
        for trace in traces:
            if stage in trace.blocked:
                continue
            detail = trace.detail.get(stage)
            assumed = detail is not None and detail.provenance is Provenance.ASSUMED
            if trace.stages[stage] is not Mark.PRESENT or assumed:
                return stage
    return None


def _group(question: Question, front: Stage | None) -> int:
    """Questions about where the item stopped first, then those further on, then the rest."""
    if front is None or question.stage is None:
        return 1
    position = STAGES.index(question.stage) - STAGES.index(front)
    return 0 if position == 0 else 1 if position > 0 else 2


@dataclass(frozen=True)
class Ranked:
    question: Question
    spec: QuestionSpec
    score: float
    plans: dict[str, list[PlanStep]]  # likely answer → the plan it gives
    weights: dict[str, float]


def rank(
    questions: list[Question],
    specs: list[QuestionSpec],
    base: list[PlanStep],
    plan_for: PlanFor,
    traces: Sequence[ItemTrace],
) -> list[Ranked]:
    """The questions, the one whose answer can change the plan most first."""
    front = frontier(traces)
    ranked: list[tuple[tuple[int, float, int], Ranked]] = []
    for position, question in enumerate(questions):
        spec, _ = spec_for(specs, question.id)
        plans: dict[str, list[PlanStep]] = {}
        weights: dict[str, float] = {}
        score = 0.0
        for likely in likely_answers(spec, question):
            try:
                plan = plan_for({question.id: likely.answer})
            except ValueError:  # an answer this question cannot take here: not a likely one
                continue
            plans[likely.answer] = plan
            weights[likely.answer] = likely.weight
            score += likely.weight * distance(plan, base)
        entry = Ranked(question, spec, score, plans, weights)
        ranked.append(((_group(question, front), -score, position), entry))
    ranked.sort(key=lambda pair: pair[0])
    return [entry for _, entry in ranked]


def can_gate(spec: QuestionSpec) -> bool:
    """Whether a plan may wait on the question: it assumes nothing, and is answered by
    choosing (a check a person makes, with answers to read the steps by)."""
    return not (spec.assume or spec.assume_in_focus) and spec.type in ("yes_no", "choice")


def plans_differ(entry: Ranked) -> bool:
    """Whether the question's likely answers give different plans (something to wait on)."""
    return len({_signature(p) for p in entry.plans.values()}) > 1


def gate_on(ranked: list[Ranked]) -> Ranked | None:
    """The question a plan should wait on: the best one that can gate a plan and whose
    answers give different plans."""
    return next((e for e in ranked if can_gate(e.spec) and plans_differ(e)), None)


def merged_plan(
    entry: Ranked, actions: dict[str, Action], check: str, readings: dict[str, str]
) -> list[PlanStep]:
    """One plan from the plans each answer gives: a step every answer needs stands as it is;
    the others wait on the check, for the answers that need them."""
    answers = sorted(entry.plans, key=lambda a: -entry.weights[a])
    steps: dict[str, PlanStep] = {}
    needed_by: dict[str, list[str]] = {}
    first_seen: dict[str, int] = {}
    for answer in answers:
        for step in entry.plans[answer]:
            first_seen.setdefault(step.action, len(first_seen))
            needed_by.setdefault(step.action, []).append(answer)
            if step.action in steps:
                known = steps[step.action]
                items = list(dict.fromkeys([*known.items, *step.items]))
                update: dict[str, object] = {"items": items}
                if (known.expected_by, known.expected_note) != (
                    step.expected_by,
                    step.expected_note,
                ):
                    # "Without action, by …" holds for one answer, not another: said for none.
                    update |= {"expected_by": None, "expected_note": None}
                steps[step.action] = known.model_copy(update=update)
            else:
                steps[step.action] = step
    ordered = sorted(
        steps,
        key=lambda a: (actions[a].phase, actions[a].order, first_seen[a]),
    )
    plan = []
    for number, action in enumerate(ordered, start=1):
        step = steps[action].model_copy(update={"order": number})
        those = needed_by[action]
        if len(those) < len(answers):
            reading = " or ".join(
                dict.fromkeys(readings.get(a, f"If the answer is “{a}”") for a in those)
            )
            step = step.model_copy(
                update={
                    "gate": Gate(
                        question=entry.question.id, check=check, answers=those, reading=reading
                    ),
                }
            )
        plan.append(step)
    return plan


def merge_plans(
    first: list[PlanStep], second: list[PlanStep], actions: dict[str, Action]
) -> list[PlanStep]:
    """Two plans as one (a whole organisation's and its stopped items'): a step both have is
    done as it stands if either does it so, for the items of both; steps in the actions' order."""
    steps: dict[str, PlanStep] = {}
    for step in [*first, *second]:
        known = steps.get(step.action)
        if known is None:
            steps[step.action] = step
            continue
        items = list(dict.fromkeys([*known.items, *step.items]))
        gate = None if known.gate is None or step.gate is None else known.gate
        steps[step.action] = known.model_copy(update={"items": items, "gate": gate})
    ordered = sorted(steps.values(), key=lambda s: (actions[s.action].phase,
                                                    actions[s.action].order))  # fmt: skip
    return [step.model_copy(update={"order": n}) for n, step in enumerate(ordered, start=1)]
