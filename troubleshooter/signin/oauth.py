"""OAuth2 sign-in: authorization code with PKCE (S256) for Xero, with a client secret for
ApprovalMax; a one-shot redirect listener on 127.0.0.1; token refresh that keeps the new
refresh token. Token calls are the only requests this project sends that are not GETs."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import string
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from troubleshooter.errors import ConfigError, SourceError
from troubleshooter.infra.redact import hold_secrets
from troubleshooter.infra.safetext import visible
from troubleshooter.infra.surrogates import without_lone_surrogates
from troubleshooter.signin.tokens import TokenSet, TokenStore
from troubleshooter.sources.decoding import (
    ACCEPT_ENCODING,
    BodyNotItsCoding,
    BodyTooBig,
    CodingRefused,
    read_body,
)

_VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"
QUOTE_LIMIT = 200  # characters of a sign-in service's message shown
PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>troubleshooter</title></head>"
    "<body style='font-family:system-ui;margin:3em'><h1>{title}</h1><p>{text}</p></body></html>"
)


@dataclass(frozen=True)
class Pkce:
    verifier: str = field(repr=False)
    challenge: str

    @classmethod
    def new(cls, length: int = 64) -> Pkce:
        """A code verifier of 43–128 characters from the unreserved set, and its S256
        challenge (RFC 7636)."""
        if not 43 <= length <= 128:
            raise ValueError("a PKCE verifier has 43 to 128 characters")
        verifier = "".join(secrets.choice(_VERIFIER_ALPHABET) for _ in range(length))
        return cls(verifier, s256(verifier))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    base: str,
    *,
    client_id: str,
    redirect_uri: str,
    scope: str,
    state: str,
    pkce: Pkce | None = None,
) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
    }
    if pkce is not None:
        params |= {"code_challenge": pkce.challenge, "code_challenge_method": "S256"}
    return f"{base}?{urlencode(params)}"


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Text someone else wrote, as a quotation: in quotes, control and bidi characters made
    visible, cut to `limit` characters. Never to be read as the tool's own words."""
    shown = visible(" ".join(text.split()))
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return f'"{shown}"'


def read_callback(url: str, expected_state: str) -> str:
    """The authorization code from the URL the browser was sent back to. The state is checked
    first: it ties the answer to this sign-in, so a request anyone on this computer can make
    (`curl localhost:8749/callback?error=…`) is refused without a word of what it says. An
    error that does carry the state is quoted as the sign-in service's words, escaped and cut
    short, never shown as the tool's own."""
    query = parse_qs(urlsplit(url).query)
    state = query.get("state", [""])[0]
    if not secrets.compare_digest(state.encode("utf-8"), expected_state.encode("utf-8")):
        raise ConfigError("the sign-in answer does not belong to this sign-in (state mismatch)")
    if "error" in query:
        error = query["error"][0]
        description = query.get("error_description", [""])[0]
        said = f" (the sign-in service's words: {quoted(description)})" if description else ""
        raise ConfigError(f"the sign-in was not completed: {quoted(error, 60)[1:-1]}{said}")
    code = query.get("code", [""])[0]
    if not code:
        raise ConfigError("the sign-in answer carries no authorization code")
    return code


class RedirectListener:
    """Answers one browser redirect on 127.0.0.1:PORT, then stops."""

    def __init__(self, port: int, path: str = "/callback") -> None:
        self.port = port
        self.path = path
        self._server: asyncio.Server | None = None
        self._result: asyncio.Future[str] | None = None

    async def __aenter__(self) -> RedirectListener:
        self._result = asyncio.get_running_loop().create_future()
        try:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on 127.0.0.1:{self.port} for the sign-in ({exc.strerror})"
            ) from None
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def redirect_uri(self) -> str:
        return f"http://localhost:{self.port}{self.path}"

    async def wait(self, timeout: float) -> str:
        """The full URL the browser came back to."""
        assert self._result is not None
        try:
            return await asyncio.wait_for(self._result, timeout)
        except TimeoutError:
            raise ConfigError(f"no sign-in came back within {timeout:.0f} s") from None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1")
            while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                pass
            method, target, *_ = [*request_line.split(" "), "", ""]
            if method != "GET" or not target.startswith(self.path):
                await _respond(writer, 404, "Not here", "This address only takes the sign-in.")
                return
            await _respond(
                writer, 200, "Signed in", "You can close this window and go back to the terminal."
            )
            if self._result is not None and not self._result.done():
                self._result.set_result(f"http://localhost:{self.port}{target}")
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()


