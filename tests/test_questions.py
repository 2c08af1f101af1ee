"""Questions where the tool cannot see, answers and pasted lists that settle them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping

import pytest
from conftest import FAST, scenario

from troubleshooter.diagnosis.diagnose import Library
from troubleshooter.diagnosis.paste import match_pasted, parse_line, parse_pasted, read_pasted
from troubleshooter.errors import ConfigError
from troubleshooter.model import Diagnosis, Item, ItemKind, Mark, Provenance, Stage
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import sandbox_connections
from troubleshooter.sandbox.scenario import Scenario
from troubleshooter.sandbox.timeline import Timeline


def run_with(
    s: Scenario,
    library: Library,
    answers: Mapping[str, str] | None = None,
    focus: str | None = None,
) -> Diagnosis:
    connections = sandbox_connections(Sandbox(s), settings=FAST)
    return asyncio.run(diagnose(connections, library, answers=answers, focus=focus))


@pytest.mark.parametrize(
    ("line", "kind", "code", "name", "parent"),
    [
        ("420 - Entertainment", ItemKind.ACCOUNT, "420", "Entertainment", None),
        ("Entertainment (420)", ItemKind.ACCOUNT, "420", "Entertainment", None),
        ("420 Entertainment", ItemKind.ACCOUNT, "420", "Entertainment", None),
        (
            "420\tEntertainment\tOverheads\t15% GST on Expenses",
            ItemKind.ACCOUNT,
            "420",
            "Entertainment",
            None,
        ),
        (
            "  • 090: Business Cheque Account",
            ItemKind.BANK_ACCOUNT,
            "090",
            "Business Cheque Account",
            None,
        ),
        ("Region / Auckland", ItemKind.TRACKING_OPTION, None, "Auckland", "Region"),
        ("Kaimai Oat Milk Co", ItemKind.SUPPLIER, None, "Kaimai Oat Milk Co", None),
        ("3M New Zealand Ltd", ItemKind.SUPPLIER, None, "3M New Zealand Ltd", None),
    ],
)
def test_pasted_lines_are_read_tolerantly(
    line: str, kind: ItemKind, code: str | None, name: str, parent: str | None
) -> None:
    parsed = parse_line(line, kind)
    assert parsed is not None
    assert (parsed.code, parsed.name, parsed.parent) == (code, name, parent)


def test_headers_and_blank_lines_are_skipped() -> None:
    text = "Code\tName\n\n200\tSales\n  \n- 400 - Advertising\n"
    assert [(p.code, p.name) for p in parse_pasted(text, ItemKind.ACCOUNT)] == [
        ("200", "Sales"),
        ("400", "Advertising"),
    ]


def test_matching_by_code_name_and_fuzzily_with_confidence() -> None:
    xero = [
        Item(kind=ItemKind.ACCOUNT, xero_id="A", code="420", name="Client Entertainment"),
        Item(kind=ItemKind.ACCOUNT, xero_id="B", code="400", name="Advertising & Marketing"),
        Item(kind=ItemKind.ACCOUNT, xero_id="C", code="404", name="Bank Fees"),
    ]
    pasted = parse_pasted(
        "420 - Entertainment\nAdvertising and Marketing\nBank Fess\nGhost Account", ItemKind.ACCOUNT
    )
    held = match_pasted(pasted, xero, ItemKind.ACCOUNT)
    by_name = {h.name: h for h in held}
    assert by_name["Entertainment"].xero_id == "A"  # the code decides: a real rename
    assert by_name["Advertising & Marketing"].xero_id == "B"
    assert 0.82 <= (by_name["Advertising & Marketing"].confidence or 0) < 1
    assert by_name["Bank Fees"].xero_id == "C"  # a typo is not a rename
    assert by_name["Ghost Account"].xero_id is None  # only that stage has it
    assert all(h.provenance is Provenance.PASTED for h in held)


NO_ACCESS = """
xero:
  accounts:
    - {code: '200', name: Sales}
    - {code: '429', name: Staff Wellbeing, created: -40m}
    - {code: '420', name: Client Entertainment, updated: -5h, before: {name: Entertainment}}
  bank_accounts:
    - {code: '090', name: Business Cheque}
    - {name: Wise Wallet}
  tracking_categories:
    - name: Region
      options: [{name: North}, {name: Pop-up, created: -6h}]
  contacts:
    - {name: Beans Ltd, is_supplier: true}
    - {name: Oat Milk Co, is_supplier: true, created: -7h}
    - {name: A Customer, is_supplier: false}
  tax_rates:
    - {name: 15% GST on Expenses, tax_type: INPUT2, rate: 15}
