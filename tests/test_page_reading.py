"""Pages read straight from their bytes, items made once from validated values, and the
sandbox's pages rendered once: each faster way gives what the slower one gave."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from conftest import FAST, sandbox_client, scenario
from starlette.responses import JSONResponse

from troubleshooter.errors import SourceError
from troubleshooter.model import Item, ItemKind, Stage, Status
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import SandboxTransport, sandbox_connections
from troubleshooter.sandbox.pages import RenderedPages
from troubleshooter.sandbox.scenario import stable_id
from troubleshooter.sources.adapter import StageAdapterClient
from troubleshooter.sources.fetch import fetch_snapshots
from troubleshooter.sources.http import JsonClient
from troubleshooter.sources.xero import XeroClient

BOM = b"\xef\xbb\xbf"


def assert_validated_twins(items: list[Item]) -> None:
    """Each item is what validating its values makes: equal, with the same fields in the same
    order, serialised alike."""
    assert items
    for item in items:
        twin = Item.model_validate(item.model_dump())
        assert item == twin
        assert list(item.__dict__) == list(Item.model_fields)
        assert item.model_dump_json() == twin.model_dump_json()
        assert item.model_fields_set == twin.model_fields_set | set(Item.model_fields)


async def test_every_item_read_is_its_validated_twin() -> None:
    s = scenario(
        """
        xero:
          accounts: [{code: "400", name: Advertising}, {code: "401", name: New, created: -2h}]
          contacts:
            - {name: Acme, is_supplier: true, email: a@example.com}
            - {name: Old Co, is_supplier: true, status: ARCHIVED}
            - {name: Fresh Ltd, is_supplier: true, created: -3h}
        approvalmax: {last_sync: -1h}
        dext: {last_pull: -30m, hidden: [{kind: account, code: "400"}]}
        """
    )
    snapshots = await fetch_snapshots(sandbox_connections(Sandbox(s), settings=FAST))
    for stage in Stage:
        assert not snapshots[stage].error and not snapshots[stage].kind_errors
        items = [i for held in snapshots[stage].items.values() for i in held]
        assert_validated_twins(items)
    # The values the shortcuts fill in are there: times, a hidden value, an archived contact.
    dext = [i for held in snapshots[Stage.DEXT].items.values() for i in held]
    assert any(i.synced_at is not None for i in dext) and any(not i.visible for i in dext)
    contacts = snapshots[Stage.XERO].items[ItemKind.SUPPLIER]
    assert {i.status for i in contacts} == {Status.ACTIVE, Status.ARCHIVED}
    assert all(i.updated_at is not None for i in contacts)
    assert {i.email for i in contacts} == {"a@example.com", None}


def _adapter(body: bytes, headers: dict[str, str] | None = None) -> StageAdapterClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers=headers or {})

    http = JsonClient(
        "Dext adapter",
        "http://adapter.invalid",
        transport=httpx.MockTransport(answer),
        settings=FAST,
    )
    return StageAdapterClient(Stage.DEXT, http)


def _page(items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "kind": "supplier",
        "page": 1,
        "page_count": 1,
        "item_count": len(items),
        "items": items,
        **extra,
    }


ROW = {"xero_id": "c-1", "name": "Acme", "status": "ACTIVE", "synced_at": "2026-11-01T10:00:00Z"}


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (json.dumps(_page([ROW])).encode(), "Acme"),
        # What pydantic-core's parser does not take is read as Python's json module reads it:
        (BOM + json.dumps(_page([ROW])).encode(), "Acme"),  # a byte-order mark
        (json.dumps(_page([ROW])).encode("utf-16"), "Acme"),  # another Unicode encoding
        (json.dumps(_page([{**ROW, "name": "A\ud800me"}])).encode(), "A\ufffdme"),  # lone half
    ],
    ids=["plain", "byte-order mark", "utf-16", "lone surrogate"],
)
async def test_an_adapter_page_is_read_as_before(body: bytes, name: str) -> None:
    items = await _adapter(body).items(ItemKind.SUPPLIER)
    assert [i.name for i in items] == [name]
    assert items[0].synced_at == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert_validated_twins(items)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b'{"kind": "supplier", "page": 1', "not JSON"),
        (b'{"kind": "supplier", "page": ' + b"1" * 5000 + b"}", "number too long"),
        (b'{"items": ' + b"[" * 3000 + b"]" * 3000 + b"}", "nested too deeply"),
        (b'{"kind": "supplier", "page": 1, "x": "a\x01b"}', "not JSON"),  # a raw control char
        (json.dumps(_page([{**ROW, "synced_at": "2026-11-01T10:00:00"}])).encode(), "timezone"),
        (json.dumps(_page([{**ROW, "synced_at": "3000-01-01T00:00:00Z"}])).encode(), "years"),
        (json.dumps(_page([{**ROW, "status": "GONE"}])).encode(), "items.0.status"),
        (json.dumps(_page([{**ROW, "name": None}])).encode(), "items.0.name"),
        (json.dumps(_page([ROW], page=0)).encode(), "page"),
    ],
    ids=[
        "truncated",
        "huge number",
        "deep",
        "control character",
        "no zone",
        "year 3000",
        "status",
        "no name",
        "page 0",
    ],
)
async def test_a_hostile_adapter_page_is_refused_with_its_reason(body: bytes, said: str) -> None:
    with pytest.raises(SourceError) as raised:
        await _adapter(body).items(ItemKind.SUPPLIER)
    assert said in str(raised.value)


async def test_a_contact_of_the_wrong_shape_is_named_as_when_read_alone() -> None:
    s = scenario("xero:\n  contacts:\n    - {name: Acme, is_supplier: true}\n")
    row = {"ContactID": "c-1", "Name": "Acme", "ContactStatus": "ACTIVE"}
    bad = {"ContactID": "c-2", "ContactStatus": "ACTIVE"}  # no name

    def answer(request: httpx.Request) -> httpx.Response:
        body = {"Contacts": [row, bad], "pagination": {"page": 1, "pageCount": 1}}
        return httpx.Response(200, json=body)

    http = JsonClient("Xero", "http://xero.invalid", transport=httpx.MockTransport(answer))
    with pytest.raises(SourceError) as raised:
        await XeroClient(http, s.tenant_id).contacts()
    assert "Contacts answered in an unexpected shape (Name: Field required)" in str(raised.value)


async def test_contacts_read_are_their_validated_twins() -> None:
    lines = [f"    - {{name: Supplier {n:03d}, is_supplier: {n % 2 == 0}}}" for n in range(30)]
    lines.append("    - {name: Gone Ltd, status: ARCHIVED, email: gone@example.com}")
    s = scenario("xero:\n  contacts:\n" + "\n".join(lines) + "\n")
    http = sandbox_client(s, "/xero", "Xero", FAST)
    async with http:
        items = await XeroClient(http, s.tenant_id, contacts_page_size=7).contacts()
    assert len(items) == 31
    assert_validated_twins(items)
    gone = next(i for i in items if i.name == "Gone Ltd")
    assert gone.status is Status.ARCHIVED and gone.email == "gone@example.com"


def test_stable_ids_are_the_uuid5_of_their_parts() -> None:
    for parts in [("tenant", "Acme"), ("Org", "contact", "Café ☕ 漢字 😀"), ("",), ("a/b", "c")]:
        name = "troubleshooter:" + "/".join(parts)
        assert stable_id(*parts) == str(uuid.uuid5(uuid.NAMESPACE_URL, name))


async def test_the_sandbox_renders_a_page_once_and_serves_the_same_bytes() -> None:
    lines = [f"    - {{name: Supplier {n:03d}, is_supplier: true}}" for n in range(25)]
    sandbox = Sandbox(scenario("xero:\n  contacts:\n" + "\n".join(lines) + "\n"))
    transport = SandboxTransport(sandbox)
    headers = {"xero-tenant-id": sandbox.scenario.tenant_id, "Authorization": "Bearer t"}
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:

        async def get(url: str) -> httpx.Response:
            return await client.get(url, headers=headers)

        contacts = "/xero/api.xro/2.0/Contacts?page=2&pageSize=10&summaryOnly=true"
        first, again = await get(contacts), await get(contacts)
        other = await get(contacts.replace("page=2", "page=3"))
        adapter = "/adapter/dext/v1/items/supplier?page=1&page_size=10"
        made, kept = await get(adapter), await get(adapter)
    assert first.content == again.content and first.headers["content-type"] == "application/json"
    assert [c["Name"] for c in first.json()["Contacts"]][:1] == ["Supplier 010"]
    assert len(other.json()["Contacts"]) == 5
    assert first.json()["pagination"] == {
        "page": 2,
        "pageSize": 10,
        "pageCount": 3,
        "itemCount": 25,
    }
    assert made.content == kept.content
    # The same bytes Starlette's JSONResponse makes of the same page.
    assert made.content == JSONResponse(made.json()).body


def test_rendered_pages_stay_within_their_bound() -> None:
    pages = RenderedPages(max_bytes=100)
    made: list[int] = []

    def page(n: int) -> dict[str, Any]:
        made.append(n)
        return {"n": n, "pad": "x" * 30}

    for n in [1, 2, 1, 3, 4, 1]:
        body = pages.response(n, lambda n=n: page(n)).body  # type: ignore[misc]
        assert json.loads(body)["n"] == n
        assert pages._weight <= 100
    assert made == [1, 2, 3, 4, 1]  # page 1 kept, then dropped with the rest past the bound
