"""Loading the rules folder: rules, actions and questions from YAML, checked against the
condition grammar (conditions.py) and the fact vocabulary (vocabulary.py).

Loading reports every problem it finds, in every file of every folder, each with its file and
line ("rules/chain.yaml:13: rule 'x': whn: unknown key"), as one RuleLoadError: a person fixes
them all in one go instead of one per run. A folder with nothing in it, or a set of folders
with no rule at all, is an error too: no rules would say that all is well without looking.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from troubleshooter.diagnosis.conditions import (
    OPERATORS,
    Condition,
    Problem,
    condition_problems,
)
from troubleshooter.diagnosis.plan import Action
from troubleshooter.diagnosis.questions import QuestionSpec
from troubleshooter.diagnosis.vocabulary import (
    ANSWER_TYPES,
    FACTS,
    FINDING_FACTS,
    ITEM_FACTS,
    SETTABLE,
    ValueType,
    unknown_placeholders,
)
from troubleshooter.errors import RuleLoadError
from troubleshooter.infra.files import read_text
from troubleshooter.infra.yamlfile import (
    line_of,
    load_yaml,
    validation_problems,
    yaml_error_text,
)
from troubleshooter.model import ItemKind, Severity, Stage


class RuleSpec(BaseModel):
    """A rule as written in a file. Unknown keys are an error."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    status: Literal["experimental", "test", "stable", "deprecated"] = "stable"
    severity: Severity = Severity.WARNING
    applies_to: list[ItemKind | Literal["organisation"]]
    stage: Stage | None = Field(default=None, description="Where the item stopped.")
    when: dict[str, Any]
    action: str
    article: str
    message: str
    expected_by: str | None = Field(
        default=None, description="A fact: when the chain would fix it without action."
    )
    then: list[str] = Field(
        default_factory=list, description="Actions that must follow `action`, in the plan."
    )
    focus_only: bool = Field(
        default=False,
        description="Normal in a whole-organisation run (counted, not listed); explained when "
        "the user asks about the item with --item.",
    )
    timing: bool = Field(
        default=False, description="Time alone resolves it (the chain's clocks catch up)."
    )
    asks: list[str] = Field(
        default_factory=list,
        description="Questions (ids) that settle what the finding calls into doubt: asked "
        "first when it fires.",
    )
    references: list[str] = Field(default_factory=list)
    description: str | None = None


@dataclass(frozen=True)
class Rule:
    spec: RuleSpec
    condition: Condition
    source: Path
    line: int | None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def organisation_wide(self) -> bool:
        return "organisation" in self.spec.applies_to

    def applies(self, kind: ItemKind) -> bool:
        return kind in self.spec.applies_to


