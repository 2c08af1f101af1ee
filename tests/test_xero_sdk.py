"""The official Xero Python SDK (xero-python) talks to the sandbox and understands its answers.

The sandbox is served with uvicorn on a real socket, because the SDK makes synchronous urllib3
calls. The SDK is pointed at it through the `base_url` its API classes take, and given a fixed
access token through its token getter, so no OAuth flow runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from conftest import Served, serve
from xero_python.accounting import AccountingApi
from xero_python.accounting.models import AccountType
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.exceptions import HTTPStatusException
from xero_python.identity import IdentityApi

from troubleshooter.infra.resources import demo_scenario
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.scenario import load_scenario


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with serve(Sandbox(load_scenario(demo_scenario()))) as running:
        yield running


@pytest.fixture(scope="module")
def api_client() -> ApiClient:
    token: dict[str, Any] = {
        "access_token": "sandbox",
        "token_type": "Bearer",
        "expires_in": 1800,
        "expires_at": time.time() + 3600,
        "scope": ["accounting.settings.read", "accounting.contacts.read"],
    }

    def save(new_token: dict[str, Any]) -> None:
        token.clear()
        token.update(new_token)

    configuration = Configuration(oauth2_token=OAuth2Token(client_id="x", client_secret="y"))
    return ApiClient(
        configuration,
        pool_threads=1,
        oauth2_token_saver=save,
        oauth2_token_getter=lambda: dict(token),
    )


@pytest.fixture(scope="module")
def accounting(served: Served, api_client: ApiClient) -> AccountingApi:
    return AccountingApi(api_client, base_url=served.base_url + "/xero/api.xro/2.0")


def test_accounts_deserialise_into_sdk_models(served: Served, accounting: AccountingApi) -> None:
    result = accounting.get_accounts(served.scenario.tenant_id)
    by_code = {a.code: a for a in result.accounts if a.code}

    expected_codes = {a.code for a in served.scenario.all_accounts() if a.code}
    assert set(by_code) == expected_codes

    sales = by_code["200"]
    assert sales.name == "Sales - Cafe"
    assert sales.type == AccountType.REVENUE
    assert isinstance(sales.updated_date_utc, datetime)

    bank = [a for a in result.accounts if a.type == AccountType.BANK]
    assert bank
    assert by_code["090"].bank_account_number == "12-3456-0123456-00"
    assert all(a.bank_account_number for a in bank)


def test_tracking_categories_hide_archived_unless_asked(
    served: Served, accounting: AccountingApi
) -> None:
    tenant = served.scenario.tenant_id

    active = accounting.get_tracking_categories(tenant)
    names = {c.name for c in active.tracking_categories}
    assert {"Region", "Department"} <= names
    assert "Events 2024" not in names

    everything = accounting.get_tracking_categories(tenant, include_archived=True)
    by_name = {c.name: c for c in everything.tracking_categories}
    assert "Events 2024" in by_name
    assert by_name["Events 2024"].status == "ARCHIVED"
    assert {o.name for o in by_name["Region"].options} >= {"Auckland", "Tauranga Pop-up"}


def test_contacts_page_of_suppliers(served: Served, accounting: AccountingApi) -> None:
    scenario = served.scenario
    result = accounting.get_contacts(
        scenario.tenant_id,
        where="IsSupplier==true",
        page=1,
        page_size=5,
        summary_only=True,
    )

    assert 0 < len(result.contacts) <= 5
    assert all(c.is_supplier is True for c in result.contacts)
    # summaryOnly=true leaves out the heavy fields, such as addresses and phones.
    assert all(not c.addresses and not c.phones for c in result.contacts)

    suppliers = [
        c
        for c in scenario.xero.contacts
        if c.is_supplier
        and c.status == "ACTIVE"
        and (c.created is None or c.created <= scenario.clock)
    ]
    assert result.pagination is not None
    assert result.pagination.page == 1
    assert result.pagination.page_count == math.ceil(len(suppliers) / 5)
    assert result.pagination.item_count == len(suppliers)

    requested = served.sandbox.log.requests[-1]
    assert requested.path.endswith("/Contacts")
    # The SDK writes Python's `True`; Xero (and the sandbox) read flags case-insensitively.
    assert "summaryonly=true" in requested.query.lower()
    assert "pageSize=5" in requested.query


def test_tax_rates_and_organisation(served: Served, accounting: AccountingApi) -> None:
    tenant = served.scenario.tenant_id

    rates = accounting.get_tax_rates(tenant)
    by_type = {r.tax_type: r for r in rates.tax_rates}
    assert set(by_type) == {r.tax_type for r in served.scenario.xero.tax_rates}
    assert by_type["INPUT2"].name == "15% GST on Expenses"
    assert float(by_type["INPUT2"].effective_rate) == 15

    organisations = accounting.get_organisations(tenant)
    assert len(organisations.organisations) == 1
    assert organisations.organisations[0].name == served.scenario.organisation.name


def test_identity_connections(served: Served, api_client: ApiClient) -> None:
    identity = IdentityApi(api_client, base_url=served.base_url + "/xero")
    connections = identity.get_connections()
    assert [c.tenant_id for c in connections] == [served.scenario.tenant_id]
    assert connections[0].tenant_name == served.scenario.organisation.name


def test_wrong_tenant_is_refused_and_everything_was_read_only(
    served: Served, accounting: AccountingApi
) -> None:
    with pytest.raises(HTTPStatusException) as refused:
        accounting.get_accounts("00000000-0000-0000-0000-000000000000")
    assert refused.value.status == 403
    assert served.sandbox.log.requests[-1].status == 403

    assert served.sandbox.log.requests
    assert {r.method for r in served.sandbox.log.requests} == {"GET"}


def test_contacts_at_the_largest_page_and_a_search(
    served: Served, accounting: AccountingApi
) -> None:
    scenario = served.scenario
    result = accounting.get_contacts(
        scenario.tenant_id, page=1, page_size=5000, include_archived=True, summary_only=True
    )
    assert result.pagination.page_size == 1000  # the sandbox caps at Xero's maximum
    assert result.pagination.page_count == 1
    assert len(result.contacts) == len(scenario.xero.contacts)
    found = accounting.get_contacts(scenario.tenant_id, search_term="oat milk")
    assert [c.name for c in found.contacts] == ["Kaimai Oat Milk Co"]
