"""Renderings of a Diagnosis: text, Markdown, HTML and JSON.

Every export passes through the one redaction function on the way out: the JSON is dumped once
and redacted as data; text, Markdown and HTML are drawn from a `ReportView` whose every string
was redacted and made visible as it went in (view.py). The diagnosis itself is never copied.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaSerializer

from troubleshooter.errors import ConfigError
from troubleshooter.infra.files import write_file
from troubleshooter.infra.jsonfile import read_json, time_problem, validate
from troubleshooter.infra.redact import Redactor
from troubleshooter.infra.safetext import json_visible_bytes
from troubleshooter.model import SCHEMA_VERSION, Diagnosis, redacted_by_shown
from troubleshooter.report.jinja import environment
from troubleshooter.report.markdown import md
from troubleshooter.report.practice import export_practice
from troubleshooter.report.text import WIDTH, render_text, text_lines
from troubleshooter.report.view import ReportView, build_view, shower

FORMATS = ("text", "md", "html", "json")
SUFFIXES = {"text": ".txt", "md": ".md", "html": ".html", "json": ".json"}


def export_json(
    diagnosis: Diagnosis, *, secrets: Iterable[str] = (), contact_details: bool = False
) -> str:
    """The diagnosis as JSON, serialised once by pydantic's serialiser and redacted on the way
    out (model.py: every string that can hold data passes the redactor; contact details go
    unless kept; bank account numbers are masked), with every control and bidi character
    written as an escape (`\\u001b`, `\\u202e`). No copy of the diagnosis is made: on a big
    organisation that copy cost more than the export."""
    return export_json_bytes(diagnosis, secrets=secrets, contact_details=contact_details).decode()


def export_json_bytes(
    diagnosis: Diagnosis, *, secrets: Iterable[str] = (), contact_details: bool = False
) -> bytes:
    """`export_json` as UTF-8 bytes, straight from the serialiser: a 50 MB result is made
    once, not again as text and again as bytes to be written.

    The same bytes as the model's own serialiser with a redactor (`_export_json_bytes_plain`),
    made faster: the strings of every `shown` field are gathered first and checked in one
    search (`Redactor.changes`), and the diagnosis is serialised by a twin of the model's
    serialiser without those fields' Python calls (a call per string was two thirds of the
    time). Where a string does change, the objects that hold it (and those above them) are
    shallow copies with the redacted string in its place; the rest is the diagnosis itself."""
    lean = _lean_serializer()
    if lean is None:
        return _export_json_bytes_plain(diagnosis, secrets=secrets, contact_details=contact_details)
    plan, serializer = lean
    redactor = Redactor(secrets=secrets, contact_details=contact_details)
    shown = plan.prepare(diagnosis)
    texts: list[str] = []
    plan.gather(shown, texts)
    changed = redactor.changes(texts)
    if changed:
        shown = plan.replace(shown, changed)
    data = serializer.to_json(shown, indent=2, context={"redactor": redactor})
    return json_visible_bytes(data) + b"\n"  # C1 and bidi as \uXXXX, as C0 already is


def _export_json_bytes_plain(
    diagnosis: Diagnosis, *, secrets: Iterable[str] = (), contact_details: bool = False
) -> bytes:
    """What `export_json_bytes` must equal, byte for byte: the model's serialiser, whose field
    serialisers pass every string that can hold data through the redactor, one call each."""
    redactor = Redactor(secrets=secrets, contact_details=contact_details)
    serializer = Diagnosis.__pydantic_serializer__
    data = serializer.to_json(diagnosis, indent=2, context={"redactor": redactor})
    return json_visible_bytes(data) + b"\n"


class _Plan:
    """Where the `shown` strings are in one model class's objects, and which fields hold more
    models (`nested`: each with how to reach them)."""

    def __init__(self) -> None:
        self.shown: tuple[str, ...] = ()
        self.nested: tuple[tuple[str, _Reach], ...] = ()
        # The diagnosis's own field serialisers (`Diagnosis.items` as a list): the lean
        # serialiser writes what they return, so `prepare` calls them first. (name, function,
        # whether it is called for None.)
        self.through: tuple[tuple[str, Any, bool], ...] = ()

    def prepare(self, model: Any) -> Any:
        """The model, or a shallow copy holding what its field serialisers return."""
        values = model.__dict__
        update: dict[str, Any] = {}
        for name, function, for_none in self.through:
            value = values[name]
            if value is not None or for_none:
                new = function(model, value)
                if new is not value:
                    update[name] = new
        return _twin(model, values, update) if update else model

    def gather(self, model: Any, out: list[str]) -> None:
        values = model.__dict__
        for name in self.shown:
            value = values[name]
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, list):
                out.extend(v for v in value if isinstance(v, str))
            elif isinstance(value, dict):
                out.extend(v for v in value.values() if isinstance(v, str))
        for name, reach in self.nested:
            value = values[name]
            if value is not None:
                reach.gather(value, out)

    def replace(self, model: Any, changed: dict[str, str]) -> Any:
        """The model, or a shallow copy with its changed strings (and models) in their place."""
        values = model.__dict__
        update: dict[str, Any] = {}
        for name in self.shown:
            value = values[name]
            if value is None:
                continue
            if isinstance(value, str):
                if value in changed:
                    update[name] = changed[value]
            elif isinstance(value, list):
                if any(isinstance(v, str) and v in changed for v in value):
                    update[name] = [changed.get(v, v) if isinstance(v, str) else v for v in value]
            elif isinstance(value, dict) and any(
                isinstance(v, str) and v in changed for v in value.values()
            ):
                update[name] = {
                    k: changed.get(v, v) if isinstance(v, str) else v for k, v in value.items()
                }
        for name, reach in self.nested:
            value = values[name]
            if value is not None:
                new = reach.replace(value, changed)
                if new is not value:
                    update[name] = new
        return _twin(model, values, update) if update else model


def _twin(model: Any, values: dict[str, Any], update: dict[str, Any]) -> Any:
    """A shallow copy of a model with some of its values replaced (not validated again: the
    values are the model's own, redacted or as its serialiser gives them)."""
    twin = model.__class__.__new__(model.__class__)
    object.__setattr__(twin, "__dict__", {**values, **update})
    for slot in ("__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
        object.__setattr__(twin, slot, getattr(model, slot))
    return twin


class _Reach:
    """How a field's value holds models: itself (`plan`), or in a list or a dict's values."""

    def __init__(self, container: str, inner: _Plan | _Reach) -> None:
        self.container = container  # "model", "list" or "dict"
        self.inner = inner
        # A list or dict of models (the traces, their details): one call a model, not two.
        self.models: _Plan | None = None
        if isinstance(inner, _Reach) and inner.container == "model":
            assert isinstance(inner.inner, _Plan)
            self.models = inner.inner

    def gather(self, value: Any, out: list[str]) -> None:
        inner = self.inner
        if self.container == "model":
            if isinstance(value, BaseModel):
                inner.gather(value, out)
            return
        values = value.values() if self.container == "dict" else value
        models = self.models
        if models is not None:
            gather = models.gather
            for one in values:
                if isinstance(one, BaseModel):
                    gather(one, out)
            return
        for one in values:
            if one is not None:
                inner.gather(one, out)

    def replace(self, value: Any, changed: dict[str, str]) -> Any:
        inner = self.inner
        if self.container == "model":
            return inner.replace(value, changed) if isinstance(value, BaseModel) else value
        if self.container == "dict":
            pairs = [(k, v if v is None else inner.replace(v, changed)) for k, v in value.items()]
            if all(new is value[k] for k, new in pairs):
                return value
            return dict(pairs)
        items = [v if v is None else inner.replace(v, changed) for v in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else type(value)(items)


def _holds_model(node: Any) -> bool:
    """Whether a core schema holds a model (or a reference to a definition) anywhere under it."""
    if isinstance(node, dict):
        if node.get("type") in ("model", "definition-ref", "definitions"):
            return True
        return any(_holds_model(value) for value in node.values())
    if isinstance(node, list | tuple):
        return any(_holds_model(value) for value in node)
    return False


class _Compiler:
    """Walks a (copied) core schema and says where the strings of the `shown` fields of every
    model it can follow are; `finish` then takes those fields' serialisers out. (Nothing is
    taken out before the whole schema is read: pydantic shares one schema between the places a
    model appears, and a serialiser taken out at the first would not be seen at the second.)
    A schema it does not know (a union, a serialiser of its own) that holds a model makes it
    give up (`unknown`): that model's schema may be shared with a place it did read, whose
    `shown` serialisers it would take out, so the export keeps the model's own serialiser
    (`_export_json_bytes_plain`) rather than risk a string going out unredacted."""

    def __init__(self) -> None:
        self.definitions: dict[str, Any] = {}
        self.plans: dict[int, _Plan] = {}
        self.shown_schemas: list[dict[str, Any]] = []
        self.models: list[dict[str, Any]] = []
        self.enums: list[tuple[dict[str, Any], str]] = []  # where a string enum's schema is
        self.through: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (field, what it returns)
        self.root: _Plan | None = None  # the outermost model's
        self.unknown = False  # a model somewhere it cannot follow: the plain export is used

    def reach(self, node: Any) -> _Reach | None:
        kind = node.get("type")
        if kind in ("nullable", "default"):
            return self.reach(node["schema"])
        if kind == "definitions":
            for definition in node["definitions"]:
                self.definitions[definition["ref"]] = definition
            return self.reach(node["schema"])
        if kind == "definition-ref":
            target = self.definitions.get(node["schema_ref"])
            if target is None:
                self.unknown = True
                return None
            return self.reach(target)
        if kind in ("list", "set", "frozenset") and "items_schema" in node:
            inner = self.reach(node["items_schema"])
            return None if inner is None else _Reach("list", inner)
        if kind == "dict" and "values_schema" in node:
            inner = self.reach(node["values_schema"])
            return None if inner is None else _Reach("dict", inner)
        if kind == "model":
            return self.model(node)
        self.unknown = self.unknown or _holds_model(node)
        return None

    def model(self, node: Any) -> _Reach | None:
        inner = node["schema"]
        fields = inner.get("fields") if inner.get("type") == "model-fields" else None
        if fields is None or "serialization" in node or node.get("root_model"):
            self.unknown = True
            return None
        plan = self.plans.get(id(node))
        if plan is None:
            plan = self.plans[id(node)] = _Plan()
            self.root = self.root or plan
            shown: list[str] = []
            nested: list[tuple[str, _Reach]] = []
            for name, field in fields.items():
                schema = field["schema"]
                serialization = schema.get("serialization")
                if isinstance(serialization, dict) and redacted_by_shown(
                    serialization.get("function")
                ):
                    self.shown_schemas.append(schema)
                    shown.append(name)
                elif serialization is not None:
                    # A serialiser of its own: nothing under it is touched, unless it is the
                    # diagnosis's and plain (its result is then made by `prepare`, and written
                    # by what the serialiser says it returns).
                    function = self.through_function(serialization, root=plan is self.root)
                    returned = serialization.get("return_schema")
                    reach = None if function is None else self.reach(returned)
                    if reach is None:
                        self.unknown = self.unknown or _holds_model(schema)
                    else:
                        when = serialization.get("when_used", "always")
                        plan.through += ((name, function, when in ("always", "json")),)
                        self.through.append((field, returned))
                        nested.append((name, reach))
                    continue
                self.find_enums(field, "schema")
                reach = self.reach(schema)
                if reach is not None:
                    nested.append((name, reach))
            plan.shown = tuple(shown)
            plan.nested = tuple(nested)
            self.models.append(node)
        return _Reach("model", plan)

    @staticmethod
    def through_function(serialization: dict[str, Any], *, root: bool) -> Any:
        """A plain field serialiser of the outermost model, called with the model and the
        value only (no `info`), that says what it returns: the function, else None."""
        if (
            root
            and serialization.get("type") == "function-plain"
            and serialization.get("is_field_serializer")
            and not serialization.get("info_arg")
            and isinstance(serialization.get("return_schema"), dict)
            and serialization.get("when_used", "always")
            in ("always", "json", "unless-none", "json-unless-none")
        ):
            return serialization["function"]
        return None

    def find_enums(self, parent: dict[str, Any], key: str) -> None:
        """The string enums in a field's schema, outside unions: an enum member whose text is
        its value is written by the serialiser for strings as the one for enums writes it,
        without a call to the enum's `value` (583,000 of them on the large organisation)."""
        node = parent[key]
        kind = node.get("type")
        if "serialization" in node:
            return
        if kind == "enum":
            members = node.get("members", ())
            if node.get("sub_type") == "str" and all(str.__str__(m) == m.value for m in members):
                self.enums.append((parent, key))
        elif kind in ("nullable", "default"):
            self.find_enums(node, "schema")
        elif kind in ("list", "set", "frozenset") and "items_schema" in node:
            self.find_enums(node, "items_schema")
        elif kind == "dict":
            for part in ("keys_schema", "values_schema"):
                if part in node:
                    self.find_enums(node, part)

    def finish(self) -> None:
        for field, returned in self.through:
            field["schema"] = returned
        for parent, key in self.enums:
            if parent[key].get("type") == "enum":
                parent[key] = {"type": "str"}
        for schema in self.shown_schemas:
            schema.pop("serialization", None)
        for node in self.models:
            # pydantic-core would take the class's own, finished serialiser (with the `shown`
            # calls) for a model schema naming it; a stand-in class of the same name makes it
            # build this one. Outside a union the serialiser checks nothing of the class.
            cls = node["cls"]
            if isinstance(cls, type) and issubclass(cls, BaseModel):
                node["cls"] = type(cls.__name__, (), {"__module__": cls.__module__})


_lean: tuple[_Plan, SchemaSerializer] | None = None
_lean_made = False
_lean_lock = threading.Lock()


def _lean_serializer() -> tuple[_Plan, SchemaSerializer] | None:
    """Diagnosis's serialiser without the `shown` calls, and where those fields are; made once.
    None where the schema holds a model the compiler cannot follow (`_Compiler.unknown`): the
    export is then the plain one, slower and as safe (tests/test_export_lean.py fails, to say
    so)."""
    global _lean, _lean_made
    with _lean_lock:
        if not _lean_made:
            schema = copy.deepcopy(Diagnosis.__pydantic_core_schema__)
            compiler = _Compiler()
            reach = compiler.reach(schema)
            if reach is None or not isinstance(reach.inner, _Plan):
                raise RuntimeError("the diagnosis's schema is not a model's")
            if not compiler.unknown:
                compiler.finish()
                _lean = (reach.inner, SchemaSerializer(schema))
            _lean_made = True
        return _lean


def render_view(view: ReportView, fmt: str, width: int = WIDTH) -> str:
    if fmt == "text":
        return render_text(view, width)
    if fmt in ("md", "html"):
        return environment().get_template(f"report.{fmt}.j2").render(view=view)
    raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


def export(
    diagnosis: Diagnosis,
    fmt: str,
    *,
    secrets: Iterable[str] = (),
    contact_details: bool = False,
    all_items: bool = False,
    width: int = WIDTH,
) -> str:
    """The report in a format, redacted: what every file, ticket, bundle and terminal gets.
    Markdown lists the items with findings and counts the rest (`all_items` lists every item);
    HTML lists up to 500 healthy items per kind under a fold."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    if fmt == "json":
        return export_json(diagnosis, secrets=secrets, contact_details=contact_details)
    shown = shower(secrets=secrets, contact_details=contact_details)
    healthy_rows = 0 if fmt in ("md", "text") else 500
    view = build_view(diagnosis, shown=shown, all_items=all_items, healthy_rows=healthy_rows)
    return render_view(view, fmt, width)


def write_report(text: str, path: Path) -> Path:
    """Writes a report whole (never half-written), making the folder if needed."""
    return write_file(path, text).path


def default_report_name(diagnosis: Diagnosis, fmt: str) -> str:
    """troubleshooter-<organisation>-<date>.<suffix>, safe on every file system."""
    slug = re.sub(r"[^a-z0-9]+", "-", diagnosis.organisation.name.casefold()).strip("-")[:40]
    day = diagnosis.generated_at.strftime("%Y-%m-%d")
    return f"troubleshooter-{slug or 'report'}-{day}{SUFFIXES[fmt]}"


def load_diagnosis(path: Path) -> Diagnosis:
    """A diagnosis saved with `--format json`, checked against the model; a time without a
    zone, or outside the years 1970 to 2999, is refused here (a ConfigError naming the file and
    the field), not when rendered."""
    data = read_json(path)
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: not a diagnosis of schema version {SCHEMA_VERSION} "
            "(made by `troubleshooter diagnose --format json`)"
        )
    diagnosis = validate(Diagnosis, data, path)
    problem = time_problem(diagnosis)
    if problem is not None:
        raise ConfigError(f"{path}: {problem}")
    return diagnosis


def report_json_schema() -> dict[str, Any]:
    schema = Diagnosis.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "troubleshooter diagnosis"
    return schema


__all__ = [
    "FORMATS",
    "build_view",
    "default_report_name",
    "export",
    "export_json",
    "export_json_bytes",
    "export_practice",
    "load_diagnosis",
    "md",
    "render_view",
    "report_json_schema",
    "text_lines",
    "write_report",
]
