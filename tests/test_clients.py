"""The clients read the sandbox over the same code path the real services use."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import FAST, Served, scenario

from troubleshooter.errors import SourceError
from troubleshooter.model import ItemKind, Mark, Provenance, Stage
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import SandboxTransport, sandbox_connections
from troubleshooter.sandbox.scenario import Scenario
from troubleshooter.sources.approvalmax import ApprovalMaxClient, match_company
from troubleshooter.sources.fetch import fetch_snapshots
from troubleshooter.sources.http import JsonClient, retry_after_seconds
from troubleshooter.sources.xero import XeroClient


def xero_http(sandbox: Sandbox) -> JsonClient:
    return JsonClient(
        "Xero",
        "http://sandbox/xero",
        headers={"Authorization": "Bearer t"},
        transport=SandboxTransport(sandbox),
        settings=FAST,
    )


async def test_xero_snapshot_reads_every_list(demo: Scenario) -> None:
    sandbox = Sandbox(demo)
    async with xero_http(sandbox) as http:
        snapshot = await XeroClient(http).snapshot()
    assert snapshot.reached and not snapshot.kind_errors
    assert snapshot.organisation is not None
    assert snapshot.organisation.name == demo.organisation.name
    assert snapshot.fetched_at == demo.clock  # Xero's own DateTimeUTC
    accounts = snapshot.items[ItemKind.ACCOUNT]
    banks = snapshot.items[ItemKind.BANK_ACCOUNT]
    assert len(accounts) + len(banks) == len(demo.all_accounts())
    assert {b.name for b in banks} == {b.name for b in demo.xero.bank_accounts}
    assert len(snapshot.items[ItemKind.SUPPLIER]) == len(demo.xero.contacts)  # archived too
    categories = snapshot.items[ItemKind.TRACKING_CATEGORY]
    assert {c.name for c in categories} == {c.name for c in demo.xero.tracking_categories}
    options = snapshot.items[ItemKind.TRACKING_OPTION]
    assert all(o.parent_id and o.parent_name for o in options)
    paths = [r.path for r in sandbox.log.requests]
    assert paths[0] == "/xero/connections"  # the tenant is discovered, not assumed


async def test_contacts_are_read_page_by_page_concurrently() -> None:
    contacts = "\n".join(f"    - {{name: Supplier {n:03d}, is_supplier: true}}" for n in range(230))
    s = scenario("xero:\n  contacts:\n" + contacts + "\n")
    sandbox = Sandbox(s)
    async with xero_http(sandbox) as http:
        client = XeroClient(http, s.tenant_id, contacts_page_size=50)
        items = await client.contacts()
    assert len(items) == 230 and len({i.xero_id for i in items}) == 230
    pages = [r.query for r in sandbox.log.requests if r.path.endswith("/Contacts")]
    assert sorted(int(q.split("page=")[1].split("&")[0]) for q in pages) == [1, 2, 3, 4, 5]
    assert all("summaryOnly=true" in q and "includeArchived=true" in q for q in pages)


async def test_retry_after_is_honoured_then_the_read_succeeds() -> None:
    s = scenario(
        """
        xero: {tax_rates: [{name: GST, tax_type: INPUT2, rate: 15}]}
        faults:
          - {system: xero, path: /api.xro/2.0/TaxRates, status: 429, retry_after: 0.01, times: 2}
        """
    )
    sandbox = Sandbox(s)
    async with xero_http(sandbox) as http:
        rates = await XeroClient(http, s.tenant_id).tax_rates()
    assert [r.code for r in rates] == ["INPUT2"]
    statuses = [r.status for r in sandbox.log.requests if r.path.endswith("TaxRates")]
    assert statuses == [429, 429, 200]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("{status: 500}", "answered 500"),
        ("{status: 503}", "gave up after 3 attempts"),
        ("{drop: true}", "the connection failed"),
        ("{body: '{\"Accounts\": [', status: 200}", "not JSON"),
        ("{delay: 3}", "did not answer within 0.2 s"),
        ("{status: 429, retry_after: 3600}", "more than the 5 s this run will wait"),
    ],
)
async def test_failures_name_the_system_and_what_happened(fault: str, expected: str) -> None:
    s = scenario(f"faults: [{{system: xero, path: /api.xro/2.0/Accounts, {fault[1:-1]}}}]")
    sandbox = Sandbox(s)
    async with xero_http(sandbox) as http:
        http.settings = dataclasses.replace(FAST, timeout=0.2)
        with pytest.raises(SourceError) as caught:
            await XeroClient(http, s.tenant_id).accounts()
    message = str(caught.value)
    assert message.startswith("Xero: ") and expected in message
    assert "Bearer" not in message and " t " not in message


async def test_a_failed_list_is_unknown_not_missing() -> None:
    s = scenario(
        """
        xero:
          accounts: [{code: '200', name: Sales}]
          contacts: [{name: Beans, is_supplier: true}]
        faults: [{system: xero, path: /api.xro/2.0/Contacts, status: 500}]
        """
    )
    snapshots = await fetch_snapshots(sandbox_connections(Sandbox(s), settings=FAST))
    xero = snapshots[Stage.XERO]
    assert xero.reached and xero.failed
    assert not xero.knows(ItemKind.SUPPLIER) and xero.knows(ItemKind.ACCOUNT)
    assert "Contacts answered 500" in xero.kind_errors[ItemKind.SUPPLIER]


async def test_an_unreachable_adapter_leaves_the_others_standing() -> None:
    s = scenario(
        """
        xero: {accounts: [{code: '200', name: Sales}]}
        faults: [{system: dext_adapter, status: 503}]
        """
    )
    snapshots = await fetch_snapshots(sandbox_connections(Sandbox(s), settings=FAST))
    assert snapshots[Stage.XERO].reached and snapshots[Stage.APPROVALMAX].reached
    dext = snapshots[Stage.DEXT]
    assert not dext.reached and dext.failed
    assert dext.error is not None and "Dext adapter" in dext.error and "503" in dext.error


async def test_three_systems_are_fetched_concurrently() -> None:
    s = scenario(
        """
        xero: {accounts: [{code: '200', name: Sales}]}
        faults:
          - {system: xero, path: /api.xro/2.0/Organisation, delay: 0.3}
          - {system: approvalmax_adapter, path: /v1/state, delay: 0.3}
          - {system: dext_adapter, path: /v1/state, delay: 0.3}
        """
    )
    sandbox = Sandbox(s)
    await fetch_snapshots(sandbox_connections(sandbox, settings=FAST))
    # All three slow requests were in flight at the same moment.
    assert sandbox.log.max_in_flight["xero"] >= 1
    assert sandbox.log.max_in_flight["approvalmax_adapter"] >= 1
    overlapping = sum(
        sandbox.log.max_in_flight[k] for k in ("xero", "approvalmax_adapter", "dext_adapter")
    )
    assert overlapping >= 3


async def test_in_flight_requests_stay_within_five() -> None:
    contacts = "\n".join(f"    - {{name: S{n:03d}, is_supplier: true}}" for n in range(400))
    s = scenario(
        "xero:\n  contacts:\n"
        + contacts
        + "\nfaults: [{system: xero, path: /api.xro/2.0/Contacts, delay: 0.02}]\n"
    )
    sandbox = Sandbox(s)
    async with xero_http(sandbox) as http:
        items = await XeroClient(http, s.tenant_id, contacts_page_size=20).contacts()
    assert len(items) == 400
    assert 1 < sandbox.log.max_in_flight["xero"] <= 5


async def test_clients_work_against_a_real_socket(served_demo: Served, demo: Scenario) -> None:
    connections = sandbox_connections(base_url=served_demo.base_url, settings=FAST)
    snapshots = await fetch_snapshots(connections)
    assert all(s.reached and not s.failed for s in snapshots.values())
    assert snapshots[Stage.XERO].provenance is Provenance.SANDBOX
    assert snapshots[Stage.DEXT].last_pull is not None
    assert {r.method for r in served_demo.sandbox.log.requests} == {"GET"}


async def test_approvalmax_public_api_client(demo: Scenario) -> None:
    sandbox = Sandbox(demo)
    http = JsonClient(
        "ApprovalMax",
        "http://s/approvalmax",
        headers={"Authorization": "Bearer t"},
        transport=SandboxTransport(sandbox),
        settings=FAST,
    )
    async with http:
        client = ApprovalMaxClient(http)
        assert await client.ping()
        companies = await client.companies()
    assert [c.name for c in companies] == [demo.organisation.name]
    assert match_company(companies, "something else") == companies[0]  # the only one


def test_match_company_by_name_among_several() -> None:
    from troubleshooter.model import OrganisationRef

    companies = [
        OrganisationRef(id="1", name="Alpha Ltd"),
        OrganisationRef(id="2", name="Beta  Ltd"),
    ]
    assert match_company(companies, "beta ltd") == companies[1]
    assert match_company(companies, "Gamma") is None


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0


def test_the_json_client_cannot_write() -> None:
    assert not any(hasattr(JsonClient, m) for m in ("post", "put", "patch", "delete"))
    assert isinstance(httpx.AsyncClient, type)  # the raw client stays private
    asyncio.run(asyncio.sleep(0))


class HostClock:
    """This machine's clock as the cache reads it, set by the test (no sleeping)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _incremental_scenarios():  # type: ignore[no-untyped-def]
    contacts = "\n".join(f"    - {{name: S{n:03d}, is_supplier: true}}" for n in range(250))
    text = (
        "xero:\n  accounts: [{code: '200', name: Sales}, {code: '429', name: New, created: -1h}]\n"
        "  contacts:\n" + contacts + "\n"
    )
    first = scenario(text)
    # Five minutes later, on Xero's clock: one contact was added.
    later = scenario(
        text.replace(
            "contacts:\n",
            "contacts:\n    - {name: Newcomer Ltd, is_supplier: true, created: +1m}\n",
        )
    )
    later.clock = first.clock + timedelta(minutes=5)
    return first, later


