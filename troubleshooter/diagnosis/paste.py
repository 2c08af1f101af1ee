"""Lists pasted from Dext's or ApprovalMax's screens, read tolerantly and matched to Xero's items.

A line may be "420 - Entertainment", "Entertainment (420)", "420 Entertainment", tab-separated
columns copied from a table, a line of CSV (`"420","Entertainment"` or `420,Entertainment`, as
an export writes it), "Region / Auckland" for a tracking option, or just a name. A list may also
come on one line, comma-separated (`400, 429` or `Advertising, Staff Wellbeing`), unless the
line is the name of one item ("Light, Power, Heating"). A table's header row (`Code,Name`,
`"*Code","*Name",…`, `Account Code, Account Name`) is no item. Each line is matched to Xero's
items of the same kind: by code, then by exact name, then fuzzily, and the match keeps its
confidence. A code is exact: a line whose code is no Xero item's (`General Expenses,4290` where
Xero has 429) is an item only that stage holds, whatever its name. Codes and exact names are
looked up; only the lines left are compared fuzzily, within a budget of comparisons, and a
paste too big for a screen (over 60,000 lines, or a line over 10,000 characters) is refused. A
line that matches nothing is an item only that stage holds; a list none of whose lines matches
Xero's is not that (`PastedList.unmatched` says how many).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from troubleshooter.model import Item, ItemKind, Provenance, Status, normalise_name

FUZZY_THRESHOLD = 0.82
FUZZY_BUDGET = 20_000_000  # name comparisons for a pasted list's near misses (about 1 s)
MAX_LINES = 60_000  # a pasted list's lines: more than any organisation's list of one kind
MAX_LINE = 10_000  # characters in one pasted line (a list on one line included)
_CODE = r"[A-Za-z0-9]{0,9}\d[A-Za-z0-9]{0,9}"
_CODE_FIRST = re.compile(rf"^(?P<code>{_CODE})\s*(?:[-–—:|,;]\s*|\s+)(?P<name>.+)$")
_CODE_LAST = re.compile(rf"^(?P<name>.+?)\s*[(\[](?P<code>{_CODE})[)\]]$")
_PARENT = re.compile(r"^(?P<parent>[^/:>]+?)\s*(?:/|:|>)\s*(?P<name>.+)$")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")
_HEADER_WORDS = {"code", "name", "account", "category", "categories", "supplier", "suppliers",
                 "tax rate", "tax rates", "project", "projects", "type", "status", "visible",
                 "description", "rate", "payment method", "bank account"}  # fmt: skip
# The words of a table's header row ("*Code","*Name","*Type","*Tax Code",…, as Xero's export
# of its chart of accounts writes it; "Account Code, Account Name"; "Category"): a row of
# several cells all made of these words is a header, not an item.
_HEADER_VOCABULARY = {
    word for phrase in _HEADER_WORDS for word in phrase.split()
} | {"accounts", "tax", "code", "codes", "dashboard", "expense", "claims", "enable", "payments",
     "balance", "ytd", "contact", "contacts", "tracking", "option", "options", "number", "no",
     "id", "active", "email", "methods"}  # fmt: skip
CODED = {ItemKind.ACCOUNT, ItemKind.BANK_ACCOUNT, ItemKind.TAX_RATE}


@dataclass(frozen=True)
class PastedLine:
    name: str  # empty where only the code was pasted ("400, 429")
    code: str | None = None
    parent: str | None = None
    # Other readings of the name where unquoted commas may be part of it
    # (`445,Light, Power, Heating`: "Light" or "Light, Power, Heating"), for its code's item.
    names: tuple[str, ...] = ()
    whole: str = ""  # the line as pasted: the name it may be where its code is no item's


def _header_cell(cell: str) -> bool:
    words = re.findall(r"[^\W\d_]+", cell.casefold())
    return bool(words) and all(w in _HEADER_VOCABULARY for w in words)


def is_header(cells: list[str]) -> bool:
    """A table's header row: `Code,Name`, `"*Code","*Name",…`, `Account Code, Account Name`,
    `Category\tAccount Code`; a line of one cell only when it is one of the header words."""
    cells = [c.strip().lstrip("*").strip() for c in cells if c.strip()]
    if len(cells) == 1:
        return cells[0].casefold() in _HEADER_WORDS
    return bool(cells) and all(_header_cell(c) for c in cells)


@dataclass
class PastedList:
    """A pasted list read against Xero's items: what the stage holds, as `Item`s, and how many
    of its lines match none of Xero's."""

    items: list[Item] = field(default_factory=list)
    lines: int = 0
    unmatched: int = 0


def _is_code(text: str) -> bool:
    return re.fullmatch(_CODE, text) is not None and len(text) <= 10


