"""Data as literal text on screen, and the words the TUI builds from a diagnosis.

Textual reads markup (and `@click` actions) in plain strings given to most widgets, and a
terminal obeys the escape sequences in any text it is sent. Names, codes and messages come from
systems and files the tool does not control, so every piece of data reaches a widget through
`literal()`: a Rich `Text` (never parsed as markup) whose control and bidi characters are
visible escapes. Text for the clipboard is Markdown, escaped and redacted as an export is.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from troubleshooter.infra.safetext import visible, visible_lines
from troubleshooter.model import (
    STAGES,
    SYNC_TYPE_OF_KIND,
    Diagnosis,
    Finding,
    ItemTrace,
    Mark,
    PlanStep,
    Stage,
    SystemStatus,
    built,
)
from troubleshooter.report.markdown import md
from troubleshooter.report.view import Shown, without_prefix
from troubleshooter.wording import (
    INTEGRATIONS,
    KINDS,
    RENAMED_SYMBOL,
    SYMBOLS,
    age,
    assumptions_line,
    mark_reason,
    plural,
    sync_type_words,
    system_sources,
    wait_lead,
    when,
    zone_of,
)

# Colour helps; the symbol and the word carry the meaning. Unknown is never red: it is not
# missing (purple and italic, as in the HTML report).
MARK_STYLES = {
    Mark.PRESENT: "green",
    Mark.MISSING: "bold red",
    Mark.ARCHIVED: "yellow",
    Mark.HIDDEN: "yellow",
    Mark.UNKNOWN: "italic #b392f0",
}
RENAMED_STYLE = "cyan"
RENAMED_WORDS = "old name"  # in a narrow cell; the names are in the story


def hanging(prefix: str | Text, body: Text) -> Table:
    """`prefix`, then `body`, whose wrapped lines start under its first word, not at the
    margin ("   - In Dext, go to …" wraps under "In")."""
    lead = prefix if isinstance(prefix, Text) else Text(prefix)
    grid = Table.grid()
    grid.add_column(width=lead.cell_len, no_wrap=True)
    grid.add_column()
    grid.add_row(lead, body)
    return grid


def literal(text: str, style: str = "", *, lines: bool = False) -> Text:
    """Data as it may be shown: never markup, control and bidi characters visible (`lines`
    keeps new lines, for a message of several lines)."""
    return Text(visible_lines(text) if lines else visible(text), style=style)


def line(*parts: str | tuple[str, str] | Text) -> Text:
    """One line assembled from pieces of literal text: `"words"`, `("words", "style")`, or
    `Text` already made literal."""
    out = Text()
    for part in parts:
        if isinstance(part, Text):
            out.append_text(part)
        elif isinstance(part, tuple):
            out.append_text(literal(part[0], part[1]))
        else:
            out.append_text(literal(part))
    return out


# -- marks ------------------------------------------------------------------------------------


def mark_cell(trace: ItemTrace, stage: Stage, *, words: bool = True) -> Text:
    """A stage's mark as a table cell: symbol and word ("✗ missing"), or the symbol alone
    where the table is narrow. Under another name: "~ old name" (the name is in the story)."""
    mark = trace.stages[stage]
    if mark is Mark.PRESENT and trace.renamed_at(stage):
        text = f"{RENAMED_SYMBOL} {RENAMED_WORDS}" if words else RENAMED_SYMBOL
        return Text(text, style=RENAMED_STYLE, no_wrap=True, overflow="ellipsis")
    text = f"{SYMBOLS[mark]} {mark.value}" if words else SYMBOLS[mark]
    style = MARK_STYLES[mark]
    if mark_reason(trace.detail.get(stage)):
        style = f"{style} italic"  # inferred or assumed, not read: the story says why
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


def mark_story(trace: ItemTrace, stage: Stage) -> Text:
    """A stage's mark in the story, with the other name where there is one."""
    detail = trace.detail.get(stage)
    if trace.stages[stage] is Mark.PRESENT and trace.renamed_at(stage) and detail and detail.name:
        return line(
            (f"{RENAMED_SYMBOL} there as “", RENAMED_STYLE),
            literal(detail.name, RENAMED_STYLE),
            ("”", RENAMED_STYLE),
        )
    mark = trace.stages[stage]
    return Text(f"{SYMBOLS[mark]} {mark.value}", style=MARK_STYLES[mark])


def legend() -> Text:
    out = Text()
    for mark in Mark:
        out.append(f"{SYMBOLS[mark]} {mark.value}", style=MARK_STYLES[mark])
        out.append(" · ")
    out.append(f"{RENAMED_SYMBOL} under another name", style=RENAMED_STYLE)
    return out


