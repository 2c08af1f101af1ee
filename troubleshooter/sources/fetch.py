"""Fetches the three systems concurrently; each becomes one StageSnapshot, failed or not.

Two ways to follow a fetch, neither of which prints anything:

- `progress(stage, text)`: each system's start and end, as "fetching", "done" or
  "failed: <reason>";
- `events(FetchEvent)`: the same, and as it goes: pages read of pages known per list, a wait
  for Xero's minute limit with its length, and an estimate of what is left. `describe(event)`
  renders one as a line of plain text (control characters made visible).

A focused run (`focus`) asks Xero only for what the item needs: the small lists whole and the
contacts Xero's search finds. ApprovalMax and Dext are read whole (their lists are what the
item is compared with); a contact they hold under a name the focus matches, with a Xero id the
search did not return, is then looked up in Xero by id, so an item renamed in Xero is not
taken for one missing from it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

import httpx

from troubleshooter.errors import TroubleshooterError
from troubleshooter.infra.gcpause import collector_paused
from troubleshooter.infra.safetext import visible
from troubleshooter.model import ItemKind, Provenance, Stage, StageSnapshot, normalise_name
from troubleshooter.sources.adapter import StageAdapterClient
from troubleshooter.sources.approvalmax import ApprovalMaxClient, approvalmax_snapshot
from troubleshooter.sources.auth import Auth, StaticAuth
from troubleshooter.sources.cache import FetchCache
from troubleshooter.sources.dext import dext_snapshot
from troubleshooter.sources.http import HttpSettings, JsonClient
from troubleshooter.sources.ratelimit import RateLimiter
from troubleshooter.sources.xero import CONTACTS_PAGE_SIZE, XeroClient

Progress = Callable[[Stage, str], None]
EventState = Literal["fetching", "reading", "waiting", "done", "failed"]


@dataclass(frozen=True)
class FetchEvent:
    """How one system's fetch is going.

    `state`: "fetching" (started), "reading" (a page of `what` came in: `pages_read` of
    `pages_known`, None while not known), "waiting" (for Xero's minute limit, `waiting`
    seconds), "done", or "failed" (`error` says why). `estimate`: seconds left for `what`,
    where it can be told (from the pace so far and the minute limit)."""

    stage: Stage
    state: EventState
    what: str = ""
    pages_read: int | None = None
    pages_known: int | None = None
    waiting: float | None = None
    estimate: float | None = None
    error: str | None = None


Events = Callable[[FetchEvent], None]


def describe(event: FetchEvent) -> str:
    """One line of plain text for a person, e.g. "Xero: contacts, page 12 of 50, about 40 s
    left". Text from the systems (an error) has its control characters made visible."""
    head = f"{event.stage.label}: "
    if event.state == "fetching":
        return head + "fetching"
    if event.state == "done":
        return head + "done"
    if event.state == "failed":
        return head + "failed: " + visible(event.error or "unknown reason")
    if event.state == "waiting":
        seconds = event.waiting or 0.0
        return head + f"waiting {_seconds(seconds)} for Xero's minute limit"
    text = head + (event.what or "reading")
    if event.pages_read is not None:
        if event.pages_known is not None:
            text += f", page {event.pages_read} of {event.pages_known}"
        else:
            text += f", page {event.pages_read}"
    if event.estimate is not None and event.estimate >= 1:
        text += f", about {_seconds(event.estimate)} left"
    return text


def describe_short(event: FetchEvent) -> str:
    """`describe`'s words for a narrow place (a card 20 columns wide), without the system's
    name: "contacts 12/50 · 40 s left", "minute limit, 12 s". Empty where `describe`'s own
    words are already short (fetching, done, failed: a failure's reason is never cut short
    here)."""
    if event.state == "waiting":
        return f"minute limit, {_seconds(event.waiting or 0.0)}"
    if event.state != "reading" or event.pages_read is None:
        return ""
    text = f"{event.what or 'page'} {event.pages_read}"
    if event.pages_known is not None:
        text += f"/{event.pages_known}"
    if event.estimate is not None and event.estimate >= 1:
        text += f" · {_seconds(event.estimate)} left"
    return text


def _seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


@dataclass(frozen=True)
class Endpoint:
    """Where one system answers, and how to authenticate (never printed)."""

    base_url: str
    token: str | None = field(default=None, repr=False)
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False, compare=False)
    auth: Auth | None = field(default=None, repr=False, compare=False)
    sign_in_hint: str | None = None

    def credentials(self) -> Auth:
        if self.auth is not None:
            return self.auth
        if self.token is None:
            raise ValueError("an endpoint needs a token or an auth")
        return StaticAuth(self.token)

    def client(
        self, system: str, settings: HttpSettings, limiter: RateLimiter | None = None
    ) -> JsonClient:
        return JsonClient(
            system,
            self.base_url,
            auth=self.credentials(),
            transport=self.transport,
            settings=settings,
            limiter=limiter,
            sign_in_hint=self.sign_in_hint,
        )


