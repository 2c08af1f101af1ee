"""Loading the rules folder: strict, every problem at once with file and line, never empty."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.diagnosis.knowledge import load_knowledge
from troubleshooter.diagnosis.plan import Phase
from troubleshooter.diagnosis.ruleset import load_rules
from troubleshooter.errors import RuleLoadError
from troubleshooter.infra.resources import data_dir

ACTIONS = """
actions:
  - id: fix
    title: Fix it
    phase: xero
    instructions: [Do the thing.]
"""


def write_rules(tmp_path: Path, text: str, with_actions: bool = True) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "rules.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    if with_actions:
        (folder / "actions.yaml").write_text(ACTIONS, encoding="utf-8")
    return folder


RULE = """
rules:
  - id: demo-rule
    title: A rule
    applies_to: [account]
    when:
      all:
        - {fact: xero, equals: present}
    action: fix
    article: how-reference-data-flows
    message: "{name} is {xero}"
"""


def test_a_valid_rule_loads(tmp_path: Path) -> None:
    rules = load_rules([write_rules(tmp_path, RULE)])
    [rule] = rules.rules
    assert rule.id == "demo-rule" and rule.line == 3
    assert rules.actions["fix"].phase is Phase.XERO


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("    when:", "    whn:"), r"rules.yaml:\d+: rule 'demo-rule': whn: unknown key"),
        (("equals: present", "equal: present"), "unknown operator 'equal'"),
        (("fact: xero,", "fact: xero.colour,"), "unknown fact 'xero.colour'"),
        (("action: fix", "action: nothing"), "unknown action 'nothing'"),
        (("{name} is {xero}", "{name.__class__}"), "unknown placeholder"),
        (("    applies_to: [account]", "    applies_to: [invoice]"), "applies_to"),
        (("      all:", "      every:"), "unknown condition"),
        (("equals: present", "equals: presnet"), "'xero' is never 'presnet'"),
    ],
)
def test_mistakes_are_refused_with_file_rule_and_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    folder = write_rules(tmp_path, RULE.replace(*change))
    with pytest.raises(RuleLoadError, match=expected) as caught:
        load_rules([folder])
    assert "rules.yaml" in str(caught.value) or "actions" in expected


def test_duplicate_ids_and_python_tags_are_refused(tmp_path: Path) -> None:
    body = RULE + RULE.replace("rules:\n", "")
    with pytest.raises(RuleLoadError, match="defined twice"):
        load_rules([write_rules(tmp_path, body)])
    evil = write_rules(tmp_path, "rules: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(RuleLoadError, match="not valid YAML"):
        load_rules([evil])


def test_the_bundled_corpus_is_consistent(library: Library) -> None:
    ids = [r.id for r in library.rules.rules]
    assert len(ids) == len(set(ids)) >= 2
    for rule in library.rules.rules:
        assert rule.spec.article in library.knowledge
        assert rule.spec.action in library.rules.actions
    for action in library.rules.actions.values():
        assert action.instructions and (
            action.article is None or action.article in library.knowledge
        )
    assert load_rules([data_dir("rules")]).rules  # loads on its own too


BROKEN = """
rules:
  - id: first
    title: A rule
    applies_to: [account]
    when:
      all:
        - {fact: xero, equals: presnet}
        - any:
            - {fact: dext, in: hidden}
            - {fact: approvalmax, equals: missing}
    action: fix
    article: how-reference-data-flows
    message: "{name} is {colour}"
  - id: second
    titel: A rule
    applies_to: [account]
    when: {fact: xero, equals: present}
    action: fix
    then: [nowhere]
    article: how-reference-data-flows
    message: "{name}"
"""


def test_every_problem_of_every_file_is_reported_in_order_with_its_line(tmp_path: Path) -> None:
    folder = write_rules(tmp_path, BROKEN)
    (folder / "more.yaml").write_text(
        textwrap.dedent(
            """
            rules:
              - id: third
                title: Another
                applies_to: [account]
                when: {fact: clock, equals: now}
                action: fix
                article: how-reference-data-flows
                message: "x"
                expected_by: xero
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(RuleLoadError) as caught:
        load_rules([folder])
    problems = [p.replace(str(folder), "F") for p in caught.value.problems]
    assert problems == [
        "F/more.yaml:6: rule 'third': when: 'clock' is a time: compare it with before, after or "
        "known, not 'equals'",
        "F/rules.yaml:8: rule 'first': when.all[0]: 'xero' is never 'presnet' (it is one of: "
        "present, missing, archived, hidden)",
        "F/rules.yaml:10: rule 'first': when.all[1].any[0]: 'in' takes a list",
        "F/rules.yaml:16: rule 'second': titel: unknown key (did you mean 'title'?)",
    ]
    assert str(caught.value).startswith("4 problems in the rules:\n")


def test_a_rule_sound_in_itself_is_still_checked_against_the_others(tmp_path: Path) -> None:
    folder = write_rules(
        tmp_path,
        BROKEN.replace("presnet", "present")
        .replace("in: hidden", "in: [hidden]")
        .replace("titel", "title"),
    )
    with pytest.raises(RuleLoadError) as caught:
        load_rules([folder])
    problems = [p.replace(str(folder), "F") for p in caught.value.problems]
    assert problems == [
        "F/rules.yaml:3: rule 'first': message uses unknown placeholder {colour}",
        "F/rules.yaml:20: rule 'second': unknown action 'nowhere' (known: fix)",
    ]


