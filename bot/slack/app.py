"""Convene's Slack app, built from the settings: the Bolt AsyncApp with its listeners, the Web API clients on
one aiohttp session, and the outbox's Slack messenger. Mounted on the web app at `/slack/events` (and the
OAuth install pages), or run over Socket Mode when SLACK_APP_TOKEN is set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.signature import SignatureVerifier

from bot.settings import Settings, SettingsError
from bot.slack.adapter import SlackAdapter
from bot.slack.identity import People
from bot.slack.inbound import refusal
from bot.slack.listeners import register
from bot.slack.messenger import Clients, SlackMessenger
from handlers.command.dispatch import Convene
from scheduler.outbox import Dispatcher
from storage.db import Database
from storage.models import bots, installations, oauth_states

log = logging.getLogger("convene.slack")

# What Convene asks for when a workspace installs it (slack/manifest.yaml lists the same).
SOCKET_CONNECT_WITHIN = 30.0  # seconds to open the Socket Mode connection at start-up
SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "mpim:write",
    "users:read",
    "channels:read",
    "groups:read",
    "channels:join",
    # Reading Convene's own recent posts back, to see whether a post interrupted by a crash arrived (outbox).
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "channels:manage",
    "groups:write",
    "files:write",  # a poll's chart, uploaded into the channel (files.getUploadURLExternal)
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
EVENTS_PATH = "/slack/events"
OAUTH_STATE_SECONDS = 600

Clock = Callable[[], datetime]


class SlackRuntime:
    def __init__(self, settings: Settings, db: Database, core: Convene, clock: Clock) -> None:
        self.settings = settings
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
        self.app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
        if secret is None and self.app_token is None:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is required to receive Slack's requests over HTTP "
                "(or set SLACK_APP_TOKEN to use Socket Mode)."
            )
        self.verifier = SignatureVerifier(secret or "")
        oauth = settings.slack_client_id is not None
        if oauth and settings.slack_client_secret is None:
            raise SettingsError("SLACK_CLIENT_SECRET is required with SLACK_CLIENT_ID (the OAuth install flow).")
        _check_admins(settings.convene_admins, several_workspaces=oauth)
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        self.session = aiohttp.ClientSession()
        store = (
            AsyncSQLAlchemyInstallationStore(client_id=settings.slack_client_id or "", engine=db.engine, logger=log)
            if oauth
            else None
        )
        self.clients = Clients(
            self.session, settings.slack_api_url, token=None if oauth else token, installations=store
        )
        self._socket: AsyncSocketModeHandler | None = None
        self.people = People()
        self.messenger = SlackMessenger(self.clients, on_direct=self._on_direct)
        self.adapter = SlackAdapter(
            core, db, self.clients, self.messenger, self.people, clock, command=settings.convene_command
        )
        oauth_settings = None
        if oauth and store is not None:
            state_store = AsyncSQLAlchemyOAuthStateStore(
                expiration_seconds=OAUTH_STATE_SECONDS, engine=db.engine, logger=log
            )
            _same_tables(store, state_store)
            oauth_settings = AsyncOAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else None,
                scopes=list(SCOPES),
                user_scopes=[],
                installation_store=store,
                state_store=state_store,
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
            )
        self.bolt = AsyncApp(
            name="convene",
            # Answer Slack when the listener returns: listeners acknowledge first and hand slow work to the
            # adapter's background tasks, so Bolt need not poll for the acknowledgement.
            process_before_response=True,
            signing_secret=secret or "",
            client=self.clients.base,
            oauth_settings=oauth_settings,
            before_authorize=self.adapter.first_time,
            logger=log,
        )
        if oauth:
            self.bolt.enable_token_revocation_listeners()
        if not oauth:
            self.bolt.use(self.adapter.one_workspace)
        register(self.bolt, self.adapter, settings.convene_command)

    @property
    def messengers(self) -> dict[str, SlackMessenger]:
        return {"slack": self.messenger}

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    def attach(self, dispatcher: Dispatcher) -> None:
        self.adapter.background.dispatcher = dispatcher

    def mount(self, app: web.Application) -> None:
        """Add Slack's routes to the web app (none in Socket Mode) and run Slack's background work beside it."""
        if not self.socket_mode:
            app.router.add_post(EVENTS_PATH, self.events)
            if self.bolt.oauth_flow is not None:
                app.router.add_get(INSTALL_PATH, self.oauth)
                app.router.add_get(REDIRECT_PATH, self.oauth)
        app.cleanup_ctx.append(self._running)

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Slack's requests: refused here if not signed or not shaped as Slack sends them (`inbound`), else Bolt's."""
        refused = refusal(await request.read(), request.headers, self.verifier)
        if refused is not None:
            status, reason = refused
            log.warning("refused a request to %s (%d): %s", EVENTS_PATH, status, reason)
            return web.Response(status=status)
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def oauth(self, request: web.Request) -> web.StreamResponse:
        flow = self.bolt.oauth_flow
        assert flow is not None
        bolt_request = await to_bolt_request(request)
        if request.path == INSTALL_PATH:
            response = await flow.handle_installation(bolt_request)
        else:
            response = await flow.handle_callback(bolt_request)
        return await to_aiohttp_response(response)

    async def _running(self, app: web.Application) -> AsyncIterator[None]:
        self.adapter.start()
        try:
            if self.app_token is not None:
                await self._connect(self.app_token)
            yield
        finally:
            await self.stop()

    async def _connect(self, app_token: str) -> None:
        handler = AsyncSocketModeHandler(self.bolt, app_token, web_client=self.clients.base)
        self._socket = handler
        try:  # slack_sdk retries a refused token for ever: give up, and say why, rather than hang
            await asyncio.wait_for(handler.connect_async(), SOCKET_CONNECT_WITHIN)  # type: ignore[no-untyped-call]
        except TimeoutError:
            raise SettingsError(
                f"Slack opened no Socket Mode connection within {SOCKET_CONNECT_WITHIN:.0f} s: check "
                "SLACK_APP_TOKEN (an app-level token, xapp-…, with the connections:write scope)."
            ) from None
        log.info("Slack: connected over Socket Mode")

    def _on_direct(self, team: str, user: str) -> None:
        self.adapter.refresh_home(team, user)

    async def stop(self) -> None:
        """Stop taking Slack's requests (the Socket Mode connection closes) and end the adapter's background
        work: what is under way finishes, briefly, and the rest is cancelled and awaited (`SlackAdapter.close`).
        Called by `close`, before the database and the HTTP session go, and again, doing nothing more, when
        the web app's Slack context ends."""
        handler, self._socket = self._socket, None
        if handler is not None:
            with contextlib.suppress(Exception):
                await handler.close_async()  # type: ignore[no-untyped-call]
        await self.adapter.close()

    async def close(self) -> None:
        """Everything Slack: stopped first, while the database and the session it uses are still open."""
        await self.stop()
        await self.session.close()


