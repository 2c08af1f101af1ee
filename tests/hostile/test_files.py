"""Hostile and broken files through every loader the tool has: scenarios, rules, rule cases,
knowledge articles, answers files, settings, bundles, saved diagnoses and the token store.

Whatever the file holds, the loader refuses it with a TroubleshooterError (exit 2 at the
command line) that names the file, and the place where one can be named; never another
exception, never minutes of work or gigabytes of memory. Small files are checked in under
files/; big ones are made here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from troubleshooter.diagnosis.answers import load_answers_file
from troubleshooter.diagnosis.knowledge import load_knowledge
from troubleshooter.diagnosis.ruleset import load_rules
from troubleshooter.errors import TroubleshooterError
from troubleshooter.infra import yamlfile
from troubleshooter.infra.files import read_text
from troubleshooter.infra.jsonfile import MAX_DEPTH, parse_json
from troubleshooter.report import load_diagnosis
from troubleshooter.runs.bundle import load_bundle
from troubleshooter.runs.ruletest import load_cases
from troubleshooter.sandbox.scenario import load_scenario
from troubleshooter.signin.settings import load_settings
from troubleshooter.signin.tokens import FileStore

FILES = Path(__file__).parent / "files"
# Made here rather than checked in: formatters refuse a file that is not UTF-8.
LATIN1_ARTICLE = (
    b"---\nid: article-latin1\ntitle: Caf\xe9 accounts\nsource: [https://example.com]\n---\n"
    b"# Caf\xe9\n"
)


# --- the hostile texts -------------------------------------------------------------------


def billion_laughs(levels: int = 9) -> str:
    """The classic: each level is nine aliases of the one before, 9**9 values in 400 bytes."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [{','.join([f'*a{n - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def deep_flow(depth: int = 50_000) -> str:
    return "deep: " + "[" * depth + "]" * depth + "\n"


def deep_block(depth: int = 200) -> str:
    return (
        "deep:\n" + "".join("  " * n + f"k{n}:\n" for n in range(1, depth)) + "  " * depth + "x\n"
    )


def deep_by_aliases() -> str:
    """Sixty levels written out, then aliases that stack them: deep without being long."""
    inner = "[" * 60 + "]" * 60
    return f"a: &a {inner}\nb: &b [*a]\nc: &c [*b, *b]\nd: [[[[[[*c]]]]]]\n"


YAML_TEXTS: dict[str, str | bytes] = {
    "billion-laughs": billion_laughs(),
    "alias-loop": "a: &a [*a]\n",
    "merge-loop": "a: &a {<<: *a}\n",
    "deep-flow": deep_flow(),
    "deep-block": deep_block(),
    "deep-by-aliases": deep_by_aliases(),
    "not-utf8": b"organisation: {name: Caf\xe9}\n",
    "nul-bytes": b"a: \x00\x00\x00\n",
    "bad-timestamp": "clock: 2026-02-30T10:00:00Z\n",
    "bad-int-tag": "a: !!int twelve\n",
    "python-tag": 'a: !!python/object/apply:os.system ["true"]\n',
    "broken-syntax": "a: [1, 2\nb: {\n",
    "a-list": "- 1\n- 2\n",
    "tabs": "a:\n\tb: 1\n",
}

JSON_TEXTS: dict[str, str | bytes] = {
    "deep-array": "[" * 100_000 + "]" * 100_000,
    "deep-object": '{"a":' * 5_000 + "1" + "}" * 5_000,
    "deep-inside": '{"bundle_version": 1, "schema_version": 1, "answers": {"x": '
    + "[" * (MAX_DEPTH + 5)
    + "]" * (MAX_DEPTH + 5)
    + "}}",
    "not-utf8": b'{"name": "Caf\xe9"}',
    "truncated": '{"bundle_version": 1, "snapshots": [',
    "a-list": "[1, 2, 3]",
    "a-number": "1e999999",
    "empty": "",
}


# --- the loaders ---------------------------------------------------------------------------


def _in_folder(path: Path, name: str) -> Path:
    """`path` moved into a folder of its own under the name a folder loader looks for."""
    folder = path.parent / f"{path.stem}-folder"
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, target)
    return target


def _answers(path: Path) -> Any:
    """An answers file as a run reads it: loaded (each value as typed, so a bad timestamp or
    an `!!int` tag is text), then checked against the questions, which refuse what is not
    theirs, naming the file and line."""
    from datetime import UTC, datetime

    from troubleshooter.diagnosis.answers import read_answers
    from troubleshooter.diagnosis.diagnose import Library

    answers = load_answers_file(path)
    specs = Library.load().rules.questions
    return read_answers(answers, specs, datetime(2026, 11, 25, tzinfo=UTC))


