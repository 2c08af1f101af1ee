"""A non-editable install finds the bundled rules, knowledge, guides and demo scenario."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    [built] = out.glob("troubleshooter-*.whl")
    return built


def test_the_wheel_carries_the_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    rules = {p.name for p in (ROOT / "rules").glob("*.yaml")}
    articles = {p.name for p in (ROOT / "knowledge").glob("*.md")}
    guides = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert rules and articles and "connecting.md" in guides
    assert {f"troubleshooter/_data/rules/{n}" for n in rules} <= names
    assert {f"troubleshooter/_data/knowledge/{n}" for n in articles} <= names
    assert {f"troubleshooter/_data/docs/{n}" for n in guides} <= names  # `troubleshooter help`
    assert "troubleshooter/sandbox/scenarios/demo.yaml" in names
    assert "troubleshooter/sources/stage_adapter.openapi.yaml" in names
    assert "troubleshooter/tui/app.tcss" in names  # the TUI's styles
    assert {
        f"troubleshooter/report/templates/{t}"
        for t in ("report.md.j2", "report.html.j2", "practice.md.j2", "practice.html.j2")
    } <= names


def test_the_installed_layout_diagnoses_the_demo(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # Run from an empty folder with only the unpacked wheel on the path: no source checkout.
    code = (
        "import troubleshooter.infra.resources as r, sys;"
        "assert '_data' in str(r.data_dir('rules')), r.data_dir('rules');"
        "from troubleshooter.cli import main; sys.argv=['troubleshooter','diagnose','--demo'];"
        "main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Sync to ApprovalMax first" in proc.stdout


def test_the_installed_tool_prints_its_guides(wheel: Path, tmp_path: Path) -> None:
    """`troubleshooter help connecting`, from the unpacked wheel alone: the messages that send
    a person there point to something they have."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import sys; from troubleshooter.cli import main;"
        "sys.argv=['troubleshooter','help','connecting']; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (ROOT / "docs" / "connecting.md").read_text(encoding="utf-8")
