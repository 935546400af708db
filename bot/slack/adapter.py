"""Slack in, Convene's core, Slack out: each Slack request becomes a neutral `Request` for `Convene.handle`, and
each reply becomes Block Kit, answered in the acknowledgement when it is ready within the time Slack allows.

Buttons act in place: a press on a posted message changes it through the outbox (the core writes the edit),
which this adapter nudges at once; a press on a private reply replaces that reply with the result and the
reply's fresh content. Forms open as modals; the App Home tab shows the `home` view.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack import blocks
from bot.slack.identity import People
from bot.slack.messenger import Clients, SlackMessenger
from handlers.command.dispatch import Convene
from handlers.command.errors import UserError
from handlers.command.grammar import tokenize
from handlers.command.messages import Action, Place, Reply, Request
from handlers.command.registry import Command, Registry
from scheduler.outbox import Dispatcher
from storage.db import Database
from storage.models import Outbox
from storage.slack import Sightings

log = logging.getLogger("convene.slack")

ACK_WITHIN = 2.0  # seconds to wait for a reply before acknowledging without it (Slack allows three)
SEEN_FOR = timedelta(days=1)  # how long a delivery is remembered: longer than Slack's retries and its 5 minutes
ORIGIN_LIMIT = 200
REPLAY_WINDOW = 5 * 60.0  # Bolt refuses a request whose timestamp is older than this
JSON = "application/json;charset=utf-8"
NUDGE_GATHER = 0.05  # seconds the outbox waits after a change for the changes that come with it
Ack = Callable[..., Awaitable[Any]]
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
        self.dispatcher: Dispatcher | None = None
        self._nudge = asyncio.Event()
        self._homes_seen: set[tuple[str, str]] = set()
        self._homes_due: set[tuple[str, str]] = set()
        self._homes_event = asyncio.Event()
        self._sightings = Sightings(db, clock, SEEN_FOR)
        self._recent = Recent(REPLAY_WINDOW)
        self._answers = Answers()
        self._tasks: set[asyncio.Future[None]] = set()

    # -- what the listeners call ------------------------------------------------------------------------------

    async def command(self, body: dict[str, Any], client: AsyncWebClient, ack: Ack) -> BoltResponse | None:
        """Answer a slash command: with its reply as the acknowledgement (returned, for Bolt to send) when the
        reply is ready in time; otherwise acknowledge now and answer by the response URL."""
        text = (body.get("text") or "").strip()
        team, user = body["team_id"], body["user_id"]
        request = await self._request(
            client,
            team,
            user,
            body.get("user_name"),
            text=text,
            channel=body.get("channel_id"),
            channel_name=body.get("channel_name"),
            forms=True,
        )
        task = asyncio.ensure_future(self.core.handle(request))
        try:
            reply = await asyncio.wait_for(asyncio.shield(task), ACK_WITHIN)
        except TimeoutError:  # slow today: acknowledge now, answer by the response URL when ready
            await ack(text="Working on it…", response_type="ephemeral")
            self.spawn(self._answer_later(task, body.get("response_url"), team, user, text))
            return None
        if reply.form is not None:
            await ack()
            cmd = self._command(text)
            context = {"channel": body.get("channel_id")}
            view = blocks.modal(reply.form, cmd.name if cmd else text, context)
            await client.views_open(trigger_id=body["trigger_id"], view=view)
            return None
        self._after(team, user, text, reply)
        return self._answers.response(reply, self._origin(text, reply))

    async def _answer_later(
        self, task: asyncio.Future[Reply], response_url: str | None, team: str, user: str, text: str
    ) -> None:
        reply = await task
        await self._respond(response_url, reply, origin=self._origin(text, reply))
        self._after(team, user, text, reply)

    async def press(self, body: dict[str, Any], client: AsyncWebClient, ack: Ack) -> None:
        await ack()
        self.spawn(self._pressed(body, client))

    async def _pressed(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        pressed = body["actions"][0]
        name = blocks.neutral_action(pressed["action_id"])
        value = pressed.get("value") or (pressed.get("selected_option") or {}).get("value") or ""
        user = body["user"]["id"]
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id", "")
        channel = body.get("channel") or {}
        container = body.get("container") or {}
        response_url = body.get("response_url")
        in_home = container.get("type") == "view"
        if name == blocks.MORE:
            await self._more(client, team, user, value, response_url, channel)
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
        )
        reply = await self.core.handle(request)
        if reply.form is not None and body.get("trigger_id"):
            cmd = self._command(value)
            view = blocks.modal(reply.form, cmd.name if cmd else value, {"channel": channel.get("id")})
            await client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        origin = blocks.origin_of(pressed.get("block_id"))
        if in_home:
            await self.messenger.direct(team, user, reply)
            self.refresh_home(team, user, force=True)
        elif container.get("is_ephemeral") and origin and response_url:
            fresh = await self.core.handle(await self._request(client, team, user, None, text=origin, channel=None))
            message = blocks.message(fresh, origin=origin, ref=f"cmd:{origin}")
            await self._post_to(response_url, blocks.with_notice(reply, message), replace_original=True)
        else:
            await self._respond(response_url, reply)
        self._after(team, user, value, reply)

    async def submit(self, body: dict[str, Any], client: AsyncWebClient, ack: Ack) -> None:
        view = body["view"]
        meta = json.loads(view.get("private_metadata") or "{}")
        cmd = self.core.registry.get(str(meta.get("command", "")))
        if cmd is None or cmd.form is None:
            await ack()
            return
        text = cmd.form.command_text(cmd.name, blocks.submitted(cmd.form, view["state"]["values"]))
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id", "")
        user = body["user"]["id"]
        channel = meta.get("channel")
        request = await self._request(client, team, user, body["user"].get("username"), text=text, channel=channel)
        reply = await self.core.handle(request)
        if reply.failed:
            names = [f.name for f in cmd.form.fields]
            field = reply.field if reply.field in names else names[0]
            await ack(response_action="errors", errors={field: blocks.clip(reply.text.split("\n")[0], 300)})
            return
        await ack()
        self.spawn(self._tell_submitter(team, channel, user, text, reply))

    async def _tell_submitter(self, team: str, channel: str | None, user: str, text: str, reply: Reply) -> None:
        if channel and not str(channel).startswith("D"):
            await self.messenger.ephemeral(team, channel, user, reply)
        else:
            await self.messenger.direct(team, user, reply)
        self._after(team, user, text, reply)

    async def home_opened(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        team = body.get("team_id") or ""
        self.spawn(self.publish_home(client, team, event["user"]))

    async def first_time(self, body: dict[str, Any], req: Any, next: Callable[[], Awaitable[None]]) -> Any:
        """Bolt middleware, after the signature check: an event already acted on, or a request seen before,
        does nothing again. Slack's retries of an event share its event_id; a replayed request its signature."""
        if body.get("type") == "event_callback" and body.get("event_id"):
            if not await self._sightings.first(f"event:{body['event_id']}"):
                log.info("event %s delivered again (retry %s): ignored", body["event_id"], _retry_number(req))
                return BoltResponse(status=200, body="")
        else:
            signature = _header(req, "x-slack-signature")
            # Every signed request is remembered here for the five minutes its signature is valid; one that
            # could change something is also recorded in the database, so no other process acts on it again.
            if signature and (
                not self._recent.first(signature)
                or (self._changes(body) and not await self._sightings.first(f"request:{signature[-64:]}"))
            ):
                log.warning("a signed request was replayed: refused")
                return BoltResponse(status=401, body="")
        await next()
        return None

    def _changes(self, body: dict[str, Any]) -> bool:
        if "command" in body:
            cmd = self._command(str(body.get("text") or ""))
            return cmd is not None and cmd.writes
        return body.get("type") in ("block_actions", "view_submission")

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Work that goes on after Slack has its acknowledgement (Bolt answers when a listener returns)."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack work after the acknowledgement failed", exc_info=task.exception())

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

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(self._nudged()), asyncio.create_task(self._homes())]
        try:
            yield
        finally:
            if self._tasks:  # let answers under way finish, briefly
                await asyncio.wait(list(self._tasks), timeout=5)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _nudged(self) -> None:
        while True:
            await self._nudge.wait()
            await asyncio.sleep(NUDGE_GATHER)
            self._nudge.clear()
            if self.dispatcher is None:
                continue
            try:
                while await self.dispatcher.run_once():
                    pass
            except Exception:
                log.exception("sending the outbox after a change failed; the dispatcher will try again")

    async def _homes(self) -> None:
        while True:
            await self._homes_event.wait()
            self._homes_event.clear()
            due, self._homes_due = self._homes_due, set()
            for team, user in due:
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
        channel: str | None = None,
        channel_name: str | None = None,
        forms: bool = False,
    ) -> Request:
        said = text if text is not None else (action.value if action else "")
        if "<@" in said:
            speaker, mentions = await asyncio.gather(
                self.people.speaker(client, team, user, handle), self.people.mentions(client, team, said)
            )
        else:  # the usual case, without the cost of gathering
            speaker, mentions = await self.people.speaker(client, team, user, handle), {}
        personal = not channel or channel.startswith("D")
        named = f"#{channel_name}" if channel_name and channel_name not in ("directmessage", "privategroup") else None
        place = Place() if personal else Place(channel, named)
        return Request(speaker, place, self.clock(), text=text, action=action, mentions=mentions, forms=forms)

    def _command(self, text: str) -> Command | None:
        """The command `text` asks for, if any (asked several times a request, so remembered)."""
        return _command_of(self.core.registry, text)

    def _origin(self, text: str, reply: Reply) -> str | None:
        """The command to run again for this reply's next page or fresh content: only one that changes nothing."""
        if reply.failed or not text or len(text) > ORIGIN_LIMIT:
            return None
        cmd = self._command(text)
        return text if cmd is not None and not cmd.writes else None

    def _after(self, team: str, user: str, text: str, reply: Reply) -> None:
        if reply.failed:
            return
        cmd = self._command(text)
        if cmd is not None and cmd.writes:
            self._nudge.set()
            self.refresh_home(team, user)

    async def _more(
        self,
        client: AsyncWebClient,
        team: str,
        user: str,
        value: str,
        response_url: str | None,
        channel: dict[str, Any],
    ) -> None:
        page_text, _, ref = value.partition("|")
        page = int(page_text) if page_text.isdigit() else 1
        if ref.startswith("row:") and ref[4:].isdigit():
            async with self.db.read() as session:
                row = await session.get(Outbox, int(ref[4:]))
            if row is None:
                return
            reply = Reply.from_json(row.payload)
            message = blocks.message(reply, page=page, ref=ref)
        elif ref.startswith("cmd:"):
            origin = ref[4:]
            reply = await self.core.handle(
                await self._request(client, team, user, None, text=origin, channel=channel.get("id"))
            )
            message = blocks.message(reply, page=page, origin=origin, ref=ref)
        else:
            return
        if response_url:
            await self._post_to(response_url, message, replace_original=False)
        else:
            await self.messenger.direct(team, user, Reply(message["text"]))

    async def _respond(self, response_url: str | None, reply: Reply, origin: str | None = None) -> None:
        if not response_url:
            return
        message = blocks.message(reply, origin=origin, ref=f"cmd:{origin}" if origin else None)
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