def _from_columns(cells: list[str], kind: ItemKind) -> PastedLine | None:
    cells = [c.strip() for c in cells if c.strip()]
    if not cells or is_header(cells):
        return None
    code = next((c for c in cells if kind in CODED and _is_code(c)), None)
    names = [c for c in cells if c != code and not re.fullmatch(r"[\d.,%\s]+", c)]
    if not names:
        return None
    # The first text column is the name in the tables of both systems (code, name, type…).
    return PastedLine(name=names[0], code=code)


def _csv_cells(line: str) -> list[str] | None:
    """A line of CSV with quotes (`"400","Advertising"`, `"Wise";"NZ"`): its cells; None for
    any other line."""
    if '"' not in line or not re.search(r'"\s*[,;]|[,;]\s*"', line):
        return None
    delimiter = ";" if line.count(";") > line.count(",") else ","
    try:
        return next(csv.reader([line], delimiter=delimiter, skipinitialspace=True))
    except csv.Error:
        return None


def parse_line(raw: str, kind: ItemKind) -> PastedLine | None:
    line = _BULLET.sub("", raw).strip()
    if not line or is_header([line]):
        return None
    if (cells := _csv_cells(line)) is not None:
        if len(cells) > 1:
            return _from_columns(cells, kind)
        line = cells[0].strip() if cells else ""
        if not line or is_header([line]):
            return None
    if "\t" in line or re.search(r"\s{3,}", line):
        return _from_columns(re.split(r"\t|\s{3,}", line), kind)
    if kind in CODED and _is_code(line):
        return PastedLine(name="", code=line)  # a code alone: its name is Xero's
    if "," in line and is_header(line.split(",")):
        return None  # Code,Name
    if kind in CODED and "," in line and (coded := _comma_coded(line, kind)) is not None:
        return coded
    if kind in CODED:
        if (m := _CODE_LAST.match(line)) and _is_code(m["code"]):
            return PastedLine(name=m["name"].strip(), code=m["code"], whole=line)
        if (m := _CODE_FIRST.match(line)) and _is_code(m["code"]):
            return PastedLine(name=m["name"].strip(), code=m["code"], whole=line)
    if kind is ItemKind.TRACKING_OPTION and (m := _PARENT.match(line)):
        return PastedLine(name=m["name"].strip(), parent=m["parent"].strip())
    return PastedLine(name=line)


def _comma_coded(line: str, kind: ItemKind) -> PastedLine | None:
    """An unquoted line of CSV with a code first or last: `400,Advertising,Overheads`,
    `445,Light, Power, Heating` (the name may be the cells up to any of the commas: the code's
    item tells), `Advertising & Marketing,400`, `General Expenses,4290`; None for another."""
    cells = line.split(",")
    if _is_code(cells[0].strip()) and len(cells) > 2:
        columns = _from_columns(cells, kind)
        if columns is None:
            return None
        readings = tuple(",".join(cells[1:end]).strip() for end in range(3, len(cells) + 1))
        return PastedLine(name=columns.name, code=columns.code, names=readings, whole=line)
    if not _is_code(cells[0].strip()) and _is_code(cells[-1].strip()):
        name = ",".join(cells[:-1]).strip()
        if name and not re.fullmatch(r"[\d.,%\s]+", name):
            return PastedLine(name=name, code=cells[-1].strip(), whole=line)
    return None


def _codes_only(raw: str, kind: ItemKind) -> list[PastedLine] | None:
    """A line of codes only, comma-separated (`400, 429`): one line per code."""
    cells = [c.strip().strip('"') for c in _BULLET.sub("", raw).split(",")]
    if kind not in CODED or len(cells) < 2 or not all(_is_code(c) for c in cells):
        return None
    return [PastedLine(name="", code=c) for c in cells]


def parse_pasted(text: str, kind: ItemKind) -> list[PastedLine]:
    lines: list[PastedLine] = []
    for raw in text.splitlines():
        if (codes := _codes_only(raw, kind)) is not None:
            lines += codes
        elif (line := parse_line(raw, kind)) is not None:
            lines.append(line)
    return lines


def _one_line_of_names(text: str) -> list[str] | None:
    """The names of a list pasted on one line, comma-separated; None for any other text."""
    rows = [row for row in text.splitlines() if row.strip()]
    if len(rows) != 1 or "," not in rows[0] or "\t" in rows[0] or '"' in rows[0]:
        return None
    names = [cell.strip() for cell in rows[0].split(",")]
    if len(names) == 2 and sum(_is_code(n) for n in names) == 1:
        return None  # `General Expenses,4290`: one item, its name and code
    return names if all(names) else None


class PasteError(ValueError):
    """A pasted text too big to be a list from a screen; the message is one plain sentence."""


