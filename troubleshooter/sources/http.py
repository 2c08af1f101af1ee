"""One JSON-over-HTTP client per system: GET only, timeouts, bounded concurrency and retries,
and a cap on what an answer may weigh.

Retries follow httpx-retries' semantics: 429, 502, 503 and 504 and dropped or timed-out
connections are retried a bounded number of times; `Retry-After` is honoured up to a cap;
otherwise the wait is an exponential backoff with jitter. Nothing else is retried. Errors become
`SourceError`s whose text names the system and what happened, never a token.

Answers are streamed and read up to `max_body_bytes` (after decompression): an endless or huge
body stops there and fails that request, instead of filling memory and taking the other
systems down with it. The raw bytes are decoded here (sources/decoding.py), never more at once
than the room left under the cap, so a compressed bomb is cut off like any other huge body; a
stacked or unknown `Content-Encoding` fails the request. The whole request, body included, is
bounded by `timeout`.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import random
import ssl
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from troubleshooter.errors import SourceError
from troubleshooter.infra.surrogates import may_hold_surrogates, without_lone_surrogates
from troubleshooter.sources.auth import Auth
from troubleshooter.sources.decoding import (
    ACCEPT_ENCODING,
    BodyNotItsCoding,
    BodyTooBig,
    CodingRefused,
    read_body,
)
from troubleshooter.sources.paging import MAX_PAGES
from troubleshooter.sources.ratelimit import DayLimitReached, RateLimiter

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# One renewal at a time per sign-in, shared by every client that uses it.
_RENEWING: weakref.WeakKeyDictionary[Auth, asyncio.Lock] = weakref.WeakKeyDictionary()


MAX_BODY_BYTES = 32 * 1024 * 1024  # a page of 1,000 full Xero contacts is a few MB


@dataclass(frozen=True)
class HttpSettings:
    timeout: float = 30.0
    attempts: int = 4
    max_retry_after: float = 60.0
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_in_flight: int = 5
    per_minute: int | None = None  # Xero's 60 for live organisations; None: no minute cap
    max_body_bytes: int = MAX_BODY_BYTES  # an answer longer than this fails (http.max_body_mb)
    max_pages: int = MAX_PAGES  # a list claiming more pages fails (http.max_pages)


@dataclass
class RateState:
    """The rate-limit headers of the latest answer (Xero sends them on every response)."""

    minute_remaining: int | None = None
    day_remaining: int | None = None
    app_minute_remaining: int | None = None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class JsonClient:
    """GETs JSON from one system. There is deliberately no method that writes."""

    def __init__(
        self,
        system: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        settings: HttpSettings | None = None,
        auth: Auth | None = None,
        limiter: RateLimiter | None = None,
        sign_in_hint: str | None = None,
    ) -> None:
        self.system = system
        self.settings = settings or HttpSettings()
        self.rate = RateState()
        self.requests_made = 0
        self.bytes_received = 0
        self.auth = auth
        self.sign_in_hint = sign_in_hint
        self.limiter = limiter or RateLimiter(
            system, per_minute=self.settings.per_minute, in_flight=self.settings.max_in_flight
        )
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            # One coding, gzip, asked for by name (httpx would offer br and zstd where those
            # packages happen to be installed): what comes back is decoded here, bounded.
            headers={
                "Accept": "application/json",
                "Accept-Encoding": ACCEPT_ENCODING,
                **(headers or {}),
            },
            timeout=httpx.Timeout(self.settings.timeout),
            transport=transport,
            follow_redirects=False,
            verify=tls_context(),
        )

    async def __aenter__(self) -> JsonClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def base_url(self) -> str:
        return str(self._client.base_url).rstrip("/")

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get_json(
        self,
        path: str,
        params: Mapping[str, str | int | bool] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        response = await self.get(path, params=params, headers=headers)
        return self._json(path, response)

    async def get_valid(
        self,
        path: str,
        shape: TypeAdapter[T],
        params: Mapping[str, str | int | bool] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """An answer held to `shape` straight from its bytes: pydantic-core parses and
        validates in one pass, without Python's dictionaries in between. What it does not
        parse as JSON (a byte-order mark, another Unicode encoding, a lone surrogate, a
        control character) takes the road `get_json` takes, so it is read, or refused, as it
        always was. A body that is JSON of another shape raises pydantic's ValidationError,
        for the caller to say what was expected."""
        response = await self.get(path, params=params, headers=headers)
        return self.validated(path, response, shape)

    def validated(self, path: str, response: httpx.Response, shape: TypeAdapter[T]) -> T:
        """`response`'s body held to `shape` (see `get_valid`)."""
        try:
            return shape.validate_json(response.content)
        except ValidationError as exc:
            if not any(error["type"] == "json_invalid" for error in exc.errors()):
                raise
        return shape.validate_python(self._json(path, response))

    def _json(self, path: str, response: httpx.Response) -> Any:
        try:
            return json_of(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise SourceError(
                self.system,
                f"{path} answered with something that is not JSON "
                f"({len(response.content)} bytes; truncated or not an API response)",
                status=response.status_code,
            ) from None
        except RecursionError:
            raise SourceError(
                self.system,
                f"{path} answered with JSON nested too deeply to read (not an API response)",
                status=response.status_code,
            ) from None
        except ValueError:  # an integer of more than 4,300 digits
            raise SourceError(
                self.system,
                f"{path} answered with a number too long to read (not an API response)",
                status=response.status_code,
            ) from None

    async def get(
        self,
        path: str,
        params: Mapping[str, str | int | bool] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        query = {k: _query_value(v) for k, v in (params or {}).items()}
        attempt = 0
        renewed = False
        while True:
            attempt += 1
            wait: float | None = None
            sent = dict(headers or {})
            if self.auth is not None:
                sent["Authorization"] = await self.auth.header()
            try:
                await self.limiter.acquire()
                try:
                    self.requests_made += 1
                    # httpx's own timeouts cover each socket operation; this one caps the whole
                    # request and its body, whatever the transport (in process, no socket).
                    async with asyncio.timeout(self.settings.timeout):
                        response = await self._fetch(path, query, sent)
                    # Still counted in flight, so the limiter can tell which answers it saw.
                    self._note_rate(response)
                finally:
                    self.limiter.release()
                self.bytes_received += len(response.content)
            except (httpx.TimeoutException, TimeoutError):
                problem = f"{path} did not answer within {self.settings.timeout:g} s"
            except httpx.TransportError as exc:
                problem = f"{path}: the connection failed ({_transport_problem(exc)})"
            else:
                if response.is_success:
                    return response
                if response.status_code == 401 and not renewed and self.auth is not None:
                    renewed = True
                    if await self._renewed(sent.get("Authorization", "")):
                        attempt -= 1  # an expired token: refreshed once, then retried
                        continue
                if response.status_code not in RETRY_STATUSES:
                    raise SourceError(
                        self.system, self._refusal(path, response), status=response.status_code
                    )
                problem = _status_problem(path, response)
                if response.status_code == 429 and _limit_problem(response) == "day":
                    raise DayLimitReached(
                        self.system,
                        f"{problem}: the daily limit for this organisation is spent; it resets "
                        f"in {_hours(retry_after_seconds(response.headers.get('Retry-After')))}",
                        status=429,
                    )
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if wait is not None and wait > self.settings.max_retry_after:
                    raise SourceError(
                        self.system,
                        f"{problem}; it asks to wait {wait:.0f} s, more than the "
                        f"{self.settings.max_retry_after:.0f} s this run will wait",
                        status=response.status_code,
                    )
            if attempt >= self.settings.attempts:
                raise SourceError(self.system, f"{problem} (gave up after {attempt} attempts)")
            await asyncio.sleep(wait if wait is not None else self._backoff(attempt))

    async def _renewed(self, refused: str) -> bool:
        """After a 401: a fresh token. Requests refused together (five in flight when the
        token expired) wait for one refresh and take its token, instead of refreshing five
        times over."""
        assert self.auth is not None
        lock = _RENEWING.setdefault(self.auth, asyncio.Lock())
        async with lock:
            if await self.auth.header() != refused:
                return True  # another request renewed it meanwhile
            return await self.auth.renew()

    async def _fetch(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> httpx.Response:
        """One GET, its raw body read as it streams in, decoded here within the cap (a small
        compressed body must not inflate to gigabytes before it can be counted), and refused
        beyond it."""
        cap = self.settings.max_body_bytes
        async with self._client.stream("GET", path, params=query, headers=headers) as streamed:
            try:
                body = await read_body(streamed, cap)
            except BodyTooBig as exc:
                raise self._too_big(path, cap, str(exc)) from None
            except CodingRefused as exc:
                raise SourceError(
                    self.system,
                    f"{path} answered {streamed.status_code} with a body this tool does not "
                    f"read: {exc}",
                    status=streamed.status_code,
                ) from None
            except BodyNotItsCoding as exc:
                raise SourceError(
                    self.system,
                    f"{path} answered with a body that is not the {exc} it says it is (broken "
                    "in transit, or not an API response)",
                    status=streamed.status_code,
                ) from None
        # The body is decoded already: the new response must not decode it again.
        kept = [
            (k, v)
            for k, v in streamed.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            streamed.status_code,
            headers=kept,
            content=body,
            request=streamed.request,
            extensions={"reason_phrase": streamed.reason_phrase.encode("ascii", "replace")},
        )

    def _too_big(self, path: str, cap: int, detail: str) -> SourceError:
        return SourceError(
            self.system,
            f"{path} sent more than {_size(cap)} ({detail}); an answer that large is broken "
            "or hostile, so it was not read (the cap is http.max_body_mb)",
        )

    def _refusal(self, path: str, response: httpx.Response) -> str:
        """What a refusal means, in words a person can act on."""
        problem = _status_problem(path, response)
        if response.status_code == 401:
            hint = f"; sign in again ({self.sign_in_hint})" if self.sign_in_hint else ""
            return f"{problem}: the sign-in was refused or has expired{hint}"
        if response.status_code == 403:
            return (
                f"{problem}: access refused: the token is for another organisation, or a scope "
                "is missing (Xero needs accounting.settings.read and accounting.contacts.read)"
            )
        return problem

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.settings.max_backoff, self.settings.backoff * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)

    def _note_rate(self, response: httpx.Response) -> None:
        for header, name in (
            ("X-MinLimit-Remaining", "minute_remaining"),
            ("X-DayLimit-Remaining", "day_remaining"),
            ("X-AppMinLimit-Remaining", "app_minute_remaining"),
        ):
            value = response.headers.get(header)
            if value is not None and value.isdigit():
                setattr(self.rate, name, int(value))
        self.limiter.observe(self.rate.minute_remaining, self.rate.day_remaining)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificates every client verifies servers with, loaded once: httpx loads them
    for each client it makes (25 ms each, four clients a run) unless given a context; this is
    the context it would make (certifi's roots, `SSL_CERT_FILE` and `SSL_CERT_DIR` honoured)."""
    return httpx.create_ssl_context()


def _size(count: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= scale:
            return f"{count / scale:.4g} {unit}"
    return f"{count:,} bytes"


def _limit_problem(response: httpx.Response) -> str:
    return str(response.headers.get("X-Rate-Limit-Problem", "")).strip().lower()


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return "less than a day"
    return f"about {max(1, round(seconds / 3600))} h"


def _query_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _transport_problem(exc: httpx.TransportError) -> str:
    text = str(exc) or exc.__class__.__name__
    return text.splitlines()[0][:200]


def json_of(content: bytes) -> Any:
    """An answer's JSON, with lone surrogates replaced (infra/surrogates.py): a name holding
    `\\ud800` must not make every output fail to encode it."""
    data = json.loads(content)
    return without_lone_surrogates(data) if may_hold_surrogates(content) else data


def _status_problem(path: str, response: httpx.Response) -> str:
    detail = ""
    try:
        body = json_of(response.content)
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        for key in ("Detail", "detail", "Message", "message", "title", "Title"):
            value = body.get(key)
            if isinstance(value, str) and value:
                detail = value
                break
        error = body.get("error")
        if not detail and isinstance(error, dict) and isinstance(error.get("message"), str):
            detail = error["message"]
    reason = response.reason_phrase or "error"
    text = f"{path} answered {response.status_code} {reason}"
    if response.status_code == 429:
        problem = response.headers.get("X-Rate-Limit-Problem")
        text += f" (rate limit{': ' + problem if problem else ''})"
    return f"{text}: {detail[:200]}" if detail and detail != reason else text
