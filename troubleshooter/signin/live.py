"""The real systems: signing in, and the connections a diagnosis uses once signed in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx

from troubleshooter.errors import ConfigError, SourceError
from troubleshooter.infra.urls import shown_url
from troubleshooter.model import OrganisationRef
from troubleshooter.signin.oauth import OAuthAuth, RedirectListener, SignIn, revoke
from troubleshooter.signin.settings import Settings
from troubleshooter.signin.tokens import TokenSet, TokenStore
from troubleshooter.sources.approvalmax import ApprovalMaxClient, match_company
from troubleshooter.sources.cache import FetchCache
from troubleshooter.sources.fetch import Connections, Endpoint
from troubleshooter.sources.http import HttpSettings, JsonClient
from troubleshooter.sources.xero import XeroClient, XeroConnection

XERO = "xero"
APPROVALMAX = "approvalmax"
Browser = Callable[[str], Awaitable[None] | None]
Choose = Callable[[list[XeroConnection]], XeroConnection]


def _xero_client_id(settings: Settings) -> str:
    if not settings.xero.client_id:
        raise ConfigError(
            "Xero: no client id; set xero.client_id in the settings file or "
            "TROUBLESHOOTER_XERO_CLIENT_ID (see `troubleshooter help connecting`)"
        )
    return settings.xero.client_id


def _approvalmax_client(settings: Settings) -> tuple[str, str]:
    am = settings.approvalmax
    if not am.client_id or am.client_secret is None:
        raise ConfigError(
            "ApprovalMax: no client id or secret; set approvalmax.client_id and "
            "TROUBLESHOOTER_APPROVALMAX_CLIENT_SECRET (see `troubleshooter help connecting`)"
        )
    return am.client_id, am.client_secret.get_secret_value()


def _xero_auth(
    settings: Settings, store: TokenStore, transport: httpx.AsyncBaseTransport | None = None
) -> OAuthAuth:
    return OAuthAuth(
        system="Xero",
        name=XERO,
        store=store,
        token_url=settings.xero.token_url,
        client_id=_xero_client_id(settings),
        scope=settings.xero.scopes,
        transport=transport,
    )


def _approvalmax_auth(
    settings: Settings, store: TokenStore, transport: httpx.AsyncBaseTransport | None = None
) -> OAuthAuth:
    """A signed-in ApprovalMax session. Without the secret at hand, the token is still used
    while it lasts; renewing it then fails with a "sign in again" message."""
    am = settings.approvalmax
    client_id = am.client_id or ""
    secret = am.client_secret.get_secret_value() if am.client_secret else None
    return OAuthAuth(
        system="ApprovalMax",
        name=APPROVALMAX,
        store=store,
        token_url=settings.approvalmax.token_url,
        client_id=client_id,
        client_secret=secret,
        transport=transport,
    )


async def _open(browser: Browser, url: str) -> None:
    result = browser(url)
    if result is not None:
        await result


async def sign_in_xero(
    settings: Settings,
    store: TokenStore,
    browser: Browser,
    choose: Choose,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 300,
) -> TokenSet:
    """Authorization code with PKCE through the person's browser, then the organisation."""
    xero = settings.xero
    client_id = _xero_client_id(settings)
    async with RedirectListener(xero.redirect_port) as listener:
        flow = SignIn(
            system="Xero",
            authorize=xero.authorize_url,
            token_url=xero.token_url,
            client_id=client_id,
            redirect_uri=listener.redirect_uri,
            scope=xero.scopes,
        )
        await _open(browser, flow.url)
        callback = await listener.wait(timeout)
    tokens = await flow.finish(callback, transport)
    store.save(XERO, tokens)
    auth = _xero_auth(settings, store, transport)
    async with JsonClient("Xero", xero.api_url, auth=auth, transport=transport) as http:
        organisations = [
            c for c in await XeroClient(http).connections() if c.tenant_type == "ORGANISATION"
        ]
    if not organisations:
        raise ConfigError("Xero: the sign-in is connected to no organisation")
    wanted = xero.tenant_id
    chosen = next((c for c in organisations if c.tenant_id == wanted), None) if wanted else None
    if chosen is None:
        chosen = organisations[0] if len(organisations) == 1 else choose(organisations)
    signed = auth.tokens.model_copy(
        update={"tenant_id": chosen.tenant_id, "organisation": chosen.tenant_name}
    )
    store.save(XERO, signed)
    return signed


