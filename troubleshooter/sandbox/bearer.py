"""The bearer token check Xero and ApprovalMax share in the sandbox: any token is taken, unless
sign-in is required, then only the tokens the sandbox's own sign-in issued and that have not
expired."""

from __future__ import annotations

from starlette.requests import Request

from troubleshooter.sandbox.identity import Identity


class BearerCheck:
    def __init__(self, identity: Identity, required: bool = False) -> None:
        self.identity = identity
        self.required = required

    def problem(self, request: Request) -> str | None:
        """Why the bearer token is refused, or None."""
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token:
            return "AuthenticationUnsuccessful"
        if self.required and not self.identity.valid(token):
            if self.identity.expired(token):
                return "TokenExpired: token expired"
            return "AuthenticationUnsuccessful"
        return None
