"""The command line's shape: options that do not go together, the older spellings, exit codes
written once, the guides that ship with the package, errors without tracebacks."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Served, invoke

from troubleshooter.errors import ExitCode

ROOT = Path(__file__).resolve().parent.parent
DEMO_NAME = "Harbour Street Coffee Roasters Ltd"


@pytest.fixture
def two_scenarios(tmp_scenario) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    one = tmp_scenario("clock: 2026-11-25T10:00:00Z\norganisation: {name: One Co}\n")
    two = one.with_name("two.yaml")
    two.write_text("clock: 2026-11-25T10:00:00Z\norganisation: {name: Two Co}\n", "utf-8")
    return one, two


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["diagnose", "--demo", "--url", "http://127.0.0.1:1"], ["--demo", "--url"]),
        (["diagnose", "--all-organisations", "--item", "429"], ["--all-organisations", "--item"]),
        (["diagnose", "--all-organisations", "--watch"], ["--all-organisations", "--watch"]),
        (
            ["diagnose", "--all-organisations", "--answer", "dext.linked=yes"],
            ["--all-organisations", "--answer"],
        ),
        (
            ["diagnose", "--all-organisations", "--answers", "a.yaml"],
            ["--all-organisations", "--answers"],
        ),
        (["diagnose", "--demo", "--interval", "5s"], ["--interval", "--watch"]),
        (["diagnose", "--demo", "--until", "5m"], ["--until", "--watch"]),
        (["collect", "--demo", "--url", "http://127.0.0.1:1", "-o", "b.json"], ["--demo", "--url"]),
    ],
)
def test_options_that_do_not_go_together_are_named(args: list[str], names: list[str]) -> None:
    code, out, err = invoke(*args)
    assert code == ExitCode.USAGE, err
    assert out == ""
    for name in names:
        assert name in err
    assert "Traceback" not in err


def test_watching_a_snapshot_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    assert invoke("collect", "--demo", "-o", str(bundle))[0] == ExitCode.OK
    code, _, err = invoke("diagnose", "--snapshot", str(bundle), "--watch")
    assert code == ExitCode.USAGE
    assert "--watch" in err and "--snapshot" in err and "snapshot never changes" in err


def test_one_organisation_commands_refuse_several(two_scenarios: tuple[Path, Path]) -> None:
    one, two = two_scenarios
    code, _, err = invoke("diagnose", "--scenario", str(one), "--scenario", str(two))
    assert code == ExitCode.USAGE and "--scenario" in err and "one organisation" in err
    code, _, err = invoke("collect", "--scenario", str(one.parent), "-o", "-")
    assert code == ExitCode.USAGE and "is a folder" in err


def test_several_organisations_diagnose_together(two_scenarios: tuple[Path, Path]) -> None:
    """--all-organisations reads every source given: files, a folder, the demo, together."""
    one, two = two_scenarios
    code, out, err = invoke(
        "diagnose", "--all-organisations", "--demo", "--scenario", str(one), "--scenario", str(two)
    )
    assert code == ExitCode.FINDINGS, err  # the demo's findings
    assert "One Co" in out and "Two Co" in out and DEMO_NAME in out


def test_several_organisations_include_served_ones(served_demo: Served) -> None:
    """--url names an organisation of a practice run (it used to fall through to live)."""
    code, out, err = invoke(
        "diagnose", "--all-organisations", "--url", served_demo.base_url, "--format", "json"
    )
    assert code == ExitCode.FINDINGS, err
    [line] = json.loads(out)["organisations"]
    assert line["name"] == DEMO_NAME and line["with_findings"] == 5
    assert {r.method for r in served_demo.sandbox.log.requests} == {"GET"}


def test_the_tui_refuses_answers_for_several_organisations(
    two_scenarios: tuple[Path, Path],
) -> None:
    one, two = two_scenarios
    code, _, err = invoke(
        "tui", "--scenario", str(one), "--scenario", str(two), "--answer", "dext.linked=yes"
    )
    assert code == ExitCode.USAGE and "--answer" in err and "--scenario" in err


def test_the_tui_checks_its_files_before_opening(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("clock: [oops\n", encoding="utf-8")
    code, _, err = invoke("tui", "--scenario", str(broken))
    assert code == ExitCode.USAGE and "broken.yaml" in err and "not valid YAML" in err
    empty_rules = tmp_path / "rules"
    empty_rules.mkdir()
    (empty_rules / "r.yaml").write_text("rules: [{id: x}]\n", encoding="utf-8")
    code, _, err = invoke("tui", "--demo", "--rules", str(empty_rules))
    assert code == ExitCode.USAGE and "r.yaml" in err


def test_serve_checks_what_it_would_serve_before_listening(tmp_path: Path) -> None:
    # A rules folder without rules: said now, not in the browser later (even with nothing
    # connected, when the browser would open on the guided check).
    empty = tmp_path / "rules"
    empty.mkdir()
    code, _, err = invoke("serve", "--port", "1", "--rules", str(empty))
    assert code == ExitCode.USAGE and "Serving" not in err


def test_help_texts_name_only_options_the_command_has() -> None:
    _, collect_help, _ = invoke("collect", "--help")
    assert "--all-organisations" not in collect_help and "--snapshot" not in collect_help
    for command in ("diagnose", "tui", "serve", "collect"):
        _, text, _ = invoke(command, "--help")
        assert "--scenario" in text and "--sandbox" not in text, command
        for option in ("--demo", "--url", "--answer", "--answers"):
            assert option in text, (command, option)
    for command in ("diagnose", "tui", "serve"):
        _, text, _ = invoke(command, "--help")
        assert "--rules" in text and "--knowledge" in text and "--snapshot" in text, command


def test_the_older_spellings_still_work(tmp_scenario) -> None:  # type: ignore[no-untyped-def]
    """`--sandbox FILE`, `sandbox serve` and `sandbox check FILE`: kept, not listed."""
    path = tmp_scenario("clock: 2026-11-25T10:00:00Z\norganisation: {name: Old Co}\n")
    code, out, _ = invoke("diagnose", "--sandbox", str(path))
    assert code == ExitCode.OK and out.startswith("Old Co")
    code, _, err = invoke("diagnose", "--demo", "--sandbox", str(path))
    assert code == ExitCode.USAGE and "--sandbox" in err and "--demo" in err
    code, out, _ = invoke("sandbox", "check", str(path))
    assert code == ExitCode.OK and "a valid scenario for Old Co" in out
    _, listing, _ = invoke("sandbox", "--help")
    commands = re.findall(r"^  (\w+) ", listing, re.MULTILINE)
    assert "start" in commands and "serve" not in commands
    code, text, _ = invoke("sandbox", "serve", "--help")
    assert code == ExitCode.OK and "--scenario" in text


def test_sandbox_check_takes_scenarios_and_folders(two_scenarios: tuple[Path, Path]) -> None:
    one, two = two_scenarios
    code, out, _ = invoke("sandbox", "check", "--scenario", str(one.parent))
    assert code == ExitCode.OK
    assert "a valid scenario for One Co" in out and "a valid scenario for Two Co" in out
    two.write_text("clock: [oops\n", encoding="utf-8")
    code, out, err = invoke("sandbox", "check", "--scenario", str(one), "--scenario", str(two))
    assert code == ExitCode.USAGE
    assert "a valid scenario for One Co" in out and "two.yaml" in err


def test_a_busy_port_is_said_before_the_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = invoke("sandbox", "start", "--port", str(port))
        assert code == ExitCode.USAGE
        assert f"127.0.0.1:{port}" in err and "busy" in err and "--port" in err
        assert "Serving" not in err
        code, _, err = invoke("serve", "--demo", "--port", str(port))
        assert code == ExitCode.USAGE and "busy" in err and "Serving" not in err


def test_sandbox_start_on_any_free_port_says_which() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "troubleshooter", "sandbox", "serve", "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        banner = proc.stderr.readline()  # blocks until the server has its socket
        match = re.search(r"on http://127\.0\.0\.1:(\d+)$", banner.strip())
        assert match and int(match.group(1)) > 0, banner
        code, out, err = invoke("diagnose", "--url", f"http://127.0.0.1:{match.group(1)}")
        assert code == ExitCode.FINDINGS, err
        assert out.startswith(DEMO_NAME)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_readme_exit_codes_are_those_of_exit_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Exit codes") :]
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", section, re.MULTILINE)
    assert {int(code): meaning for code, meaning in rows} == {
        int(code): code.meaning for code in ExitCode
    }


def test_exit_codes_are_printed_from_exit_code() -> None:
    _, text, _ = invoke("--help")
    flat = " ".join(text.split())
    _, listed, _ = invoke("help", "exit-codes")
    for code in ExitCode:
        assert f"{int(code)} {code.meaning}" in flat
        assert f"- {int(code)}: {code.meaning}" in listed


def test_help_prints_the_guides() -> None:
    code, out, _ = invoke("help")
    assert code == ExitCode.OK
    for topic in ("connecting", "scenarios", "rules", "stage-adapter", "exit-codes"):
        assert re.search(rf"^  {re.escape(topic)}\b", out, re.MULTILINE), topic
    code, out, _ = invoke("help", "connecting")
    assert code == ExitCode.OK
    assert out == (ROOT / "docs" / "connecting.md").read_text(encoding="utf-8")
    code, out, _ = invoke("help", "diagnose")
    assert code == ExitCode.OK and "--all-organisations" in out
    code, _, err = invoke("help", "conecting")
    assert code == ExitCode.USAGE and "'connecting'" in err


def test_messages_point_to_what_an_installed_tool_has() -> None:
    """No message sends a person to a docs/ path that `pip install` does not install."""
    offenders = []
    for path in (ROOT / "troubleshooter").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\(docs/\w+\.md\)|see docs/", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


def test_interrupted_ends_with_130_and_no_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("troubleshooter.cli.knowledge.load_knowledge", interrupted)
    code, _, err = invoke("knowledge", "list")
    assert code == ExitCode.INTERRUPTED == 130
    assert "interrupted" in err and "Traceback" not in err


def test_help_does_not_load_the_heavy_parts() -> None:
    """`troubleshooter --help` (and every command that opens no screen and serves nothing)
    does without Textual, textual-serve and uvicorn."""
    code = (
        "import sys; from troubleshooter.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'textual', 'textual_serve', 'uvicorn'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "assert 'troubleshooter.runs.source' in sys.modules\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_the_tui_takes_a_teams_own_rules_and_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--rules, --knowledge and --answer reach the TUI's session (the TUI itself is not
    opened here)."""
    import shutil

    from troubleshooter.infra.resources import data_dir
    from troubleshooter.runs.session import Session

    rules = tmp_path / "rules"
    shutil.copytree(data_dir("rules"), rules)
    opened: list[Session] = []
    monkeypatch.setattr("troubleshooter.cli.ui._run", opened.append)
    code, _, err = invoke("tui", "--demo", "--rules", str(rules), "--answer", "dext.linked=yes")
    assert code == ExitCode.OK, err
    [session] = opened
    assert {r.source.parent for r in session.library.rules.rules} == {rules}
    assert session.answers == {"dext.linked": "yes"}
    assert [s.label for s in session.sources] == [f"{DEMO_NAME} · sandbox demo.yaml"]


def test_serve_passes_its_options_on_to_the_tui(
    tmp_scenario,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    from troubleshooter.tui.serve import GuardedServer

    path = tmp_scenario("clock: 2026-11-25T10:00:00Z\norganisation: {name: Served Co}\n")
    started: list[str] = []

    def serve(self: GuardedServer, debug: bool = False) -> None:
        started.append(self.command)
        if self.sock is not None:
            self.sock.close()
        assert self.announce is not None
        self.announce()

    monkeypatch.setattr(GuardedServer, "serve", serve)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _, err = invoke(
        "serve", "--port", str(port), "--scenario", str(path), "--answer", "dext.linked=yes"
    )
    assert code == ExitCode.OK, err
    [command] = started
    assert command.endswith(
        f"-m troubleshooter tui --scenario {path.resolve()} --answer dext.linked=yes"
    )
    assert f"Serving the troubleshooter at http://127.0.0.1:{port}" in err