async def _respond(writer: asyncio.StreamWriter, status: int, title: str, text: str) -> None:
    body = PAGE.format(title=title, text=text).encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode("ascii") + body)
    await writer.drain()


class TokenRefused(SourceError):
    """The sign-in service refused a token call; `error` is its OAuth error code (escaped)."""

    def __init__(self, system: str, message: str, *, error: str, status: int) -> None:
        super().__init__(system, message, status=status)
        self.error = error


MAX_TOKEN_ANSWER = 1024 * 1024  # a token answer is a few kilobytes


async def _post_form(
    url: str, form: dict[str, str], *, system: str, transport: httpx.AsyncBaseTransport | None
) -> tuple[int, object]:
    """POSTs a form to a sign-in service and reads its JSON answer: the status, and the
    parsed body ({} when it is not JSON). The body is decoded within a cap, as every answer
    is (sources/decoding.py). Errors name what happened, never a token."""
    async with httpx.AsyncClient(
        transport=transport, timeout=30, headers={"Accept-Encoding": ACCEPT_ENCODING}
    ) as client:
        try:
            async with client.stream(
                "POST", url, data=form, headers={"Accept": "application/json"}
            ) as response:
                raw = await read_body(response, MAX_TOKEN_ANSWER)
        except httpx.TransportError as exc:
            raise SourceError(
                system, f"the sign-in service could not be reached ({exc.__class__.__name__})"
            ) from None
        except (BodyTooBig, CodingRefused, BodyNotItsCoding) as exc:
            raise SourceError(
                system, f"the sign-in service answered with a body this tool does not read ({exc})"
            ) from None
    try:
        body = without_lone_surrogates(json.loads(raw))
    except (ValueError, RecursionError):
        body = {}
    return response.status_code, body