# The host's clock far from the systems' clock (the scenario's is 2026-11-25T10:00Z): behind,
# ahead by days, by years. The cache's age is measured on the host clock alone, so the result
# is the same whatever today's date is.
HOST_OFFSETS = [
    timedelta(0),
    timedelta(days=-1),
    timedelta(days=4),
    timedelta(days=365 * 5),
    timedelta(days=-365 * 30),
]


@pytest.mark.parametrize("offset", HOST_OFFSETS, ids=lambda d: f"host{d.days:+}d")
async def test_a_second_read_asks_only_for_what_changed(tmp_path, offset) -> None:  # type: ignore[no-untyped-def]
    from troubleshooter.sources.cache import FetchCache

    s, later = _incremental_scenarios()
    host = HostClock(s.clock + offset)
    cache = FetchCache(tmp_path / "cache", clock=host)
    first_sandbox = Sandbox(s)
    async with xero_http(first_sandbox) as http:
        first = await XeroClient(http, s.tenant_id, cache=cache, contacts_page_size=100).snapshot()
        first_bytes = http.bytes_received
    host.now += timedelta(minutes=5)
    second_sandbox = Sandbox(later)
    async with xero_http(second_sandbox) as http:
        client = XeroClient(http, s.tenant_id, cache=cache, contacts_page_size=100)
        second = await client.snapshot()
        second_bytes = http.bytes_received
    assert len(second.items[ItemKind.SUPPLIER]) == len(first.items[ItemKind.SUPPLIER]) + 1
    assert client.incremental == {"Accounts": 0, "Contacts": 1}
    contact_requests = [r for r in second_sandbox.log.requests if r.path.endswith("/Contacts")]
    assert len(contact_requests) == 1  # one page of changes instead of three pages
    # If-Modified-Since carries Xero's own clock from the first read, not the host's.
    assert _modified_since(second_sandbox) == {s.clock}
    assert second_bytes < first_bytes / 3


