"""The core never imports Textual: proven in a fresh interpreter.

(Only textual is checked: `import httpx` itself loads click, and rich where it is installed,
for httpx's own command line.)"""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = [
    "troubleshooter.model",
    "troubleshooter.sources.fetch",
    "troubleshooter.sources.xero",
    "troubleshooter.sources.adapter",
    "troubleshooter.diagnosis.lineage",
    "troubleshooter.diagnosis.ruleset",
    "troubleshooter.diagnosis.plan",
    "troubleshooter.diagnosis.knowledge",
    "troubleshooter.diagnosis.diagnose",
    "troubleshooter.report",
    "troubleshooter.sandbox.app",
    "troubleshooter.runs.session",
    "troubleshooter.runs.bundle",
    "troubleshooter.diagnosis.answers",
    "troubleshooter.diagnosis.questions",
    "troubleshooter.diagnosis.paste",
    "troubleshooter.infra.redact",
    "troubleshooter.runs.ruletest",
]


@pytest.mark.parametrize("module", CORE)
def test_core_module_loads_without_ui(module: str) -> None:
    code = (
        f"import sys, {module};"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual');"
        "print(','.join(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_the_check_can_see_textual_when_it_is_there() -> None:
    """The same probe on the TUI finds Textual, so the check above is not blind."""
    code = "import sys, troubleshooter.tui.app; print('textual' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "True"