# -- an item's story ------------------------------------------------------------------------


def story(trace: ItemTrace, diagnosis: Diagnosis) -> Text:
    """The item's way through the chain, in plain words, with when things happened."""
    out = Text()
    out.append_text(literal(trace.label, "bold"))
    code = f", code {visible(trace.code)}" if trace.code else ""
    out.append(f"  ({KINDS[trace.kind].one}{code})\n\n")
    systems = {s.stage: s for s in diagnosis.systems}
    zone = zone_of(diagnosis.organisation)
    for stage in STAGES:
        detail = trace.detail.get(stage)
        out.append(f"{stage.label}: ", style="bold")
        out.append_text(mark_story(trace, stage))
        if detail is not None and detail.since is not None:
            verb = "changed" if stage is Stage.XERO else "arrived"
            out.append(f", {verb} {when(detail.since, zone)}")
        if detail is not None and detail.confidence is not None and detail.confidence < 1:
            out.append(f" (pasted, matched at {detail.confidence:.0%})")
        if reason := mark_reason(detail):
            # After a semicolon, not in brackets: a reason may hold brackets of its own.
            out.append("; ")
            out.append_text(literal(reason, "italic"))
        system = systems.get(stage)
        if system is not None and stage is Stage.APPROVALMAX and system.last_sync:
            sync_type = SYNC_TYPE_OF_KIND[trace.kind]
            if sync_type in system.last_sync:
                out.append(f"; last synced from Xero {when(system.last_sync[sync_type], zone)}")
        if system is not None and stage is Stage.DEXT and system.last_pull:
            out.append(f"; last pulled {when(system.last_pull, zone)}")
        if stage in trace.blocked:
            out.append("\n  not expected here: ", style="italic")
            out.append_text(literal(trace.blocked[stage], "italic"))
        out.append("\n")
    out.rstrip()  # the pane's margin parts it from the findings: one blank line, not two
    return out


def plan_parts(diagnosis: Diagnosis) -> tuple[list[tuple[int, PlanStep]], PlanStep | None]:
    """The steps, numbered as the reports number them, and the wait apart: waiting is a
    choice ("or simply wait"), not a step."""
    steps = [s for s in diagnosis.plan if not s.wait]
    wait = next((s for s in diagnosis.plan if s.wait), None)
    return list(enumerate(steps, start=1)), wait


def step_heading(step: PlanStep) -> str:
    """A step's title, behind its check where it waits on one ("Open ApprovalMax and look for
    429 Staff Wellbeing. If it is not there: sync to ApprovalMax first")."""
    if step.gate is not None:
        return f"{step.gate.check}. {step.gate.reading}: {step.title[:1].lower()}{step.title[1:]}"
    return step.title


def wait_line(wait: PlanStep, *, alone: bool) -> str:
    note = wait.expected_note or (wait.instructions[0] if wait.instructions else wait.title)
    return f"{wait_lead(wait, alone=alone)}: {note}"


def item_steps(trace: ItemTrace, diagnosis: Diagnosis) -> list[tuple[int, PlanStep]]:
    """The steps that fix one item, numbered in their order for it."""
    steps, _ = plan_parts(diagnosis)
    return list(enumerate((s for _, s in steps if trace.key in s.items), start=1))


def advice(trace: ItemTrace, diagnosis: Diagnosis) -> RenderableType:
    """The item's findings and the steps that fix it, in order. An item without findings says
    so only where nothing about it is unknown: unknown is not all right. Wrapped lines hang
    under their text."""
    findings = [f for f in diagnosis.findings if f.key == trace.key]
    steps = item_steps(trace, diagnosis)
    if not findings and not steps:
        out = Text()
        unknown = [s.label for s in STAGES if trace.stages[s] is Mark.UNKNOWN]
        if unknown:
            out.append(
                f"Not known yet in {' and '.join(unknown)}: the tool could not see there.",
                style=MARK_STYLES[Mark.UNKNOWN],
            )
            if diagnosis.questions:
                out.append("\nAnswer the questions (a) to settle it.")
        else:
            out.append("Nothing to fix for this item.", style="green")
        return out
    parts: list[RenderableType] = [
        hanging(Text("● ", style="bold yellow"), literal(finding.message)) for finding in findings
    ]
    if steps and (assumed := assumptions_line(diagnosis)):
        parts += [Text(""), literal(assumed, "italic")]
    if steps:
        parts += [Text(""), Text("What to do, in this order", style="bold")]
        for number, step in steps:
            parts.append(hanging(Text(f"{number}. ", "bold"), literal(step_heading(step), "bold")))
            parts += [hanging("   - ", literal(i)) for i in step.instructions]
            if step.expected_note:
                note = literal("Without action: " + step.expected_note, "italic")
                parts.append(hanging("   ", note))
    return Group(*parts)


