"""The chain as inference: what one stage's holding says about another's.

Dext takes its lists from ApprovalMax, so an item ApprovalMax does not have is one Dext cannot
have from it, and an item Dext has is one ApprovalMax had at Dext's last pull. The inferences are
data (`inferences:` in the rules folder, rules/inferences.yaml); this module applies them to
items whose mark at a stage is unknown, and only to those: an inferred mark never overwrites
what a system or a person said. Each carries provenance `inferred` and says what it follows
from; where it leans on an assumption (the normal setup, not yet checked), it says that too.
"""

from __future__ import annotations

from collections.abc import Sequence

from troubleshooter.diagnosis.facts import FactContext
from troubleshooter.diagnosis.ruleset import Inference
from troubleshooter.model import (
    DOWNSTREAM,
    ItemTrace,
    Mark,
    Provenance,
    Stage,
    StageDetail,
    built,
)

ROUNDS = 3  # an inference may make another possible; the chain has two hops


def _worth_a_look(trace: ItemTrace) -> bool:
    """Only an item with an unknown stage beside a known downstream one can gain a mark."""
    marks = [trace.stages[stage] for stage in DOWNSTREAM]
    return Mark.UNKNOWN in marks and any(m is not Mark.UNKNOWN for m in marks)


def infer(
    inferences: list[Inference],
    traces: Sequence[ItemTrace],
    context: FactContext,
    organisation: dict[str, object],
) -> int:
    """Applies the inferences to the traces in place; returns how many marks it added."""
    if not inferences:
        return 0
    added = 0
    candidates = [t for t in built(traces) if _worth_a_look(t)]  # compact rows: all known
    for _ in range(ROUNDS):
        changed = False
        for trace in candidates:
            for inference in inferences:
                if trace.kind not in inference.spec.applies_to:
                    continue
                targets = {
                    Stage(stage): Mark(value)
                    for stage, value in inference.spec.infer.items()
                    if trace.stages[Stage(stage)] is Mark.UNKNOWN
                }
                if not targets:
                    continue
                facts = context.item_facts(trace, organisation)
                if inference.condition.evaluate(facts) is not True:
                    continue
                because = inference.spec.because
                leaned = context.assumptions_used(inference.condition.facts())
                if leaned:
                    because += " (assuming " + "; ".join(leaned) + ")"
                for stage, mark in targets.items():
                    trace.stages[stage] = mark
                    trace.detail[stage] = StageDetail(
                        name=None if mark is Mark.MISSING else trace.name,
                        provenance=Provenance.INFERRED,
                        because=because,
                    )
                    added += 1
                    changed = True
        if not changed:
            break
    return added