def _rules(path: Path) -> Any:
    target = _in_folder(path, path.name)
    return load_rules([target.parent])


def _cases(path: Path) -> Any:
    target = _in_folder(path, f"tests/{path.name}")
    return load_cases([target.parent.parent])


def _article(path: Path) -> Any:
    text = path.read_bytes()
    if not text.startswith(b"---"):  # YAML: put it in the front matter
        text = b"---\n" + text + b"\n---\n# Body\n"
    path.write_bytes(text)
    target = _in_folder(path, path.name)
    return load_knowledge([target.parent])


YAML_LOADERS: dict[str, Callable[[Path], Any]] = {
    "scenario": load_scenario,
    "rules": _rules,
    "rule cases": _cases,
    "knowledge": _article,
    "answers": _answers,
    "settings": lambda path: load_settings(path, {}),
}

JSON_LOADERS: dict[str, Callable[[Path], Any]] = {
    "bundle": load_bundle,
    "diagnosis": load_diagnosis,
    "token store": lambda path: FileStore(path).load("xero"),
}


def _refused(loader: Callable[[Path], Any], path: Path) -> TroubleshooterError:
    """What the loader raised: it must be a TroubleshooterError naming the file."""
    try:
        loader(path)
    except TroubleshooterError as exc:
        assert path.name in str(exc), str(exc)
        return exc
    raise AssertionError(f"{path.name} was accepted")


@pytest.mark.parametrize("loader", YAML_LOADERS)
@pytest.mark.parametrize("case", YAML_TEXTS)
def test_every_yaml_loader_refuses_hostile_files(tmp_path: Path, loader: str, case: str) -> None:
    text = YAML_TEXTS[case]
    path = tmp_path / f"{case}.{'md' if loader == 'knowledge' else 'yaml'}"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    exc = _refused(YAML_LOADERS[loader], path)
    assert "Traceback" not in str(exc)


@pytest.mark.parametrize("loader", JSON_LOADERS)
@pytest.mark.parametrize("case", JSON_TEXTS)
def test_every_json_loader_refuses_hostile_files(tmp_path: Path, loader: str, case: str) -> None:
    text = JSON_TEXTS[case]
    path = tmp_path / f"{case}.json"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    if loader == "token store" and case in ("a-list", "a-number"):
        # not a mapping of sign-ins: the store holds none (and nothing crashes)
        assert JSON_LOADERS[loader](path) is None
        return
    _refused(JSON_LOADERS[loader], path)


CHECKED_IN = {
    "scenario-alias-loop.yaml": (load_scenario, "line 3"),
    "scenario-clock-year-1.yaml": (load_scenario, "line 1: clock"),
    "scenario-clock-year-9999.yaml": (load_scenario, "line 1: clock"),
    "scenario-created-99999999999d.yaml": (load_scenario, "line 7: created"),
    "scenario-last-pull-year-1.yaml": (load_scenario, "line 4: dext.last_pull"),
    "scenario-month-13.yaml": (load_scenario, "line 1, column 8"),
    "scenario-per-minute-0.yaml": (load_scenario, "line 5: xero.rate_limits.per_minute"),
    "scenario-endless-delay.yaml": (load_scenario, "line 4: faults.0.delay"),
    "scenario-python-tag.yaml": (load_scenario, "line 2"),
    "settings-adapters-5.yaml": (lambda p: load_settings(p, {}), "adapters"),
    "answers-list-not-text.yaml": (load_answers_file, ":1: dext.list.account"),
    "bundle-version-as-text.json": (load_bundle, 'bundle_version is "1", not a number'),
    "tokens-truncated.json": (lambda p: FileStore(p).load("xero"), "line 1"),
}