def plan_text(diagnosis: Diagnosis, *, limit: int | None = None) -> Text:
    """The fix plan, in order (the first `limit` steps, the rest counted), with the
    assumptions it rests on and waiting as a choice."""
    steps, wait = plan_parts(diagnosis)
    if not steps and wait is None:
        if diagnosis.findings or diagnosis.questions:
            return Text("")
        return Text("Nothing to do.")
    out = Text("What to do, in this order\n" if steps else "What to do\n", style="bold")
    if steps and (assumed := assumptions_line(diagnosis)):
        out.append_text(literal(assumed, "italic"))
        out.append("\n")
    shown = steps if limit is None else steps[:limit]
    for number, step in shown:
        out.append_text(line((f"{number}. {step_heading(step)}", "bold")))
        if step.items:
            out.append(f"  ({plural(len(step.items), 'item')})")
        if step.expected_note:
            out.append("\n   ")
            out.append_text(literal(step.expected_note, "italic"))
        out.append("\n")
    if limit is not None and len(steps) > limit:
        more = len(steps) - limit
        out.append(f"… and {plural(more, 'more step')}: w shows the whole plan\n", "italic")
    if wait is not None:
        out.append_text(literal(wait_line(wait, alone=not steps), "italic"))
        out.append("\n")
    return out


# -- the system cards -----------------------------------------------------------------------


def card_lines(system: SystemStatus, diagnosis: Diagnosis) -> tuple[str, Text]:
    """A system's card: its state (a CSS class) and its lines. It says what was read, from
    where, how old, and what came from a person (wording.system_sources: the words the reports
    use), never "read" for what was not seen."""
    now = diagnosis.generated_at
    snapshot = diagnosis.snapshot is not None
    asked = sum(1 for q in diagnosis.questions if q.stage is system.stage)
    read, from_person = system_sources(system, asked)
    out = Text()
    if not system.configured:
        out.append("– not connected", style="bold")
        reason = without_prefix(system.error, system.stage.label)
        if reason and not from_person:
            out.append("\n")
            out.append_text(literal(reason))
        state = "answered" if system.answered else "off"
    elif not system.reached:
        out.append("✗ could not be read\n", style="bold")
        out.append_text(literal(without_prefix(system.error, system.stage.label)))
        state = "failed"
    elif system.kind_errors or (system.unknown_kinds and system.stage is not Stage.XERO):
        out.append("! partly read", style="bold")
        if read:
            out.append(f" · {read}")
        for reason, names in _kinds_by_reason(system).items():
            out.append(f"\n{' and '.join(names)} unknown: ", style="yellow")
            out.append_text(literal(reason, "yellow"))
        state = "partial"
    else:
        out.append("✓ read", style="bold")
        if read:
            out.append(f" · {read}")
        if system.fetched_at is not None and not snapshot:  # a snapshot's age: in its banner
            out.append(f" · {age(system.fetched_at, now)}")
        state = "ok"
    if system.reached:
        if system.stage is Stage.APPROVALMAX and system.xero_connection:
            out.append(f"\nXero connection: {system.xero_connection}")
        if system.last_sync:
            oldest = min(system.last_sync, key=lambda k: system.last_sync[k])
            moment = system.last_sync[oldest]
            out.append(f"\nlast sync {age(moment, now)} ({sync_type_words(oldest)})")
        if system.stage is Stage.DEXT:
            if system.integration:
                out.append(f"\n{INTEGRATIONS[system.integration]}")
            if system.last_pull:
                out.append(f"\nlast pull {age(system.last_pull, now)}")
    if from_person:
        out.append(f"\n{from_person}", style="italic")
    return state, out


def one_line(text: Text, width: int) -> Text:
    """The first line of a card, whole where it fits in `width` cells; else cut before the
    last " · " that fits ("! partly read", never "! partly read ·"), and what still does not
    fit ends in an ellipsis."""
    head = text.split("\n")[0] if "\n" in text.plain else text.copy()
    if head.cell_len > width:
        cuts = [i for i in range(len(head.plain)) if head.plain.startswith(" · ", i)]
        # Where a cut falls in cells, not characters: a wide character (CJK) takes two.
        fitting = [i for i in cuts if cell_len(head.plain[:i]) <= width]
        if fitting:
            head = head.divide([fitting[-1]])[0]
    head.no_wrap, head.overflow, head.end = True, "ellipsis", ""
    return head


