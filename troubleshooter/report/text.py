"""The plain-text rendering of a report, for a terminal: marks read without colour.

The text is built as lines of spans, each with a role (`heading`, `present`, `missing`, …), so
that a terminal front end can colour it without ever parsing it: `render_text` joins the spans
into plain text, `text_lines` gives them to a caller that styles roles (the command line does,
with Rich, on a terminal that wants colour). Every piece of data in a span has already passed
through the report view's `shown()` (redacted, control characters visible).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from troubleshooter.report.view import Cell, ItemRow, ReportView

WIDTH = 100
Span = tuple[str, str | None]  # (text, role)
Line = list[Span]

_ROLES = {"present": "present", "missing": "missing", "unknown": "unknown",
          "archived": "archived", "hidden": "hidden", "renamed": "renamed"}  # fmt: skip
_STATE_ROLES = {"ok": "present", "partial": "unknown", "failed": "missing", "not connected": None}


def _wrap(text: str, width: int, indent: str, first: str | None = None) -> list[Line]:
    wrapped = textwrap.wrap(
        text,
        max(width, 20),
        initial_indent=first if first is not None else indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
    )
    return [[(line, None)] for line in wrapped]


def _cell_text(cell: Cell) -> str:
    # The table stays narrow: the other name is said under "Names that differ between stages".
    return "~ old name" if cell.mark == "renamed" else f"{cell.symbol} {cell.text}"


def _table(rows: Iterable[ItemRow], stages: list[str]) -> list[Line]:
    body = [
        ([r.kind, r.code, r.name], [(_cell_text(c), _ROLES.get(c.mark)) for c in r.cells])
        for r in rows
    ]
    header = ["KIND", "CODE", "NAME", *(s.upper() for s in stages)]
    plain = [[*texts, *(t for t, _ in cells)] for texts, cells in body]
    widths = [max(len(r[i]) for r in [header, *plain]) for i in range(len(header))]
    widths[2] = min(widths[2], 40)

    def fit(text: str, width: int) -> str:
        return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)

    lines: list[Line] = [
        [
            (
                "  " + "  ".join(fit(h, w) for h, w in zip(header, widths, strict=True)).rstrip(),
                "heading",
            )
        ]
    ]
    for texts, cells in body:
        spans: Line = [
            ("  " + "  ".join(fit(t, w) for t, w in zip(texts, widths[:3], strict=True)), None)
        ]
        for (text, role), width in zip(cells, widths[3:], strict=True):
            spans += [("  ", None), (fit(text, width), role)]
        last_text, last_role = spans[-1]
        spans[-1] = (last_text.rstrip(), last_role)
        lines.append(spans)
    return lines


def text_lines(view: ReportView, width: int = WIDTH) -> list[Line]:
    """The report as lines of (text, role) spans."""
    out: list[Line] = [
        [(view.verdict, "verdict")],
        [(f"Diagnosed at {view.generated} (times: {view.zone})", None)],
    ]
    if view.snapshot_banner:
        out.append([(view.snapshot_banner, "warning")])
    if view.focus_line:
        out.append([(view.focus_line, None)])
    out += [[], [("Systems", "heading")]]
    for s in view.systems:
        mark = (f"  {s.symbol} ", _STATE_ROLES.get(s.state))
        head = f"{s.name:<12} "
        if s.state == "not connected":
            text = f"not connected: {s.reason}" if s.reason else "not connected"
            text = " · ".join([text, *s.brief])
        elif s.state == "failed":
            text = f"could not be reached: {s.reason}"
        else:
            text = " · ".join(s.brief)
        wrapped = _wrap(text, width, " " * 17, " " * 17)
        first_text = wrapped[0][0][0][17:] if wrapped else ""
        out.append([mark, (head, "system"), (first_text, None)])
        out += wrapped[1:]
        if s.syncs and s.state not in ("failed", "not connected"):
            out += _wrap(f"last sync from Xero: {s.syncs}", width, " " * 17)
        for line in s.unknown:
            out += _wrap(line, width, " " * 17)

    if view.stopped:
        out += [[], [("Where items stopped", "heading")]]
        out += _table(view.stopped, view.stage_titles)

    if view.renamed:
        out += [[], [("Names that differ between stages", "heading")]]
        for r in view.renamed:
            out += _wrap(" ".join(filter(None, (r.kind, r.code, r.spelled))), width, "    ", "  - ")

    if view.plan or view.wait:
        out += [[], [("What to do, in this order" if view.plan else "What to do", "heading")]]
        if view.assumptions and view.plan:
            out += _wrap(view.assumptions, width, "  ")
        for step in view.plan:
            items = ", ".join(step.items)
            title = f"{step.order}. {step.heading}" + (f" (for: {items})" if items else "")
            wrapped = _wrap(title, width, "     ", "  ")
            out += [[(line[0][0], "step")] for line in wrapped]
            for instruction in step.instructions:
                out += _wrap(instruction, width, "       ", "     - ")
            if step.note:
                out += _wrap(f"Without action: {step.note}", width, "     ")
        if view.wait:
            lead = view.wait_lead
            why = view.wait.note or (view.wait.instructions[0] if view.wait.instructions else "")
            out += _wrap(f"{lead}: {why}", width, "    ", "  ")

    if view.findings:
        out += [[], [("Findings", "heading")]]
        for f in view.findings:
            out += _wrap(f"{f.message} [{f.rule}; read: {f.article}]", width, "    ", "  - ")

    if view.questions:
        out += [[], [("Questions that would settle what the tool cannot see", "heading")]]
        for q in view.questions:
            hint = f" ({q.hint})" if q.hint else ""
            out += _wrap(f"{q.text}{hint}", width, "    ", "  - ")
            out += _wrap(q.where, width, "    ")
            if q.aside:
                out += _wrap(q.aside, width, "    ")
            out += _wrap(f"answer with: --answer {q.id}=…", width, "    ")

    out.append([])
    out += _wrap(view.summary, width, "")
    if view.quiet:
        out += _wrap(
            f"{view.quiet} Ask about one item with --item to have it explained.", width, ""
        )
    return out


def render_lines(lines: list[Line]) -> str:
    return "\n".join("".join(text for text, _ in line) for line in lines) + "\n"


def render_text(view: ReportView, width: int = WIDTH) -> str:
    return render_lines(text_lines(view, width))