approvalmax: {last_sync: {accounts: -1h, tracking_categories: -1h30m, contacts: -2h, tax_rates: -1h}, access: ACCESS}
dext: {last_pull: -10h, access: ACCESS}
"""


def _pasted(items: list[Item], kind: ItemKind) -> str:
    lines = []
    for item in items:
        if item.kind is not kind:
            continue
        if item.kind is ItemKind.TRACKING_OPTION:
            lines.append(f"{item.parent_name} / {item.name}")
        elif item.code and item.kind is not ItemKind.TAX_RATE:
            lines.append(f"{item.code} - {item.name}")
        else:
            lines.append(item.name)
    return "\n".join(lines)


def test_without_access_the_tool_asks_instead_of_guessing(library: Library) -> None:
    blind = run_with(scenario(NO_ACCESS.replace("ACCESS", "none")), library)
    # Xero alone proves one thing (the bank account has no code); nothing downstream is guessed.
    assert {f.rule for f in blind.findings} == {"bank-account-without-code"}
    assert all(i.stages[Stage.DEXT] is Mark.UNKNOWN for i in blind.items)
    ids = {q.id for q in blind.questions}
    assert {
        "approvalmax.xero_connection",
        "approvalmax.last_sync.accounts",
        "approvalmax.list.account",
        "dext.connection",
        "dext.last_pull",
        "dext.list.tracking_option",
    } <= ids
    # One question settles both where Dext takes its lists from and which organisation.
    assert "dext.integration" not in ids and "dext.linked" not in ids
    question = next(q for q in blind.questions if q.id == "dext.connection")
    assert question.choices == ["this", "other", "xero", "none"]
    assert question.options[0].says == "ApprovalMax for Xero, for Test Org Ltd"
    assert "Business settings" in question.where


def test_answering_the_questions_gives_the_same_diagnosis_as_full_access(library: Library) -> None:
    full_scenario = scenario(NO_ACCESS.replace("ACCESS", "adapter"))
    full = run_with(full_scenario, library)
    timeline = Timeline(full_scenario)
    am, dext = timeline.approvalmax_items(), timeline.dext_items()
    blind_scenario = scenario(NO_ACCESS.replace("ACCESS", "none"))
    blind = run_with(blind_scenario, library)
    answers = {
        "approvalmax.xero_connection": "connected",
        "dext.connection": "ApprovalMax for Xero",
        "dext.last_pull": full_scenario.dext_last_pull.isoformat(),
    }
    for sync_type in ("accounts", "tracking_categories", "contacts", "tax_rates"):
        when = full_scenario.approvalmax.sync_time(sync_type, full_scenario.clock)
        answers[f"approvalmax.last_sync.{sync_type}"] = when.isoformat()
    for kind in ItemKind:
        answers[f"approvalmax.list.{kind.value}"] = _pasted(am, kind)
        answers[f"dext.list.{kind.value}"] = _pasted(dext, kind)
    assert {q.id for q in blind.questions} <= set(answers)
    answered = run_with(blind_scenario, library, answers)

    def shape(d: Diagnosis) -> tuple[set[tuple[str, str, str | None]], list[str]]:
        return {(f.rule, f.action, f.key) for f in d.findings}, [s.action for s in d.plan]

    assert full.findings and shape(answered) == shape(full)
    assert answered.questions == []
    wellbeing = next(i for i in answered.items if i.name == "Staff Wellbeing")
    assert (
        wellbeing.stages == full.items[[i.name for i in full.items].index("Staff Wellbeing")].stages
    )
    am_status = next(s for s in answered.systems if s.stage is Stage.APPROVALMAX)
    assert am_status.answered["approvalmax.list.account"] is Provenance.PASTED
    assert am_status.answered["approvalmax.xero_connection"] is Provenance.ANSWER


def test_a_focused_run_asks_about_the_item_itself(library: Library) -> None:
    blind = run_with(scenario(NO_ACCESS.replace("ACCESS", "none")), library, focus="429")
    ids = [q.id for q in blind.questions]
    # Ids people type: the item's code, never an internal key; the best question first.
    assert ids[0] == "approvalmax.has.429" and "dext.has.429" in ids
    assert not any(".list." in i for i in ids)
    key = "429"
    answers = {
        f"approvalmax.has.{key}": "no",
        f"dext.has.{key}": "no",
        "approvalmax.last_sync.accounts": "-1h",
        "approvalmax.xero_connection": "connected",
        "dext.integration": "approvalmax",
        "dext.last_pull": "-10h",
        "dext.linked": "yes",
    }
    answered = run_with(
        scenario(NO_ACCESS.replace("ACCESS", "none")), library, answers, focus="429"
    )
    assert [s.action for s in answered.plan] == ["sync_approvalmax", "reconnect_dext", "wait"]
    assert answered.items[0].detail.get(Stage.APPROVALMAX) is None


@pytest.mark.parametrize(
    ("answers", "problem"),
    [
        (
            {"approvalmax.xero_connection": "maybe"},
            "Answer one of: Connected \\(no RECONNECT button\\); Disconnected",
        ),
        ({"approvalmax.has.429": "perhaps"}, "Answer yes or no."),
        ({"dext.last_pull": "yesterday"}, "Write a time such as 13:00"),
        ({"dext.last_pull": "tomorrow 09:00"}, "Write a time such as 13:00"),
        ({"dext.last_pull": "+1d"}, "That is in the future"),
        ({"approvalmax.last_sync.invoices": "-1h"}, "no such question"),
        ({"nonsense": "1"}, "no such question"),
    ],
)
def test_bad_answers_are_refused_with_the_reason(
    library: Library, answers: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        run_with(scenario(NO_ACCESS.replace("ACCESS", "none")), library, answers)


def test_focus_explains_what_a_whole_organisation_run_only_counts(library: Library) -> None:
    text = """
    xero:
      accounts: [{code: '330', name: Old Stock, status: ARCHIVED}, {code: '200', name: Sales}]
      contacts: [{name: A Customer, is_supplier: false}]
    """
    whole = run_with(scenario(text), library)
    assert whole.findings == []
    assert {q.rule: q.count for q in whole.summary.quiet} == {
        "archived-in-xero": 1,
        "contact-not-a-supplier": 1,
    }
    focused = run_with(scenario(text), library, focus="old stock")
    assert [f.rule for f in focused.findings] == ["archived-in-xero"]
    assert [s.action for s in focused.plan] == [
        "restore_in_xero",
        "sync_approvalmax",
        "reconnect_dext",
    ]
    assert [i.name for i in focused.items] == ["Old Stock"] and focused.focus == "old stock"
    with pytest.raises(ConfigError, match="did you mean 'Old Stock'"):
        run_with(scenario(text), library, focus="old stok")


# -- the ids people type for an item -----------------------------------------------------------

NAMESAKES = """
xero:
  accounts:
    - {code: '400', name: Advertising}
    - {code: '429', name: Staff Wellbeing, created: -40m}
  bank_accounts:
    - {name: Wise, created: -2d}
    - {name: Café Māori}
    - {name: Cafe Maori}
  contacts:
    - {name: Wise, is_supplier: true, created: -3h}
  tracking_categories:
    - name: Region
      options: [{name: Wise}]