@dataclass(frozen=True)
class Connections:
    """Everything needed to reach the three systems of one organisation."""

    xero: Endpoint | None = None
    xero_tenant_id: str | None = None
    approvalmax: Endpoint | None = None
    approvalmax_adapter: Endpoint | None = None
    dext_adapter: Endpoint | None = None
    sandbox: bool = False
    settings: HttpSettings = field(default_factory=HttpSettings)
    contacts_page_size: int = CONTACTS_PAGE_SIZE
    xero_per_minute: int | None = None  # Xero's 60 a minute per organisation; None: no cap
    approvalmax_organisation: str | None = None  # which of the token's organisations is ours
    cache: FetchCache | None = field(default=None, compare=False)  # Xero's lists, incremental
    xero_app_limiter: RateLimiter | None = field(default=None, compare=False)  # across orgs

    def secrets(self) -> list[str]:
        """The tokens this run uses: redaction cuts them out of anything that leaves."""
        endpoints = (self.xero, self.approvalmax, self.approvalmax_adapter, self.dext_adapter)
        return [s for e in endpoints if e is not None for s in e.credentials().secrets()]


def _failed(stage: Stage, provenance: Provenance, exc: BaseException) -> StageSnapshot:
    if isinstance(exc, TroubleshooterError):
        reason = str(exc)
    else:  # a bug or an unforeseen answer: say so, and let the run finish
        reason = f"{stage.label}: unexpected error ({exc.__class__.__name__}: {exc})"
    return StageSnapshot(stage=stage, provenance=provenance, reached=False, error=reason)


