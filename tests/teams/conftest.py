"""Convene's real web app on loopback, talking to the fake Bot Connector, and a Teams tenant whose people send it
activities shaped as Teams sends them (personal chat, channel with @Convene, card submits, installs).

`teams` runs Convene in development mode (CONVENE_TEAMS=dev: nothing authenticated); `secured` with an app id,
where every request carries a token signed by the fake OpenID issuer's key and what Convene sends carries the
token a fake provider gives in place of MSAL's."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from bot.app import Parts, build
from bot.settings import Settings
from bot.web import make_app
from scheduler.pacing import Pacer
from tests.conftest import deliver_all
from tests.fakes.openid import FakeOpenId, openid  # noqa: F401  (the fixture)
from tests.fakes.teams_connector import BOT_ID, Call, FakeConnector, connector  # noqa: F401  (the fixture)
from tests.slack.conftest import stopped

TENANT = "5e1f0c1a-0000-4000-8000-00000000c0de"
APP_ID = "0a1b2c3d-0000-4000-8000-00000000a99d"
OUTBOUND_TOKEN = "outbound-token-from-the-fake-provider"
ADA = "aad00000-0000-4000-8000-0000000000ad"
PEOPLE = {ADA: "Ada", "aad00000-0000-4000-8000-0000000000be": "Bea", "aad00000-0000-4000-8000-0000000000ca": "Cal"}
BEA, CAL = "aad00000-0000-4000-8000-0000000000be", "aad00000-0000-4000-8000-0000000000ca"
TEAM = "19:general-libraries@thread.tacv2"  # the team's id: its General channel's
WELLBEING = "19:wellbeing-channel@thread.tacv2"


def personal(user: str) -> str:
    return f"a:1personal-chat-of-{user[-4:]}"


def bot_framework_id(user: str) -> str:
    return f"29:1bf-{user[-4:]}"


class FakeTokens:
    """What the SDK asks for Convene's outbound token, in place of MSAL (which would ask Entra ID)."""

    def __init__(self, configuration: Any) -> None:
        self.configuration = configuration

    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        return OUTBOUND_TOKEN


@dataclass
class Tenant:
    """People in one Microsoft 365 tenant, using Convene through its real /api/messages endpoint."""

    client: TestClient[Any, Any]
    connector: FakeConnector
    parts: Parts
    openid: FakeOpenId | None = None
    tenant: str = TENANT
    statuses: list[int] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_700_000_000_001))

    # -- activities, as Teams shapes them ------------------------------------------------------------------

    def _person(self, user: str) -> dict[str, Any]:
        return {"id": bot_framework_id(user), "name": PEOPLE.get(user, user), "aadObjectId": user}

    def _base(self, kind: str, user: str, conversation: str | None = None) -> dict[str, Any]:
        if kind == "personal":
            account = {"conversationType": "personal", "tenantId": self.tenant, "id": personal(user)}
            data: dict[str, Any] = {"tenant": {"id": self.tenant}}
        else:
            channel = conversation or WELLBEING
            account = {"isGroup": True, "conversationType": "channel", "tenantId": self.tenant, "id": channel}
            data = {
                "teamsChannelId": channel,
                "teamsTeamId": TEAM,
                "channel": {"id": channel},
                "team": {"id": TEAM},
                "tenant": {"id": self.tenant},
            }
        return {
            "id": str(next(self._ids)),
            "timestamp": "2027-01-11T09:30:00.000Z",
            "localTimestamp": "2027-01-11T09:30:00.000+00:00",
            "localTimezone": "Europe/London",
            "serviceUrl": self.connector.url,
            "channelId": "msteams",
            "from": self._person(user),
            "conversation": account,
            "recipient": {"id": BOT_ID, "name": "Convene"},
            "locale": "en-GB",
            "channelData": data,
        }

    def message(self, user: str, text: str, *, channel: str | None = None, tz: str = "Europe/London") -> dict[str, Any]:
        """A typed message: in the personal chat, or (`channel`) in a team's channel after @Convene."""
        body = self._base("channel" if channel else "personal", user, channel)
        entities: list[dict[str, Any]] = [
            {"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Web", "timezone": tz}
        ]
        if channel:
            text = f"<at>Convene</at> {text}"
            entities.append(
                {"type": "mention", "text": "<at>Convene</at>", "mentioned": {"id": BOT_ID, "name": "Convene"}}
            )
        body.update(type="message", textFormat="plain", text=text, entities=entities)
        return body

    def submit(self, user: str, data: dict[str, Any], reply_to: str, *, channel: str | None = None) -> dict[str, Any]:
        """An Adaptive Card's Action.Submit, as Teams sends it: a message whose value is the button's data (with
        the card's inputs merged in), replying to the card's activity."""
        body = self._base("channel" if channel else "personal", user, channel)
        if channel:
            body["conversation"]["id"] = f"{channel};messageid={reply_to}"
        body.update(type="message", value=data, replyToId=reply_to)
        return body

    def installed_in_team(self, user: str = ADA) -> dict[str, Any]:
        body = self._base("channel", user, TEAM)
        body["channelData"].update(team={"id": TEAM, "name": "Libraries"}, eventType="teamMemberAdded")
        body.update(type="conversationUpdate", membersAdded=[{"id": BOT_ID}])
        return body

    def installation(self, user: str, action: str = "add") -> dict[str, Any]:
        body = self._base("personal", user)
        body.update(type="installationUpdate", action=action)
        return body

    # -- sending them -----------------------------------------------------------------------------------------

    async def post(self, activity: Any, *, headers: dict[str, str] | None = None, token: str | None = None) -> int:
        sent = dict(headers or {})
        if self.openid is not None and "Authorization" not in sent:
            service_url = activity.get("serviceUrl") if isinstance(activity, dict) else None
            sent["Authorization"] = "Bearer " + (token or self.openid.token(audience=APP_ID, service_url=service_url))
        response = await self.client.post("/api/messages", json=activity, headers=sent)
        await response.read()
        self.statuses.append(response.status)
        return response.status

    async def say(self, user: str, text: str, *, channel: str | None = None) -> Call:
        """Type `text`; the answer Convene sent (in the personal chat, or in the channel's thread)."""
        before = len(self.connector.calls)
        status = await self.post(self.message(user, text, channel=channel))
        assert status in (200, 202), status
        answers = [c for c in self.connector.calls[before:] if c.status < 300 and c.kind in ("send", "reply")]
        assert answers, f"no answer to {text!r}"
        return answers[-1] if not channel else answers[0]

    async def press(self, user: str, label: str, card_call: Call, *, channel: str | None = None) -> int:
        data = button(card_call, label)
        activity_id = card_call.body["id"]
        return await self.post(self.submit(user, data, activity_id, channel=channel))

    async def deliver(self, within: float = 5.0) -> None:
        """Send what the outbox has due, and wait for what the app is sending in the background."""
        await deliver_all(self.parts, within)


