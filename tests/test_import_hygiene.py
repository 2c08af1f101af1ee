"""The core never loads Textual, click or Rich: proven in a fresh interpreter, for every module
of the package outside the views that may (tui/ and cli/), found by walking the package.

(The import contracts in pyproject.toml say the same of the imports written in our code; this
says it of what really loads, through third-party packages too. httpx imports click and Rich
for its own command line; the probe leaves that out as when httpx is installed without its
`cli` extra, which httpx allows for.)
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import troubleshooter

UI = ("textual", "click", "rich")
VIEWS = ("tui", "cli", "__main__")  # may load them; __main__ runs the command line

PROBE = """
import importlib, json, sys
sys.modules["httpx._main"] = None  # httpx's own command line: see the module docstring
ui = {ui!r}
loaded = {{}}
for name in {modules!r}:
    importlib.import_module(name)
    found = sorted(m for m in sys.modules if m.split(".")[0] in ui and sys.modules[m] is not None)
    if found:
        loaded[name] = found
        break  # the first module that brings any in is the one to fix
print(json.dumps(loaded))
"""


def core_modules() -> list[str]:
    found = ["troubleshooter"]
    for info in pkgutil.walk_packages(troubleshooter.__path__, "troubleshooter."):
        if info.name.split(".")[1] not in VIEWS:
            found.append(info.name)
    return sorted(found)


def probe(modules: list[str]) -> dict[str, list[str]]:
    """Imports the modules in order in a fresh interpreter; says which one first loaded a UI
    library, and which of them it loaded."""
    code = PROBE.format(ui=UI, modules=modules)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, list[str]] = json.loads(proc.stdout)
    return result


def test_the_walk_finds_the_whole_core() -> None:
    modules = core_modules()
    assert len(modules) >= 50
    for name in (
        "troubleshooter.model",
        "troubleshooter.diagnosis.ruleset",
        "troubleshooter.signin.live",
        "troubleshooter.signin.oauth",
        "troubleshooter.sandbox.app",
        "troubleshooter.runs.practice",
        "troubleshooter.report",
        "troubleshooter.report.view",
        "troubleshooter.sources.http",
        "troubleshooter.infra.redact",
    ):
        assert name in modules
    assert not [m for m in modules if m.startswith(("troubleshooter.tui", "troubleshooter.cli"))]


def test_no_core_module_loads_textual_click_or_rich() -> None:
    assert probe(core_modules()) == {}


def test_the_check_can_see_them_when_they_are_there() -> None:
    """The same probe finds Textual and Rich in the TUI and click in the command line, so the
    check above is not blind; and it finds what comes in late, after the core."""
    [(tui, loaded)] = probe(["troubleshooter.model", "troubleshooter.tui.app"]).items()
    assert tui == "troubleshooter.tui.app" and {"textual", "rich"} <= set(loaded)
    cli = "troubleshooter.cli"
    assert "click" in probe([*core_modules(), cli])[cli]


def test_the_command_line_loads_the_sandboxs_server_only_to_run_one() -> None:
    """Starlette (the sandbox's server) loads where a sandbox runs in this process (a scenario,
    the demo, `sandbox start`), not for every command: a read of real systems or of a URL
    starts without it."""
    code = (
        "import sys, troubleshooter.cli\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'starlette'"
        " or m == 'troubleshooter.sandbox.app'))\n"
        "from troubleshooter.runs.source import demo_source\n"
        "demo_source().connections()\n"
        "print('troubleshooter.sandbox.app' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, then = proc.stdout.splitlines()
    assert first == "[]"
    assert then == "True"
