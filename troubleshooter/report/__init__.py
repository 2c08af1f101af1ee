"""Renderings of a Diagnosis: text, Markdown, HTML and JSON.

Every export passes through the one redaction function on the way out: the JSON is dumped once
and redacted as data; text, Markdown and HTML are drawn from a `ReportView` whose every string
was redacted and made visible as it went in (view.py). The diagnosis itself is never copied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from troubleshooter.errors import ConfigError
from troubleshooter.infra.files import write_file
from troubleshooter.infra.jsonfile import read_json, time_problem, validate
from troubleshooter.infra.redact import Redactor
from troubleshooter.infra.safetext import json_visible_bytes
from troubleshooter.model import SCHEMA_VERSION, Diagnosis
from troubleshooter.report.jinja import environment
from troubleshooter.report.markdown import md
from troubleshooter.report.practice import export_practice
from troubleshooter.report.text import WIDTH, render_text, text_lines
from troubleshooter.report.view import ReportView, build_view, shower

FORMATS = ("text", "md", "html", "json")
SUFFIXES = {"text": ".txt", "md": ".md", "html": ".html", "json": ".json"}


def export_json(
    diagnosis: Diagnosis, *, secrets: Iterable[str] = (), contact_details: bool = False
) -> str:
    """The diagnosis as JSON, serialised once by pydantic's serialiser and redacted on the way
    out (model.py: every string that can hold data passes the redactor; contact details go
    unless kept; bank account numbers are masked), with every control and bidi character
    written as an escape (`\\u001b`, `\\u202e`). No copy of the diagnosis is made: on a big
    organisation that copy cost more than the export."""
    return export_json_bytes(diagnosis, secrets=secrets, contact_details=contact_details).decode()


def export_json_bytes(
    diagnosis: Diagnosis, *, secrets: Iterable[str] = (), contact_details: bool = False
) -> bytes:
    """`export_json` as UTF-8 bytes, straight from the serialiser: a 50 MB result is made
    once, not again as text and again as bytes to be written."""
    redactor = Redactor(secrets=secrets, contact_details=contact_details)
    serializer = Diagnosis.__pydantic_serializer__
    data = serializer.to_json(diagnosis, indent=2, context={"redactor": redactor})
    return json_visible_bytes(data) + b"\n"  # C1 and bidi as \uXXXX, as C0 already is


def render_view(view: ReportView, fmt: str, width: int = WIDTH) -> str:
    if fmt == "text":
        return render_text(view, width)
    if fmt in ("md", "html"):
        return environment().get_template(f"report.{fmt}.j2").render(view=view)
    raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


def export(
    diagnosis: Diagnosis,
    fmt: str,
    *,
    secrets: Iterable[str] = (),
    contact_details: bool = False,
    all_items: bool = False,
    width: int = WIDTH,
) -> str:
    """The report in a format, redacted: what every file, ticket, bundle and terminal gets.
    Markdown lists the items with findings and counts the rest (`all_items` lists every item);
    HTML lists up to 500 healthy items per kind under a fold."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    if fmt == "json":
        return export_json(diagnosis, secrets=secrets, contact_details=contact_details)
    shown = shower(secrets=secrets, contact_details=contact_details)
    healthy_rows = 0 if fmt in ("md", "text") else 500
    view = build_view(diagnosis, shown=shown, all_items=all_items, healthy_rows=healthy_rows)
    return render_view(view, fmt, width)


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
    zone, or outside the years 1970 to 2999, is refused here (a ConfigError naming the file and
    the field), not when rendered."""
    data = read_json(path)
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: not a diagnosis of schema version {SCHEMA_VERSION} "
            "(made by `troubleshooter diagnose --format json`)"
        )
    diagnosis = validate(Diagnosis, data, path)
    problem = time_problem(diagnosis)
    if problem is not None:
        raise ConfigError(f"{path}: {problem}")
    return diagnosis


def report_json_schema() -> dict[str, Any]:
    schema = Diagnosis.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "troubleshooter diagnosis"
    return schema


__all__ = [
    "FORMATS",
    "build_view",
    "default_report_name",
    "export",
    "export_json",
    "export_json_bytes",
    "export_practice",
    "load_diagnosis",
    "md",
    "render_view",
    "report_json_schema",
    "text_lines",
    "write_report",
]
