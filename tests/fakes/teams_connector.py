"""A fake Bot Connector service on loopback: what Teams' `serviceUrl` points at, for tests that run Convene's
real Teams adapter and messenger (the Agents SDK's connector client over HTTP).

It records every call, answers as the Bot Connector does (`POST /v3/conversations` to open a personal chat,
`POST /v3/conversations/{id}/activities[/{replyToId}]` to send, `PUT …/activities/{activityId}` to edit),
keeps the activities sent so that tests can read their cards and press their buttons, and can be told to
answer a kind of call with 429 (and Retry-After), 403, 404 or 5xx a number of times.

    fake.url                                     the serviceUrl activities carry
    fake.fail("send", status=403, times=1)       the next send is refused ("create", "send", "update", "any")
    await fake.wait_for(lambda c: c.kind == "update")
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from tests.fakes import serve_on_loopback

BOT_ID = "28:convene-bot"
ERRORS = {
    403: ("BotNotInConversationRoster", "The bot is not part of the conversation roster."),
    404: ("ConversationNotFound", "Conversation not found."),
    412: ("PreconditionFailed", "Precondition failed, please try again."),
    429: ("Throttled", "Too many requests."),
    500: ("InternalServerError", "Internal server error."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceUnavailable", "Service unavailable."),
}


@dataclass
class Call:
    kind: str  # "create", "send", "reply" or "update"
    conversation: str | None
    activity_id: str | None  # the activity replied to or updated
    body: dict[str, Any]
    authorization: str | None
    status: int = 200
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")

    @property
    def card(self) -> dict[str, Any] | None:
        for attachment in self.body.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                content: dict[str, Any] = attachment["content"]
                return content
        return None


@dataclass
class Failure:
    status: int
    retry_after: int | None


@dataclass
class FakeConnector:
    calls: list[Call] = field(default_factory=list)
    activities: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (conversation, id) -> body
    failures: dict[str, list[Failure]] = field(default_factory=dict)  # kind (or "any") -> queued failures
    gone: set[str] = field(default_factory=set)  # conversations that answer 403 (Convene removed) for good
    port: int = 0
    _runner: web.AppRunner | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        self._runner, self.port = await serve_on_loopback(app)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def fail(self, kind: str = "any", *, status: int = 429, retry_after: int | None = 1, times: int = 1) -> None:
        self.failures.setdefault(kind, []).extend(Failure(status, retry_after) for _ in range(times))

    # -- reading what happened ---------------------------------------------------------------------------------

    def sent(self, kind: str | None = None) -> list[Call]:
        """Successful calls, of this kind ("send" takes in replies)."""
        kinds = {"send", "reply"} if kind == "send" else {kind}
        return [c for c in self.calls if c.status < 300 and (kind is None or c.kind in kinds)]

    def to(self, conversation: str) -> list[Call]:
        return [c for c in self.sent() if c.conversation == conversation and c.kind != "create"]

    async def wait_for(self, predicate: Callable[[Call], bool], *, within: float = 5.0) -> Call:
        async def found() -> Call:
            while True:
                for call in self.calls:
                    if call.status < 300 and predicate(call):
                        return call
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(found(), within)

    # -- the server ------------------------------------------------------------------------------------------

    def _failure(self, kind: str) -> Failure | None:
        for queue in (kind, "any"):
            if self.failures.get(queue):
                return self.failures[queue].pop(0)
        return None

    async def _answer(
        self, request: web.Request, kind: str, conversation: str | None, activity: str | None
    ) -> tuple[Call, web.Response | None]:
        body = await request.json() if request.can_read_body else {}
        call = Call(kind, conversation, activity, body, request.headers.get("Authorization"))
        self.calls.append(call)
        self._changed.set()
        failure = self._failure("send" if kind == "reply" else kind)
        if failure is None and conversation is not None and conversation in self.gone:
            failure = Failure(403, None)
        if failure is None:
            return call, None
        call.status = failure.status
        code, message = ERRORS.get(failure.status, ("Error", "Error."))
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
        answer = web.json_response(
            {"error": {"code": code, "message": message}}, status=failure.status, headers=headers
        )
        return call, answer

    async def _create(self, request: web.Request) -> web.Response:
        call, refused = await self._answer(request, "create", None, None)
        if refused is not None:
            return refused
        members = call.body.get("members") or [{}]
        conversation = f"a:personal-{members[0].get('id', 'nobody')}"
        call.conversation = conversation
        return web.json_response({"id": conversation, "serviceUrl": self.url}, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        reply_to = request.match_info.get("activity")
        call, refused = await self._answer(request, "reply" if reply_to else "send", conversation, reply_to)
        if refused is not None:
            return refused
        activity_id = f"1:{next(self._ids):06d}"
        self.activities[(conversation, activity_id)] = call.body
        call.body = {**call.body, "id": activity_id}
        return web.json_response({"id": activity_id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        conversation, activity_id = request.match_info["conversation"], request.match_info["activity"]
        call, refused = await self._answer(request, "update", conversation, activity_id)
        if refused is not None:
            return refused
        if (conversation, activity_id) not in self.activities:
            call.status = 404
            return web.json_response({"error": {"code": "ActivityNotFound", "message": "Not found."}}, status=404)
        self.activities[(conversation, activity_id)] = call.body
        return web.json_response({"id": activity_id})


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.close()