def _modified_since(sandbox: Sandbox) -> set[datetime]:
    return {
        datetime.fromisoformat(r.modified_since) for r in sandbox.log.requests if r.modified_since
    }


@pytest.mark.parametrize(
    "host_moves",
    [timedelta(hours=25), timedelta(hours=-1)],
    ids=["a-day-later", "host-clock-set-back"],
)
async def test_a_cache_too_old_on_the_host_clock_is_read_whole(tmp_path, host_moves) -> None:  # type: ignore[no-untyped-def]
    """Age is the host's: a day later (or a host clock set back) reads everything again, even
    when Xero's clock says only five minutes passed."""
    from troubleshooter.sources.cache import FetchCache

    s, later = _incremental_scenarios()
    host = HostClock(datetime(2031, 1, 1, tzinfo=UTC))
    cache = FetchCache(tmp_path / "cache", clock=host)
    async with xero_http(Sandbox(s)) as http:
        await XeroClient(http, s.tenant_id, cache=cache, contacts_page_size=100).snapshot()
    host.now += host_moves
    second_sandbox = Sandbox(later)
    async with xero_http(second_sandbox) as http:
        client = XeroClient(http, s.tenant_id, cache=cache, contacts_page_size=100)
        await client.snapshot()
    assert client.incremental == {}
    assert _modified_since(second_sandbox) == set()
    assert len([r for r in second_sandbox.log.requests if r.path.endswith("/Contacts")]) == 3