async def token_request(
    token_url: str,
    form: dict[str, str],
    *,
    system: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> TokenSet:
    """POSTs a token request (the one kind of write this project makes) and reads the answer.
    Errors name the OAuth error, never a token."""
    status, body = await _post_form(token_url, form, system=system, transport=transport)
    if status != 200 or not isinstance(body, dict) or "access_token" not in body:
        error = oauth_error(body, status)
        raise TokenRefused(
            system, f"the sign-in service refused the request ({error})", error=error, status=status
        )
    try:
        return TokenSet.from_response(body)
    except (ValueError, TypeError, OverflowError):
        raise SourceError(
            system, "the sign-in service answered with tokens in an unexpected shape"
        ) from None


def oauth_error(body: object, status: int) -> str:
    """The OAuth error code of a refusal (`invalid_grant`), as safe, short text."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, str) or not error:
        return f"HTTP {status}"
    return quoted(error, 60)[1:-1]


async def revoke(
    revocation_url: str,
    token: str,
    *,
    client_id: str,
    client_secret: str | None = None,
    system: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Revokes a refresh token with the sign-in service (RFC 7009: form-encoded `token`,
    `token_type_hint`, `client_id`): an OAuth token call, like the exchange and the refresh.
    Raises SourceError (TokenRefused for a refusal), never with the token in it."""
    form = {"token": token, "token_type_hint": "refresh_token", "client_id": client_id}
    if client_secret:
        form["client_secret"] = client_secret
    status, body = await _post_form(revocation_url, form, system=system, transport=transport)
    if status != 200:
        error = oauth_error(body, status)
        raise TokenRefused(
            system,
            f"the sign-in service refused to revoke the sign-in ({error})",
            error=error,
            status=status,
        )


class OAuthAuth:
    """A signed-in session: refreshes the access token shortly before it expires, and once when
    the server says it has; every refresh's new tokens replace the stored ones."""

    def __init__(
        self,
        *,
        system: str,
        name: str,
        store: TokenStore,
        token_url: str,
        client_id: str,
        client_secret: str | None = None,
        scope: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        leeway: float = 60,
    ) -> None:
        tokens = store.load(name)
        if tokens is None:
            raise ConfigError(f"{system}: not signed in (run `troubleshooter connect {name}`)")
        self.system = system
        self.name = name
        self.store = store
        self.tokens = tokens
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._transport = transport
        self._leeway = leeway
        self._lock = asyncio.Lock()
        self._held: list[str] = []  # every secret this sign-in has held, renewed ones too
        self._hold()

    def __repr__(self) -> str:
        return f"OAuthAuth(system={self.system!r}, tokens=***)"

    def _hold(self) -> None:
        """Registers the secrets held now with this run's redaction (infra/redact.py), so that
        a token renewed mid-run is cut out of everything printed or exported after."""
        values = [self.tokens.access_token.get_secret_value()]
        if self.tokens.refresh_token is not None:
            values.append(self.tokens.refresh_token.get_secret_value())
        if self._client_secret:
            values.append(self._client_secret)
        self._held.extend(v for v in values if v not in self._held)
        hold_secrets(values)

    async def header(self) -> str:
        if self.tokens.expires_within(self._leeway):
            await self.renew()
        return f"Bearer {self.tokens.access_token.get_secret_value()}"

    async def renew(self) -> bool:
        async with self._lock:
            if self.tokens.refresh_token is None:
                return False
            form = {
                "grant_type": "refresh_token",
                "refresh_token": self.tokens.refresh_token.get_secret_value(),
                "client_id": self._client_id,
            }
            if self._scope:
                form["scope"] = self._scope
            if self._client_secret:
                form["client_secret"] = self._client_secret
            try:
                fresh = await token_request(
                    self._token_url, form, system=self.system, transport=self._transport
                )
            except TokenRefused as exc:
                raise TokenRefused(
                    self.system, self._refused(exc.error), error=exc.error, status=exc.status or 0
                ) from None
            fresh.tenant_id = self.tokens.tenant_id
            fresh.organisation = self.tokens.organisation
            if fresh.refresh_token is None:  # a server that does not rotate: keep the old one
                fresh.refresh_token = self.tokens.refresh_token
            self.tokens = fresh
            self._hold()  # before anything can print or save them
            self.store.save(self.name, fresh)
            return True

    def _refused(self, error: str) -> str:
        """What a refused refresh means, and what to do: sign in again."""
        again = f"sign in again: run `troubleshooter connect {self.name}`"
        if error == "invalid_grant":
            return f"the sign-in has ended or was revoked (invalid_grant); {again}"
        if error == "invalid_client" and self._client_secret is None and self.name != "xero":
            return (
                f"the sign-in could not be renewed without the app's client secret "
                f"(invalid_client): set TROUBLESHOOTER_{self.name.upper()}_CLIENT_SECRET, or "
                f"{again}"
            )
        return f"the sign-in service refused to renew the sign-in ({error}); {again}"

    def secrets(self) -> list[str]:
        """Every secret this sign-in has held: the tokens it renewed, and those it replaced
        (an answer may quote an old one)."""
        return list(self._held)


@dataclass
class SignIn:
    """One browser sign-in, step by step: where to send the person, then the code back."""

    system: str
    authorize: str
    token_url: str
    client_id: str
    redirect_uri: str
    scope: str
    client_secret: str | None = field(default=None, repr=False)
    use_pkce: bool = True
    state: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    pkce: Pkce | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.use_pkce and self.pkce is None:
            self.pkce = Pkce.new()

    @property
    def url(self) -> str:
        return authorize_url(
            self.authorize,
            client_id=self.client_id,
            redirect_uri=self.redirect_uri,
            scope=self.scope,
            state=self.state,
            pkce=self.pkce,
        )

    async def finish(
        self, callback_url: str, transport: httpx.AsyncBaseTransport | None = None
    ) -> TokenSet:
        code = read_callback(callback_url, self.state)
        form = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "code": code,
            "redirect_uri": self.redirect_uri,
        }
        if self.pkce is not None:
            form["code_verifier"] = self.pkce.verifier
        if self.client_secret:
            form["client_secret"] = self.client_secret
        return await token_request(self.token_url, form, system=self.system, transport=transport)