def _kinds_by_reason(system: SystemStatus) -> dict[str, list[str]]:
    by_reason: dict[str, list[str]] = {}
    for kind, reason in system.kind_errors.items():
        by_reason.setdefault(without_prefix(reason, system.stage.label), []).append(
            KINDS[kind].many
        )
    return by_reason


# -- Markdown for the clipboard -------------------------------------------------------------


def _md_step(
    number: int, step: PlanStep, names: dict[str, str], shown: Shown, *, only: str | None = None
) -> list[str]:
    """A step as Markdown; with `only` (an item's key), the others it fixes are counted."""
    if only is not None:
        others = len([k for k in step.items if k != only])
        items = md(shown(names[only])) + (f" and {plural(others, 'other item')}" if others else "")
    else:
        items = ", ".join(md(shown(names.get(k, k))) for k in step.items)
    out = [f"{number}. **{md(shown(step_heading(step)))}**" + (f" (for: {items})" if items else "")]
    out += [f"    - {md(shown(text))}" for text in step.instructions]
    if step.expected_note:
        out.append(f"    - *Without action:* {md(shown(step.expected_note))}")
    return out


def story_markdown(trace: ItemTrace, diagnosis: Diagnosis, shown: Shown) -> str:
    """The item's story, findings and steps as Markdown for a ticket (`y`): escaped and
    redacted as an export is."""
    zone = zone_of(diagnosis.organisation)
    code = f" (code {md(shown(trace.code))})" if trace.code else ""
    out = [
        f"### {md(shown(trace.label))}: {KINDS[trace.kind].one}{code}",
        "",
        f"{md(shown(diagnosis.organisation.name))}, diagnosed {when(diagnosis.generated_at, zone)}",
        "",
    ]
    for stage in STAGES:
        mark = trace.stages[stage]
        detail = trace.detail.get(stage)
        text = f"{SYMBOLS[mark]} {mark.value}"
        if mark is Mark.PRESENT and trace.renamed_at(stage) and detail and detail.name:
            text = f"{RENAMED_SYMBOL} there as “{md(shown(detail.name))}”"
        if detail is not None and detail.since is not None:
            verb = "changed" if stage is Stage.XERO else "arrived"
            text += f", {verb} {when(detail.since, zone)}"
        if stage in trace.blocked:
            text += f" (not expected here: {md(shown(trace.blocked[stage]))})"
        if reason := mark_reason(detail):
            text += f"; {md(shown(reason))}"
        out.append(f"- **{stage.label}:** {text}")
    findings: list[Finding] = [f for f in diagnosis.findings if f.key == trace.key]
    if findings:
        out += ["", "**Findings**", ""]
        out += [f"- {md(shown(f.message))}" for f in findings]
    steps = item_steps(trace, diagnosis)
    if steps:
        names = {trace.key: trace.label}
        out += ["", "**What to do, in this order**", ""]
        for number, step in steps:
            out += _md_step(number, step, names, shown, only=trace.key)
    elif not findings:
        unknown = [s.label for s in STAGES if trace.stages[s] is Mark.UNKNOWN]
        out += ["", f"Not known yet in {' and '.join(unknown)}." if unknown else "Nothing to fix."]
    return "\n".join(out) + "\n"


def plan_markdown(diagnosis: Diagnosis, verdict_line: str, shown: Shown) -> str:
    """The verdict and the whole plan as Markdown for a ticket."""
    names = {t.key: t.label for t in built(diagnosis.items)}  # a step's items are all made
    steps, wait = plan_parts(diagnosis)
    out = [f"**{md(shown(verdict_line))}**", ""]
    if steps:
        out += ["**What to do, in this order**", ""]
        if assumed := assumptions_line(diagnosis):
            out += [f"_{md(shown(assumed))}_", ""]
        for number, step in steps:
            out += _md_step(number, step, names, shown)
    if wait is not None:
        out += ["", md(shown(wait_line(wait, alone=not steps)))]
    if not steps and wait is None:
        out.append("Nothing to do." if not diagnosis.questions else "No plan yet.")
    return "\n".join(out) + "\n"


def count_line(matching: int, total: int, shown: int, filters: Iterable[str]) -> str:
    """ "5 of 79 items · problems only" (and how many are beyond the first rows)."""
    text = f"{matching:,} of {total:,} {'item' if total == 1 else 'items'}"  # 20,000
    extra = [f for f in filters if f]
    if extra:
        text += " · " + " · ".join(extra)
    if shown < matching:
        text += f" · the first {shown:,} shown: narrow with / or the filters"
    return text
