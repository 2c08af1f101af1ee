"""Servers that misbehave: what the tool withstands from Xero, ApprovalMax and the stage
adapters when their answers are endless, huge, never-ending in pages, repeated, of the wrong
kind, doubled, without time zones, or refused.

Each case is played by the sandbox (a scenario fault, `misbehave:` or a status) and goes
through the whole diagnosis: the run completes, the system (or the one list) that misbehaved
is failed with its reason, its facts are unknown and never "missing", and the exit code says
the diagnosis is incomplete (3).
"""

from __future__ import annotations

import asyncio
import re
import textwrap
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import sandbox_client

from troubleshooter.diagnosis.diagnose import Library, exit_code_for
from troubleshooter.errors import ExitCode, SourceError
from troubleshooter.model import Diagnosis, ItemKind, Mark, Provenance, Stage
from troubleshooter.runs.source import diagnose
from troubleshooter.sandbox.app import Sandbox
from troubleshooter.sandbox.connect import SandboxTransport, sandbox_connections
from troubleshooter.sandbox.scenario import Scenario, scenario_from_text
from troubleshooter.signin.oauth import OAuthAuth
from troubleshooter.signin.tokens import FileStore, TokenSet
from troubleshooter.sources.adapter import StageAdapterClient
from troubleshooter.sources.fetch import Endpoint, fetch_snapshots
from troubleshooter.sources.http import HttpSettings, JsonClient

MIB = 1024 * 1024
# Fast retries, a 1 MiB body cap and a 20-page cap: enough to prove the caps without waiting.
SETTINGS = HttpSettings(
    timeout=5.0,
    attempts=2,
    backoff=0.001,
    max_backoff=0.002,
    max_retry_after=5,
    max_body_bytes=MIB,
    max_pages=20,
)

BASE = """
clock: 2026-11-25T10:00:00Z
organisation: {name: Hostile Servers Ltd}
xero:
  rate_limits: {per_minute: 100000, per_day: 1000000}
  accounts: [{code: '200', name: Sales}, {code: '429', name: Staff Wellbeing, created: -40m}]
  contacts:
    - {name: Beans Ltd, is_supplier: true, created: -3d}
    - {name: Cups Ltd, is_supplier: true, created: -2d}
    - {name: Milk Co, is_supplier: true, created: -30h}
    - {name: Oat Co, is_supplier: true, created: -10h}
    - {name: Sugar Ltd, is_supplier: true}
approvalmax: {last_sync: -1h}
dext: {last_pull: -6h}
"""


@pytest.fixture(scope="module")
def library() -> Library:
    return Library.load()


def with_faults(faults: str) -> Scenario:
    return scenario_from_text(BASE + textwrap.dedent(faults))


def diagnosed(s: Scenario, library: Library, **kwargs: object) -> tuple[Diagnosis, Sandbox]:
    sandbox = Sandbox(s)
    connections = sandbox_connections(sandbox, settings=SETTINGS, **kwargs)  # type: ignore[arg-type]
    return asyncio.run(diagnose(connections, library)), sandbox


def unknown_not_missing(
    result: Diagnosis, stage: Stage, kinds: set[ItemKind] | None, reason: str
) -> None:
    """The run completed; `stage` (only `kinds` of it, if given) failed with `reason`; what it
    could not read is unknown, never missing; and the exit code says so."""
    status = next(s for s in result.systems if s.stage is stage)
    assert status in result.failed_systems
    said = " ".join([status.error or "", *status.kind_errors.values()])
    assert reason in said, said
    assert result.items
    for item in result.items:
        if kinds is None or item.kind in kinds:
            # Unknown, unless the chain says so (inferred from the other stages, with why).
            detail = item.detail.get(stage)
            inferred = detail is not None and detail.provenance is Provenance.INFERRED
            assert item.stages[stage] is Mark.UNKNOWN or inferred, (item.name, item.stages)
    assert not [f for f in result.findings if f.stage is stage and f.kind in (kinds or set())]
    assert exit_code_for(result) is ExitCode.INCOMPLETE


