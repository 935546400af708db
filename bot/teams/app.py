"""Convene's Teams app, built from the settings: the Agents SDK's CloudAdapter with Convene's agent
(`TeamsAdapter`), the check of the Bot Connector's tokens (`auth.TokenValidator`), and the outbox's Teams
messenger. Mounted on the web app at `POST /api/messages`.

With MICROSOFT_APP_ID set, every request must carry the Bot Connector's token for that app, and what Convene
sends carries a token MSAL fetches with MICROSOFT_APP_PASSWORD. Without it, CONVENE_TEAMS=dev runs Teams with
no authentication either way, for the Teams app test tool or the Bot Framework Emulator on this machine; it
says so loudly at start-up.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ClaimsIdentity,
    ConnectionManager,
    RestChannelServiceClientFactory,
)
from microsoft_agents.hosting.core.authorization import AuthTypes
from pydantic import ValidationError

from bot.settings import Settings, SettingsError
from bot.teams.adapter import TeamsAdapter, turn_error
from bot.teams.auth import Refused, TokenValidator
from bot.teams.messenger import TeamsMessenger
from handlers.command.dispatch import Convene
from scheduler.outbox import Dispatcher
from storage.db import Database

log = logging.getLogger("convene.teams")

MESSAGES_PATH = "/api/messages"
# An activity's id as Teams makes them ("1700000000000", "1:1f…", "f:…"): Convene answers to it in a connector
# URL (`…/activities/<replyToId>`), so nothing else (a slash, a space, a control character) is taken for one.
ACTIVITY_ID = re.compile(r"[\x21-\x2e\x30-\x7e]{1,256}")
MULTI_TENANT = "botframework.com"  # the authority's tenant for a multi-tenant app's outbound token
DEV_WARNING = (
    "CONVENE_TEAMS=dev: Microsoft Teams is served WITHOUT AUTHENTICATION on %s. Anyone who can reach this port "
    "can act as any Teams user. Use it only with the Teams app test tool or the Bot Framework Emulator on this "
    "machine; set MICROSOFT_APP_ID (and MICROSOFT_APP_PASSWORD, MICROSOFT_APP_TENANT_ID) for anything else."
)

Clock = Callable[[], datetime]
# What fetches Convene's outbound token for a connection's configuration (the SDK's MsalAuth; tests give a fake).
Tokens = Callable[[AgentAuthConfiguration], Any]


class TeamsRuntime:
    def __init__(self, settings: Settings, db: Database, core: Convene, clock: Clock, *, tokens: Tokens | None = None):
        self.settings = settings
        self.app_id = settings.microsoft_app_id or None
        if self.app_id is not None and settings.convene_teams == "dev":
            raise SettingsError(
                "CONVENE_TEAMS=dev runs Teams without authentication; it cannot be used with MICROSOFT_APP_ID. "
                "Remove one of them."
            )
        if self.app_id is not None and settings.microsoft_app_password is None:
            raise SettingsError(
                "MICROSOFT_APP_PASSWORD is required with MICROSOFT_APP_ID (the Azure Bot's client secret)."
            )
        tenant = settings.microsoft_app_tenant_id
        if self.app_id is not None and settings.microsoft_app_type == "SingleTenant" and not tenant:
            raise SettingsError(
                "MICROSOFT_APP_TENANT_ID is required for a SingleTenant app (MICROSOFT_APP_TYPE): "
                "the Directory (tenant) ID of the Azure Bot's app registration."
            )
        sdk_activity_log = logging.getLogger("microsoft_agents.activity.activity")
        if not any(isinstance(f, _OneLine) for f in sdk_activity_log.filters):
            sdk_activity_log.addFilter(_OneLine())
        self.session = aiohttp.ClientSession()
        self.validator: TokenValidator | None = None
        if self.app_id is not None:
            self.validator = TokenValidator(
                self.app_id,
                tenant if settings.microsoft_app_type == "SingleTenant" else None,
                self.session,
                metadata_url=settings.teams_openid_url,
            )
            configuration = AgentAuthConfiguration(
                auth_type=AuthTypes.client_secret,
                client_id=self.app_id,
                tenant_id=tenant if settings.microsoft_app_type == "SingleTenant" else MULTI_TENANT,
                client_secret=settings.microsoft_app_password.get_secret_value()
                if settings.microsoft_app_password
                else None,
            )
            provider: Tokens = tokens or MsalAuth
        else:
            # Every turn in development mode makes an unused user-token client that warns it has no app id.
            logging.getLogger("microsoft_agents.hosting.core.connector.client.user_token_client").setLevel(
                logging.ERROR
            )
            configuration = AgentAuthConfiguration(anonymous_allowed=True)
            provider = tokens or (lambda _configuration: AnonymousTokenProvider())
        connections = ConnectionManager(
            provider_factory=provider, connections_configurations={"SERVICE_CONNECTION": configuration}
        )
        clients = RestChannelServiceClientFactory(connections)  # connector clients, with Convene's token
        self.cloud = CloudAdapter(channel_service_client_factory=clients)
        self.cloud.on_turn_error = turn_error
        self.messenger = TeamsMessenger(self.cloud, clients, db, clock, app_id=self.app_id)
        self.adapter = TeamsAdapter(core, db, self.messenger, clock)

    @property
    def messengers(self) -> dict[str, TeamsMessenger]:
        return {"teams": self.messenger}

    @property
    def development(self) -> bool:
        return self.app_id is None

    def attach(self, dispatcher: Dispatcher) -> None:
        self.adapter.background.dispatcher = dispatcher

    def mount(self, app: web.Application) -> None:
        app.router.add_post(MESSAGES_PATH, self.messages)
        app.cleanup_ctx.append(self._running)
        if self.development:
            log.warning(DEV_WARNING, MESSAGES_PATH)

    async def messages(self, request: web.Request) -> web.StreamResponse:
        """The Bot Connector's activities: refused with 401 without its token for this app (in production),
        with 400 if not shaped as an activity; otherwise the CloudAdapter runs Convene's agent on it."""
        try:
            body: Any = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            body = None
        service_url = body.get("serviceUrl") if isinstance(body, dict) else None
        identity = ClaimsIdentity()  # anonymous: development mode
        if self.validator is not None:
            try:
                claims = await self.validator.claims(request.headers.get("Authorization"), service_url)
            except Refused as refused:
                log.warning("refused a request to %s (401): %s", MESSAGES_PATH, refused)
                return web.json_response({"error": "Unauthorized"}, status=401)
            identity = ClaimsIdentity(claims, authentication_type="Bearer")
        problem = _shape_problem(body)
        if problem is not None:
            log.warning("refused a request to %s (400): %s", MESSAGES_PATH, problem)
            return web.json_response({"error": "Bad request"}, status=400)
        with warnings.catch_warnings():  # the SDK reads it by this name
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            request["claims_identity"] = identity
        response = await self.cloud.process(request, self.adapter)
        return response if response is not None else web.Response(status=202)

    async def _running(self, app: web.Application) -> AsyncIterator[None]:
        self.adapter.start()
        try:
            yield
        finally:
            await self.adapter.close()

    async def close(self) -> None:
        await self.adapter.close()
        await self.session.close()