@functools.lru_cache(maxsize=4096)
def _command_of(registry: Registry, text: str) -> Command | None:
    try:
        args = tokenize(text)
        return registry.find(args)[0] if args.words else None
    except UserError:
        return None


class Answers:
    """Slash-command acknowledgements, serialised once for each reply.

    While nothing a read command's reply was made from has changed, the core hands out the same `Reply` object
    (`Convene._read`); its acknowledgement, often a whole directory of groups in Block Kit, is then the same
    bytes too. They are kept by the reply's identity, with the reply itself, so that its id cannot be taken by
    another object while they are kept."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[int, str | None], tuple[Reply, str]] = OrderedDict()

    def response(self, reply: Reply, origin: str | None) -> BoltResponse:
        key = (id(reply), origin)
        kept = self._kept.get(key)
        if kept is not None and kept[0] is reply:
            self._kept.move_to_end(key)
            body = kept[1]
        else:
            message = blocks.message(reply, origin=origin, ref=f"cmd:{origin}" if origin else None)
            body = json.dumps({"response_type": "ephemeral" if reply.private else "in_channel", **message})
            self._kept[key] = (reply, body)
            if len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return BoltResponse(status=200, body=body, headers={"content-type": JSON})


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


def _retry_number(req: Any) -> str | None:
    return _header(req, "x-slack-retry-num")
