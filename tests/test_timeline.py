"""What the sandbox derives each stage to hold, from a scenario's timeline."""

from __future__ import annotations

from conftest import scenario

from troubleshooter.model import ItemKind
from troubleshooter.sandbox.timeline import Timeline

BASE = """
xero:
  accounts:
    - {code: '200', name: Sales, type: REVENUE}
    - {code: '429', name: Staff Wellbeing, created: -1h}
    - {code: '420', name: Client Entertainment, updated: -5h, before: {name: Entertainment}}
    - {code: '330', name: Old Stock, status: ARCHIVED}
  bank_accounts:
    - {code: '090', name: Cheque}
    - {name: Wallet}
  tracking_categories:
    - name: Region
      options: [{name: North}, {name: Pop-up, created: -5h}]
    - name: Events
      status: ARCHIVED
      options: [{name: Fair}]
  contacts:
    - {name: Beans Ltd, is_supplier: true}
    - {name: A Customer, is_supplier: false}
approvalmax: {last_sync: -2h}
dext: {last_pull: -10h}
"""


def names(items, kind=None):  # type: ignore[no-untyped-def]
    return {i.name for i in items if kind is None or i.kind is kind}


def test_approvalmax_holds_what_xero_had_at_its_last_sync() -> None:
    held = Timeline(scenario(BASE)).approvalmax_items()
    accounts = names(held, ItemKind.ACCOUNT)
    assert "Sales" in accounts
    assert "Staff Wellbeing" not in accounts  # created after the sync
    assert "Client Entertainment" in accounts  # renamed before the sync
    assert "Old Stock" not in accounts  # archived: never travels
    assert names(held, ItemKind.TRACKING_OPTION) == {"North", "Pop-up"}
    assert names(held, ItemKind.TRACKING_CATEGORY) == {"Region"}
    assert names(held, ItemKind.SUPPLIER) == {"Beans Ltd"}  # suppliers only
    assert names(held, ItemKind.BANK_ACCOUNT) == {"Cheque", "Wallet"}


def test_dext_holds_what_approvalmax_had_at_its_last_pull() -> None:
    held = Timeline(scenario(BASE)).dext_items()
    assert "Entertainment" in names(held, ItemKind.ACCOUNT)  # the name before the rename
    assert "Client Entertainment" not in names(held)
    assert names(held, ItemKind.TRACKING_OPTION) == {"North"}  # Pop-up came after the pull
    assert names(held, ItemKind.BANK_ACCOUNT) == {"Cheque"}  # no code: no payment method


def test_arrival_times_follow_the_schedules() -> None:
    timeline = Timeline(scenario(BASE))
    popup = next(i for i in timeline.approvalmax_items() if i.name == "Pop-up")
    assert popup.synced_at is not None
    assert popup.synced_at.isoformat() == "2026-11-25T06:00:00+00:00"  # the 2-hourly tick after
    sales = next(i for i in timeline.approvalmax_items() if i.name == "Sales")
    assert sales.synced_at is None  # always been there


def test_direct_and_missing_integrations() -> None:
    direct_text = BASE.replace(
        "dext: {last_pull: -10h}", "dext: {last_pull: -30m, integration: xero_direct}"
    )
    direct = Timeline(scenario(direct_text))
    assert "Staff Wellbeing" in names(direct.dext_items())  # Dext read Xero itself, after it
    none = Timeline(scenario(BASE.replace("dext: {last_pull: -10h}", "dext: {integration: none}")))
    assert none.dext_items() == []
    elsewhere = Timeline(
        scenario(BASE.replace("dext: {last_pull: -10h}", "dext: {linked_organisation: Other Co}"))
    )
    assert elsewhere.dext_items() == []


def test_hidden_values_and_overrides() -> None:
    text = BASE.replace(
        "dext: {last_pull: -10h}",
        """dext:
  last_pull: -10h
  hidden: [{kind: tracking_option, name: north, category: Region}]
overrides:
  - {stage: approvalmax, kind: account, code: '200', present: false}
  - {stage: approvalmax, kind: account, code: '429', present: true}
  - {stage: dext, kind: supplier, name: Beans Ltd, rename: Beans Limited}
  - {stage: dext, kind: account, code: '999', name: Ghost, present: true}""",
    )
    timeline = Timeline(scenario(text))
    am = names(timeline.approvalmax_items(), ItemKind.ACCOUNT)
    assert "Sales" not in am and "Staff Wellbeing" in am
    dext = timeline.dext_items()
    assert "Beans Limited" in names(dext, ItemKind.SUPPLIER)
    assert "Ghost" in names(dext, ItemKind.ACCOUNT)
    north = next(i for i in dext if i.name == "North")
    assert north.visible is False
