"""Which Xero items are meant to travel downstream at all.

Xero's own state keeps some items from ever reaching ApprovalMax or Dext: an archived account,
a contact with no bill yet (not a supplier), an option of an archived tracking category, a bank
account without a code (Dext cannot back a payment method with it). Both the sandbox (to derive
what each stage holds) and lineage (to tell a gap from the normal) ask this one module.
"""

from __future__ import annotations

from troubleshooter.model import Item, ItemKind, Stage, Status


def blocker(item: Item, stage: Stage, parent_status: Status | None = None) -> str | None:
    """Why Xero's state keeps `item` from `stage`, or None if it should get there."""
    if stage is Stage.XERO:
        return None
    if item.status is not Status.ACTIVE:
        return f"it is {item.status.value.lower()} in Xero"
    if item.kind is ItemKind.SUPPLIER and item.is_supplier is False:
        return "the contact is not a supplier in Xero (no bill has been entered for it yet)"
    if item.kind is ItemKind.TRACKING_OPTION and parent_status not in (None, Status.ACTIVE):
        return f"its tracking category is {parent_status.value.lower()} in Xero"
    if stage is Stage.DEXT and item.kind is ItemKind.BANK_ACCOUNT and not item.code:
        return "the bank account has no account code in Xero"
    return None
