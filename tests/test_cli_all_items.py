"""`--all-items`: Markdown and HTML list every item, not only those with findings."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import invoke

from troubleshooter.infra.resources import demo_scenario


def rows(markdown: str) -> set[str]:
    """The names in the Markdown's item tables."""
    return set(re.findall(r"^\| [^|]* \| ([^|]+?)(?: ⚠)? \| [✓✗▪◌?~]", markdown, re.MULTILINE))


def test_markdown_lists_every_item_with_all_items() -> None:
    scenario = str(demo_scenario())
    code, lean, _ = invoke("diagnose", "--scenario", scenario, "--format", "md")
    assert code == 1
    code, full, err = invoke("diagnose", "--scenario", scenario, "--format", "md", "--all-items")
    assert code == 1, err
    assert "more without findings" in lean and "more without findings" not in full
    assert "Sales - Cafe" not in rows(lean) and "Sales - Cafe" in rows(full)
    assert rows(lean) < rows(full) and len(rows(full)) == 79  # every item of the demo


def test_html_lists_every_item_with_all_items(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, _, err = invoke("diagnose", "--demo", "--all-items", "-o", str(out))
    assert code == 1, err
    html = out.read_text(encoding="utf-8")
    assert "Sales - Cafe" in html and "more.</p>" not in html


def test_a_saved_diagnosis_renders_every_item_too(tmp_path: Path) -> None:
    saved = tmp_path / "d.json"
    invoke("diagnose", "--demo", "--format", "json", "-o", str(saved))
    code, out, err = invoke("report", str(saved), "--format", "md", "--all-items")
    assert code == 0, err
    assert len(rows(out)) == 79


def test_all_items_with_a_format_that_has_no_lists_is_refused_before_reading() -> None:
    for args, says in (
        ((), "--format text (the default)"),
        (("--format", "text"), "--format text do not"),
        (("--format", "json"), "JSON always holds every item"),
        (("-o", "out.json"), "--format json (from the --output suffix)"),
    ):
        code, out, err = invoke("diagnose", "--demo", "--all-items", *args)
        assert code == 2 and out == "", args
        assert "--all-items and --format" in err and says in err, err
        assert "Traceback" not in err
    code, _, err = invoke("diagnose", "--all-organisations", "--demo", "--all-items")
    assert code == 2 and "--all-items" in err
