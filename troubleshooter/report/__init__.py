"""Renderings of a Diagnosis: text, Markdown, HTML and JSON. Each takes the model and nothing
else, and every export passes through the one redaction function first."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from troubleshooter.errors import ConfigError
from troubleshooter.infra.files import write_file
from troubleshooter.infra.jsonfile import naive_time, read_json, validate
from troubleshooter.infra.redact import redact
from troubleshooter.model import SCHEMA_VERSION, Diagnosis
from troubleshooter.report.text import render_text
from troubleshooter.report.view import build_view

if TYPE_CHECKING:
    from troubleshooter.runs.practice import PracticeSummary

FORMATS = ("text", "md", "html", "json")
SUFFIXES = {"text": ".txt", "md": ".md", "html": ".html", "json": ".json"}

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md(value: Any) -> str:
    """A value as inert Markdown text: one line, markup characters escaped, and no leading
    character a spreadsheet would take for a formula."""
    text = " ".join(str(value).split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    if text[:1] in ("=", "+", "-", "@", "#"):
        text = "\\" + text
    return text


def safe_url(value: Any) -> str:
    """Only plain web links; anything else (javascript:, data:, …) becomes nothing."""
    text = str(value or "")
    return text if re.fullmatch(r"https?://[^\s<>\"'`]+", text) else ""


def code(value: Any) -> str:
    return str(value).replace("`", "'")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("troubleshooter.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters |= {"md": md, "url": safe_url, "code": code}
    return env


def _render_template(name: str, diagnosis: Diagnosis) -> str:
    view = build_view(diagnosis)
    env = _environment().overlay()
    env.filters["name_of"] = lambda key: view.item_names.get(key, key)
    return env.get_template(name).render(view=view, d=diagnosis)


def render_json(diagnosis: Diagnosis) -> str:
    return json.dumps(diagnosis.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def render(diagnosis: Diagnosis, fmt: str) -> str:
    """Renders as it is, without redaction: for a person's own terminal. Use `export` for
    anything that leaves it (a file, a ticket)."""
    if fmt == "json":
        return render_json(diagnosis)
    if fmt == "text":
        return render_text(diagnosis)
    if fmt == "md":
        return _render_template("report.md.j2", diagnosis)
    if fmt == "html":
        return _render_template("report.html.j2", diagnosis)
    raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


def redacted(
    diagnosis: Diagnosis, *, secrets: Iterable[str] = (), contact_details: bool = False
) -> Diagnosis:
    """The diagnosis with secrets, contact details and bank account numbers taken out."""
    data = redact(
        diagnosis.model_dump(mode="json"), secrets=secrets, contact_details=contact_details
    )
    return Diagnosis.model_validate(data)


def export(
    diagnosis: Diagnosis,
    fmt: str,
    *,
    secrets: Iterable[str] = (),
    contact_details: bool = False,
) -> str:
    """The report in a format, redacted: what every file, ticket and bundle gets."""
    return render(redacted(diagnosis, secrets=secrets, contact_details=contact_details), fmt)


def write_report(text: str, path: Path) -> Path:
    """Writes a report whole (never half-written), making the folder if needed."""
    return write_file(path, text).path


def default_report_name(diagnosis: Diagnosis, fmt: str) -> str:
    """troubleshooter-<organisation>-<date>.<suffix>, safe on every file system."""
    slug = re.sub(r"[^a-z0-9]+", "-", diagnosis.organisation.name.casefold()).strip("-")[:40]
    day = diagnosis.generated_at.strftime("%Y-%m-%d")
    return f"troubleshooter-{slug or 'report'}-{day}{SUFFIXES[fmt]}"


def load_diagnosis(path: Path) -> Diagnosis:
    """A diagnosis saved with `--format json`, checked against the model; a time without a
    zone is refused here (a ConfigError naming the file and the field), not when rendered."""
    data = read_json(path)
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: not a diagnosis of schema version {SCHEMA_VERSION} "
            "(made by `troubleshooter diagnose --format json`)"
        )
    diagnosis = validate(Diagnosis, data, path)
    naive = naive_time(diagnosis)
    if naive is not None:
        raise ConfigError(f"{path}: {naive}: the time has no time zone")
    return diagnosis


def report_json_schema() -> dict[str, Any]:
    schema = Diagnosis.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "troubleshooter diagnosis"
    return schema


__all__ = [
    "FORMATS",
    "export",
    "redacted",
    "render",
    "render_json",
    "render_text",
    "report_json_schema",
]


def export_practice(
    summary: PracticeSummary,
    fmt: str,
    *,
    secrets: Iterable[str] = (),
    contact_details: bool = False,
) -> str:
    """A practice's summary in a format, through the same redaction as every export."""
    from troubleshooter.report.text import when
    from troubleshooter.runs.practice import PracticeSummary as Model

    data = redact(summary.model_dump(mode="json"), secrets=secrets, contact_details=contact_details)
    safe = Model.model_validate(data)
    if fmt == "json":
        return json.dumps(safe.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    # Worst first: not checked, then findings, then fine; by name within each.
    rows = sorted(safe.organisations, key=lambda o: (-o.exit_code, o.name.casefold()))
    stopped = sum(1 for o in rows if o.with_findings)
    failed = sum(1 for o in rows if o.failed_systems or o.error)
    if fmt == "text":
        lines = [
            f"Practice: {len(rows)} organisations diagnosed, {stopped} with items stopped, "
            f"{failed} not fully checked",
            "",
        ]
        width = max((len(o.name) for o in rows), default=12)
        for o in rows:
            action = o.first_action or (f"could not be diagnosed: {o.error}" if o.error else "-")
            checked = f"  (not checked: {', '.join(o.failed_systems)})" if o.failed_systems else ""
            lines.append(
                f"  {o.name:<{width}}  {o.with_findings:>5} of {o.items:>6}  {action}{checked}"
            )
        return "\n".join(lines) + "\n"
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    template = _environment().get_template(f"practice.{fmt}.j2")
    return template.render(
        p=safe, rows=rows, stopped=stopped, failed=failed, generated=when(safe.generated_at)
    )
