"""The sandbox's ApprovalMax public API: `/ping` and `/api/v1/companies` (the organisations the
token may read), as ApprovalMax documents them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from troubleshooter.sandbox.bearer import BearerCheck
from troubleshooter.sandbox.faults import error_body
from troubleshooter.sandbox.scenario import Scenario
from troubleshooter.sandbox.timeline import Timeline


class ApprovalMaxService:
    def __init__(self, scenario: Scenario, timeline: Timeline, bearer: BearerCheck) -> None:
        self.scenario = scenario
        self.timeline = timeline
        self.bearer = bearer

    def routes(self) -> list[Route]:
        return [Route("/ping", self.ping), Route("/api/v1/companies", self.companies)]

    async def ping(self, request: Request) -> Response:
        return PlainTextResponse("pong")

    async def companies(self, request: Request) -> Response:
        if self.bearer.problem(request) is not None:
            return JSONResponse(error_body("approvalmax", 401), status_code=401)
        return JSONResponse(
            [{"companyId": self.scenario.company_id, "name": self.timeline.approvalmax_name}]
        )