@pytest.mark.parametrize("name", CHECKED_IN)
def test_each_broken_file_is_named_with_its_place(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    shutil.copy(FILES / name, path)
    loader, place = CHECKED_IN[name]
    exc = _refused(loader, path)
    assert place in str(exc)


def test_a_knowledge_article_with_a_latin1_byte_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "article-latin1.md"
    path.write_bytes(LATIN1_ARTICLE)
    exc = _refused(_article, path)
    assert "line 3: byte 0xe9" in str(exc)


def test_an_environment_override_into_a_section_that_is_not_one_names_both(
    tmp_path: Path,
) -> None:
    path = tmp_path / "settings-adapters-5.yaml"
    shutil.copy(FILES / path.name, path)
    exc = _refused(
        lambda p: load_settings(p, {"TROUBLESHOOTER_DEXT_ADAPTER_URL": "https://x.example"}),
        path,
    )
    assert ":1: adapters" in str(exc) and "TROUBLESHOOTER_DEXT_ADAPTER_URL" in str(exc)


def test_a_billion_laughs_scenario_is_refused_quickly(tmp_path: Path) -> None:
    """Refused while composing, at the alias that goes over the budget: the budget is counted
    in values, not seconds, so the test needs no clock."""
    text = "clock: 2026-11-25T10:00:00Z\norganisation: {name: Lol Ltd}\n" + billion_laughs()
    assert len(text.encode()) < 600
    path = tmp_path / "lol.yaml"
    path.write_text(text, encoding="utf-8")
    exc = _refused(load_scenario, path)
    assert "aliases" in str(exc) and f"{yamlfile.ALIAS_BUDGET:,}" in str(exc)
    # a0 is 10 values, a1 91, a2 820, a3 7,381; by a4's first alias they add up past 10,000
    assert "line 7, column 10" in str(exc)


def test_aliases_within_the_budget_still_work() -> None:
    data = yamlfile.load_yaml("base: &base {status: ACTIVE}\none: {<<: *base, name: a}\n")
    assert data["one"] == {"status": "ACTIVE", "name": "a"}


def test_an_answers_file_of_laughs_takes_no_memory(tmp_path: Path) -> None:
    """2.5 GB before: now refused before anything is built."""
    path = tmp_path / "answers.yaml"
    path.write_text(billion_laughs(12), encoding="utf-8")
    exc = _refused(load_answers_file, path)
    assert "aliases" in str(exc)


def test_a_file_larger_than_the_limit_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as handle:  # sparse: no disk used
        handle.truncate(300 * 1024 * 1024)
    with pytest.raises(OSError, match="larger than 1,000 bytes"):
        read_text(path, limit=1000)
    exc = _refused(load_bundle, path)
    assert "larger than 256 MB" in str(exc)


def test_an_endless_file_is_not_read_forever(tmp_path: Path) -> None:
    zero = Path("/dev/zero")
    if not zero.exists():  # pragma: no cover - every POSIX system has it
        pytest.skip("no /dev/zero here")
    with pytest.raises(OSError, match="larger than"):
        read_text(zero, limit=4096)


def test_deep_json_never_raises_recursion_error() -> None:
    for text in (JSON_TEXTS["deep-array"], JSON_TEXTS["deep-object"]):
        with pytest.raises(ValueError, match="nested more than 64 levels deep"):
            parse_json(str(text))
    nested = json.dumps({"a": [{"b": [1, 2, {"c": None}]}]})
    assert parse_json(nested) == json.loads(nested)


def test_the_fetch_cache_ignores_a_deep_entry(tmp_path: Path) -> None:
    """A planted cache file is read like any other JSON: too deep, it is no entry at all (the
    list is fetched whole), not a failed Xero."""
    from troubleshooter.sources.cache import FetchCache

    cache = FetchCache(tmp_path / "cache")
    path = tmp_path / "cache" / "tenant" / "contacts.json"
    path.parent.mkdir(parents=True)
    path.write_text(str(JSON_TEXTS["deep-array"]), encoding="utf-8")
    assert cache.load("tenant", "Contacts") is None


# --- exit codes at the command line --------------------------------------------------------


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "troubleshooter", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_the_command_line_exits_2_naming_the_file(tmp_path: Path) -> None:
    laughs = tmp_path / "laughs.yaml"
    laughs.write_text(
        "clock: 2026-11-25T10:00:00Z\norganisation: {name: L}\n" + billion_laughs(),
        encoding="utf-8",
    )
    deep = tmp_path / "deep.json"
    deep.write_text(str(JSON_TEXTS["deep-array"]), encoding="utf-8")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "deep.yaml").write_text(deep_flow(), encoding="utf-8")
    articles = tmp_path / "knowledge"
    articles.mkdir()
    (articles / "article-latin1.md").write_bytes(LATIN1_ARTICLE)
    runs = {
        "laughs.yaml": ("diagnose", "--sandbox", str(laughs)),
        "scenario-clock-year-9999.yaml": (
            "diagnose",
            "--sandbox",
            str(FILES / "scenario-clock-year-9999.yaml"),
        ),
        "deep.json": ("report", str(deep)),
        "deep.json ": ("diagnose", "--snapshot", str(deep)),
        "deep.yaml": ("rules", "lint", "--rules", str(rules)),
        "article-latin1.md": ("knowledge", "list", "--knowledge", str(articles)),
    }
    for name, args in runs.items():
        proc = _cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        assert name.strip() in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