def card_texts(card: dict[str, Any] | None) -> str:
    """Everything a person reads on a card, in order."""
    if card is None:
        return ""
    found: list[str] = []

    def walk(element: Any) -> None:
        if isinstance(element, dict):
            if element.get("type") == "TextBlock":
                found.append(str(element.get("text")))
            for fact in element.get("facts", []):
                found.append(f"{fact['title']}: {fact['value']}")
            if element.get("type") == "Action.Submit":
                found.append(f"[{element.get('title')}]")
            for key in ("body", "actions", "items", "columns"):
                for inner in element.get(key, []) or []:
                    walk(inner)

    walk(card)
    return "\n".join(found)


def shown(call: Call) -> str:
    """What a person reads in a message Convene sent: its text, or its card's."""
    return call.text or card_texts(call.card)


def button(call: Call, label: str) -> dict[str, Any]:
    """The data of the button with this label on the call's card (what Teams sends back when it is pressed)."""
    found: list[dict[str, Any]] = []

    def walk(element: Any) -> None:
        if isinstance(element, dict):
            if element.get("type") == "Action.Submit" and element.get("title") == label:
                found.append(element)
            for key in ("body", "actions", "items", "columns"):
                for inner in element.get(key, []) or []:
                    walk(inner)

    walk(call.card)
    assert found, f"no button {label!r} on {card_texts(call.card)[:500]}"
    data: dict[str, Any] = found[0]["data"]
    return data


def settings_for(db_url: str, **more: Any) -> Settings:
    values: dict[str, Any] = dict(
        database_url=db_url,
        convene_teams="dev",
        convene_admins=f"teams:{TENANT}:{ADA}",
        convene_announce_channel=None,
        convene_log_level="WARNING",
        convene_secret_key=Fernet.generate_key().decode(),
    )
    values.update(more)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def serving(settings: Settings, api: FakeConnector, issuer: FakeOpenId | None) -> AsyncIterator[Tenant]:
    parts = await build(settings, {}, migrate=False, teams_tokens=FakeTokens)
    # Teams' pace (7 a second to a conversation), shortened so the suite stays quick.
    parts.dispatcher.pacers["teams"] = Pacer(1000.0, channel_interval=0.0)
    server = TestServer(make_app(parts), host="127.0.0.1")
    client = TestClient(server)
    try:
        await client.start_server()
        yield Tenant(client, api, parts, issuer)
    finally:
        await stopped(client, parts)


@pytest.fixture
async def teams(db_url: str, connector: FakeConnector) -> AsyncIterator[Tenant]:  # noqa: F811
    async for tenant in serving(settings_for(db_url), connector, None):
        yield tenant


@pytest.fixture
async def secured(db_url: str, connector: FakeConnector, openid: FakeOpenId) -> AsyncIterator[Tenant]:  # noqa: F811
    settings = settings_for(
        db_url,
        convene_teams=None,
        microsoft_app_id=APP_ID,
        microsoft_app_password="app-secret",
        microsoft_app_tenant_id=TENANT,
        teams_openid_url=openid.metadata_url,
    )
    async for tenant in serving(settings, connector, openid):
        yield tenant
