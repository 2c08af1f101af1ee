"""The sandbox speaks Xero's wire format, ApprovalMax's public API and the adapter contract."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from conftest import scenario

from troubleshooter.infra.resources import adapter_contract
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.scenario import Scenario
from troubleshooter.sandbox.where import WhereError, compile_where

MS_DATE = re.compile(r"^/Date\(\d+(\+0000)?\)/$")


@pytest.fixture
async def client(demo: Scenario) -> AsyncIterator[httpx.AsyncClient]:
    sandbox = Sandbox(demo)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox), base_url="http://sandbox"
    ) as c:
        c.sandbox = sandbox  # type: ignore[attr-defined]
        c.headers.update({"Authorization": "Bearer t", "xero-tenant-id": demo.tenant_id})
        yield c


async def test_accounts_in_xero_wire_format(client: httpx.AsyncClient) -> None:
    response = await client.get("/xero/api.xro/2.0/Accounts")
    assert response.status_code == 200
    body = response.json()
    assert body["Status"] == "OK" and MS_DATE.match(body["DateTimeUTC"])
    sales = next(a for a in body["Accounts"] if a.get("Code") == "200")
    assert sales["Type"] == "REVENUE" and sales["Class"] == "REVENUE"
    assert MS_DATE.match(sales["UpdatedDateUTC"])
    bank = next(a for a in body["Accounts"] if a["Type"] == "BANK" and "Code" in a)
    assert bank["BankAccountType"] in {"BANK", "CREDITCARD"}
    for header in ("X-MinLimit-Remaining", "X-DayLimit-Remaining", "X-AppMinLimit-Remaining"):
        assert response.headers[header].isdigit()
    assert int(response.headers["X-MinLimit-Remaining"]) == 59


async def test_where_and_order_on_accounts(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/xero/api.xro/2.0/Accounts",
        params={"where": 'Status=="ACTIVE" AND Type=="BANK"', "order": "Name DESC"},
    )
    rows = response.json()["Accounts"]
    assert rows and all(r["Type"] == "BANK" and r["Status"] == "ACTIVE" for r in rows)
    assert [r["Name"] for r in rows] == sorted(
        (r["Name"] for r in rows), key=str.casefold, reverse=True
    )
    bad = await client.get("/xero/api.xro/2.0/Accounts", params={"where": "Status=="})
    assert bad.status_code == 400 and bad.json()["Type"] == "QueryParseException"


async def test_tenant_header_and_token_are_required(client: httpx.AsyncClient) -> None:
    no_tenant = await client.get("/xero/api.xro/2.0/Accounts", headers={"xero-tenant-id": "x"})
    assert no_tenant.status_code == 403
    assert no_tenant.json()["Detail"] == "AuthenticationUnsuccessful"
    no_token = await client.get("/xero/api.xro/2.0/Accounts", headers={"Authorization": ""})
    assert no_token.status_code == 401


async def test_connections_list_the_tenant(client: httpx.AsyncClient, demo: Scenario) -> None:
    response = await client.get("/xero/connections", headers={"xero-tenant-id": ""})
    [connection] = response.json()
    assert connection["tenantId"] == demo.tenant_id
    assert connection["tenantType"] == "ORGANISATION"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$", connection["createdDateUtc"])
    assert "X-MinLimit-Remaining" not in response.headers  # tenantless: app limit only
    assert "X-AppMinLimit-Remaining" in response.headers


async def test_tracking_categories_hide_archived_unless_asked(client: httpx.AsyncClient) -> None:
    plain = (await client.get("/xero/api.xro/2.0/TrackingCategories")).json()
    assert {c["Status"] for c in plain["TrackingCategories"]} == {"ACTIVE"}
    both = await client.get(
        "/xero/api.xro/2.0/TrackingCategories", params={"includeArchived": "true"}
    )
    statuses = {c["Name"]: c["Status"] for c in both.json()["TrackingCategories"]}
    assert "ARCHIVED" in statuses.values()
    option = both.json()["TrackingCategories"][0]["Options"][0]
    assert {"TrackingOptionID", "Name", "Status", "IsArchived", "IsDeleted"} <= set(option)


async def test_contacts_paging_filters_and_summary(
    client: httpx.AsyncClient, demo: Scenario
) -> None:
    suppliers = [c for c in demo.xero.contacts if c.is_supplier and c.status == "ACTIVE"]
    first = await client.get(
        "/xero/api.xro/2.0/Contacts",
        params={"page": 1, "pageSize": 4, "where": "IsSupplier==true", "summaryOnly": "true"},
    )
    body = first.json()
    assert body["pagination"] == {
        "page": 1,
        "pageSize": 4,
        "pageCount": -(-len(suppliers) // 4),
        "itemCount": len(suppliers),
    }
    assert len(body["Contacts"]) == 4
    assert all(c["IsSupplier"] is True for c in body["Contacts"])
    assert "Addresses" not in body["Contacts"][0]  # summaryOnly is lighter
    full = (await client.get("/xero/api.xro/2.0/Contacts", params={"page": 1})).json()
    assert "Addresses" in full["Contacts"][0]
    archived = [c.name for c in demo.xero.contacts if c.status == "ARCHIVED"]
    assert archived and not {c["Name"] for c in full["Contacts"]} & set(archived)
    with_archived = await client.get(
        "/xero/api.xro/2.0/Contacts",
        params={"includeArchived": "true", "where": 'ContactStatus=="ARCHIVED"'},
    )
    assert {c["Name"] for c in with_archived.json()["Contacts"]} == set(archived)
    bad_page = await client.get("/xero/api.xro/2.0/Contacts", params={"page": "zero"})
    assert bad_page.status_code == 400


async def test_tax_rates_and_organisation(client: httpx.AsyncClient, demo: Scenario) -> None:
    rates = (await client.get("/xero/api.xro/2.0/TaxRates")).json()["TaxRates"]
    assert {r["TaxType"] for r in rates} == {r.tax_type for r in demo.xero.tax_rates}
    [org] = (await client.get("/xero/api.xro/2.0/Organisation")).json()["Organisations"]
    assert org["Name"] == demo.organisation.name and org["OrganisationStatus"] == "ACTIVE"
    missing = await client.get("/xero/api.xro/2.0/Invoices")
    assert missing.status_code == 404


async def test_approvalmax_public_api(client: httpx.AsyncClient, demo: Scenario) -> None:
    assert (await client.get("/approvalmax/ping")).status_code == 200
    [company] = (await client.get("/approvalmax/api/v1/companies")).json()
    assert company == {"companyId": demo.company_id, "name": demo.organisation.name}


def _contract() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(adapter_contract().read_text(encoding="utf-8"))
    return spec


def _validate(body: Any, schema_name: str) -> None:
    spec = _contract()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("system", ["approvalmax", "dext"])
async def test_adapter_answers_match_the_published_contract(
    client: httpx.AsyncClient, system: str
) -> None:
    state = await client.get(f"/adapter/{system}/v1/state")
    _validate(state.json(), "State")
    assert state.json()["system"] == system
    for kind in (
        "account",
        "tracking_option",
        "supplier",
        "tax_rate",
        "bank_account",
        "tracking_category",
    ):
        page = await client.get(f"/adapter/{system}/v1/items/{kind}", params={"page_size": 3})
        _validate(page.json(), "ItemPage")
        assert len(page.json()["items"]) <= 3
    bad = await client.get(f"/adapter/{system}/v1/items/invoice")
    assert bad.status_code == 400
    _validate(bad.json(), "Error")
    anonymous = await client.get(f"/adapter/{system}/v1/state", headers={"Authorization": ""})
    assert anonymous.status_code == 401


def test_the_contract_is_valid_openapi_31() -> None:
    spec = _contract()
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {"/v1/state", "/v1/items/{kind}"}
    assert all(set(ops) == {"get"} for ops in spec["paths"].values())  # read-only by contract
    for schema in spec["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


async def test_faults_429_with_retry_after_then_recovery() -> None:
    s = scenario(
        """
        faults:
          - {system: xero, path: /api.xro/2.0/Accounts, status: 429, retry_after: 7, times: 1}
        """
    )
    sandbox = Sandbox(s)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox), base_url="http://s"
    ) as c:
        headers = {"Authorization": "Bearer t", "xero-tenant-id": s.tenant_id}
        refused = await c.get("/xero/api.xro/2.0/Accounts", headers=headers)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "7"
        assert refused.headers["X-Rate-Limit-Problem"] == "minute"
        again = await c.get("/xero/api.xro/2.0/Accounts", headers=headers)
        assert again.status_code == 200
        other = await c.get("/xero/api.xro/2.0/TaxRates", headers=headers)
        assert other.status_code == 200  # the fault is for its path only


async def test_enforced_minute_limit_answers_429() -> None:
    s = scenario("xero: {rate_limits: {per_minute: 2, enforce: true}}")
    sandbox = Sandbox(s)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox), base_url="http://s"
    ) as c:
        headers = {"Authorization": "Bearer t", "xero-tenant-id": s.tenant_id}
        statuses = [(await c.get("/xero/api.xro/2.0/TaxRates", headers=headers)) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[1].headers["X-MinLimit-Remaining"] == "0"
    assert statuses[2].headers["X-Rate-Limit-Problem"] == "minute"
    assert int(statuses[2].headers["Retry-After"]) >= 1


async def test_every_request_is_recorded_and_writes_are_refused(client: httpx.AsyncClient) -> None:
    await client.get("/xero/api.xro/2.0/Accounts")
    refused = await client.post("/xero/api.xro/2.0/Accounts", json={})
    assert refused.status_code == 405
    log = client.sandbox.log  # type: ignore[attr-defined]
    assert [(r.system, r.method, r.status) for r in log.requests] == [
        ("xero", "GET", 200),
        ("xero", "POST", 405),
    ]


@pytest.mark.parametrize(
    ("where", "row", "expected"),
    [
        ('Status=="ACTIVE"', {"Status": "ACTIVE"}, True),
        ('Status=="active"', {"Status": "ACTIVE"}, True),
        ("IsSupplier==true", {"IsSupplier": False}, False),
        ('Type=="BANK" OR Type=="REVENUE"', {"Type": "REVENUE"}, True),
        (
            '(Type=="BANK" || Code=="200") && Status!="ARCHIVED"',
            {"Code": "200", "Status": "ACTIVE"},
            True,
        ),
        ('Name.Contains("coffee")', {"Name": "Green Coffee Co"}, True),
        ('Name.StartsWith("Green")', {"Name": "Blue"}, False),
        ('ContactID==Guid("abc")', {"ContactID": "ABC"}, True),
        ("Rate==15", {"Rate": 15}, True),
    ],
)
def test_where_filter(where: str, row: dict[str, Any], expected: bool) -> None:
    assert compile_where(where)(row) is expected


@pytest.mark.parametrize(
    "bad", ['Status=="A" AND', "Status > 3", 'Name.Delete("x")', '"unterminated']
)
def test_where_filter_refuses_what_it_does_not_understand(bad: str) -> None:
    with pytest.raises(WhereError):
        compile_where(bad)


async def test_contacts_page_size_up_to_a_thousand_and_capped_above() -> None:
    contacts = "\n".join(f"    - {{name: C{n:04d}}}" for n in range(2500))
    s = scenario("xero:\n  contacts:\n" + contacts + "\n")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=Sandbox(s)), base_url="http://s"
    ) as c:
        headers = {"Authorization": "Bearer t", "xero-tenant-id": s.tenant_id}
        url = "/xero/api.xro/2.0/Contacts"
        exact = (await c.get(url, params={"page": 2, "pageSize": 1000}, headers=headers)).json()
        assert exact["pagination"] == {
            "page": 2,
            "pageSize": 1000,
            "pageCount": 3,
            "itemCount": 2500,
        }
        assert len(exact["Contacts"]) == 1000
        assert exact["Contacts"][0]["Name"] == "C1000"
        above = (await c.get(url, params={"page": 1, "pageSize": 5000}, headers=headers)).json()
        assert above["pagination"]["pageSize"] == 1000 and len(above["Contacts"]) == 1000
        default = (await c.get(url, params={"page": 3}, headers=headers)).json()
        assert default["pagination"]["pageSize"] == 100 and default["pagination"]["pageCount"] == 25
        zero = await c.get(url, params={"page": 1, "pageSize": 0}, headers=headers)
        assert zero.status_code == 400 and zero.json()["Type"] == "ValidationException"


async def test_contacts_search_term_and_ids(client: httpx.AsyncClient, demo: Scenario) -> None:
    url = "/xero/api.xro/2.0/Contacts"
    found = (await client.get(url, params={"searchTerm": "OAT MILK"})).json()["Contacts"]
    assert [c["Name"] for c in found] == ["Kaimai Oat Milk Co"]
    ids = ",".join(c["ContactID"] for c in found)
    by_id = (await client.get(url, params={"IDs": ids, "page": 1})).json()
    assert [c["Name"] for c in by_id["Contacts"]] == ["Kaimai Oat Milk Co"]


@pytest.mark.parametrize(
    ("misbehaviour", "check"),
    [
        ("no_pagination", lambda body: "pagination" not in body and body["Contacts"]),
        ("huge_page_count", lambda body: body["pagination"]["pageCount"] == 300_000),
        ("endless_pages", lambda body: "pagination" not in body and len(body["Contacts"]) == 4),
    ],
)
async def test_xero_misbehaviours_break_the_format_as_asked(misbehaviour, check) -> None:  # type: ignore[no-untyped-def]
    s = scenario(
        f"""
        xero: {{contacts: [{{name: A Ltd}}, {{name: B Ltd}}]}}
        faults: [{{system: xero, path: /api.xro/2.0/Contacts, misbehave: {misbehaviour}}}]
        """
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=Sandbox(s)), base_url="http://s"
    ) as c:
        headers = {"Authorization": "Bearer t", "xero-tenant-id": s.tenant_id}
        response = await c.get(
            "/xero/api.xro/2.0/Contacts", params={"page": 1, "pageSize": 4}, headers=headers
        )
    assert response.status_code == 200 and check(response.json())


async def test_adapter_misbehaviours_break_the_contract_as_asked() -> None:
    s = scenario(
        """
        xero: {contacts: [{name: A Ltd, is_supplier: true, created: -3h}]}
        faults:
          - {system: dext_adapter, path: /v1/items/supplier, misbehave: duplicate_rows, times: 1}
          - {system: dext_adapter, path: /v1/items/supplier, misbehave: wrong_kind, times: 1}
          - {system: dext_adapter, path: /v1/items/supplier, misbehave: naive_timestamps}
          - {system: dext_adapter, path: /v1/state, misbehave: naive_timestamps}
        dext: {last_pull: -1h}
        """
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=Sandbox(s)), base_url="http://s"
    ) as c:
        headers = {"Authorization": "Bearer t"}
        url = "/adapter/dext/v1/items/supplier"
        doubled = (await c.get(url, headers=headers)).json()
        assert len(doubled["items"]) == 2 and doubled["items"][0] == doubled["items"][1]
        assert (await c.get(url, headers=headers)).json()["kind"] == "account"
        [row] = (await c.get(url, headers=headers)).json()["items"]
        assert row["synced_at"] and "+" not in row["synced_at"] and "Z" not in row["synced_at"]
        state = (await c.get("/adapter/dext/v1/state", headers=headers)).json()
        assert "+" not in state["as_of"] and "+" not in state["last_pull"]
