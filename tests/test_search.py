"""The one item search, as --item, the TUI's find and the table filter use it."""

from __future__ import annotations

from troubleshooter.diagnosis.search import closest_names, matcher, search_items
from troubleshooter.model import ItemKind, ItemTrace, Mark, Stage, StageDetail


def trace(name: str, code: str | None = None, parent: str | None = None, **names: str) -> ItemTrace:
    kind = ItemKind.TRACKING_OPTION if parent else ItemKind.ACCOUNT
    detail = {Stage.XERO: StageDetail(name=name, code=code)}
    detail |= {Stage(stage): StageDetail(name=other) for stage, other in names.items()}
    return ItemTrace(
        kind=kind,
        key=f"{kind.value}:{code or name}",
        code=code,
        name=name,
        parent=parent,
        stages=dict.fromkeys((Stage.XERO, Stage.APPROVALMAX, Stage.DEXT), Mark.PRESENT),
        detail=detail,
    )


ITEMS = [
    trace("Wellbeing Fund", "401"),
    trace("Staff Wellbeing", "429"),
    trace("Client Entertainment", "420", dext="Entertainment"),
    trace("Auckland", parent="Region"),
    trace("Entertainment Wellbeing", "4290"),
]


def names(found: list[ItemTrace]) -> list[str]:
    return [t.name for t in found]


def test_best_match_first() -> None:
    assert names(search_items(ITEMS, "staff wellbeing")) == ["Staff Wellbeing"]
    # A whole name, then names that start with it, then a word, then anything containing it.
    assert names(search_items(ITEMS, "wellbeing")) == [
        "Wellbeing Fund",
        "Staff Wellbeing",
        "Entertainment Wellbeing",
    ]


def test_a_code_names_its_item_exactly() -> None:
    assert names(search_items(ITEMS, "429")) == ["Staff Wellbeing"]
    assert names(search_items(ITEMS, " 420 ")) == ["Client Entertainment"]


def test_any_stage_name_and_the_category_count() -> None:
    assert "Client Entertainment" in names(search_items(ITEMS, "entertainment"))
    assert names(search_items(ITEMS, "Region / Auck")) == ["Auckland"]
    assert names(search_items(ITEMS, "region")) == ["Auckland"]


def test_the_filter_agrees_with_the_search() -> None:
    for text in ("wellbeing", "429", "region", "nothing like it", ""):
        keep = matcher(text)
        expected = {t.key for t in search_items(ITEMS, text)} if text else {t.key for t in ITEMS}
        assert {t.key for t in ITEMS if keep(t)} == expected


def test_nothing_found_offers_the_nearest_names_as_spelt() -> None:
    assert search_items(ITEMS, "welbeing stff") == []
    assert closest_names(ITEMS, "Staff Welbeing")[0] == "Staff Wellbeing"
    assert closest_names(ITEMS, "zzzz") == []


NEARBY = [
    trace(name)
    for name in (
        "Staff Wellbeing", "GST", "Cleaning", "Wellington", "Sparkle Commercial Cleaning Ltd",
        "Kaimai Oat Milk Co", "Printing & Stationery", "Rent", "Entertainment", "Wise NZD Wallet",
        "Region", "No GST",
    )
] + [trace("Auckland", parent="Region"), trace("Tauranga Pop-up", parent="Region")]  # fmt: skip


def test_close_typos_are_offered_and_unrelated_names_are_not() -> None:
    # A reviewer saw "GST" and "Cleaning" offered for "Staf Welbeing": short names that share
    # a few letters are not what was meant.
    assert closest_names(NEARBY, "Staf Welbeing") == ["Staff Wellbeing"]
    assert closest_names(NEARBY, "staff welbeeing") == ["Staff Wellbeing"]
    for typed, meant in (
        ("welbeing", "Staff Wellbeing"),  # a typo in one word of the name
        ("Sparkel cleaning", "Sparkle Commercial Cleaning Ltd"),  # words apart in the name
        ("Aukland", "Auckland"),
        ("Kaimia", "Kaimai Oat Milk Co"),
        ("Tauranaga", "Tauranga Pop-up"),
        ("stationary", "Printing & Stationery"),
        ("Entertanment", "Entertainment"),
        ("Wise walet", "Wise NZD Wallet"),
    ):
        offered = closest_names(NEARBY, typed)
        assert offered and offered[0] == meant, (typed, offered)
        assert not {"GST", "No GST", "Rent", "Region"} & set(offered), (typed, offered)
    for unrelated in ("xyz", "payroll tax", "Invoice"):
        assert closest_names(NEARBY, unrelated) == [], unrelated


ACCENTED = [trace("Café Māori"), trace("Maori Wardens"), trace("Øresund Trading"), trace("Cafe")]


def test_accents_aside() -> None:
    """`--item maori` finds "Café Māori", and "Māori" finds "Maori Wardens": a keyboard without
    accents finds what has them, and the other way round."""
    assert names(search_items(ACCENTED, "maori")) == ["Maori Wardens", "Café Māori"]
    assert names(search_items(ACCENTED, "Māori")) == ["Maori Wardens", "Café Māori"]
    assert names(search_items(ACCENTED, "cafe maori")) == ["Café Māori"]
    assert names(search_items(ACCENTED, "oresund")) == ["Øresund Trading"]
    for text in ("maori", "café", "ORESUND"):
        keep = matcher(text)
        assert [t.name for t in ACCENTED if keep(t)] == sorted(
            names(search_items(ACCENTED, text)), key=[t.name for t in ACCENTED].index
        )
    assert closest_names(ACCENTED, "Cafe Mauri") == ["Café Māori"]
