"""Slack in, Convene's core, Slack out: each Slack request becomes a neutral `Request` for `Convene.handle`, and
each reply becomes Block Kit, answered in the acknowledgement when it is ready within the time Slack allows.

The adapter translates and renders; it never parses a command. What it needs to know of one (whether it
changed something, whether its reply can be asked for again, which form it asked with, whether its delivery
was acted on before) the core's reply says.

Buttons act in place: a press on a posted message changes it through the outbox (the core writes the edit),
which this adapter nudges at once; a press on a private reply replaces that reply with the result and the
reply's fresh content. Forms open as modals; the App Home tab shows the `home` view.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import aiohttp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.background import CLOSE_WITHIN, Background
from bot.slack import blocks
from bot.slack.identity import People, speaker_from
from bot.slack.messenger import Clients, SlackMessenger
from handlers.command.dispatch import Convene
from handlers.command.messages import Action, Place, Reply, Request, Speaker, Submission
from handlers.command.outbox import sent_message
from handlers.members import account_changed
from storage import queries
from storage.db import Database

log = logging.getLogger("convene.slack")

# Seconds to wait for a reply before acknowledging without it: Slack allows three, and the network takes some.
ACK_WITHIN = 2.0
REPLAY_WINDOW = 5 * 60.0  # Bolt refuses a request whose timestamp is older than this
JSON = "application/json;charset=utf-8"
NOT_INSTALLED = (
    "Convene is not installed in this Slack workspace, so it cannot act here. "
    "Ask your workspace's admins to install it."
)
Ack = Callable[..., Awaitable[Any]]
Next = Callable[[], Awaitable[None]]
Clock = Callable[[], datetime]


class SlackAdapter:
    def __init__(
        self,
        core: Convene,
        db: Database,
        clients: Clients,
        messenger: SlackMessenger,
        people: People,
        clock: Clock,
        *,
        command: str = "/convene",
    ) -> None:
        self.core = core
        self.db = db
        self.clients = clients
        self.messenger = messenger
        self.people = people
        self.clock = clock
        self.command_name = command
        self.background = Background("Slack")  # every task the adapter starts, ended as Convene stops
        self._homes_seen: set[tuple[str, str]] = set()
        self._homes_due: set[tuple[str, str]] = set()
        self._homes_event = asyncio.Event()
        self._recent = Recent(REPLAY_WINDOW)

    # -- what the listeners call ------------------------------------------------------------------------------

    async def command(
        self, body: dict[str, Any], client: AsyncWebClient, ack: Ack, delivery: str | None = None
    ) -> BoltResponse | None:
        """Answer a slash command: with its reply as the acknowledgement (returned, for Bolt to send) when the
        reply is ready within `ACK_WITHIN`; otherwise acknowledge now with "Working on it…" and answer by the
        response URL. Nothing before the acknowledgement waits on the database past that: the delivery's record
        is written in the command's own transaction, under the same clock."""
        team, user = body["team_id"], body["user_id"]
        task = self.background.track(asyncio.ensure_future(self._slash(client, body, delivery)))
        try:
            reply = await asyncio.wait_for(asyncio.shield(task), ACK_WITHIN)
        except TimeoutError:  # slow today: acknowledge now, answer by the response URL when ready
            await ack(text="Working on it…", response_type="ephemeral")
            self.background.spawn(self._answer_later(task, body.get("response_url"), team, user, delivery))
            return None
        if reply.repeat:
            log.warning("a signed request was replayed: refused")
            return BoltResponse(status=401, body="")
        if reply.form is not None:  # opened after the acknowledgement: it never waits for the Web API
            await ack()
            context = {"channel": body.get("channel_id")}
            form = self._open_form(client, body.get("trigger_id"), reply, context, body.get("response_url"))
            self.background.spawn(form)
            return None
        self._after(team, user, reply, delivery)
        message = blocks.message(reply, origin=reply.again, ref=_ref(reply))
        answer = json.dumps({"response_type": "ephemeral" if reply.private else "in_channel", **message})
        return BoltResponse(status=200, body=answer, headers={"content-type": JSON})

    async def _slash(self, client: AsyncWebClient, body: dict[str, Any], delivery: str | None) -> Reply:
        request = await self._request(
            client,
            body["team_id"],
            body["user_id"],
            body.get("user_name"),
            text=(body.get("text") or "").strip(),
            channel=body.get("channel_id"),
            channel_name=body.get("channel_name"),
            forms=True,
            delivery=delivery,
        )
        return await self.core.handle(request)

    async def _open_form(
        self,
        client: AsyncWebClient,
        trigger: str | None,
        reply: Reply,
        context: dict[str, str | None],
        response_url: str | None,
    ) -> None:
        """Open the reply's form as a modal; if Slack cannot (an expired trigger, Slack slow or down), answer
        with the command's usage by the response URL instead."""
        assert reply.form is not None
        try:
            if not trigger:
                raise ValueError("no trigger_id")
            await client.views_open(trigger_id=trigger, view=blocks.modal(reply.form, reply.command or "", context))
        except (SlackApiError, TimeoutError, aiohttp.ClientError, ValueError) as err:
            reason = err.response.get("error") if isinstance(err, SlackApiError) else type(err).__name__
            log.info("the form for `%s` could not be opened (%s): its usage was sent instead", reply.command, reason)
            await self._respond(response_url, replace(reply, form=None))

    async def _answer_later(
        self, task: asyncio.Future[Reply], response_url: str | None, team: str, user: str, delivery: str | None
    ) -> None:
        reply = await task
        if reply.repeat:
            return
        await self._respond(response_url, reply)
        self._after(team, user, reply, delivery)

    async def press(self, body: dict[str, Any], client: AsyncWebClient, ack: Ack, delivery: str | None = None) -> None:
        await ack()
        self.background.spawn(self._pressed(body, client, delivery))

    async def _pressed(self, body: dict[str, Any], client: AsyncWebClient, delivery: str | None) -> None:
        pressed = body["actions"][0]
        name = blocks.neutral_action(pressed["action_id"])
        value = pressed.get("value") or (pressed.get("selected_option") or {}).get("value") or ""
        user = body["user"]["id"]
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id", "")
        channel = body.get("channel") or {}
        container = body.get("container") or {}
        response_url = body.get("response_url")
        if name == blocks.MORE:
            message_ts = container.get("message_ts") if isinstance(container.get("message_ts"), str) else None
            await self._more(client, team, user, value, response_url, channel, message_ts)
            return
        request = await self._request(
            client,
            team,
            user,
            body["user"].get("username"),
            action=Action(name, value),
            channel=channel.get("id"),
            channel_name=channel.get("name"),
            forms=True,
            delivery=delivery,
        )
        reply = await self.core.handle(request)
        if reply.repeat:
            return
        if reply.form is not None:
            await self._open_form(client, body.get("trigger_id"), reply, {"channel": channel.get("id")}, response_url)
            return
        origin = blocks.origin_of(pressed.get("block_id"))
        if container.get("type") == "view":  # the App Home
            await self.messenger.direct(team, user, reply)
            self.refresh_home(team, user, force=True)
        elif container.get("is_ephemeral") and origin and response_url:
            fresh = await self.core.handle(await self._request(client, team, user, None, text=origin, channel=None))
            message = blocks.message(fresh, origin=fresh.again, ref=_ref(fresh))
            await self._post_to(response_url, blocks.with_notice(reply, message), replace_original=True)
        else:
            await self._respond(response_url, reply)
        self._after(team, user, reply, delivery)

    async def submit(self, body: dict[str, Any], client: AsyncWebClient, ack: Ack, delivery: str | None = None) -> None:
        """A modal sent back: a problem is shown beside the form's field it concerns (the modal stays open);
        otherwise the modal closes and the result is told to the person. A command slower than `ACK_WITHIN`
        closes the modal first, and its result is told when it is ready."""
        view = body["view"]
        meta = _metadata(view.get("private_metadata"))
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id", "")
        user = body["user"]["id"]
        channel = meta.get("channel") if isinstance(meta.get("channel"), str) else None
        request = await self._request(
            client,
            team,
            user,
            body["user"].get("username"),
            submitted=Submission(str(meta.get("command", "")), blocks.submitted(view["state"]["values"])),
            channel=channel,
            delivery=delivery,
        )
        task = self.background.track(asyncio.ensure_future(self.core.handle(request)))
        try:
            reply = await asyncio.wait_for(asyncio.shield(task), ACK_WITHIN)
        except TimeoutError:
            await ack()
            self.background.spawn(self._submitted_later(task, team, channel, user, delivery))
            return
        if reply.failed and reply.field is not None:
            await ack(response_action="errors", errors={reply.field: blocks.clip(reply.text.split("\n")[0], 300)})
            return
        await ack()
        if not reply.repeat:
            self.background.spawn(self._tell_submitter(team, channel, user, reply, delivery))

    async def _submitted_later(
        self, task: asyncio.Future[Reply], team: str, channel: str | None, user: str, delivery: str | None
    ) -> None:
        reply = await task
        if not reply.repeat:
            await self._tell_submitter(team, channel, user, reply, delivery)

    async def _tell_submitter(
        self, team: str, channel: str | None, user: str, reply: Reply, delivery: str | None
    ) -> None:
        if channel and not str(channel).startswith("D"):
            await self.messenger.ephemeral(team, channel, user, reply)
        else:
            await self.messenger.direct(team, user, reply)
        self._after(team, user, reply, delivery)

    async def home_opened(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, delivery: str | None = None
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        team = body.get("team_id") or ""
        self.background.spawn(self._once(delivery, lambda: self.publish_home(client, team, event["user"])))

    async def account_event(self, event: dict[str, Any], body: dict[str, Any], delivery: str | None = None) -> None:
        """`user_change` or `team_join`: the person's name, time zone and whether their account is active
        (`deleted`), recorded after the acknowledgement (`handlers.members.account_changed`)."""
        user = event["user"]
        team = body.get("team_id") or user.get("team_id") or ""
        self.people.forget(team, user["id"])
        if user.get("is_bot") or user["id"] == "USLACKBOT":
            return
        account = speaker_from(team, user)
        self.background.spawn(self._account(account, not user.get("deleted", False), delivery))

    async def _account(self, account: Speaker, active: bool, delivery: str | None) -> None:
        done = await account_changed(
            self.db, self.core.config, account, active=active, now=self.clock(), delivery=delivery
        )
        log.info("the Slack account %s changed: %s", account.user_id, done)
        if done == "deactivated":
            self.background.nudge()

    async def _once(self, delivery: str | None, work: Callable[[], Awaitable[None]]) -> None:
        """Do `work` (after the acknowledgement) unless the delivery was acted on before, in any process."""
        if delivery is not None:
            async with self.db.write() as session:
                first = await queries.first_delivery(session, delivery, self.clock())
            if not first:
                log.info("%s delivered again: ignored", delivery)
                return
        await work()

    async def first_time(self, body: dict[str, Any], req: Any, next: Next) -> Any:
        """Bolt middleware, after the signature check. A signed request this process has seen in the last five
        minutes (the time its signature is valid) is refused at once. Every delivery is named for the listener
        (`delivery` in Bolt's context): a request by its signature, an event by its id, which Slack's retries
        share. Whether another process acted on it is asked where it costs the acknowledgement nothing: in the
        command's own transaction, or after the acknowledgement."""
        if body.get("type") == "event_callback" and body.get("event_id"):
            req.context["delivery"] = f"slack:event:{body['event_id']}"
        else:
            signature = _header(req, "x-slack-signature")
            if signature:
                if not self._recent.first(signature):
                    log.warning("a signed request was replayed: refused")
                    return BoltResponse(status=401, body="")
                req.context["delivery"] = f"slack:request:{signature[-64:]}"
        await next()
        return None

    async def one_workspace(self, context: AsyncBoltContext, body: dict[str, Any], next: Next) -> Any:
        """Bolt middleware where a single bot token serves one workspace: a request from any other workspace is
        refused (and logged), never answered with that token."""
        installed = context.authorize_result.team_id if context.authorize_result is not None else None
        if installed and context.team_id and context.team_id != installed:
            log.warning("a request from Slack workspace %s, where Convene is not installed: refused", context.team_id)
            if "command" in body:
                answer = {"response_type": "ephemeral", "text": NOT_INSTALLED}
                return BoltResponse(status=200, body=json.dumps(answer), headers={"content-type": JSON})
            return BoltResponse(status=200, body="")
        await next()
        return None

    # -- the App Home --------------------------------------------------------------------------------------

    async def publish_home(self, client: AsyncWebClient, team: str, user: str) -> None:
        self._homes_seen.add((team, user))
        reply = await self.core.handle(await self._request(client, team, user, None, text="home", channel=None))
        await client.views_publish(user_id=user, view=blocks.home_view(reply))

    def refresh_home(self, team: str, user: str, *, force: bool = False) -> None:
        """Publish this person's Home again soon, if they have looked at it since Convene started."""
        if force or (team, user) in self._homes_seen:
            self._homes_due.add((team, user))
            self._homes_event.set()

    # -- background work: the outbox nudged after a change, Homes refreshed --------------------------------------

    def start(self) -> None:
        """Start the background loops: the outbox nudged after a change, Homes refreshed."""
        self.background.start(self._homes)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.start()
        try:
            yield
        finally:
            await self.close()

    async def close(self, within: float = CLOSE_WITHIN) -> None:
        """Stop, as Convene stops (`Background.close`; the Home loop is woken to end), then the people lookups."""
        await self.background.close(within, wake=self._homes_event.set)
        await self.people.close()

    async def _homes(self) -> None:
        while not self.background.stopping:
            await self._homes_event.wait()
            self._homes_event.clear()
            due, self._homes_due = self._homes_due, set()
            for team, user in due:
                if self.background.stopping:  # left for the next start: a Home is published again when it is opened
                    return
                try:
                    await self.publish_home(await self.clients.for_team(team), team, user)
                except Exception:
                    log.exception("refreshing the Home of %s failed", user)

    # -- helpers -------------------------------------------------------------------------------------------

    async def _request(
        self,
        client: AsyncWebClient,
        team: str,
        user: str,
        handle: str | None,
        *,
        text: str | None = None,
        action: Action | None = None,
        submitted: Submission | None = None,
        channel: str | None = None,
        channel_name: str | None = None,
        forms: bool = False,
        delivery: str | None = None,
    ) -> Request:
        said = " ".join(
            [
                text or "",
                action.value if action else "",
                *(v or "" for v in (submitted.values if submitted else {}).values()),
            ]
        )
        if "<@" in said:
            speaker, mentions = await asyncio.gather(
                self.people.speaker(client, team, user, handle), self.people.mentions(client, team, said)
            )
        else:  # the usual case, without the cost of gathering
            speaker, mentions = await self.people.speaker(client, team, user, handle), {}
        personal = not channel or channel.startswith("D")
        named = f"#{channel_name}" if channel_name and channel_name not in ("directmessage", "privategroup") else None
        place = Place() if personal else Place(channel, named)
        return Request(
            speaker,
            place,
            self.clock(),
            text=text,
            action=action,
            mentions=mentions,
            forms=forms,
            submitted=submitted,
            delivery=delivery,
        )

    def _after(self, team: str, user: str, reply: Reply, delivery: str | None) -> None:
        """What follows an answer. After a change, the outbox sends its messages now and the person's Home is
        refreshed. Otherwise the delivery is recorded, after the acknowledgement, so that a replay of it is
        refused by any process (a change records it in its own transaction)."""
        if reply.wrote:
            self.background.nudge()
            self.refresh_home(team, user)
        elif delivery is not None and not reply.repeat:
            self.background.spawn(self.core.remember(delivery, self.clock()))

    async def _more(
        self,
        client: AsyncWebClient,
        team: str,
        user: str,
        value: str,
        response_url: str | None,
        channel: dict[str, Any],
        message_ts: str | None,
    ) -> None:
        page_text, _, ref = value.partition("|")
        page = int(page_text) if page_text.isdigit() and len(page_text) < 6 else 1
        if ref.startswith("row:"):
            row = int(ref[4:]) if ref[4:].isdigit() and len(ref) < 24 else 0
            sent = await sent_message(
                self.db, row, platform="slack", workspace=team, user_id=user, message_ref=message_ts
            )
            if sent is None:
                log.warning("a More button for a message that is not %s's was refused", user)
                await self._respond(response_url, Reply("That message is not one you can page through."))
                return
            message = blocks.message(sent, page=page, ref=ref)
        elif ref.startswith("cmd:"):
            reply = await self.core.handle(
                await self._request(client, team, user, None, text=ref[4:], channel=channel.get("id"))
            )
            message = blocks.message(reply, page=page, origin=reply.again, ref=ref)
        else:
            return
        if response_url:
            await self._post_to(response_url, message, replace_original=False)
        else:
            await self.messenger.direct(team, user, Reply(message["text"]))

    async def _respond(self, response_url: str | None, reply: Reply) -> None:
        if not response_url:
            return
        message = blocks.message(reply, origin=reply.again, ref=_ref(reply))
        await self._post_to(response_url, message, replace_original=False, private=reply.private)

    async def _post_to(
        self, response_url: str, message: dict[str, Any], *, replace_original: bool, private: bool = True
    ) -> None:
        webhook = AsyncWebhookClient(response_url, session=self.clients.session, timeout=10)
        await webhook.send(
            text=message["text"],
            blocks=message["blocks"],
            response_type="ephemeral" if private else "in_channel",
            replace_original=replace_original,
        )


def _metadata(text: str | None) -> dict[str, Any]:
    """A modal's private_metadata as Convene wrote it (`blocks.modal`): a JSON object, or nothing usable."""
    try:
        found = json.loads(text or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _ref(reply: Reply) -> str | None:
    """Where a long reply's next page is found again: by asking its command afresh."""
    return f"cmd:{reply.again}" if reply.again else None


class Recent:
    """Keys seen in the last `window` seconds, in this process."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first(self, key: str) -> bool:
        now = time.monotonic()
        while self._seen and next(iter(self._seen.values())) < now - self.window:
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


def _header(req: Any, name: str) -> str | None:
    values = (getattr(req, "headers", None) or {}).get(name)
    if isinstance(values, list | tuple):
        return str(values[0]) if values else None
    return str(values) if values else None