def test_the_cache_is_readable_by_its_owner_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import stat
    from datetime import UTC, datetime

    from troubleshooter.sources.cache import CacheEntry, FetchCache

    cache = FetchCache(tmp_path / "cache")
    path = cache._path("tenant-1", "Contacts")
    path.parent.mkdir(parents=True)
    # A write that died half-way left a world-readable partial file behind.
    stale = path.with_name(f".{path.name}.partial")
    stale.write_text("{", encoding="utf-8")
    stale.chmod(0o644)
    fetched = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    cache.clock = lambda: fetched
    cache.save("tenant-1", "Contacts", CacheEntry(fetched, [{"Name": "Acme Ltd"}]))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert stale.read_text(encoding="utf-8") == "{"  # not reused: each writer has its own name
    entry = cache.load("tenant-1", "Contacts")
    assert entry is not None and entry.rows == [{"Name": "Acme Ltd"}]


async def test_the_minute_limits_wait_instead_of_refusing() -> None:
    from troubleshooter.sources.ratelimit import RateLimiter

    now = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    def clock() -> float:
        return now[0]

    app = RateLimiter("app", per_minute=3, in_flight=100, clock=clock, sleep=fake_sleep)
    org = RateLimiter("org", per_minute=10, in_flight=5, clock=clock, parent=app, sleep=fake_sleep)
    for _ in range(4):
        await org.acquire()
        org.release()
    assert slept == [60.0]  # the fourth waited for the app's minute to free a place
    # Xero says the minute is spent: requests this client did not send hold most of it.
    await org.acquire()
    org.observe(minute_remaining=0, day_remaining=None)
    org.release()
    assert org.taken() == 10  # its own two of this minute, and eight others'
    assert org.minute_wait(1) == 60.0
    org.observe(minute_remaining=5, day_remaining=0)
    with pytest.raises(SourceError, match="daily limit"):
        await org.acquire()


# -- Xero's largest page -----------------------------------------------------------------------


def _suppliers(count: int) -> Scenario:
    contacts = "\n".join(
        f"    - {{name: Supplier {n:04d}, is_supplier: true}}" for n in range(count)
    )
    return scenario(
        "xero:\n  rate_limits: {per_minute: 100000, per_day: 1000000}\n  contacts:\n"
        + contacts
        + "\n"
    )


async def test_contacts_are_asked_for_a_thousand_a_page() -> None:
    s = _suppliers(2500)
    sandbox = Sandbox(s)
    async with xero_http(sandbox) as http:
        items = await XeroClient(http, s.tenant_id).contacts()
    assert len(items) == 2500
    pages = [r.query for r in sandbox.log.requests if r.path.endswith("/Contacts")]
    assert len(pages) == 3
    assert all("pageSize=1000" in q and "summaryOnly=true" in q for q in pages)