def _shape_problem(body: Any) -> str | None:
    """Why this is not an activity Convene can act on, or None."""
    if not isinstance(body, dict):
        return "a body that is not a JSON object"
    if not isinstance(body.get("type"), str) or not body["type"]:
        return "an activity without a type"
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str) or not conversation["id"]:
        return "an activity without a conversation id"
    service_url = body.get("serviceUrl")
    if not isinstance(service_url, str) or not service_url.startswith(("https://", "http://")):
        return "an activity without a serviceUrl"
    sender = body.get("from")
    if body["type"] == "message" and (not isinstance(sender, dict) or not isinstance(sender.get("id"), str)):
        return "a message without a sender"
    for field in ("id", "replyToId"):
        if body.get(field) is not None and not (isinstance(body[field], str) and ACTIVITY_ID.fullmatch(body[field])):
            return f"an activity whose {field} is not an activity id"
    for account in ("from", "recipient"):
        found = body.get(account)
        if found is not None and (not isinstance(found, dict) or not isinstance(found.get("id"), str)):
            return f"an activity whose {account} is not an account"
    try:
        Activity.model_validate(body).get_conversation_reference()
    except ValidationError as err:
        return f"an activity of the wrong shape ({err.error_count()} problems)"
    except Exception as err:  # the SDK's own checks raise plain exceptions (a channel id that contradicts itself)
        return f"an activity the Agents SDK cannot read ({type(err).__name__})"
    return None


class _OneLine(logging.Filter):
    """The Agents SDK logs every activity it cannot read as an error, with a traceback; Convene refuses those
    requests with a 400 and a line of its own (`TeamsRuntime.messages`), so the SDK's record is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Validation error for Activity")
