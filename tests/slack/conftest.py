"""Convene's real web app on loopback, talking to the fake Slack Web API, and a workspace that sends it
requests shaped and signed as Slack sends them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from bot.app import Parts, build
from bot.settings import Settings
from bot.web import make_app
from scheduler.pacing import Pacer
from tests.conftest import deliver_all
from tests.fakes.slack_api import FakeSlack, slack_api, slash_command  # noqa: F401  (the fixture)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ADMIN = "U0ADA"
PEOPLE = {ADMIN: "Ada", "U0BEA": "Bea", "U0CAL": "Cal", "U0DEE": "Dee"}


def sign(body: str, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Workspace:
    """People in one Slack workspace, using Convene through its real HTTP endpoint."""

    client: TestClient[Any, Any]
    api: FakeSlack
    parts: Parts
    team: str = "T0LIBS"
    last: dict[str, Any] = field(default_factory=dict)
    _n: int = 0

    async def post(self, body: str, content_type: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        sent = {"Content-Type": content_type, **(headers if headers is not None else sign(body))}
        response = await self.client.post("/slack/events", data=body.encode(), headers=sent)
        return response.status, await response.text()

    def _next(self) -> int:
        self._n += 1
        return self._n

    def command_body(self, user: str, text: str, channel: str = "C0GENERAL", channel_name: str = "general") -> str:
        n = self._next()
        return slash_command(
            self.team,
            user,
            text,
            response_url=self.api.response_url(f"cmd{n}"),
            trigger=n,
            user_name=PEOPLE.get(user, user),
            channel=channel,
            channel_name=channel_name,
        )

    async def command(self, user: str, text: str, **where: str) -> dict[str, Any]:
        """The slash command; the acknowledgement's JSON (an empty dict for an empty acknowledgement)."""
        status, body = await self.post(self.command_body(user, text, **where), "application/x-www-form-urlencoded")
        assert status == 200, body
        answer = json.loads(body) if body else {}
        self.last[user] = answer
        return answer

    def _user(self, user: str) -> dict[str, str]:
        return {
            "id": user,
            "username": PEOPLE.get(user, user).lower(),
            "name": PEOPLE.get(user, user).lower(),
            "team_id": self.team,
        }

    async def press(
        self,
        user: str,
        label: str,
        blocks: list[dict[str, Any]],
        *,
        channel: str = "C0GENERAL",
        message_ts: str | None = None,
        ephemeral: bool = False,
        home: bool = False,
    ) -> tuple[int, str]:
        """Press the button with this label among these blocks, as Slack sends a block_actions payload."""
        block, button = find_button(blocks, label)
        n = self._next()
        container: dict[str, Any]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": "A0CONVENE",
            "token": "deprecated-verification-token",
            "trigger_id": f"{n}.1234567890.fedcba",
            "team": {"id": self.team, "domain": "libraries"},
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [
                {
                    "action_id": button["action_id"],
                    "block_id": block.get("block_id", ""),
                    "text": button["text"],
                    "value": button.get("value", ""),
                    "style": button.get("style"),
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
            "state": {"values": {}},
        }
        if home:
            container = {"type": "view", "view_id": "V0VIEW"}
            payload["view"] = {"id": "V0VIEW", "type": "home", "blocks": blocks}
        else:
            container = {
                "type": "message",
                "message_ts": message_ts or "1800000000.000001",
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            }
            payload["channel"] = {"id": channel, "name": "general"}
            payload["response_url"] = self.api.response_url(f"act{n}")
            if not ephemeral:
                payload["message"] = {"type": "message", "ts": message_ts, "blocks": blocks, "bot_id": "BCONVENE"}
        payload["container"] = container
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def submit(self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> tuple[int, str]:
        """Submit a modal that views.open was given, with these `state.values`, as a view_submission."""
        payload = {
            "type": "view_submission",
            "team": {"id": self.team, "domain": "libraries"},
            "user": self._user(user),
            "api_app_id": "A0CONVENE",
            "token": "deprecated-verification-token",
            "trigger_id": "9.1234567890.submit",
            "view": {
                "id": "V0MODAL",
                "team_id": self.team,
                "type": "modal",
                "callback_id": view["callback_id"],
                "private_metadata": view.get("private_metadata", ""),
                "title": view["title"],
                "blocks": view["blocks"],
                "state": {"values": values},
                "hash": "1700000000.abcdef",
                "app_id": "A0CONVENE",
                "bot_id": "BCONVENE",
            },
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    def event_body(self, event: dict[str, Any], event_id: str) -> str:
        return json.dumps(
            {
                "token": "deprecated-verification-token",
                "team_id": self.team,
                "api_app_id": "A0CONVENE",
                "event": event,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "authorizations": [
                    {
                        "enterprise_id": None,
                        "team_id": self.team,
                        "user_id": "UCONVENE",
                        "is_bot": True,
                        "is_enterprise_install": False,
                    }
                ],
                "is_ext_shared_channel": False,
                "event_context": "4-eyJldCI6ImFwcF9ob21lX29wZW5lZCJ9",
            }
        )

    async def event(self, event: dict[str, Any], event_id: str, retry: int | None = None) -> tuple[int, str]:
        body = self.event_body(event, event_id)
        headers = sign(body)
        if retry is not None:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        return await self.post(body, "application/json", headers)

    def home_opened(self, user: str) -> dict[str, Any]:
        return {
            "type": "app_home_opened",
            "user": user,
            "channel": f"D{user}",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }

    async def deliver(self, within: float = 5.0) -> None:
        """Send what the outbox has due, and wait for what the app is sending in the background."""
        await deliver_all(self.parts, within)


def find_button(blocks: list[dict[str, Any]], label: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("type") == "button" and element["text"]["text"] == label:
                return block, element
    raise AssertionError(f"no button {label!r} in {json.dumps(blocks)[:500]}")


def texts(blocks: list[dict[str, Any]]) -> str:
    """Everything a person reads in these blocks, in order."""
    found = []
    for b in blocks:
        if "text" in b and isinstance(b["text"], dict):
            found.append(b["text"]["text"])
        found += [f["text"] for f in b.get("fields", [])]
        found += [e["text"]["text"] for e in b.get("elements", []) if isinstance(e.get("text"), dict)]
    return "\n".join(found)


def settings_for(db_url: str, api: FakeSlack, **more: Any) -> Settings:
    values: dict[str, Any] = dict(
        database_url=db_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=api.url,
        convene_admins=f"slack:{ADMIN}",
        convene_log_level="WARNING",
        convene_secret_key=Fernet.generate_key().decode(),
    )
    values.update(more)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def workspace(db_url: str, slack_api: FakeSlack) -> AsyncIterator[Workspace]:  # noqa: F811
    for user, name in PEOPLE.items():
        slack_api.person(user, name)
    parts = await build(settings_for(db_url, slack_api), {}, migrate=False)
    # Slack's one post a second per channel, shortened so the suite stays quick (test_messenger paces for real).
    parts.dispatcher.pacers["slack"] = Pacer(1000.0, channel_interval=0.0)
    server = TestServer(make_app(parts), host="127.0.0.1")
    client = TestClient(server)
    try:
        await client.start_server()
        yield Workspace(client, slack_api, parts)
    finally:
        await stopped(client, parts)


async def stopped(client: TestClient[Any, Any], parts: Parts) -> None:
    """Stop the app as `convene serve` does (the runner's cleanup: the web app's contexts, which close Convene's
    parts), then check that nothing Convene started is still running: a task left behind would run on with the
    database and the session closed, and be cancelled only when the test's event loop closes, where a task that
    does not end when cancelled hangs the run rather than failing it."""
    await client.close()  # the runner's cleanup, as in bot.web.serve
    await parts.close()  # idempotent; closes what a server that never started would not have
    left = await leftover_tasks()
    if left:
        shown = []
        for task in left:
            stack = io.StringIO()
            task.print_stack(file=stack)
            shown.append(stack.getvalue())
        for task in left:
            task.cancel()
        await asyncio.wait(left, timeout=5)
        pytest.fail("tasks Convene started were still running after it stopped:\n" + "\n".join(shown))


OURS = tuple(
    str(Path(__file__).resolve().parents[2] / package) for package in ("bot", "handlers", "scheduler", "storage")
)


ENDING_WITHIN = 2.0  # seconds a task that is ending (a connection closing) is given before it counts as left behind


async def leftover_tasks() -> list[asyncio.Task[Any]]:
    """The tasks still running whose code is Convene's (or its database driver's), after a few turns of the
    loop, and up to `ENDING_WITHIN` seconds, for those that were ending."""
    for _ in range(3):
        await asyncio.sleep(0)
    mine = asyncio.current_task()
    found = []
    for task in asyncio.all_tasks():
        if task is mine or task.done():
            continue
        files = [frame.f_code.co_filename for frame in task.get_stack()]
        coro = task.get_coro()
        code = getattr(coro, "cr_code", None)
        if code is not None:
            files.append(code.co_filename)
        if any(f.startswith(OURS) or "/sqlalchemy/" in f or "/aiosqlite/" in f for f in files):
            found.append(task)
    if found:  # one ending takes its time: a connection SQLAlchemy closes in a shielded task, through its thread
        await asyncio.wait(found, timeout=ENDING_WITHIN)
    return [task for task in found if not task.done()]