def check_paste(text: str) -> None:
    """Refuses a pasted text of more than `MAX_LINES` lines or with a line of more than
    `MAX_LINE` characters: no screen's list is so, and reading it would take minutes."""
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise PasteError(
            f"The pasted list has {len(lines):,} lines; paste at most {MAX_LINES:,}, one item a "
            "line."
        )
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE:
            raise PasteError(
                f"Line {number:,} of the pasted list is over {MAX_LINE:,} characters; paste one "
                "item a line."
            )


def read_pasted(text: str, kind: ItemKind, xero_items: list[Item]) -> PastedList:
    """A pasted list, its lines tied to Xero's items of `kind` where they match. One line of
    comma-separated names is a list of them, unless the line is one item's name. A text too
    big to be a screen's list is refused (`PasteError`)."""
    check_paste(text)
    read = _read(parse_pasted(text, kind), xero_items, kind)
    names = _one_line_of_names(text)
    if names is not None:
        split = _read(parse_pasted("\n".join(names), kind), xero_items, kind)
        if split.lines - split.unmatched > read.lines - read.unmatched:
            return split
    return read


def _read(lines: list[PastedLine], xero_items: list[Item], kind: ItemKind) -> PastedList:
    items = match_pasted(lines, xero_items, kind)
    unmatched = sum(1 for item in items if item.confidence is None)
    return PastedList(items, len(lines), unmatched)


def _with_parent(line: PastedLine, item: Item, score: float) -> float:
    if line.parent and item.parent_name:
        same_parent = normalise_name(line.parent) == normalise_name(item.parent_name)
        return score if same_parent else score * 0.8
    return score


def match_pasted(lines: list[PastedLine], xero_items: list[Item], kind: ItemKind) -> list[Item]:
    """The stage's items as pasted, each tied to a Xero item where one matches.

    Codes and exact names are looked up, not searched; only the lines they leave are compared
    fuzzily, in C (rapidfuzz), with a budget of `FUZZY_BUDGET` name comparisons: the lines past
    it are compared exactly only (the count is `fuzzy_skipped(…)`)."""
    candidates = [i for i in xero_items if i.kind is kind]
    by_code = {item.code.casefold(): i for i, item in enumerate(candidates) if item.code}
    by_name: dict[str, list[int]] = {}
    for index, item in enumerate(candidates):
        by_name.setdefault(normalise_name(item.name), []).append(index)
    free: dict[int, str] = {i: normalise_name(item.name) for i, item in enumerate(candidates)}
    fuzzy_left = FUZZY_BUDGET // max(len(candidates), 1)
    held: list[Item] = []
    for line in lines:
        at: int | None = None
        confidence = 1.0
        name = line.name
        if line.code and (at := by_code.get(line.code.casefold())) is not None:
            hit = candidates[at]  # the code decides; a different name is a real rename
            name = line.name or hit.name  # only the code pasted: the name is Xero's
            if normalise_name(hit.name) in {normalise_name(n) for n in line.names}:
                name = hit.name  # `445,Light, Power, Heating`: its commas were the name's
        elif line.code and line.name:
            # A code is exact (4290 is not 429): a line whose code is no item's is an item only
            # that stage has, unless the whole line is an item's name ("2024 Conference").
            whole = normalise_name(line.whole)
            named = by_name.get(whole, []) if whole else []
            at = named[0] if named else None
            name = candidates[at].name if at is not None else name
        else:
            wanted = normalise_name(line.name or line.code or "")  # a lone "ABC1" may be a name
            exact = [i for i in by_name.get(wanted, []) if i in free]
            if line.parent:
                parent = normalise_name(line.parent)
                exact = [
                    i for i in exact if normalise_name(candidates[i].parent_name or "") == parent
                ]
            if exact:
                at = exact[0]
            elif free and fuzzy_left > 0:
                fuzzy_left -= 1
                near = process.extract(
                    wanted, free, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD * 100, limit=5
                )
                scored = [
                    (_with_parent(line, candidates[i], score / 100), i) for _, score, i in near
                ]
                best = max(scored, key=lambda pair: pair[0], default=None)
                if best is not None and best[0] >= FUZZY_THRESHOLD:
                    confidence = round(best[0], 2)
                    at = best[1]
                    name = candidates[at].name  # a near miss is pasting noise, not a rename
        if at is None:
            held.append(
                Item(
                    kind=kind,
                    code=line.code,
                    name=line.name or line.code or "?",
                    parent_name=line.parent,
                    provenance=Provenance.PASTED,
                )
            )
            continue
        free.pop(at, None)
        held.append(
            candidates[at].model_copy(
                update={
                    "name": name,
                    "status": Status.ACTIVE,
                    "synced_at": None,
                    "provenance": Provenance.PASTED,
                    "confidence": confidence,
                }
            )
        )
    return held