SUPPLIERS = {ItemKind.SUPPLIER}
MISBEHAVING = {
    "adapter endless body": (
        "dext_adapter",
        "/v1/items/supplier",
        "endless_body",
        Stage.DEXT,
        SUPPLIERS,
        "sent more than 1 MiB",
    ),
    "xero endless body": (
        "xero",
        "/api.xro/2.0/Contacts",
        "endless_body",
        Stage.XERO,
        SUPPLIERS,
        "sent more than 1 MiB",
    ),
    "xero pages without end": (
        "xero",
        "/api.xro/2.0/Contacts",
        "endless_pages",
        Stage.XERO,
        SUPPLIERS,
        "does not seem to end",
    ),
    "xero claims 300,000 pages": (
        "xero",
        "/api.xro/2.0/Contacts",
        "huge_page_count",
        Stage.XERO,
        SUPPLIERS,
        "claims 300,000 pages",
    ),
    "adapter claims 300,000 pages": (
        "approvalmax_adapter",
        "/v1/items/supplier",
        "huge_page_count",
        Stage.APPROVALMAX,
        SUPPLIERS,
        "claims 300,000 pages",
    ),
    "adapter pages without end": (
        "dext_adapter",
        "/v1/items/supplier",
        "endless_pages",
        Stage.DEXT,
        SUPPLIERS,
        "claims 300,000 pages",
    ),
    "adapter page of the wrong kind": (
        "dext_adapter",
        "/v1/items/supplier",
        "wrong_kind",
        Stage.DEXT,
        SUPPLIERS,
        "a page of 'account', not of 'supplier'",
    ),
    "adapter row sent twice": (
        "dext_adapter",
        "/v1/items/supplier",
        "duplicate_rows",
        Stage.DEXT,
        SUPPLIERS,
        "is sent twice",
    ),
    "adapter item time without a zone": (
        "dext_adapter",
        "/v1/items/supplier",
        "naive_timestamps",
        Stage.DEXT,
        SUPPLIERS,
        "synced_at: Input should have timezone info",
    ),
    "adapter state times without a zone": (
        "approvalmax_adapter",
        "/v1/state",
        "naive_timestamps",
        Stage.APPROVALMAX,
        None,
        "as_of: Input should have timezone info",
    ),
}


@pytest.mark.parametrize("case", MISBEHAVING, ids=list(MISBEHAVING))
def test_a_misbehaving_server_fails_its_system_with_the_reason(case: str, library: Library) -> None:
    system, path, misbehaviour, stage, kinds, reason = MISBEHAVING[case]
    s = with_faults(f"faults: [{{system: {system}, path: {path}, misbehave: {misbehaviour}}}]")
    result, sandbox = diagnosed(s, library)
    unknown_not_missing(result, stage, kinds, reason)
    # The others stand: every other system read in full.
    for other in result.systems:
        if other.stage is not stage:
            assert other not in result.failed_systems, other
    assert {r.method for r in sandbox.log.requests} == {"GET"}


def test_a_page_that_repeats_another_stops_the_read(library: Library) -> None:
    s = with_faults(
        "faults: [{system: xero, path: /api.xro/2.0/Contacts, misbehave: repeated_page}]"
    )
    result, sandbox = diagnosed(s, library, contacts_page_size=2)
    unknown_not_missing(result, Stage.XERO, SUPPLIERS, "repeats page 1")
    pages = [r for r in sandbox.log.requests if r.path.endswith("/Contacts")]
    assert len(pages) == 3  # five contacts, two a page: page 1, then 2 and 3 were page 1 again


async def test_an_adapter_page_that_repeats_another_stops_the_read() -> None:
    s = with_faults(
        "faults: [{system: dext_adapter, path: /v1/items/supplier, misbehave: repeated_page}]"
    )
    http = sandbox_client(s, "/adapter/dext", "Dext adapter", SETTINGS)
    async with http:
        with pytest.raises(SourceError, match="page 2 repeats page 1"):
            await StageAdapterClient(Stage.DEXT, http, page_size=2).items(ItemKind.SUPPLIER)


def test_a_huge_page_count_is_refused_before_a_second_request(library: Library) -> None:
    s = with_faults(
        "faults: [{system: xero, path: /api.xro/2.0/Contacts, misbehave: huge_page_count}]"
    )
    _, sandbox = diagnosed(s, library)
    assert len([r for r in sandbox.log.requests if r.path.endswith("/Contacts")]) == 1


def test_pages_without_end_stop_at_the_page_cap(library: Library) -> None:
    s = with_faults(
        "faults: [{system: xero, path: /api.xro/2.0/Contacts, misbehave: endless_pages}]"
    )
    _, sandbox = diagnosed(s, library)
    pages = [r for r in sandbox.log.requests if r.path.endswith("/Contacts")]
    assert len(pages) == SETTINGS.max_pages