approvalmax: {last_sync: -1h, access: none}
dext: {last_pull: -11h, access: none}
"""


def item_ids(d: Diagnosis) -> list[str]:
    return sorted(q.id for q in d.questions if q.key is not None)


def test_items_with_one_name_get_ids_with_their_kind_in_front(library: Library) -> None:
    """A supplier, a bank account and a tracking option all named Wise: their ids say which is
    which, in words, never with an internal key."""
    asked = run_with(scenario(NAMESAKES), library, focus="wise")
    ids = item_ids(asked)
    assert ids == [
        "approvalmax.has.bank-account-wise",
        "approvalmax.has.region-wise",
        "approvalmax.has.supplier-wise",
        "dext.has.bank-account-wise",
        "dext.has.region-wise",
        "dext.has.supplier-wise",
    ]
    answered = run_with(
        scenario(NAMESAKES),
        library,
        {"approvalmax.has.supplier-wise": "no", "dext.has.bank-account-wise": "yes"},
        focus="wise",
    )
    supplier = next(t for t in answered.items if t.kind is ItemKind.SUPPLIER)
    assert supplier.stages[Stage.APPROVALMAX] is Mark.MISSING
    bank = next(t for t in answered.items if t.kind is ItemKind.BANK_ACCOUNT)
    assert bank.stages[Stage.DEXT] is Mark.PRESENT


def test_a_name_two_items_share_is_refused_naming_the_ids_that_tell_them_apart(
    library: Library,
) -> None:
    with pytest.raises(ConfigError) as refused:
        run_with(scenario(NAMESAKES), library, {"approvalmax.has.wise": "no"}, focus="wise")
    assert "'wise' names several items (" in str(refused.value)
    for handle in ("supplier-wise", "bank-account-wise"):
        assert handle in str(refused.value)


def test_names_with_accents_get_ids_without_them(library: Library) -> None:
    """Café Māori is `cafe-maori`, not `caf-m-ori`; with Cafe Maori beside it, each gets four
    letters of its own, still no internal key; `--item maori` finds both."""
    alone = NAMESAKES.replace("    - {name: Cafe Maori}\n", "")
    asked = run_with(scenario(alone), library, focus="maori")
    assert [t.name for t in asked.items] == ["Café Māori"]
    assert item_ids(asked) == ["approvalmax.has.cafe-maori", "dext.has.cafe-maori"]
    both = run_with(scenario(NAMESAKES), library, focus="maori")
    assert sorted(t.name for t in both.items) == ["Cafe Maori", "Café Māori"]
    ids = item_ids(both)
    assert len(ids) == 4 and all(":" not in i for i in ids)
    assert all(re.fullmatch(r"(approvalmax|dext)\.has\.bank-account-cafe-maori-[0-9a-f]{4}", i)
               for i in ids)  # fmt: skip
    answered = run_with(scenario(NAMESAKES), library, {ids[0]: "no"}, focus="maori")
    assert sum(t.stages[Stage.APPROVALMAX] is Mark.MISSING for t in answered.items) == 1


def test_simple_names_keep_their_ids(library: Library) -> None:
    """Ids already in use (docs, kept answers) do not change: the code, else the name."""
    asked = run_with(scenario(NO_ACCESS.replace("ACCESS", "none")), library, focus="oat milk")
    assert item_ids(asked) == ["approvalmax.has.oat-milk-co", "dext.has.oat-milk-co"]
    asked = run_with(scenario(NO_ACCESS.replace("ACCESS", "none")), library, focus="pop-up")
    assert item_ids(asked) == ["approvalmax.has.region-pop-up", "dext.has.region-pop-up"]


@pytest.mark.parametrize(
    "qid", ["approvalmax.has.staff-wellbeing", "approvalmax.has.Staff Wellbeing",
            "approvalmax.has.account-429", "approvalmax.has.429"],
)  # fmt: skip
def test_an_item_answers_to_its_name_as_well_as_its_code(qid: str, library: Library) -> None:
    """The guided check writes `staff-wellbeing`; the question shows `429`: both name it."""
    answered = run_with(scenario(NAMESAKES), library, {qid: "no"}, focus="wellbeing")
    [item] = answered.items
    assert item.stages[Stage.APPROVALMAX] is Mark.MISSING


def test_a_mistyped_item_gets_the_nearest_ids(library: Library) -> None:
    with pytest.raises(ConfigError, match=r"no item is called 'staff-welbeing'; did you mean "
                       r"staff-wellbeing"):  # fmt: skip
        run_with(
            scenario(NAMESAKES), library, {"approvalmax.has.staff-welbeing": "no"}, focus="429"
        )


@pytest.mark.parametrize(
    ("qid", "meant"),
    [
        ("dext.conection", "did you mean dext.connection?"),
        ("approvalmax.xero_conection", "did you mean approvalmax.xero_connection?"),
        ("approvalmax.last_sync.acounts", "did you mean approvalmax.last_sync.accounts"),
        ("approvalmax.hs.429", "did you mean approvalmax.has.429?"),
        ("nonsense", "the diagnosis lists the open ones"),
    ],
)
def test_a_mistyped_question_id_gets_the_nearest(qid: str, meant: str, library: Library) -> None:
    with pytest.raises(ConfigError) as refused:
        run_with(scenario(NAMESAKES), library, {qid: "Xero"}, focus="429")
    assert f"{qid}: no such question ({meant}" in str(refused.value)


# -- pasted lists as people copy them ------------------------------------------------------------

PASTE_XERO = [
    Item(kind=ItemKind.ACCOUNT, xero_id="A", code="400", name="Advertising"),
    Item(kind=ItemKind.ACCOUNT, xero_id="B", code="429", name="Staff Wellbeing"),
    Item(kind=ItemKind.ACCOUNT, xero_id="C", code="445", name="Light, Power, Heating"),
    Item(kind=ItemKind.SUPPLIER, xero_id="S", name="Smith, John"),
    Item(kind=ItemKind.SUPPLIER, xero_id="W", name="Wise"),
]


@pytest.mark.parametrize(
    ("text", "kind", "ids"),
    [
        ('"400","Advertising"\n"429","Staff Wellbeing"', ItemKind.ACCOUNT, ["A", "B"]),
        ('"Code","Name"\n"400","Advertising"', ItemKind.ACCOUNT, ["A"]),
        ('"445","Light, Power, Heating","Overheads"', ItemKind.ACCOUNT, ["C"]),
        ("400,Advertising\n429,Staff Wellbeing", ItemKind.ACCOUNT, ["A", "B"]),
        ("400, 429", ItemKind.ACCOUNT, ["A", "B"]),
        ("400,429,445", ItemKind.ACCOUNT, ["A", "B", "C"]),
        ("Advertising, Staff Wellbeing", ItemKind.ACCOUNT, ["A", "B"]),
        ("Light, Power, Heating", ItemKind.ACCOUNT, ["C"]),  # one name with commas in it
        ('"Wise","wise@example.com"\n"Smith, John","john@example.com"', ItemKind.SUPPLIER,
         ["W", "S"]),
        ("Smith, John", ItemKind.SUPPLIER, ["S"]),
    ],
)  # fmt: skip
def test_a_list_pasted_as_csv_or_on_one_line_is_read_as_its_items(
    text: str, kind: ItemKind, ids: list[str]
) -> None:
    pasted = read_pasted(text, kind, PASTE_XERO)
    assert [i.xero_id for i in pasted.items] == ids
    assert pasted.unmatched == 0
    assert all(i.name == x.name for i in pasted.items for x in PASTE_XERO if x.xero_id == i.xero_id)


def test_lines_that_match_nothing_are_counted() -> None:
    pasted = read_pasted("400 Advertising\nGhost\n999 Phantom", ItemKind.ACCOUNT, PASTE_XERO)
    assert (pasted.lines, pasted.unmatched) == (3, 2)
    assert [i.name for i in pasted.items] == ["Advertising", "Ghost", "Phantom"]


CSV_BLIND = """
xero:
  accounts:
    - {code: '400', name: Advertising}
    - {code: '429', name: Staff Wellbeing}
    - {code: '200', name: Sales}