@pytest.mark.parametrize("pagination", [True, False], ids=["with-pagination", "without"])
async def test_a_smaller_page_than_asked_is_what_xero_gave(pagination: bool) -> None:
    """A Xero that pages by 100 whatever is asked: the client reads every page, from the
    pagination block's count, or, without one, walking on while pages come back full."""
    s = _suppliers(250)
    if not pagination:
        s.faults = scenario(
            "faults: [{system: xero, path: /api.xro/2.0/Contacts, misbehave: no_pagination}]"
        ).faults
    sandbox = Sandbox(s)
    sandbox.xero.max_page_size = 100
    async with xero_http(sandbox) as http:
        items = await XeroClient(http, s.tenant_id).contacts()
    assert len({i.xero_id for i in items}) == 250
    pages = [r for r in sandbox.log.requests if r.path.endswith("/Contacts")]
    assert len(pages) == 3  # 100, 100, 50: the short page is the last
    assert all("pageSize=1000" in r.query for r in pages)


async def test_without_pagination_a_short_first_page_asks_once_more() -> None:
    s = _suppliers(30)
    s.faults = scenario(
        "faults: [{system: xero, path: /api.xro/2.0/Contacts, misbehave: no_pagination}]"
    ).faults
    sandbox = Sandbox(s)
    async with xero_http(sandbox) as http:
        items = await XeroClient(http, s.tenant_id).contacts()
    assert len(items) == 30
    pages = [r.query for r in sandbox.log.requests if r.path.endswith("/Contacts")]
    assert len(pages) == 2 and "page=2" in pages[1]  # an empty page 2 says it was all


async def test_pagination_that_does_not_add_up_fails_the_list() -> None:
    body = (
        '{"pagination": {"page": 1, "pageSize": 1000, "pageCount": 1, "itemCount": 5000},'
        ' "Contacts": []}'
    )
    s = scenario(f"faults: [{{system: xero, path: /api.xro/2.0/Contacts, body: '{body}'}}]")
    async with xero_http(Sandbox(s)) as http:
        with pytest.raises(SourceError, match="5,000 rows at 1000 a page is 5 pages, not 1"):
            await XeroClient(http, s.tenant_id).contacts()


# -- focused reads -----------------------------------------------------------------------------