def test_a_broken_actions_file_does_not_make_every_action_unknown(tmp_path: Path) -> None:
    folder = write_rules(tmp_path, RULE, with_actions=False)
    (folder / "actions.yaml").write_text("actions: [{id: fix, title: Fix it}]\n", "utf-8")
    with pytest.raises(RuleLoadError) as caught:
        load_rules([folder])
    assert all("unknown action" not in p for p in caught.value.problems)
    assert any("action 'fix': phase: Field required" in p for p in caught.value.problems)
    (folder / "actions.yaml").write_text("actions: [oops\n", "utf-8")
    with pytest.raises(RuleLoadError, match="not valid YAML") as caught:
        load_rules([folder])
    assert len(caught.value.problems) == 1


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("{id: q, sets: xero, type: yes_no, text: t, where: w}", "an answer cannot set 'xero'"),
        ("{id: q, sets: clock, type: datetime, text: t, where: w}", "an answer cannot set 'clock'"),
        (
            "{id: q, sets: dext.integration, type: choice, choices: [approvalmax, xero], text: t, where: w}",
            "'dext.integration' is never 'xero'",
        ),
        (
            "{id: q, sets: dext.last_pull, type: yes_no, text: t, where: w}",
            "'dext.last_pull' is answered with datetime, not yes_no",
        ),
        (
            "{id: q, sets: dext.integration, type: choice, text: t, where: w}",
            "a choice needs its choices",
        ),
        (
            "{id: q, sets: dext.last_pull, settles: [dext.colour], type: datetime, text: t, where: w}",
            "settles unknown fact 'dext.colour'",
        ),
    ],
)
def test_a_question_must_fit_the_fact_it_sets(tmp_path: Path, question: str, expected: str) -> None:
    folder = write_rules(tmp_path, RULE)
    (folder / "questions.yaml").write_text(f"questions:\n  - {question}\n", "utf-8")
    with pytest.raises(RuleLoadError, match=expected):
        load_rules([folder])


def test_expected_by_names_a_time(tmp_path: Path) -> None:
    folder = write_rules(
        tmp_path, RULE.replace("    action: fix", "    expected_by: xero\n    action: fix")
    )
    with pytest.raises(RuleLoadError, match="expected_by names 'xero', which is not a time"):
        load_rules([folder])


def test_no_rules_is_an_error_naming_the_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RuleLoadError, match=f"^{empty}: no rules in this folder"):
        load_rules([empty])
    (empty / "blank.yaml").write_text("# nothing yet\n", "utf-8")
    (empty / "tests").mkdir()
    with pytest.raises(RuleLoadError, match=f"^{empty}: no rules in this folder"):
        load_rules([empty])
    only_actions = tmp_path / "actions"
    only_actions.mkdir()
    (only_actions / "actions.yaml").write_text(ACTIONS, "utf-8")
    with pytest.raises(RuleLoadError, match=f"^{only_actions}: no rules, only actions"):
        load_rules([only_actions])
    # Actions in one folder and rules in another make one library.
    rules = write_rules(tmp_path, RULE, with_actions=False)
    assert [r.id for r in load_rules([rules, only_actions]).rules] == ["demo-rule"]
    with pytest.raises(RuleLoadError) as caught:
        load_rules([rules, only_actions, empty, tmp_path / "nowhere"])
    assert caught.value.problems == [
        f"{empty}: no rules in this folder (a rules folder holds *.yaml files with `rules:`, "
        "`actions:` and `questions:`)",
        f"{tmp_path / 'nowhere'}: no such rules folder",
    ]


def test_the_command_line_refuses_an_empty_rules_folder(tmp_path: Path) -> None:
    """`--rules EMPTY` said everything had reached Dext (exit 0) and lint said "no problems"."""
    empty = tmp_path / "EMPTY"
    empty.mkdir()
    for args in (["diagnose", "--demo"], ["rules", "lint"], ["rules", "test"]):
        proc = subprocess.run(
            [sys.executable, "-m", "troubleshooter", *args, "--rules", str(empty)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert f"{empty}: no rules in this folder" in proc.stderr
        assert "no problems" not in proc.stdout and "Traceback" not in proc.stderr


def test_every_missing_article_is_listed(tmp_path: Path) -> None:
    folder = write_rules(
        tmp_path, RULE + RULE.replace("rules:\n", "").replace("demo-rule", "other")
    )
    (folder / "actions.yaml").write_text(ACTIONS + "    article: nowhere\n", "utf-8")
    (tmp_path / "knowledge").mkdir()
    library = Library(load_rules([folder]), load_knowledge([tmp_path / "knowledge"]))
    with pytest.raises(RuleLoadError) as caught:
        library.check_links()
    assert [p.replace(str(folder), "F") for p in caught.value.problems] == [
        "F/rules.yaml:3: rule 'demo-rule' cites article 'how-reference-data-flows', which no "
        "knowledge folder holds",
        "F/rules.yaml:13: rule 'other' cites article 'how-reference-data-flows', which no "
        "knowledge folder holds",
        "action 'fix' cites article 'nowhere', which no knowledge folder holds",
    ]
