from __future__ import annotations

from pathlib import Path

import pytest

from troubleshooter.diagnosis.knowledge import load_knowledge, parse_article
from troubleshooter.errors import RuleLoadError
from troubleshooter.infra.resources import data_dir


def test_every_bundled_article_loads_with_sources() -> None:
    knowledge = load_knowledge([data_dir("knowledge")])
    assert {
        "how-reference-data-flows",
        "sync-to-approvalmax-first",
        "reconnect-approvalmax-to-dext",
    } <= {a.id for a in knowledge}
    for article in knowledge:
        assert article.meta.source and article.title
        assert article.body.startswith("# ")
        assert 40 < len(article.excerpt()) <= 240


def test_front_matter_is_strict(tmp_path: Path) -> None:
    good = "---\nid: x\ntitle: X\nsource: [s]\n---\n# X\n\nBody.\n"
    assert parse_article(good, tmp_path / "x.md").title == "X"
    with pytest.raises(RuleLoadError, match="titel: unknown key"):
        parse_article(good.replace("title:", "titel:"), tmp_path / "x.md")
    with pytest.raises(RuleLoadError, match="should match the file name"):
        parse_article(good, tmp_path / "y.md")
    with pytest.raises(RuleLoadError, match="front matter"):
        parse_article("# no front matter\n", tmp_path / "x.md")


def _article(body: str) -> str:
    front = "---\nid: x\ntitle: X\nsource: [https://example.com]\n---\n"
    return parse_article(front + "# X\n\n## What is happening\n\n" + body, Path("x.md")).excerpt(80)


def test_an_excerpt_ends_at_a_sentence_end() -> None:
    # Whole sentences up to the limit, never a cut one.
    assert _article("One short sentence here. Another one, e.g. this, is here too. " * 3) == (
        "One short sentence here. Another one, e.g. this, is here too."
    )
    # A sentence that leads into a list is no place to stop.
    assert _article("It is connected. The item makes two trips:\n\n1. **Xero.** First.\n") == (
        "It is connected."
    )
    # A first sentence longer than the limit is cut at a word, and says so.
    long = "A very long first sentence " + "that goes on " * 10 + "and ends."
    cut = _article(long)
    assert cut.endswith("…") and len(cut) <= 80 and long.startswith(cut[:-1])
    # Every bundled article's excerpt ends a sentence.
    for article in load_knowledge([data_dir("knowledge")]):
        assert article.excerpt().endswith((".", "!", "?", '."', ".”")), article.id