async def sign_in_approvalmax(
    settings: Settings,
    store: TokenStore,
    browser: Browser,
    paste: Callable[[str], str],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    organisation: str | None = None,
    choose: Callable[[list[OrganisationRef]], OrganisationRef] | None = None,
) -> TokenSet:
    """Authorization code with the client secret. ApprovalMax takes only HTTPS redirect URIs,
    so the person pastes back the address the browser landed on."""
    am = settings.approvalmax
    client_id, secret = _approvalmax_client(settings)
    if not am.redirect_uri or not am.redirect_uri.startswith("https://"):
        raise ConfigError(
            "ApprovalMax: set approvalmax.redirect_uri to the HTTPS redirect URI registered for "
            "the app (ApprovalMax takes no other kind)"
        )
    flow = SignIn(
        system="ApprovalMax",
        authorize=am.authorize_url,
        token_url=am.token_url,
        client_id=client_id,
        client_secret=secret,
        redirect_uri=am.redirect_uri,
        scope=am.scopes,
        use_pkce=False,
    )
    await _open(browser, flow.url)
    landed = paste("Paste the address the browser landed on after you allowed access")
    tokens = await flow.finish(landed.strip(), transport)
    store.save(APPROVALMAX, tokens)
    auth = _approvalmax_auth(settings, store, transport)
    async with JsonClient("ApprovalMax", am.api_url, auth=auth, transport=transport) as http:
        companies = await ApprovalMaxClient(http).companies()
    company = match_company(companies, organisation)
    if company is None and companies and choose is not None:
        company = choose(companies)  # unsure: the person confirms which one
    if company is None and am.company_id:
        company = next((c for c in companies if c.id == am.company_id), None)
    signed = auth.tokens.model_copy(
        update={
            "tenant_id": company.id if company else None,
            "organisation": company.name if company else None,
        }
    )
    store.save(APPROVALMAX, signed)
    return signed


@dataclass(frozen=True)
class Status:
    name: str
    connected: bool
    detail: str


