"""The sandbox's sign-in services, shaped like Xero's and ApprovalMax's OAuth2 endpoints, so
that a whole sign-in (authorize, code, token, refresh) runs offline in a test that plays the
browser.

- `/identity/{xero|approvalmax}/connect/authorize`: "signs the user in" at once and redirects
  (302) to the redirect URI with a code and the state; only to a redirect URI on this computer
  (loopback), since anyone is signed in: a page elsewhere must not be handed a code;
- `/identity/{xero|approvalmax}/connect/token`: exchanges a code (Xero: the PKCE verifier must
  match the challenge; ApprovalMax: the client secret must match) or a refresh token, which is
  rotated: each refresh token works once.
- `/identity/{xero|approvalmax}/connect/revocation`: revokes a refresh token and the access
  tokens issued with it (RFC 7009: form-encoded `token` and `client_id`; an unknown token is
  answered 200 too, a token of another client `invalid_client`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from troubleshooter.infra.hosts import is_loopback_url

SANDBOX_CLIENT_SECRET = "sandbox-client-secret"
ACCESS_LIFETIME = 1800  # seconds, as Xero's


@dataclass
class _Grant:
    system: str
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str | None


@dataclass
class Identity:
    """Issued codes and tokens. `valid(token)` says whether an access token may be used."""

    client_secret: str = SANDBOX_CLIENT_SECRET
    codes: dict[str, _Grant] = field(default_factory=dict)
    access: dict[str, float] = field(default_factory=dict)  # token → expiry (time.time)
    refresh: dict[str, _Grant] = field(default_factory=dict)
    issued_with: dict[str, str] = field(default_factory=dict)  # refresh token → access token
    revoked: list[str] = field(default_factory=list)  # refresh tokens revoked, in order

    def routes(self) -> list[Route]:
        return [
            Route("/identity/{system}/connect/authorize", self.authorize),
            Route("/identity/{system}/connect/token", self.token, methods=["POST"]),
            Route("/identity/{system}/connect/revocation", self.revocation, methods=["POST"]),
        ]

    def valid(self, token: str) -> bool:
        expiry = self.access.get(token)
        return expiry is not None and expiry > time.time()

    def expired(self, token: str) -> bool:
        expiry = self.access.get(token)
        return expiry is not None and expiry <= time.time()

    def expire_all(self) -> None:
        """Makes every access token expired, as if half an hour had passed."""
        for token in self.access:
            self.access[token] = time.time() - 1

    async def authorize(self, request: Request) -> Response:
        system = request.path_params["system"]
        params = request.query_params
        missing = [
            p
            for p in ("response_type", "client_id", "redirect_uri", "scope", "state")
            if p not in params
        ]
        if system not in ("xero", "approvalmax") or missing or params["response_type"] != "code":
            return JSONResponse({"error": "invalid_request", "missing": missing}, status_code=400)
        if not is_loopback_url(params["redirect_uri"]):
            # The sandbox signs anyone in at once: sent elsewhere, its code would be a gift.
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "detail": "redirect_uri must be an address on this computer "
                    "(127.0.0.1, localhost)",
                },
                status_code=400,
            )
        challenge = params.get("code_challenge")
        if system == "xero" and (
            challenge is None or params.get("code_challenge_method") != "S256"
        ):
            return JSONResponse(
                {"error": "invalid_request", "detail": "PKCE S256 required"}, status_code=400
            )
        code = secrets.token_urlsafe(24)
        self.codes[code] = _Grant(
            system, params["client_id"], params["redirect_uri"], params["scope"], challenge
        )
        query = urlencode({"code": code, "state": params["state"], "scope": params["scope"]})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    async def revocation(self, request: Request) -> Response:
        system = request.path_params["system"]
        form = await _form(request)
        token, client_id = form.get("token"), form.get("client_id")
        if not token or not client_id:
            return _invalid("invalid_request")
        grant = self.refresh.get(token)
        if grant is None or grant.system != system:
            return Response(status_code=200)  # RFC 7009 2.2: an unknown token is no error
        if grant.client_id != client_id:
            return _invalid("invalid_client")
        if system == "approvalmax" and form.get("client_secret") != self.client_secret:
            return _invalid("invalid_client")
        del self.refresh[token]
        self.access.pop(self.issued_with.pop(token, ""), None)
        self.revoked.append(token)
        return Response(status_code=200)

    async def token(self, request: Request) -> Response:
        system = request.path_params["system"]
        form = await _form(request)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self.codes.pop(str(form.get("code", "")), None)
            if grant is None or grant.system != system:
                return _invalid("invalid_grant")
            if (
                form.get("redirect_uri") != grant.redirect_uri
                or form.get("client_id") != grant.client_id
            ):
                return _invalid("invalid_grant")
            if grant.challenge is not None:
                verifier = str(form.get("code_verifier", ""))
                digest = hashlib.sha256(verifier.encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
                    return _invalid("invalid_grant")
            if system == "approvalmax" and form.get("client_secret") != self.client_secret:
                return _invalid("invalid_client")
            return self._issue(grant)
        if grant_type == "refresh_token":
            old = str(form.get("refresh_token", ""))
            grant = self.refresh.pop(old, None)
            self.issued_with.pop(old, None)
            if grant is None or grant.system != system or form.get("client_id") != grant.client_id:
                return _invalid("invalid_grant")
            if system == "approvalmax" and form.get("client_secret") != self.client_secret:
                return _invalid("invalid_client")
            return self._issue(grant)
        return _invalid("unsupported_grant_type")

    def _issue(self, grant: _Grant) -> Response:
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        self.access[access] = time.time() + ACCESS_LIFETIME
        self.refresh[refresh] = grant
        self.issued_with[refresh] = access
        return JSONResponse(
            {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": ACCESS_LIFETIME,
                "token_type": "Bearer",
                "scope": grant.scope,
            }
        )


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body, read without python-multipart."""
    raw = parse_qs((await request.body()).decode("utf-8", "replace"))
    return {key: values[0] for key, values in raw.items()}


def _invalid(error: str) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=400)
