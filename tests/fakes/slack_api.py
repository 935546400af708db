"""A fake Slack Web API on loopback, for tests that run Convene's real HTTP and Web API clients.

It records every call (method, arguments, token), answers the methods Convene uses as Slack does, keeps the
messages posted so that tests can read their blocks back and press their buttons, accepts posts to
response URLs, and can be told to answer a method with 429 (and Retry-After) or a 5xx a number of times.
It also plays Slack's Socket Mode server: apps.connections.open gives the URL of its WebSocket, which says
`hello` on connect, carries the envelopes a test pushes, and records what the app sends back.

    fake.url                      the base URL to give as SLACK_API_URL
    fake.fail("chat.postMessage", status=429, retry_after=1)
    await fake.wait_for("chat.update")
    await fake.push({"envelope_id": "e1", "type": "slash_commands", ...}); await fake.wait_for_ack("e1")
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from tests.fakes import serve_on_loopback

BOT_USER = "UCONVENE"
TEAM = "T0LIBS"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    status: int = 200
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    status: int
    retry_after: int | None
    error: str


@dataclass
class FakeSlack:
    team: str = TEAM
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # bodies posted to response URLs
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=lambda: {"general": "C0GENERAL"})  # name -> id
    private: set[str] = field(default_factory=set)  # ids of private channels Convene has not been invited to
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (channel, ts) -> message
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)  # OAuth code -> oauth.v2.access's answer
    installed: dict[str, dict[str, Any]] = field(default_factory=dict)  # issued bot token -> auth.test's answer
    handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)  # method -> seconds Slack takes to answer it
    sockets: list[web.WebSocketResponse] = field(default_factory=list)  # Socket Mode connections, oldest first
    socket_received: list[dict[str, Any]] = field(default_factory=list)  # what the app sent on them
    # files.getUploadURLExternal's file id -> what was said of the file and, once posted to its upload URL, its
    # bytes (`data`) and, once files.completeUploadExternal shares it, `channel_id`, `title` and the comment
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    port: int = 0
    _runner: web.AppRunner | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    # -- set-up --------------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner, self.port = await serve_on_loopback(app)

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def person(self, user_id: str, name: str, tz: str = "Europe/London") -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team,
            "name": name.lower(),
            "real_name": name,
            "tz": tz,
            "profile": {"display_name": name, "real_name": name},
        }

    def fail(self, method: str, *, status: int = 429, retry_after: int | None = 1, times: int = 1) -> None:
        error = "ratelimited" if status == 429 else "internal_error"
        self.failures.setdefault(method, []).extend(Failure(status, retry_after, error) for _ in range(times))

    def grant(self, code: str, *, team: str, team_name: str, installer: str, scope: str) -> None:
        """Someone in `team` approved installing the app: oauth.v2.access will exchange `code`, once, for a new
        bot token of that workspace (auth.test then answers for it as that workspace's bot)."""
        bot = f"U{team[1:]}BOT"
        self.grants[code] = {
            "ok": True,
            "access_token": f"xoxb-{team.lower()}-{code}",
            "token_type": "bot",
            "scope": scope,
            "bot_user_id": bot,
            "app_id": "A0CONVENE",
            "team": {"id": team, "name": team_name},
            "enterprise": None,
            "authed_user": {"id": installer},
            "is_enterprise_install": False,
        }

    # -- reading what happened -------------------------------------------------------------------------------

    def to(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method and c.status == 200]

    def attempts(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self, method: str, predicate: Callable[[dict[str, Any]], bool] = lambda _a: True, *, within: float = 5.0
    ) -> dict[str, Any]:
        """The first successful call to `method` matching `predicate`, waiting for it if need be."""

        async def found() -> dict[str, Any]:
            while True:
                for args in self.to(method):
                    if predicate(args):
                        return args
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(found(), within)

    async def wait_for_response(
        self, predicate: Callable[[dict[str, Any]], bool] = lambda _b: True, *, within: float = 5.0
    ) -> dict[str, Any]:
        async def found() -> dict[str, Any]:
            while True:
                for body in self.responses:
                    if predicate(body):
                        return body
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(found(), within)

    async def wait_for_socket(self, *, within: float = 5.0) -> web.WebSocketResponse:
        """The newest open Socket Mode connection, waiting for one if need be."""

        async def found() -> web.WebSocketResponse:
            while True:
                open_ = [ws for ws in self.sockets if not ws.closed]
                if open_:
                    return open_[-1]
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(found(), within)

    async def push(self, envelope: dict[str, Any], *, within: float = 5.0) -> None:
        """Send an envelope to the app over its Socket Mode connection, as Slack does."""
        ws = await self.wait_for_socket(within=within)
        await ws.send_json(envelope)

    async def wait_for_ack(self, envelope_id: str, *, within: float = 5.0) -> dict[str, Any]:
        """The app's acknowledgement of this envelope on the socket, waiting for it if need be."""

        async def found() -> dict[str, Any]:
            while True:
                for message in self.socket_received:
                    if message.get("envelope_id") == envelope_id:
                        return message
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(found(), within)

    # -- the server ------------------------------------------------------------------------------------------

    def shared(self) -> list[dict[str, Any]]:
        """The files uploaded and shared into a conversation, in the order they were shared."""
        return [f for f in self.files.values() if "channel_id" in f]

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL files.getUploadURLExternal gave: takes the bytes (raw or as a multipart form's file)."""
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            return web.Response(status=404, text="no such upload")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = next(iter(form.values()))
            data = part.file.read() if hasattr(part, "file") else str(part).encode()
        else:
            data = await request.read()
        self.files[file_id]["data"] = data
        self._changed.set()
        return web.Response(text=f"OK - {len(data)}")

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_name"] = request.match_info["name"]
        self.responses.append(body)
        self._changed.set()
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len([s for s in self.sockets if not s.closed]),
                "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0CONVENE"},
            }
        )
        self._changed.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.socket_received.append(json.loads(message.data))
                self._changed.set()
        self._changed.set()
        return ws

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        for key in ("blocks", "view", "attachments", "files"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        if auth.startswith("Basic "):  # client credentials (oauth.v2.access), as HTTP Basic
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
            args.update(client_id=client_id, client_secret=client_secret)
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        queued = self.failures.get(method)
        if queued:
            failure = queued.pop(0)
            self.calls.append(Call(method, args, token, failure.status))
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return web.json_response({"ok": False, "error": failure.error}, status=failure.status, headers=headers)
        self.calls.append(Call(method, args, token))
        answer = self.handlers[method](args) if method in self.handlers else self._answer(method, args)
        if method == "auth.test" and token in self.installed:  # a bot token that oauth.v2.access issued
            answer = self.installed[token]
        self._changed.set()
        return web.json_response(answer)

    def _channel(self, channel: str) -> str:
        name = channel.lstrip("#")
        return self.channels.get(name, channel)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return {
                **ok,
                "url": "https://libraries.slack.com/",
                "team": "Libraries",
                "user": "convene",
                "team_id": self.team,
                "user_id": BOT_USER,
                "bot_id": "BCONVENE",
            }
        if method == "apps.connections.open":
            return {**ok, "url": f"ws://127.0.0.1:{self.port}/socket"}
        if method == "users.info":
            user = args.get("user", "")
            if user not in self.users:
                return {"ok": False, "error": "user_not_found"}
            return {**ok, "user": self.users[user]}
        if method == "conversations.list":
            found = [{"id": cid, "name": name, "is_channel": True} for name, cid in self.channels.items()]
            return {**ok, "channels": found, "response_metadata": {"next_cursor": ""}}
        if method == "conversations.create":
            name = args["name"]
            if name in self.channels:
                return {"ok": False, "error": "name_taken"}
            self.channels[name] = f"C{len(self.channels):08d}"
            return {**ok, "channel": {"id": self.channels[name], "name": name, "is_channel": True}}
        if method == "conversations.open":
            if any(self.users.get(u, {}).get("deleted") for u in str(args["users"]).split(",")):
                return {"ok": False, "error": "user_disabled"}
            return {**ok, "channel": {"id": "D" + str(args["users"]).replace(",", "")}}
        if method == "conversations.join" and self._channel(str(args.get("channel"))) in self.private:
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        if method in ("conversations.invite", "conversations.join"):
            if self._channel(str(args.get("channel"))) in self.private:
                return {"ok": False, "error": "not_in_channel"}
            return {**ok, "channel": {"id": args.get("channel")}}
        if method == "chat.postMessage":
            channel = self._channel(str(args["channel"]))
            if channel in self.private:
                return {"ok": False, "error": "not_in_channel"}
            ts = f"{1_800_000_000 + next(self._ts)}.000100"
            message = {"type": "message", "ts": ts, "text": args.get("text"), "blocks": args.get("blocks", [])}
            metadata = args.get("metadata")
            if metadata:
                message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
            self.messages[(channel, ts)] = message
            return {**ok, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            channel = self._channel(str(args["channel"]))
            key = (channel, str(args["ts"]))
            if key not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            self.messages[key].update(text=args.get("text"), blocks=args.get("blocks", []))
            return {**ok, "channel": channel, "ts": args["ts"], "text": args.get("text")}
        if method == "conversations.history":  # newest first, as Slack answers; metadata only when asked for
            channel = self._channel(str(args["channel"]))
            oldest = float(args.get("oldest") or 0)
            found = [m for (c, ts), m in self.messages.items() if c == channel and float(ts) >= oldest]
            found.sort(key=lambda m: float(str(m["ts"])), reverse=True)
            with_meta = str(args.get("include_all_metadata")).lower() in ("1", "true")
            shown = [m if with_meta else {k: v for k, v in m.items() if k != "metadata"} for m in found]
            return {**ok, "messages": shown[: int(args.get("limit") or 100)], "has_more": False}
        if method == "files.getUploadURLExternal":
            if not args.get("filename") or not str(args.get("length", "")).isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{len(self.files) + 1:08d}"
            self.files[file_id] = {"filename": args["filename"], "length": int(args["length"])}
            self.files[file_id]["alt_txt"] = args.get("alt_txt")
            return {**ok, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            done = []
            for f in args.get("files") or []:
                known = self.files.get(f["id"])
                if known is None or "data" not in known or len(known["data"]) != known["length"]:
                    return {"ok": False, "error": "file_not_found"}
                known.update(title=f.get("title"), channel_id=args.get("channel_id"))
                known["initial_comment"] = args.get("initial_comment")
                done.append({"id": f["id"], "name": known["filename"], "title": f.get("title")})
            return {**ok, "files": done}
        if method == "chat.postEphemeral":
            return {**ok, "message_ts": f"{1_800_000_000 + next(self._ts)}.000200"}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            return {**ok, "view": {"id": "V0VIEW", **(args.get("view") or {})}}
        if method == "oauth.v2.access":
            return self._exchange(str(args.get("code", "")))
        return ok

    def _exchange(self, code: str) -> dict[str, Any]:
        granted = self.grants.pop(code, None)  # a code is good for one exchange
        if granted is None:
            return {"ok": False, "error": "invalid_code"}
        team = granted["team"]
        self.installed[granted["access_token"]] = {
            "ok": True,
            "url": f"https://{team['id'].lower()}.slack.com/",
            "team": team["name"],
            "user": "convene",
            "team_id": team["id"],
            "user_id": granted["bot_user_id"],
            "bot_id": "B" + granted["bot_user_id"][1:],
            "is_enterprise_install": False,
        }
        return granted


def slash_command(
    team: str,
    user: str,
    text: str,
    *,
    response_url: str,
    trigger: int,
    user_name: str | None = None,
    channel: str = "C0GENERAL",
    channel_name: str = "general",
) -> str:
    """A slash command's form-encoded body, as Slack sends it to the app's request URL."""
    return urllib.parse.urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": team,
            "team_domain": "libraries",
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": (user_name or user).lower(),
            "command": "/convene",
            "text": text,
            "api_app_id": "A0CONVENE",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{trigger}.1234567890.abcdef",
        }
    )


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.close()