class _Reporter:
    """Turns what the clients say into events (and the plain progress of old), with an
    estimate of what is left of each paged list."""

    def __init__(
        self,
        progress: Progress | None,
        events: Events | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.progress = progress
        self.events = events
        self.clock = clock
        self._began: dict[tuple[Stage, str], float] = {}

    def emit(self, event: FetchEvent) -> None:
        if self.events is not None:
            self.events(event)

    def started(self, stage: Stage) -> None:
        if self.progress:
            self.progress(stage, "fetching")
        self.emit(FetchEvent(stage, "fetching"))

    def finished(self, snapshot: StageSnapshot) -> None:
        if snapshot.failed:
            reason = snapshot.error or "; ".join(snapshot.kind_errors.values())
            if self.progress:
                self.progress(snapshot.stage, "failed: " + (snapshot.error or ""))
            self.emit(FetchEvent(snapshot.stage, "failed", error=reason))
        else:
            if self.progress:
                self.progress(snapshot.stage, "done")
            self.emit(FetchEvent(snapshot.stage, "done"))

    def pages(
        self, stage: Stage, limiter: RateLimiter | None = None
    ) -> Callable[[str, int, int | None], None]:
        def page(what: str, read: int, known: int | None) -> None:
            now = self.clock()
            began = self._began.setdefault((stage, what), now)
            estimate = None
            if known is not None:
                left = max(0, known - read)
                # `began` is when the first page came in: the pace is of the pages since.
                pace = (now - began) / (read - 1) * left if read > 1 else 0.0
                bound = limiter.minute_wait(left) if limiter is not None else 0.0
                estimate = max(pace, bound)
            self.emit(FetchEvent(stage, "reading", what, read, known, estimate=estimate))

        return page

    def waiting(self, stage: Stage) -> Callable[[float], None]:
        def wait(seconds: float) -> None:
            self.emit(FetchEvent(stage, "waiting", "minute limit", waiting=seconds))

        return wait


async def fetch_snapshots(
    connections: Connections,
    progress: Progress | None = None,
    *,
    focus: str | None = None,
    events: Events | None = None,
) -> dict[Stage, StageSnapshot]:
    """The three systems' snapshots. `focus` (a code, a name or part of one, or an item's key)
    keeps Xero's contacts to those the item needs; `events` follows the fetch as it goes.

    The collector is paused for the read (infra/gcpause.py): nearly everything a read makes
    is kept, so each collection meanwhile walked the items made so far once more (a quarter
    of the client's time reading the large organisation). What a read throws away is freed
    by reference counting as it goes; the little that forms cycles (about 7,000 objects in
    the 150 requests of that read: tasks, streams) waits for the collector to run again."""
    with collector_paused():
        return await _fetch(connections, progress, focus=focus, events=events)


async def _fetch(
    connections: Connections,
    progress: Progress | None,
    *,
    focus: str | None,
    events: Events | None,
) -> dict[Stage, StageSnapshot]:
    settings = connections.settings
    api = Provenance.SANDBOX if connections.sandbox else Provenance.API
    adapter = Provenance.SANDBOX if connections.sandbox else Provenance.ADAPTER
    report = _Reporter(progress, events)
    xero_http: JsonClient | None = None
    xero_client: XeroClient | None = None
    if connections.xero is not None:
        limiter = RateLimiter(
            "Xero",
            per_minute=connections.xero_per_minute,
            in_flight=settings.max_in_flight,
            parent=connections.xero_app_limiter,
        )
        limiter.on_wait = report.waiting(Stage.XERO)
        xero_http = connections.xero.client("Xero", settings, limiter)
        xero_client = XeroClient(
            xero_http,
            connections.xero_tenant_id,
            provenance=api,
            contacts_page_size=connections.contacts_page_size,
            cache=connections.cache,
            progress=report.pages(Stage.XERO, limiter),
        )

    async def xero() -> StageSnapshot:
        if xero_client is None:
            return StageSnapshot(
                stage=Stage.XERO,
                provenance=api,
                reached=False,
                configured=False,
                error="not connected: no Xero access is configured",
            )
        return await xero_client.snapshot(focus)

    async def approvalmax() -> StageSnapshot:
        public = adapter_http = None
        try:
            if connections.approvalmax:
                public = connections.approvalmax.client("ApprovalMax", settings)
            if connections.approvalmax_adapter:
                adapter_http = connections.approvalmax_adapter.client(
                    "ApprovalMax adapter", settings
                )
            return await approvalmax_snapshot(
                ApprovalMaxClient(public) if public else None,
                StageAdapterClient(
                    Stage.APPROVALMAX,
                    adapter_http,
                    provenance=adapter,
                    progress=report.pages(Stage.APPROVALMAX),
                )
                if adapter_http
                else None,
                connections.approvalmax_organisation,
            )
        finally:
            for http in (public, adapter_http):
                if http is not None:
                    await http.aclose()

    async def dext() -> StageSnapshot:
        if connections.dext_adapter is None:
            return await dext_snapshot(None)
        async with connections.dext_adapter.client("Dext adapter", settings) as http:
            return await dext_snapshot(
                StageAdapterClient(
                    Stage.DEXT, http, provenance=adapter, progress=report.pages(Stage.DEXT)
                )
            )

    async def guarded(
        stage: Stage, provenance: Provenance, work: Callable[[], Awaitable[StageSnapshot]]
    ) -> StageSnapshot:
        report.started(stage)
        try:
            snapshot = await work()
        except Exception as exc:
            snapshot = _failed(stage, provenance, exc)
        if stage is not Stage.XERO or focus is None:  # a focused Xero may look again, below
            report.finished(snapshot)
        return snapshot

    try:
        results = await asyncio.gather(
            guarded(Stage.XERO, api, xero),
            guarded(Stage.APPROVALMAX, adapter, approvalmax),
            guarded(Stage.DEXT, adapter, dext),
        )
        snapshots = {snapshot.stage: snapshot for snapshot in results}
        if focus is not None:
            if xero_client is not None:
                await _second_look(xero_client, snapshots, focus)
            report.finished(snapshots[Stage.XERO])
    finally:
        if xero_http is not None:
            await xero_http.aclose()
    return snapshots


async def _second_look(
    client: XeroClient, snapshots: dict[Stage, StageSnapshot], focus: str
) -> None:
    """After a focused read: the contacts ApprovalMax or Dext hold under a name the focus
    matches, with a Xero id Xero's search did not return (renamed in Xero since, say), looked
    up by id. If that fails, Xero's contacts are unknown rather than wrongly missing."""
    xero = snapshots[Stage.XERO]
    if ItemKind.SUPPLIER not in xero.partial:
        return
    held = {(i.xero_id or "").lower() for i in xero.items.get(ItemKind.SUPPLIER, [])}
    wanted = normalise_name(focus)
    ids: list[str] = []
    for stage in (Stage.APPROVALMAX, Stage.DEXT):
        for item in snapshots[stage].items.get(ItemKind.SUPPLIER, []):
            key = (item.xero_id or "").lower()
            if key and key not in held and wanted in normalise_name(item.name):
                held.add(key)
                ids.append(item.xero_id)  # type: ignore[arg-type]
    if not ids:
        return
    try:
        found = await client.contacts_by_ids(ids)
    except Exception as exc:  # the run goes on: Xero's contacts become unknown, with why
        reason = str(_failed(Stage.XERO, Provenance.API, exc).error)
        xero.items.pop(ItemKind.SUPPLIER, None)
        xero.partial.pop(ItemKind.SUPPLIER, None)
        xero.kind_errors[ItemKind.SUPPLIER] = (
            f"{reason} (looking up by id the contacts ApprovalMax or Dext hold under that name)"
        )
        return
    xero.items[ItemKind.SUPPLIER].extend(found)