def test_an_endless_body_is_cut_at_the_cap_and_the_others_are_read(library: Library) -> None:
    s = with_faults(
        "faults: [{system: dext_adapter, path: /v1/items/supplier, misbehave: endless_body}]"
    )
    result, sandbox = diagnosed(s, library)
    endless = [r for r in sandbox.log.requests if r.path.endswith("/v1/items/supplier")]
    # Each attempt stopped a little past the cap: the body was never held whole.
    assert endless and all(r.bytes < 2 * MIB for r in endless)
    dext = next(s for s in result.systems if s.stage is Stage.DEXT)
    assert dext.reached and ItemKind.ACCOUNT not in dext.kind_errors
    assert dext.item_counts[ItemKind.ACCOUNT] > 0


def test_an_adapter_page_of_the_wrong_kind_marks_no_supplier_missing(library: Library) -> None:
    s = with_faults(
        "faults: [{system: dext_adapter, path: /v1/items/supplier, misbehave: wrong_kind}]"
    )
    result, _ = diagnosed(s, library)
    suppliers = [i for i in result.items if i.kind is ItemKind.SUPPLIER]
    assert suppliers and all(i.stages[Stage.DEXT] is Mark.UNKNOWN for i in suppliers)
    # Nothing from the wrong page became an item of its own.
    assert not [i for i in result.items if i.stages[Stage.XERO] is Mark.MISSING]


def test_a_row_sent_twice_makes_no_extra_item(library: Library) -> None:
    s = with_faults(
        "faults: [{system: approvalmax_adapter, path: /v1/items/supplier, misbehave: duplicate_rows}]"
    )
    result, _ = diagnosed(s, library)
    assert not [i for i in result.items if i.stages[Stage.XERO] is Mark.MISSING]
    unknown_not_missing(result, Stage.APPROVALMAX, SUPPLIERS, "is sent twice")


def test_adapter_pages_that_disagree_fail_the_list() -> None:
    first_page = (
        '{"kind": "supplier", "page": 1, "page_count": 2, "item_count": 3, '
        '"items": [{"name": "A"}, {"name": "B"}]}'
    )
    s = with_faults(
        f"""
        faults:
          - system: dext_adapter
            path: /v1/items/supplier
            body: '{first_page}'
            times: 1
        """
    )

    async def read() -> None:
        http = sandbox_client(s, "/adapter/dext", "Dext adapter", SETTINGS)
        async with http:
            await StageAdapterClient(Stage.DEXT, http, page_size=2).items(ItemKind.SUPPLIER)

    with pytest.raises(SourceError, match=r"page 2 says \d+ pages, page 1 said 2"):
        asyncio.run(read())


def test_an_item_count_that_does_not_match_fails_the_list() -> None:
    body = '{"kind": "supplier", "page": 1, "page_count": 1, "item_count": 5, "items": [{"name": "A"}]}'
    s = with_faults(f"faults: [{{system: dext_adapter, path: /v1/items/supplier, body: '{body}'}}]")

    async def read() -> None:
        http = sandbox_client(s, "/adapter/dext", "Dext adapter", SETTINGS)
        async with http:
            await StageAdapterClient(Stage.DEXT, http).items(ItemKind.SUPPLIER)

    with pytest.raises(SourceError, match="says it holds 5 items; its pages hold 1"):
        asyncio.run(read())


def test_two_rows_with_one_xero_id_fail_the_list() -> None:
    rows = '[{"name": "A", "xero_id": "x-1"}, {"name": "A Ltd", "xero_id": "X-1"}]'
    body = f'{{"kind": "supplier", "page": 1, "page_count": 1, "items": {rows}}}'
    s = with_faults(f"faults: [{{system: dext_adapter, path: /v1/items/supplier, body: '{body}'}}]")

    async def read() -> None:
        http = sandbox_client(s, "/adapter/dext", "Dext adapter", SETTINGS)
        async with http:
            await StageAdapterClient(Stage.DEXT, http).items(ItemKind.SUPPLIER)

    with pytest.raises(SourceError, match="two rows carry the Xero id 'X-1'"):
        asyncio.run(read())


def test_deeply_nested_json_is_an_unexpected_shape_not_a_crash(library: Library) -> None:
    body = "[" * 200_000 + "]" * 200_000
    s = with_faults(f"faults: [{{system: xero, path: /api.xro/2.0/TaxRates, body: '{body}'}}]")
    result, _ = diagnosed(s, library)
    unknown_not_missing(result, Stage.XERO, {ItemKind.TAX_RATE}, "nested too deeply")


# -- ApprovalMax's public API: its faults show ------------------------------------------------