def status(settings: Settings, store: TokenStore, now: datetime | None = None) -> list[Status]:
    """What is connected and until when (an access token renews itself while the refresh
    token lasts: 60 days unused at Xero)."""
    now = now or datetime.now(UTC)
    out = []
    for name, label in ((XERO, "Xero"), (APPROVALMAX, "ApprovalMax")):
        tokens = store.load(name)
        if tokens is None:
            out.append(Status(label, False, f"not signed in (troubleshooter connect {name})"))
            continue
        org = f" to {tokens.organisation}" if tokens.organisation else ""
        if tokens.expires_at > now:
            minutes = int((tokens.expires_at - now).total_seconds() // 60)
            until = f"access token valid for {minutes} more min"
        else:
            until = "access token expired"
        renew = ", renews itself" if tokens.refresh_token else ", sign in again when it ends"
        out.append(Status(label, True, f"signed in{org}; {until}{renew} (kept in {store.kind})"))
    for name in ("approvalmax", "dext"):
        adapter = getattr(settings.adapters, name)
        label = f"{'ApprovalMax' if name == 'approvalmax' else 'Dext'} adapter"
        if adapter.url and adapter.token:
            out.append(Status(label, True, f"configured at {shown_url(adapter.url)}"))
        else:
            out.append(Status(label, False, f"not configured (adapters.{name}.url and token)"))
    return out


def live_connections(
    settings: Settings,
    store: TokenStore,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    cache: FetchCache | None = None,
) -> Connections:
    """Everything that is signed in or configured; what is not stays unknown in the diagnosis."""
    xero = approvalmax = None
    tenant = settings.xero.tenant_id
    xero_tokens = store.load(XERO)
    if xero_tokens is not None:
        xero = Endpoint(
            settings.xero.api_url,
            auth=_xero_auth(settings, store, transport),
            transport=transport,
            sign_in_hint="troubleshooter connect xero",
        )
        tenant = tenant or xero_tokens.tenant_id
    am_tokens = store.load(APPROVALMAX)
    if am_tokens is not None:
        approvalmax = Endpoint(
            settings.approvalmax.api_url,
            auth=_approvalmax_auth(settings, store, transport),
            transport=transport,
            sign_in_hint="troubleshooter connect approvalmax",
        )
    adapters = {}
    for name in ("approvalmax", "dext"):
        adapter = getattr(settings.adapters, name)
        if adapter.url and adapter.token is not None:
            adapters[name] = Endpoint(
                adapter.url, adapter.token.get_secret_value(), transport=transport
            )
    if xero is None and approvalmax is None and not adapters:
        raise ConfigError(
            "nothing is connected yet: to be guided through one item without connecting "
            'anything, run `troubleshooter check "NAME"`; to connect Xero, run '
            "`troubleshooter connect xero` (see `troubleshooter help connecting`); or try "
            "`troubleshooter diagnose --demo`"
        )
    http = settings.http
    return Connections(
        xero=xero,
        xero_tenant_id=tenant,
        approvalmax=approvalmax,
        approvalmax_adapter=adapters.get("approvalmax"),
        dext_adapter=adapters.get("dext"),
        approvalmax_organisation=am_tokens.organisation if am_tokens else None,
        settings=HttpSettings(
            timeout=http.timeout,
            attempts=http.attempts,
            max_retry_after=http.max_retry_after,
            max_in_flight=http.in_flight,
            **http.limits(),
        ),
        xero_per_minute=http.per_minute,
        cache=cache,
    )


@dataclass(frozen=True)
class Disconnected:
    """What `disconnect` did: whether there was a sign-in to forget, and whether the sign-in
    service revoked it (None: there was nothing to revoke, or the service offers no way)."""

    system: str
    forgotten: bool
    revoked: bool | None
    message: str  # one paragraph for the person, no token in it


async def disconnect(
    system: str,
    settings: Settings,
    store: TokenStore,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Disconnected:
    """Forgets a sign-in: revokes its refresh token with the sign-in service where the service
    offers revocation (Xero does), then deletes the tokens from the store, whether or not the
    service could be reached (the person asked for them to be gone). A store that is a link is
    refused before anything is sent."""
    if system not in (XERO, APPROVALMAX):
        raise ConfigError(f"{system!r}: disconnect xero or approvalmax")
    label = "Xero" if system == XERO else "ApprovalMax"
    tokens = store.load(system)
    if tokens is None:
        store.delete(system)  # a broken entry goes too
        return Disconnected(label, False, None, f"{label} was not signed in; nothing to forget.")
    section = settings.xero if system == XERO else settings.approvalmax
    secret = None
    if system == APPROVALMAX and settings.approvalmax.client_secret is not None:
        secret = settings.approvalmax.client_secret.get_secret_value()
    revoked: bool | None = None
    said = ""
    if tokens.refresh_token is None:
        said = " There was no refresh token to revoke."
    elif not section.revocation_url:
        said = (
            f" {label} documents no way for the tool to revoke it; it ends when it expires unused."
        )
    elif not section.client_id:
        revoked = False
        said = f" It could not be revoked at {label}: no client id is set."
    else:
        try:
            await revoke(
                section.revocation_url,
                tokens.refresh_token.get_secret_value(),
                client_id=section.client_id,
                client_secret=secret,
                system=label,
                transport=transport,
            )
            revoked = True
            said = f" {label} revoked it: the tokens no longer work anywhere."
        except SourceError as exc:
            revoked = False
            lasts = " (60 days unused at Xero)" if system == XERO else ""
            said = (
                f" It could not be revoked at {label} ({exc.reason}); the refresh token stays "
                f"valid there until it expires unused{lasts}."
            )
    store.delete(system)
    return Disconnected(label, True, revoked, f"Forgot the {label} sign-in.{said}")


__all__ = [
    "Disconnected",
    "OrganisationRef",
    "Status",
    "disconnect",
    "live_connections",
    "organisation_connections",
    "sign_in_approvalmax",
    "sign_in_xero",
    "status",
]


async def organisation_connections(
    settings: Settings,
    store: TokenStore,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[tuple[str, Connections]]:
    """The connections for each organisation the Xero sign-in reaches, with its name. The stage
    adapters speak for one organisation: they are used for the configured one only; the others
    ask their questions."""
    base = live_connections(settings, store, transport=transport)
    if base.xero is None:
        raise ConfigError("a practice run needs the Xero sign-in (troubleshooter connect xero)")
    async with base.xero.client("Xero", base.settings) as http:
        organisations = [
            c for c in await XeroClient(http).connections() if c.tenant_type == "ORGANISATION"
        ]
    found = []
    for org in organisations:
        own = org.tenant_id == base.xero_tenant_id
        connections = replace(
            base,
            xero_tenant_id=org.tenant_id,
            approvalmax_organisation=org.tenant_name,
            approvalmax_adapter=base.approvalmax_adapter if own else None,
            dext_adapter=base.dext_adapter if own else None,
        )
        found.append((org.tenant_name or org.tenant_id, connections))
    return found