def _check_admins(admins: frozenset[str], *, several_workspaces: bool) -> None:
    """CONVENE_ADMINS names a Slack admin with their workspace (`slack:T…:U…`); the short form `slack:U…` is
    kept only where Convene serves one workspace (a single bot token), where it means that workspace."""
    short = sorted(a for a in admins if a.startswith("slack:") and a.count(":") == 1)
    if short and several_workspaces:
        raise SettingsError(
            f"CONVENE_ADMINS: {', '.join(short)} names no workspace, but Convene is installed in several (OAuth): "
            "write slack:<team id>:<user id>, for example slack:T0123ABCD:U0456EFGH."
        )
    if short:
        log.info("CONVENE_ADMINS: %s admin of the one Slack workspace this bot token serves", ", ".join(short))


def _same_tables(store: AsyncSQLAlchemyInstallationStore, state_store: AsyncSQLAlchemyOAuthStateStore) -> None:
    """slack_sdk's stores must find the tables Convene's migrations made (they never create them here)."""
    pairs = ((store.installations, installations), (store.bots, bots), (state_store.oauth_states, oauth_states))
    for theirs, ours in pairs:
        if theirs.name != ours.name or set(theirs.c.keys()) != set(ours.c.keys()):
            raise RuntimeError(f"slack_sdk's table {theirs.name} no longer matches Convene's migration")
