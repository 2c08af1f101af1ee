"""Actions (what a person does) and the plan: findings merged into ordered steps.

Order follows the chain: fixes in Xero first, then ApprovalMax (sync it from Xero), then Dext
(reconnect or reload). A Dext reconnect does nothing while ApprovalMax lacks the item, so a step
never comes before one of an earlier phase.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from troubleshooter.model import Finding, PlanStep
from troubleshooter.wording import when


class Phase(IntEnum):
    CONNECTION = 0
    XERO = 1
    APPROVALMAX = 2
    DEXT = 3
    WAIT = 4


class Action(BaseModel):
    """What a person does about a finding, in plain language with the menu paths named."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    phase: Phase = Field(
        description="connection, xero, approvalmax, dext or wait: where in the chain."
    )
    order: int = Field(default=0, description="Order within the phase (lower first).")
    instructions: list[str] = Field(min_length=1)
    anyway: str | None = Field(
        default=None,
        description="What happens without action; {time} is when the chain would fix it.",
    )
    article: str | None = None

    @field_validator("phase", mode="before")
    @classmethod
    def _phase_by_name(cls, value: Any) -> Any:
        if isinstance(value, str) and value.upper() in Phase.__members__:
            return Phase[value.upper()]
        return value


def build_plan(
    findings: list[Finding], actions: dict[str, Action], zone: tzinfo | None = None
) -> list[PlanStep]:
    """One step per action, ordered by phase, then by the action's order, then first seen.

    A finding contributes to its own action's step and to each action it says must follow
    (`then`). A step says when the chain would do it anyway only when every finding in it
    says so for that action: a follow-up has no such time."""
    grouped: dict[str, list[tuple[Finding, datetime | None]]] = {}
    for finding in findings:
        grouped.setdefault(finding.action, []).append((finding, finding.expected_by))
        for follow_up in finding.then:
            grouped.setdefault(follow_up, []).append((finding, None))
    first_seen = {action: i for i, action in enumerate(grouped)}
    ordered = sorted(grouped, key=lambda a: (actions[a].phase, actions[a].order, first_seen[a]))
    steps = []
    for number, action_id in enumerate(ordered, start=1):
        action = actions[action_id]
        these = grouped[action_id]
        keys = list(dict.fromkeys(f.key for f, _ in these if f.key is not None))
        times = [t for _, t in these]
        # The chain has done the step only once every item has arrived: the latest time.
        expected = max(t for t in times if t) if times and all(times) else None
        note = None
        if action.anyway and expected:
            note = action.anyway.replace("{time}", when(expected, zone))
        steps.append(
            PlanStep(
                order=number,
                action=action_id,
                title=action.title,
                instructions=list(action.instructions),
                items=keys,
                expected_by=expected,
                expected_note=note,
                wait=action.phase is Phase.WAIT,
            )
        )
    return steps
