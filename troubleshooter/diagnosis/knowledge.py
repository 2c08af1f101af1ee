"""Knowledge articles: Markdown files with YAML front matter (id, title, applies_to, source)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from troubleshooter.errors import RuleLoadError
from troubleshooter.infra.files import read_text
from troubleshooter.infra.yamlfile import load_yaml, validation_problem, yaml_error_text

_FRONT_MATTER = re.compile(r"\A---\s*\n(?P<meta>.*?)\n---\s*\n(?P<body>.*)\Z", re.DOTALL)


class ArticleMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    applies_to: list[str] = Field(default_factory=list)
    source: list[str] = Field(min_length=1, description="Where the facts come from.")


@dataclass(frozen=True)
class Article:
    meta: ArticleMeta
    body: str
    path: Path

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def title(self) -> str:
        return self.meta.title

    def excerpt(self, limit: int = 240) -> str:
        """The first paragraph under the first section heading: its whole sentences up to
        `limit` characters. A sentence that leads into a list (ending in ":") is no place to
        stop; a first sentence longer than `limit` is cut at a word, with an ellipsis."""
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", self.body) if p.strip()]
        text = next((p for p in paragraphs if not p.startswith("#")), "")
        sentences = _sentences(" ".join(text.split()))
        kept: list[str] = []
        for sentence in sentences:
            if len(" ".join([*kept, sentence])) > limit:
                break
            kept.append(sentence)
        while kept and kept[-1].endswith(":"):
            kept.pop()
        if kept:
            return " ".join(kept)
        first = sentences[0].rstrip(":") if sentences else ""
        if len(first) <= limit:
            return first + "…" if sentences and sentences[0].endswith(":") else first
        return first[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# A sentence ends at . ! or ? (and any closing quote, bracket or emphasis) before a space and
# what starts the next one; "e.g." and the like are not an end.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)\]*_]*\s+(?=[A-Z0-9\"“‘(\[*_])")
_NOT_AN_END = ("e.g.", "i.e.", "etc.", "vs.", "approx.", "no.")


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = text[start : match.start()]
        if before.lower().endswith(_NOT_AN_END):
            continue
        out.append(text[start : match.end()].strip())
        start = match.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def parse_article(text: str, path: Path) -> Article:
    match = _FRONT_MATTER.match(text)
    if not match:
        raise RuleLoadError(f"{path}: an article starts with front matter between --- lines")
    try:
        # A new line first stands for the opening ---, so that lines count as in the file.
        meta_data = load_yaml("\n" + match["meta"])
    except yaml.YAMLError as exc:
        raise RuleLoadError(f"{path}: front matter: {yaml_error_text(exc)}") from None
    try:
        meta = ArticleMeta.model_validate(meta_data)
    except ValidationError as exc:
        line, problem = validation_problem(exc, meta_data)
        where = f"{path}:{line}" if line else str(path)
        raise RuleLoadError(f"{where}: front matter: {problem}") from None
    if meta.id != path.stem:
        raise RuleLoadError(f"{path}: the id '{meta.id}' should match the file name")
    return Article(meta, match["body"].strip() + "\n", path)


class KnowledgeBase:
    def __init__(self, articles: Sequence[Article]) -> None:
        self._articles = {a.id: a for a in articles}

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._articles

    def __iter__(self) -> Iterator[Article]:
        return iter(self._articles.values())

    def __len__(self) -> int:
        return len(self._articles)

    def get(self, article_id: str) -> Article | None:
        return self._articles.get(article_id)

    def search(self, text: str, limit: int = 10) -> list[tuple[Article, float]]:
        """Articles about `text`, best first: every word must appear (in the title, the
        applies-to kinds or the body); title hits count most."""
        words = [w for w in re.findall(r"[\w-]+", text.casefold()) if len(w) > 1]
        if not words:
            return []
        scored = []
        for article in self:
            title = article.title.casefold()
            body = article.body.casefold()
            tags = " ".join(article.meta.applies_to).replace("_", " ")
            if not all(w in title or w in body or w in tags or w in article.id for w in words):
                continue
            score = sum(5 * title.count(w) + 2 * tags.count(w) + body.count(w) for w in words)
            scored.append((article, float(score)))
        scored.sort(key=lambda pair: (-pair[1], pair[0].id))
        return scored[:limit]


def load_knowledge(directories: Sequence[Path]) -> KnowledgeBase:
    articles: list[Article] = []
    seen: dict[str, Path] = {}
    for directory in directories:
        if not directory.is_dir():
            raise RuleLoadError(f"{directory}: no such knowledge folder")
        for path in sorted(directory.glob("*.md")):
            try:
                text = read_text(path)
            except OSError as exc:
                raise RuleLoadError(f"{path}: cannot read it ({exc.strerror or exc})") from None
            article = parse_article(text, path)
            if article.id in seen:
                raise RuleLoadError(f"{path}: article '{article.id}' also in {seen[article.id]}")
            seen[article.id] = path
            articles.append(article)
    return KnowledgeBase(articles)