class InferenceSpec(BaseModel):
    """What one stage's holding says about another's, along the chain, as written in a file:
    when `when` holds for an item whose mark at a stage is unknown, the mark is `infer`'s, with
    provenance `inferred` and `because` as its reason. It never overwrites what a system or a
    person said."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    applies_to: list[ItemKind]
    when: dict[str, Any]
    infer: dict[Literal["approvalmax", "dext"], Literal["present", "missing"]]
    because: str = Field(description="Why, in plain words, as the item's story tells it.")
    description: str | None = None


@dataclass(frozen=True)
class Inference:
    spec: InferenceSpec
    condition: Condition
    source: Path
    line: int | None

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    actions: dict[str, Action] = field(default_factory=dict)
    questions: list[QuestionSpec] = field(default_factory=list)
    inferences: list[Inference] = field(default_factory=list)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


class _FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[dict[str, Any]] = Field(default_factory=list)
    actions: list[dict[str, Any]] = Field(default_factory=list)
    questions: list[dict[str, Any]] = Field(default_factory=list)
    inferences: list[dict[str, Any]] = Field(default_factory=list)


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


def _name(raw: Any, index: int) -> str:
    return str(raw.get("id", f"#{index + 1}")) if isinstance(raw, dict) else f"#{index + 1}"


def load_rules(directories: Sequence[Path]) -> RuleSet:
    """Loads every `*.yaml` in the folders, in name order; raises one RuleLoadError listing
    every problem, each with its file, its rule (action, question) and its line."""
    loader = _Loader()
    for directory in directories:
        loader.load_folder(directory)
    if not loader.problems and not loader.ruleset.rules:
        folders = ", ".join(str(d) for d in directories) or "(no folder)"
        loader.problem(
            Path(folders),
            None,
            "no rules, only actions or questions; without rules nothing would be checked and "
            "everything would look fine",
        )
    loader.check_links()
    loader.check_asks()
    if loader.problems:
        problems = sorted(loader.problems, key=lambda p: (p[0], p[1] or 0))
        raise RuleLoadError.listing(
            [f"{_where(path, line)}: {text}" for path, line, text in problems]
        )
    return loader.ruleset


@dataclass
class _Loader:
    ruleset: RuleSet = field(default_factory=RuleSet)
    problems: list[tuple[Path, int | None, str]] = field(default_factory=list)
    # Actions that exist but could not be read, and whether a whole file could not be: a rule
    # naming them is not told its action is unknown.
    unreadable_actions: set[str] = field(default_factory=set)
    unreadable_file: bool = False
    lines: dict[str, Any] = field(default_factory=dict)  # rule id → its mapping, for key lines

    def problem(self, path: Path, line: int | None, text: str) -> None:
        self.problems.append((path, line, text))

    def load_folder(self, directory: Path) -> None:
        if not directory.is_dir():
            self.problem(directory, None, "no such rules folder")
            return
        entries = 0
        for path in sorted(directory.glob("*.yaml")):
            entries += self.load_file(path)
        if entries == 0:
            self.problem(
                directory,
                None,
                "no rules in this folder (a rules folder holds *.yaml files with `rules:`, "
                "`actions:` and `questions:`)",
            )

    def load_file(self, path: Path) -> int:
        """Reads one file; returns how many entries it holds (an unreadable file counts one)."""
        try:
            data = load_yaml(read_text(path))  # bounded: never more than the tool reads
        except yaml.YAMLError as exc:
            return self._unreadable(path, yaml_error_text(exc))
        except (OSError, UnicodeDecodeError) as exc:
            return self._unreadable(path, f"cannot read it ({exc})")
        if data is None:
            return 0
        try:
            _FileSpec.model_validate(data)
        except ValidationError as exc:
            for line, problem in validation_problems(exc, data):
                self.problem(
                    path,
                    line,
                    f"{problem} (a rules file holds `rules:`, `actions:`, `questions:` and "
                    "`inferences:`)",
                )
            return self._unreadable(path, None)
        names = ("rules", "actions", "questions", "inferences")
        sections = [data.get(name) or [] for name in names]
        for index, raw in enumerate(sections[0]):
            self._rule(raw, path, index)
        for index, raw in enumerate(sections[1]):
            self._action(raw, path, index)
        for index, raw in enumerate(sections[2]):
            self._question(raw, path, index)
        for index, raw in enumerate(sections[3]):
            self._inference(raw, path, index)
        return sum(len(section) for section in sections)

    def _unreadable(self, path: Path, problem: str | None) -> int:
        if problem is not None:
            self.problem(path, None, problem)
        self.unreadable_file = True
        return 1

    def _spec_problems(
        self, exc: ValidationError, raw: Any, known: Iterable[str], what: str, path: Path
    ) -> None:
        for line, problem in validation_problems(exc, raw, known):
            self.problem(path, line or getattr(raw, "line", None), f"{what}: {problem}")

    def _rule(self, raw: Any, path: Path, index: int) -> None:
        line = getattr(raw, "line", None)
        what = f"rule '{_name(raw, index)}'"
        if not isinstance(raw, dict):
            self.problem(path, line, f"{what}: a rule is a mapping")
            return
        spec: RuleSpec | None = None
        try:
            spec = RuleSpec.model_validate(raw)
        except ValidationError as exc:
            self._spec_problems(exc, raw, RuleSpec.model_fields, what, path)
        condition = None
        if raw.get("when") is not None:  # checked even when the rest is wrong: all at once
            found: list[Problem] = []
            condition = condition_problems(raw["when"], "when", found, line)
            for at, text in found:
                self.problem(path, at, f"{what}: {text}")
        if spec is None or condition is None:
            return
        problems = self._rule_problems(spec, condition)
        for text in problems:
            self.problem(path, line, f"{what}: {text}")
        if any(r.id == spec.id for r in self.ruleset.rules):
            self.problem(path, line, f"rule '{spec.id}' is defined twice")
        elif not problems:
            self.ruleset.rules.append(Rule(spec, condition, path, line))
            self.lines[spec.id] = raw

    @staticmethod
    def _rule_problems(spec: RuleSpec, condition: Condition) -> list[str]:
        problems = [
            f"message uses unknown placeholder {{{name}}}"
            for name in unknown_placeholders(spec.message)
        ]
        expected = FACTS.get(spec.expected_by) if spec.expected_by is not None else None
        if spec.expected_by is not None and expected is None:
            problems.append(f"expected_by names unknown fact '{spec.expected_by}'")
        elif expected is not None and expected.type is not ValueType.TIME:
            problems.append(f"expected_by names '{expected.name}', which is not a time")
        used = condition.facts() | ({spec.expected_by} if spec.expected_by else set())
        if "organisation" in spec.applies_to:
            item_only = used & ITEM_FACTS
            if len(spec.applies_to) > 1 or item_only:
                problems.append(
                    "an organisation-wide rule applies to nothing else and uses organisation "
                    f"facts only (found {sorted(item_only)})"
                )
        elif used & FINDING_FACTS:
            problems.append(f"{sorted(used & FINDING_FACTS)} are for organisation-wide rules")
        return problems

    def _action(self, raw: Any, path: Path, index: int) -> None:
        line = getattr(raw, "line", None)
        try:
            action = Action.model_validate(raw)
        except ValidationError as exc:
            what = f"action '{_name(raw, index)}'"
            self._spec_problems(exc, raw, Action.model_fields, what, path)
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                self.unreadable_actions.add(raw["id"])
            return
        if action.id in self.ruleset.actions:
            self.problem(path, line, f"action '{action.id}' is defined twice")
            return
        self.ruleset.actions[action.id] = action

    def _question(self, raw: Any, path: Path, index: int) -> None:
        line = getattr(raw, "line", None)
        try:
            question = QuestionSpec.model_validate(raw)
        except ValidationError as exc:
            what = f"question '{_name(raw, index)}'"
            self._spec_problems(exc, raw, QuestionSpec.model_fields, what, path)
            return
        problems = _question_problems(question)
        if any(q.id == question.id for q in self.ruleset.questions):
            problems.append("defined twice")
        for text in problems:
            self.problem(path, line, f"question '{question.id}': {text}")
        if not problems:
            self.ruleset.questions.append(question)

    def _inference(self, raw: Any, path: Path, index: int) -> None:
        line = getattr(raw, "line", None)
        what = f"inference '{_name(raw, index)}'"
        try:
            spec = InferenceSpec.model_validate(raw)
        except ValidationError as exc:
            self._spec_problems(exc, raw, InferenceSpec.model_fields, what, path)
            return
        found: list[Problem] = []
        condition = condition_problems(raw["when"], "when", found, line)
        for at, text in found:
            self.problem(path, at, f"{what}: {text}")
        if condition is None:
            return
        if condition.facts() & FINDING_FACTS:
            self.problem(path, line, f"{what}: findings are not known when inferences run")
        elif any(i.id == spec.id for i in self.ruleset.inferences):
            self.problem(path, line, f"inference '{spec.id}' is defined twice")
        else:
            self.ruleset.inferences.append(Inference(spec, condition, path, line))

    def check_asks(self) -> None:
        """Every question a rule asks exists."""
        known = {q.id for q in self.ruleset.questions}
        for rule in self.ruleset.rules:
            for asked in rule.spec.asks:
                if asked not in known:
                    self.problem(rule.source, rule.line, f"rule '{rule.id}': asks unknown "
                                 f"question '{asked}'")  # fmt: skip

    def check_links(self) -> None:
        """Every action a rule names exists (unless it is one that could not be read)."""
        if self.unreadable_file:
            return  # its actions are unknown, so no rule can be said to name a missing one
        known = ", ".join(sorted(self.ruleset.actions)) or "none"
        for rule in self.ruleset.rules:
            named: list[tuple[str, Sequence[str | int]]] = [(rule.spec.action, ["action"])]
            named += [(action, ["then", i]) for i, action in enumerate(rule.spec.then)]
            for action, key in named:
                if action not in self.ruleset.actions and action not in self.unreadable_actions:
                    self.problem(
                        rule.source,
                        line_of(self.lines.get(rule.id), key) or rule.line,
                        f"rule '{rule.id}': unknown action '{action}' (known: {known})",
                    )


def _value_problem(fact_name: str, value: object) -> str | None:
    """Why `value` is not one `fact_name` takes, or None."""
    fact = FACTS.get(fact_name)
    if fact is None:
        return f"unknown fact '{fact_name}'"
    if fact.type is ValueType.YES_NO:
        return None if isinstance(value, bool) else f"'{fact_name}' is true or false"
    if fact.type is ValueType.TIME:
        return f"'{fact_name}' is a time: it cannot be assumed or chosen"
    if fact.values and str(value).casefold() not in {v.casefold() for v in fact.values}:
        return f"'{fact_name}' is never {value!r} ({', '.join(fact.values)})"
    return None


def _question_problems(question: QuestionSpec) -> list[str]:
    problems = [f"settles unknown fact '{fact}'" for fact in question.settles if fact not in FACTS]
    fact = FACTS.get(question.sets)
    if fact is None or question.sets not in SETTABLE:
        return [f"an answer cannot set '{question.sets}'", *problems]
    if question.type not in ANSWER_TYPES[fact.type]:
        fits = " or ".join(sorted(ANSWER_TYPES[fact.type]))
        problems.append(f"'{fact.name}' is answered with {fits}, not {question.type}")
    if question.options and question.choices:
        problems.append("give `choices` or `options`, not both")
    values = question.option_values()
    if question.type == "choice" and not values:
        problems.append("a choice needs its choices")
    if len(set(values)) != len(values):
        problems.append("two answers have the same value")
    for option in question.options:
        for name, value in option.sets.items():
            if name not in SETTABLE:
                problems.append(f"answer '{option.value}': an answer cannot set '{name}'")
            elif (problem := _value_problem(name, value)) is not None:
                problems.append(f"answer '{option.value}': {problem}")
    plain = [o.value for o in question.options if not o.sets] or question.choices
    if question.type == "choice" and fact.values:
        for choice in plain:
            if choice.casefold() not in {v.casefold() for v in fact.values}:
                problems.append(f"'{fact.name}' is never {choice!r} ({', '.join(fact.values)})")
    for name, value in {**question.assume, **question.assume_in_focus}.items():
        if (problem := _value_problem(name, value)) is not None:
            problems.append(f"assumes: {problem}")
    if (question.assume or question.assume_in_focus) and not question.assumption:
        problems.append("say what it assumes, in plain words (`assumption`)")
    if question.assume_in_focus and question.per != "item":
        problems.append("`assume_in_focus` is for a question about one item (per: item)")
    answers = {v.casefold() for v in values} | (
        {"yes", "no"} if question.type == "yes_no" else set()
    )
    for key in (*question.readings, *(question.odds if question.type != "datetime" else ())):
        if key.casefold() not in answers:
            problems.append(f"'{key}' is not one of its answers")
    if any(weight < 0 for weight in question.odds.values()):
        problems.append("odds are not negative")
    return problems


def rules_file_schema() -> dict[str, Any]:
    """The JSON Schema of a rules file: `rules`, `actions` and `questions`."""
    from pydantic.json_schema import models_json_schema

    _, defs = models_json_schema(
        [
            (RuleSpec, "validation"),
            (Action, "validation"),
            (QuestionSpec, "validation"),
            (InferenceSpec, "validation"),
        ],
        ref_template="#/$defs/{model}",
    )
    operators = ", ".join(OPERATORS)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "troubleshooter rules file",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "rules": {"type": "array", "items": {"$ref": "#/$defs/RuleSpec"}},
            "actions": {"type": "array", "items": {"$ref": "#/$defs/Action"}},
            "questions": {"type": "array", "items": {"$ref": "#/$defs/QuestionSpec"}},
            "inferences": {"type": "array", "items": {"$ref": "#/$defs/InferenceSpec"}},
        },
        "$defs": defs["$defs"],
        "description": (
            "A condition (`when`) is {all: [...]}, {any: [...]}, {not: {...}} or "
            f"{{fact: NAME, OPERATOR: VALUE}} with OPERATOR one of {operators}; "
            f"facts: {', '.join(sorted(FACTS))}."
        ),
    }