approvalmax: {last_sync: -1h, access: none}
dext: {last_pull: -11h, access: none}
"""


@pytest.mark.parametrize("text", ['"400","Advertising"\n"429","Staff Wellbeing"', "400, 429"])
def test_a_csv_list_marks_the_items_it_names_present(text: str, library: Library) -> None:
    answered = run_with(scenario(CSV_BLIND), library, {"dext.list.account": text})
    marks = {t.code: t.stages[Stage.DEXT] for t in answered.items}
    assert marks == {"400": Mark.PRESENT, "429": Mark.PRESENT, "200": Mark.MISSING}


def test_a_pasted_list_that_matches_nothing_in_xero_is_refused_saying_so(
    library: Library,
) -> None:
    """Not silently taken as "Dext lacks every account": it is another list."""
    with pytest.raises(ConfigError) as refused:
        run_with(scenario(CSV_BLIND), library, {"dext.list.account": "Rent\nPayroll\nTravel"})
    assert str(refused.value) == (
        "answers: dext.list.account: None of the 3 pasted lines matches any of Xero's 3 "
        "accounts; paste the list of Categories (accounts in Xero) that Dext shows for this "
        "organisation."
    )
    with pytest.raises(ConfigError, match="The pasted line matches none of Xero's 3 accounts"):
        run_with(scenario(CSV_BLIND), library, {"approvalmax.list.account": "Rent"})
    partly = run_with(scenario(CSV_BLIND), library, {"dext.list.account": "400\nRent"})
    assert {t.name: t.stages[Stage.DEXT] for t in partly.items}["Rent"] is Mark.PRESENT
