"""Scenarios made to size: a large organisation and a whole practice, for benchmarks and for
trying the tool at scale (`troubleshooter sandbox generate`). Deterministic for a seed."""

from __future__ import annotations

import random
from typing import Any

CLOCK = "2026-11-25T10:00:00Z"


def large_organisation(
    name: str = "Large Client Holdings Ltd",
    *,
    accounts: int = 2000,
    categories: int = 2,
    options: int = 100,
    contacts: int = 50_000,
    suppliers: int = 20_000,
    tax_rates: int = 100,
    bank_accounts: int = 20,
    seed: int = 1,
) -> dict[str, Any]:
    """One organisation of the given size, with a handful of recent changes that have not
    travelled yet (so the diagnosis has something to say)."""
    rng = random.Random(seed)

    def recent() -> dict[str, str]:
        # About 1 in 400 items changed in the last hours: some after ApprovalMax's sync.
        return {"created": f"-{rng.randint(10, 300)}m"} if rng.random() < 0.0025 else {}

    supplier_every = contacts / max(suppliers, 1)
    return {
        "description": f"Generated: {accounts} accounts, {contacts} contacts",
        "clock": CLOCK,
        "organisation": {"name": name},
        "xero": {
            "accounts": [
                {"code": str(10000 + n), "name": f"Account {n:05d}", **recent()}
                for n in range(accounts)
            ],
            "bank_accounts": [
                {"code": str(900 + n), "name": f"Bank account {n:02d}", **recent()}
                for n in range(bank_accounts)
            ],
            "tracking_categories": [
                {
                    "name": f"Category {c + 1}",
                    "options": [
                        {"name": f"Option {c + 1}.{o:03d}", **recent()} for o in range(options)
                    ],
                }
                for c in range(categories)
            ],
            "contacts": [
                {
                    "name": f"Contact {n:05d} Ltd",
                    "is_supplier": int(n % supplier_every) == 0,
                    **recent(),
                }
                for n in range(contacts)
            ],
            "tax_rates": [
                {"name": f"Tax rate {n:03d}", "tax_type": f"TAX{n:03d}", "rate": 15}
                for n in range(tax_rates)
            ],
        },
        "approvalmax": {"last_sync": "-1h"},
        "dext": {"last_pull": "-6h"},
    }


def practice(count: int = 200, *, seed: int = 1) -> list[dict[str, Any]]:
    """A practice's organisations: small and varied, a few with trouble of their own."""
    rng = random.Random(seed)
    organisations = []
    for number in range(count):
        scenario = large_organisation(
            f"Client {number + 1:03d} Ltd",
            accounts=rng.randint(30, 80),
            options=rng.randint(3, 12),
            contacts=rng.randint(40, 200),
            suppliers=rng.randint(20, 40),
            tax_rates=6,
            bank_accounts=rng.randint(1, 4),
            seed=seed * 1000 + number,
        )
        trouble = rng.random()
        if trouble < 0.05:
            scenario["approvalmax"]["xero_connection"] = "expired"
        elif trouble < 0.10:
            scenario["dext"]["integration"] = "xero_direct"
        organisations.append(scenario)
    return organisations