@pytest.mark.parametrize(
    ("status", "said"), [(503, "answered 503"), (500, "answered 500"), (401, "answered 401")]
)
def test_approvalmax_public_api_faults_fail_approvalmax(
    status: int, said: str, library: Library
) -> None:
    s = with_faults(f"faults: [{{system: approvalmax, path: /api/v1/companies, status: {status}}}]")
    result, _ = diagnosed(s, library)
    approvalmax = next(s for s in result.systems if s.stage is Stage.APPROVALMAX)
    assert approvalmax in result.failed_systems
    assert approvalmax.error is not None and said in approvalmax.error
    assert "/api/v1/companies" in approvalmax.error
    assert "came through the adapter" in approvalmax.error  # the lists are still the adapter's
    assert approvalmax.item_counts  # and still used
    assert exit_code_for(result) is ExitCode.INCOMPLETE


def test_a_revoked_approvalmax_refresh_token_fails_approvalmax(
    tmp_path: Path, library: Library
) -> None:
    s = scenario_from_text(BASE)
    sandbox = Sandbox(s, require_sign_in=True)
    store = FileStore(tmp_path / "tokens.json")
    # A sign-in whose access token the server no longer takes and whose refresh token it
    # revoked (it never issued it): the refresh is refused with invalid_grant.
    tokens = TokenSet.from_response(
        {"access_token": "stale-access", "refresh_token": "revoked-refresh", "expires_in": 1800},
        now=datetime.now(UTC) + timedelta(minutes=5),
    )
    store.save("approvalmax", tokens)
    transport = SandboxTransport(sandbox)
    auth = OAuthAuth(
        system="ApprovalMax",
        name="approvalmax",
        store=store,
        token_url="http://sandbox.invalid/identity/approvalmax/connect/token",
        client_id="sandbox-am-app",
        client_secret="sandbox-client-secret",
        transport=transport,
    )
    base = sandbox_connections(sandbox, settings=SETTINGS)
    connections = replace(
        base,
        approvalmax=Endpoint("http://sandbox.invalid/approvalmax", auth=auth, transport=transport),
    )
    result = asyncio.run(diagnose(connections, library))
    approvalmax = next(st for st in result.systems if st.stage is Stage.APPROVALMAX)
    assert approvalmax in result.failed_systems
    assert approvalmax.error is not None and "invalid_grant" in approvalmax.error
    assert "revoked-refresh" not in approvalmax.error and "stale-access" not in approvalmax.error
    assert exit_code_for(result) is ExitCode.INCOMPLETE


# -- the cache ---------------------------------------------------------------------------------


def test_a_cache_that_cannot_be_saved_does_not_fail_the_read(tmp_path: Path) -> None:
    from troubleshooter.sources.cache import FetchCache

    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache's folder should be", encoding="utf-8")
    sandbox = Sandbox(scenario_from_text(BASE))
    connections = sandbox_connections(sandbox, settings=SETTINGS, cache=FetchCache(blocked))
    snapshots = asyncio.run(fetch_snapshots(connections))
    xero = snapshots[Stage.XERO]
    assert not xero.failed and len(xero.items[ItemKind.SUPPLIER]) == 5
    assert blocked.is_file()  # untouched


def test_the_reasons_hold_no_control_characters_from_the_server(library: Library) -> None:
    # A hostile adapter puts terminal escapes in its kind: the reason quotes it escaped.
    body = '{"kind": "supplier\\u001b[2J", "page": 1, "page_count": 1, "items": []}'
    s = with_faults(f"faults: [{{system: dext_adapter, path: /v1/items/supplier, body: '{body}'}}]")
    result, _ = diagnosed(s, library)
    dext = next(st for st in result.systems if st.stage is Stage.DEXT)
    reason = dext.kind_errors[ItemKind.SUPPLIER]
    assert "\x1b" not in reason and re.search(r"\\x1b", reason)


# -- compressed bodies: decoded within the cap -------------------------------------------------

COMPRESSED = {
    "adapter gzip bomb": (
        "dext_adapter",
        "/v1/items/supplier",
        "gzip_bomb",
        "sent more than 1 MiB",
    ),
    "xero gzip bomb": ("xero", "/api.xro/2.0/Contacts", "gzip_bomb", "sent more than 1 MiB"),
    "adapter gzip, gzip": (
        "dext_adapter",
        "/v1/items/supplier",
        "nested_gzip",
        "encoded 2 times over (gzip, gzip)",
    ),
    "xero gzip, gzip": (
        "xero",
        "/api.xro/2.0/Contacts",
        "nested_gzip",
        "encoded 2 times over (gzip, gzip)",
    ),
}


