"""The plain-text rendering of a Diagnosis, for a terminal. Marks read without colour."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from datetime import datetime

from troubleshooter.model import (
    STAGES,
    Diagnosis,
    ItemTrace,
    Mark,
    Provenance,
    Stage,
    SystemStatus,
)
from troubleshooter.wording import (
    INTEGRATIONS,
    KINDS,
    SYMBOLS,
    age,
    snapshot_banner,
    verdict,
    when,
)

WIDTH = 100


def _without_prefix(text: str | None, title: str) -> str:
    """Errors name their system ("Xero: …"); beside the system's name that is said twice."""
    text = text or ""
    return text[len(title) + 2 :] if text.startswith(title + ": ") else text


def _system_line(system: SystemStatus, now: datetime, snapshot: bool = False) -> list[str]:
    title = system.stage.label
    if not system.configured:
        return [f"  - {title:<12} not connected: {system.error or ''}".rstrip()]
    if not system.reached:
        reason = _without_prefix(system.error, title)
        return _wrap(f"could not be reached: {reason}", " " * 17, f"  ✗ {title:<12} ")
    source = "sandbox data" if system.provenance is Provenance.SANDBOX else system.provenance.value
    # A snapshot's age is said once, in its banner; every system was read when it was collected.
    parts = [source] if snapshot else [source, f"as of {age(system.fetched_at, now)}"]
    if system.stage is Stage.APPROVALMAX and system.xero_connection:
        parts.append(f"connection to Xero: {system.xero_connection}")
    if system.stage is Stage.DEXT:
        if system.integration:
            parts.append(f"integration: {INTEGRATIONS[system.integration]}")
        parts.append(f"last pull {when(system.last_pull)} ({age(system.last_pull, now)})")
    mark = "!" if system.kind_errors else "✓"
    lines = _wrap(" · ".join(parts), " " * 17, f"  {mark} {title:<12} ")
    if system.last_sync:
        syncs = ", ".join(
            f"{name.replace('_', ' ')} {age(moment, now)}"
            for name, moment in system.last_sync.items()
        )
        lines.extend(_wrap(f"last sync from Xero: {syncs}", " " * 17))
    # Kinds that failed together (accounts and bank accounts share one list) are said once.
    by_reason: dict[str, list[str]] = {}
    for kind, reason in system.kind_errors.items():
        by_reason.setdefault(_without_prefix(reason, title), []).append(KINDS[kind].many)
    for reason, kinds in by_reason.items():
        lines.extend(_wrap(f"{' and '.join(kinds)} unknown: {reason}", " " * 17))
    return lines


def _cell(trace: ItemTrace, stage: Stage) -> str:
    mark = trace.stages[stage]
    if mark is Mark.PRESENT and trace.renamed_at(stage):
        return "~ old name"
    return f"{SYMBOLS[mark]} {mark.value}"


def _table(traces: Iterable[ItemTrace]) -> list[str]:
    rows = [[t.kind.label, t.code or "", t.label, *(_cell(t, s) for s in STAGES)] for t in traces]
    header = ["KIND", "CODE", "NAME", *(s.label.upper() for s in STAGES)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    widths[2] = min(widths[2], 40)

    def line(cells: list[str]) -> str:
        padded = [
            (c if len(c) <= widths[i] else c[: widths[i] - 1] + "…").ljust(widths[i])
            for i, c in enumerate(cells)
        ]
        return "  " + "  ".join(padded).rstrip()

    return [line(header), *(line(r) for r in rows)]


def _wrap(text: str, indent: str, first: str | None = None) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=first if first is not None else indent, subsequent_indent=indent
    )


def render_text(diagnosis: Diagnosis) -> str:
    now = diagnosis.generated_at
    out = [verdict(diagnosis), f"Diagnosed at {when(now)}"]
    if (banner := snapshot_banner(diagnosis)) is not None:
        out.append(banner)
    if diagnosis.focus is not None:
        out.append(f"Asked about “{diagnosis.focus}”: {len(diagnosis.items)} matching item(s)")
    out += ["", "Systems"]
    for system in diagnosis.systems:
        out.extend(_system_line(system, now, snapshot=diagnosis.snapshot is not None))

    keys = {f.key for f in diagnosis.findings if f.key}
    stopped = [t for t in diagnosis.items if t.key in keys]
    if stopped:
        out += ["", "Where items stopped"]
        out.extend(_table(stopped))

    renamed = [t for t in diagnosis.items if t.renamed]
    if renamed:
        out += ["", "Names that differ between stages"]
        for trace in renamed:
            stages_by_name: dict[str, list[str]] = {}
            for stage, detail in trace.detail.items():
                if detail.name is not None:
                    stages_by_name.setdefault(detail.name, []).append(stage.label)
            spelled = "; ".join(
                f"{' and '.join(titles)}: “{name}”" for name, titles in stages_by_name.items()
            )
            label = " ".join(filter(None, (trace.kind.label, trace.code, spelled)))
            out.extend(_wrap(label, "    ", "  - "))

    if diagnosis.plan:
        out += ["", "What to do, in this order"]
        labels = {t.key: t.label for t in diagnosis.items}
        for step in diagnosis.plan:
            items = ", ".join(labels.get(k, k) for k in step.items)
            title = f"{step.order}. {step.title}" + (f" (for: {items})" if items else "")
            out.extend(_wrap(title, "     ", "  "))
            for instruction in step.instructions:
                out.extend(_wrap(instruction, "       ", "     - "))
            if step.expected_note:
                out.extend(_wrap(f"Without action: {step.expected_note}", "     "))

    org_findings = [f for f in diagnosis.findings if f.key is None]
    if diagnosis.findings:
        out += ["", "Findings"]
        for finding in [*org_findings, *(f for f in diagnosis.findings if f.key)]:
            out.extend(
                _wrap(
                    f"{finding.message} [{finding.rule}; read: {finding.article}]", "    ", "  - "
                )
            )

    if diagnosis.questions:
        out += ["", "Questions that would settle what the tool cannot see"]
        for question in diagnosis.questions:
            choices = f" ({' / '.join(question.choices)})" if question.choices else ""
            kind = {"yes_no": " (yes / no)", "datetime": " (a time)", "list": " (paste a list)"}
            out.extend(
                _wrap(f"{question.text}{choices or kind.get(question.type, '')}", "    ", "  - ")
            )
            out.extend(_wrap(question.where, "    "))
            out.extend(_wrap(f"answer with: --answer {question.id}=…", "    "))

    summary = diagnosis.summary
    out.append("")
    out.extend(
        _wrap(
            f"{summary.items} {'item' if summary.items == 1 else 'items'} checked: "
            f"{summary.healthy} healthy in every stage, "
            f"{summary.with_findings} with findings, {summary.not_expected_downstream} that Xero "
            "itself keeps from Dext.",
            "",
        )
    )
    if summary.quiet:
        causes = "; ".join(f"{q.title} ({q.count})" for q in summary.quiet)
        out.extend(
            _wrap(
                f"Normal in a whole-organisation run, so not listed: {causes}. "
                "Ask about one item with --item to have it explained.",
                "",
            )
        )
    return "\n".join(out) + "\n"