def _large(contacts: int = 5000) -> Scenario:
    from troubleshooter.sandbox.generate import large_organisation
    from troubleshooter.sandbox.scenario import parse_scenario

    data = large_organisation(contacts=contacts, suppliers=contacts * 2 // 5)
    data["xero"]["rate_limits"] = {"per_minute": 100000, "per_day": 1000000}
    return parse_scenario(data)


async def test_a_focused_read_asks_xero_only_for_what_the_item_needs() -> None:
    s = _large()
    sandbox = Sandbox(s)
    snapshots = await fetch_snapshots(
        sandbox_connections(sandbox, settings=FAST), focus="Contact 00040"
    )
    xero = snapshots[Stage.XERO]
    assert not xero.failed
    xero_requests = sandbox.log.for_system("xero")
    assert len(xero_requests) <= 10
    contacts = [r for r in xero_requests if r.path.endswith("/Contacts")]
    assert len(contacts) == 1 and "searchTerm=contact+00040" in contacts[0].query
    assert [i.name for i in xero.items[ItemKind.SUPPLIER]] == ["Contact 00040 Ltd"]
    assert ItemKind.SUPPLIER in xero.partial and "Contact 00040" in xero.partial[ItemKind.SUPPLIER]
    # The small lists whole: every account is known, so an account is never wrongly missing.
    assert len(xero.items[ItemKind.ACCOUNT]) == 2000
    assert not xero.partial.keys() - {ItemKind.SUPPLIER}


async def test_a_focused_read_by_key_asks_for_the_one_contact() -> None:
    s = _large(500)
    sandbox = Sandbox(s)
    whole = await fetch_snapshots(sandbox_connections(Sandbox(s), settings=FAST))
    wanted = whole[Stage.XERO].items[ItemKind.SUPPLIER][7]
    snapshots = await fetch_snapshots(
        sandbox_connections(sandbox, settings=FAST), focus=f"supplier:{wanted.xero_id}"
    )
    assert [i.xero_id for i in snapshots[Stage.XERO].items[ItemKind.SUPPLIER]] == [wanted.xero_id]
    contacts = [r for r in sandbox.log.for_system("xero") if r.path.endswith("/Contacts")]
    assert len(contacts) == 1 and "IDs=" in contacts[0].query


async def test_a_contact_renamed_in_xero_is_looked_up_by_id(library) -> None:  # type: ignore[no-untyped-def]
    """Dext still holds the old name: the focus on it finds nothing in Xero's search, so the
    id Dext carries is looked up, and the item is the same item, not one missing from Xero."""
    from troubleshooter.diagnosis.diagnose import diagnose_snapshots

    s = scenario(
        """
        xero:
          contacts:
            - {name: Kaimai Oat Milk Company, is_supplier: true, updated: -2h, before: {name: Kaimai Oats}}
            - {name: Beans Ltd, is_supplier: true}
        approvalmax: {last_sync: -3h}
        dext: {last_pull: -6h}
        """
    )
    sandbox = Sandbox(s)
    snapshots = await fetch_snapshots(
        sandbox_connections(sandbox, settings=FAST), focus="Kaimai Oats"
    )
    names = [i.name for i in snapshots[Stage.XERO].items[ItemKind.SUPPLIER]]
    assert names == ["Kaimai Oat Milk Company"]
    contacts = [r.query for r in sandbox.log.for_system("xero") if r.path.endswith("/Contacts")]
    assert len(contacts) == 2 and "searchTerm" in contacts[0] and "IDs=" in contacts[1]
    result = diagnose_snapshots(snapshots, library, focus="Kaimai Oats")
    [item] = result.items
    assert item.stages[Stage.XERO] is Mark.PRESENT
    assert item.name == "Kaimai Oat Milk Company"


async def test_a_focused_read_is_not_cached(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from troubleshooter.sources.cache import FetchCache

    s = _suppliers(20)
    cache = FetchCache(tmp_path / "cache")
    connections = sandbox_connections(Sandbox(s), settings=FAST, cache=cache)
    await fetch_snapshots(connections, focus="Supplier 0003")
    assert cache.load(s.tenant_id, "Contacts", source="http://sandbox.invalid/xero") is None
    assert cache.load(s.tenant_id, "Accounts", source="http://sandbox.invalid/xero") is not None


# -- the minute, in every mode -----------------------------------------------------------------


class FakeTime:
    """One clock for the sandbox's counters and the client's limiter; sleeping moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def _limited_client(sandbox: Sandbox, time: FakeTime, per_minute: int | None) -> JsonClient:
    from troubleshooter.sources.ratelimit import RateLimiter

    limiter = RateLimiter("Xero", per_minute=per_minute, clock=time, sleep=time.sleep)
    return JsonClient(
        "Xero",
        "http://sandbox/xero",
        headers={"Authorization": "Bearer t"},
        transport=SandboxTransport(sandbox),
        settings=FAST,
        limiter=limiter,
    )


@pytest.mark.parametrize("own_limit", [10, None], ids=["own-count", "server-count-only"])
async def test_no_request_is_sent_that_the_minute_would_refuse(own_limit: int | None) -> None:
    """A sandbox enforcing 10 a minute, a read of 25 requests, five in flight: the client
    waits out each minute instead of being refused, counting its requests in flight."""
    contacts = "\n".join(f"    - {{name: S{n:03d}, is_supplier: true}}" for n in range(42))
    s = scenario(
        "xero:\n  rate_limits: {per_minute: 10, enforce: true}\n  contacts:\n" + contacts + "\n"
    )
    time = FakeTime()
    sandbox = Sandbox(s, clock=time)
    async with _limited_client(sandbox, time, own_limit) as http:
        snapshot = await XeroClient(http, s.tenant_id, contacts_page_size=2).snapshot()
    assert not snapshot.failed and len(snapshot.items[ItemKind.SUPPLIER]) == 42
    statuses = [r.status for r in sandbox.log.for_system("xero")]
    assert len(statuses) == 25 and 429 not in statuses
    assert time.slept and time.now - 1000.0 >= 120  # 25 requests at 10 a minute: two waits


async def test_requests_another_run_spent_are_counted_from_the_first_answer() -> None:
    """Another run used 40 of the minute's 60 moments ago: from Xero's first answer on, the
    client counts them, and sends the rest of its read after the minute frees up."""
    contacts = "\n".join(f"    - {{name: S{n:03d}, is_supplier: true}}" for n in range(60))
    s = scenario(
        "xero:\n  rate_limits: {per_minute: 60, enforce: true}\n  contacts:\n" + contacts + "\n"
    )
    time = FakeTime()
    sandbox = Sandbox(s, clock=time)
    for _ in range(40):
        sandbox.rates.spend(s.tenant_id)
    async with _limited_client(sandbox, time, 60) as http:
        await XeroClient(http, s.tenant_id, contacts_page_size=2).snapshot()
    statuses = [r.status for r in sandbox.log.for_system("xero")]
    assert len(statuses) == 34 and 429 not in statuses
    assert time.slept


def test_every_mode_counts_xero_s_minute(served_demo: Served) -> None:
    over_url = sandbox_connections(base_url=served_demo.base_url)
    assert over_url.xero_per_minute == 60
    s = scenario("xero: {rate_limits: {per_minute: 25}}")
    assert sandbox_connections(Sandbox(s)).xero_per_minute == 25
    lifted = sandbox_connections(base_url=served_demo.base_url, xero_per_minute=None)
    assert lifted.xero_per_minute is None


# -- the cache for --url runs ------------------------------------------------------------------


async def test_url_runs_keep_a_cache_per_url_and_tenant(served_demo: Served, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from troubleshooter.sources.cache import FetchCache, source_digest

    cache = FetchCache(tmp_path / "cache")
    connections = sandbox_connections(base_url=served_demo.base_url, settings=FAST, cache=cache)
    await fetch_snapshots(connections)
    first = len(served_demo.sandbox.log.requests)
    await fetch_snapshots(connections)
    second = served_demo.sandbox.log.requests[first:]
    asked_since = [r for r in second if r.modified_since]
    assert {r.path.rsplit("/", 1)[-1] for r in asked_since} == {"Accounts", "Contacts"}
    folders = [p.name for p in (tmp_path / "cache").iterdir()]
    digest = source_digest(served_demo.base_url + "/xero")
    assert folders == [f"{served_demo.scenario.tenant_id}-{digest}"]
    assert source_digest("http://127.0.0.1:1/xero") != digest  # another URL, another folder


async def test_an_endless_body_over_a_socket_is_cut_at_the_cap(demo: Scenario) -> None:
    demo.faults = scenario(
        "faults: [{system: dext_adapter, path: /v1/items/account, misbehave: endless_body}]"
    ).faults
    settings = dataclasses.replace(FAST, max_body_bytes=256 * 1024)
    from conftest import serve

    with serve(Sandbox(demo)) as served:
        snapshots = await fetch_snapshots(
            sandbox_connections(base_url=served.base_url, settings=settings)
        )
    dext = snapshots[Stage.DEXT]
    assert "sent more than 256 KiB" in dext.kind_errors[ItemKind.ACCOUNT]
    assert not snapshots[Stage.XERO].failed and not snapshots[Stage.APPROVALMAX].failed


# -- progress a person can trust ---------------------------------------------------------------


async def test_progress_events_say_pages_read_of_pages_known() -> None:
    from troubleshooter.sources.fetch import FetchEvent, describe

    s = _suppliers(3500)
    events: list[FetchEvent] = []
    plain: list[tuple[Stage, str]] = []
    await fetch_snapshots(
        sandbox_connections(Sandbox(s), settings=FAST),
        lambda stage, text: plain.append((stage, text)),
        events=events.append,
    )
    pages = [e for e in events if e.stage is Stage.XERO and e.what == "contacts"]
    assert (pages[0].pages_read, pages[0].pages_known) == (1, 4)
    assert sorted(e.pages_read for e in pages if e.pages_read) == [1, 2, 3, 4]
    assert all(e.pages_known == 4 for e in pages)
    assert describe(pages[-1]).startswith("Xero: contacts, page 4 of 4")
    suppliers = [e for e in events if e.stage is Stage.DEXT and e.what == "suppliers"]
    assert suppliers and suppliers[-1].pages_known is not None
    # The plain progress keeps its three words, in order per system.
    assert [t for st, t in plain if st is Stage.XERO] == ["fetching", "done"]
    assert {e.state for e in events} == {"fetching", "reading", "done"}


async def test_a_wait_for_the_minute_is_an_event_with_its_length() -> None:
    from troubleshooter.sources.fetch import FetchEvent, describe
    from troubleshooter.sources.ratelimit import RateLimiter

    time = FakeTime()
    limiter = RateLimiter("Xero", per_minute=2, clock=time, sleep=time.sleep)
    seen: list[float] = []
    limiter.on_wait = seen.append
    for _ in range(3):
        await limiter.acquire()
        limiter.release()
    assert seen == [60.0]
    event = FetchEvent(Stage.XERO, "waiting", "minute limit", waiting=seen[0])
    assert describe(event) == "Xero: waiting 60 s for Xero's minute limit"
    assert describe(FetchEvent(Stage.DEXT, "failed", error="Dext adapter: \x1b[2J")) == (
        "Dext: failed: Dext adapter: \\x1b[2J"
    )


async def test_requests_waiting_together_are_told_once() -> None:
    from troubleshooter.sources.ratelimit import RateLimiter

    time = FakeTime()
    limiter = RateLimiter("Xero", per_minute=3, in_flight=5, clock=time, sleep=time.sleep)
    told: list[float] = []
    limiter.on_wait = told.append

    async def one() -> None:
        await limiter.acquire()
        limiter.release()

    await asyncio.gather(*(one() for _ in range(5)))
    assert told == [60.0]  # two waited for the same minute: one event
    assert limiter.taken() == 2  # the first three's minute is over; the two sent since hold it


async def test_a_failed_second_look_makes_xero_s_contacts_unknown() -> None:
    s = scenario(
        """
        xero:
          contacts:
            - {name: Kaimai Oat Milk Company, is_supplier: true, updated: -2h, before: {name: Kaimai Oats}}
        approvalmax: {last_sync: -3h}
        dext: {last_pull: -6h}
        faults:
          - {system: xero, path: /api.xro/2.0/Contacts, times: 1, status: 200}
          - {system: xero, path: /api.xro/2.0/Contacts, status: 500}
        """
    )
    s.faults[0] = s.faults[0].model_copy(update={"status": None})  # the search itself is fine
    snapshots = await fetch_snapshots(
        sandbox_connections(Sandbox(s), settings=FAST), focus="Kaimai Oats"
    )
    xero = snapshots[Stage.XERO]
    assert not xero.knows(ItemKind.SUPPLIER) and ItemKind.SUPPLIER not in xero.partial
    assert "answered 500" in xero.kind_errors[ItemKind.SUPPLIER]
    assert "looking up by id" in xero.kind_errors[ItemKind.SUPPLIER]


def test_estimates_come_from_the_pace_and_the_minute() -> None:
    from troubleshooter.sources.fetch import FetchEvent, _Reporter
    from troubleshooter.sources.ratelimit import RateLimiter

    time = FakeTime()
    events: list[FetchEvent] = []
    report = _Reporter(None, events.append, clock=time)
    limiter = RateLimiter("Xero", per_minute=60, clock=time, sleep=time.sleep)
    page = report.pages(Stage.XERO, limiter)
    page("contacts", 1, 50)
    time.now += 2.0
    page("contacts", 2, 50)  # one page in 2 s: 48 pages left, about 96 s at that pace
    assert events[0].estimate == 0.0 and events[1].estimate == pytest.approx(96.0)
    for _ in range(60):  # now the minute is full: the rest wait for it whatever the pace
        limiter._sending += 1
        limiter.release()
    time.now += 0.5
    page("contacts", 3, 50)  # pace: 47 pages at 1.25 s; the minute: places free in 59.5 s
    assert events[2].estimate == pytest.approx(59.5)
    assert limiter.minute_wait(1) == pytest.approx(59.5)
