"""A practice's run rendered: one line an organisation, worst first, through the same
redaction and escaping as every export."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from troubleshooter.infra.redact import redact
from troubleshooter.infra.safetext import json_visible, visible
from troubleshooter.report.jinja import environment
from troubleshooter.runs.practice import PracticeSummary
from troubleshooter.wording import plural, when


def export_practice(
    summary: PracticeSummary,
    fmt: str,
    *,
    secrets: Iterable[str] = (),
    contact_details: bool = False,
) -> str:
    data = redact(summary.model_dump(mode="json"), secrets=secrets, contact_details=contact_details)
    if fmt == "json":
        return json_visible(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"
    # Every name and message shown as the single organisation's report shows it: control and
    # bidi characters as visible escapes (HTML's autoescaping leaves them raw).
    safe = PracticeSummary.model_validate(_visible(data))  # one line an organisation: small
    # Worst first: not checked, then findings, then fine; by name within each.
    rows = sorted(safe.organisations, key=lambda o: (-o.exit_code, o.name.casefold()))
    stopped = sum(1 for o in rows if o.with_findings)
    failed = sum(1 for o in rows if o.failed_systems or o.error)
    if fmt == "text":
        lines = [
            f"Practice: {plural(len(rows), 'organisation')} diagnosed, {stopped} with items "
            f"stopped, {failed} not fully checked",
            "",
        ]
        width = max((len(o.name) for o in rows), default=12)
        for o in rows:
            action = o.first_action or (f"could not be diagnosed: {o.error}" if o.error else "-")
            checked = f"  (not checked: {', '.join(o.failed_systems)})" if o.failed_systems else ""
            lines.append(
                visible(
                    f"  {o.name:<{width}}  {o.with_findings:>5} of {o.items:>6}  {action}{checked}"
                )
            )
        return "\n".join(lines) + "\n"
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown format {fmt!r} (known: text, md, html, json)")
    template = environment().get_template(f"practice.{fmt}.j2")
    return template.render(
        p=safe, rows=rows, stopped=stopped, failed=failed, generated=when(safe.generated_at)
    )


def _visible(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _visible(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_visible(value) for value in node]
    return visible(node) if isinstance(node, str) else node
