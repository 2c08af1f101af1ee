"""Renderings of a Diagnosis. Each takes the model and nothing else."""

from __future__ import annotations

import json

from troubleshooter.model import Diagnosis
from troubleshooter.report.text import render_text

FORMATS = ("text", "json")


def render_json(diagnosis: Diagnosis) -> str:
    return json.dumps(diagnosis.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def render(diagnosis: Diagnosis, fmt: str) -> str:
    if fmt == "json":
        return render_json(diagnosis)
    if fmt == "text":
        return render_text(diagnosis)
    raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


__all__ = ["FORMATS", "render", "render_json", "render_text"]