@pytest.mark.parametrize("case", COMPRESSED, ids=list(COMPRESSED))
def test_a_compressed_bomb_is_never_inflated_past_the_cap(
    case: str, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from troubleshooter.sources import decoding

    system, path, misbehaviour, reason = COMPRESSED[case]
    produced: list[tuple[int, int]] = []  # (limit, bytes decoded) of every call
    decode = decoding.BoundedDecoder.decode

    def counted(self: decoding.BoundedDecoder, data: bytes, limit: int) -> bytes:
        out = decode(self, data, limit)
        produced.append((limit, len(out)))
        return out

    monkeypatch.setattr(decoding.BoundedDecoder, "decode", counted)
    s = with_faults(f"faults: [{{system: {system}, path: {path}, misbehave: {misbehaviour}}}]")
    result, sandbox = diagnosed(s, library)
    stage = Stage.XERO if system == "xero" else Stage.DEXT
    unknown_not_missing(result, stage, SUPPLIERS, reason)
    bombs = [r for r in sandbox.log.requests if r.path.endswith(path)]
    assert bombs and all(r.bytes < 300_000 for r in bombs)  # small on the wire
    # Memory stays bounded: no call ever decoded more than one byte past the room it had, so
    # nothing near the 256 MiB the body inflates to was ever held.
    assert produced
    assert all(out <= limit + 1 <= MIB + 1 for limit, out in produced)
    if misbehaviour == "nested_gzip":
        # Refused from its header: none of it was decoded at all (a call for another list
        # may have run, but none produced more than a normal page).
        assert all(out < 64 * 1024 for _, out in produced)


def test_the_decoder_yields_at_most_the_room_it_is_given() -> None:
    from troubleshooter.sandbox.faults import BOMB_BYTES, gzip_bomb
    from troubleshooter.sources.decoding import BoundedDecoder

    decoder = BoundedDecoder("gzip")
    out = decoder.decode(gzip_bomb(), 1000)
    assert len(out) == 1001 and decoder.waiting  # one past the room: too big, and no more
    # With room, the rest comes out in bounded steps, and all of it is there.
    total = len(out)
    while decoder.waiting:
        total += len(decoder.decode(b"", MIB))
    total += len(decoder.finish(MIB))
    assert total == BOMB_BYTES


def _mock_client(handler: object) -> JsonClient:
    import httpx

    return JsonClient(
        "Dext adapter",
        "http://adapter.invalid",
        headers={"Authorization": "Bearer t"},
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        settings=SETTINGS,
    )


def _compressed(coding: str, data: bytes) -> bytes:
    import zlib

    if coding in ("gzip", "x-gzip"):
        packer = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    elif coding == "deflate":
        packer = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS)
    elif coding == "raw deflate":
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    else:
        return data
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize("coding", ["gzip", "x-gzip", "deflate", "raw deflate", "identity", ""])
def test_an_answer_in_one_coding_is_read(coding: str) -> None:
    import httpx

    payload = b'{"ok": true, "rows": [' + b'"row", ' * 10_000 + b'"last"]}'
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET" and request.url.path == "/v1/state"
        asked.append(request.headers.get("Accept-Encoding", ""))
        header = "deflate" if coding == "raw deflate" else coding
        headers = {"Content-Encoding": header} if header else {}
        body = httpx.ByteStream(_compressed(coding, payload))  # raw, as the wire has it
        return httpx.Response(200, stream=body, headers=headers)

    async def read() -> object:
        async with _mock_client(handler) as http:
            return await http.get_json("/v1/state")

    data = asyncio.run(read())
    assert isinstance(data, dict) and data["ok"] is True and len(data["rows"]) == 10_001
    assert asked == ["gzip"]  # one coding asked for, by name


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("gzip, gzip", "encoded 2 times over (gzip, gzip)"),
        ("gzip, deflate", "encoded 2 times over (gzip, deflate)"),
        ("br", "encoded as 'br', which this tool did not ask for"),
        ("compress", "encoded as 'compress'"),
    ],
)
def test_a_stacked_or_unknown_coding_fails_the_request(header: str, said: str) -> None:
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        body = httpx.ByteStream(b"\x1f\x8b whatever")
        return httpx.Response(200, stream=body, headers={"Content-Encoding": header})

    async def read() -> None:
        async with _mock_client(handler) as http:
            await http.get_json("/v1/state")

    with pytest.raises(SourceError, match=re.escape(said)):
        asyncio.run(read())


def test_a_body_that_is_not_its_coding_fails_the_request() -> None:
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        body = httpx.ByteStream(b"plainly not gzip")
        return httpx.Response(200, stream=body, headers={"Content-Encoding": "gzip"})

    async def read() -> None:
        async with _mock_client(handler) as http:
            await http.get_json("/v1/state")

    with pytest.raises(SourceError, match="not the gzip it says it is"):
        asyncio.run(read())
