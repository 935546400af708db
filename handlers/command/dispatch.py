"""The one entry point every adapter calls: a neutral request in, a neutral reply out.

Parsing, the role check and the transaction live here, once, for every command and every button.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from handlers.command.context import CoreConfig, Ctx, watching_clock
from handlers.command.errors import NotAllowed, UserError
from handlers.command.grammar import Args, tokenize
from handlers.command.messages import Place, Reply, Request, Speaker
from handlers.command.registry import REGISTRY, Command, Registry
from storage import queries
from storage.changes import Changes, Snapshot
from storage.db import Database
from storage.kept import Keeper
from storage.models import Call, Group, Member

log = logging.getLogger("convene")
REPLY_CACHE_SIZE = 4096

ROLE_REFUSALS = {
    "admin": "Only the steering group (Convene's admins) can use `{name}`.",
    "chair": "Only the chairs of {group} (and the steering group) can use `{name}` for it.",
}


ReplyKey = tuple[object, ...]
Making = tuple[tuple[int, datetime], "asyncio.Future[Reply]"]  # (state, minute) when begun, and the reply to be


@dataclass(frozen=True)
class Made:
    """A reply kept for reuse: made from `tables`, as they were at `snapshot`; if making it read the time, it
    holds only within `minute`."""

    reply: Reply
    tables: frozenset[str]
    snapshot: Snapshot
    minute: datetime | None

    def holds(self, changes: Changes, minute: datetime) -> bool:
        return (self.minute is None or self.minute == minute) and changes.unchanged(self.tables, self.snapshot)


class Convene:
    def __init__(self, db: Database, config: CoreConfig | None = None, registry: Registry = REGISTRY) -> None:
        self.db = db
        self.config = config or CoreConfig()
        self.registry = registry
        self._members: dict[tuple[str, str, str], tuple[int, str]] = {}
        self._replies: OrderedDict[ReplyKey, Made] = OrderedDict()
        self._making: dict[ReplyKey, Making] = {}
        self.keeper = Keeper(db)

    async def handle(self, request: Request) -> Reply:
        cmd: Command | None = None
        try:
            text = request.action.value if request.action is not None else (request.text or "")
            args = tokenize(text)
            if not args.words and not args.options:
                args = tokenize("help")
            cmd, args = self.registry.find(args)
            unknown = sorted(set(args.options) - cmd.options)
            if unknown:
                raise UserError(f"`{cmd.name}` has no option {unknown[0]}:.", usage=cmd.usage)
            member_id = await self.member_id(request)
            if cmd.writes or cmd.live:
                return await self._run(cmd, args, request, member_id)
            return await self._read(cmd, args, request, member_id, text)
        except UserError as err:
            return error_reply(err, cmd)
        except Exception:
            ref = secrets.token_hex(4)
            log.exception(
                "unexpected error (ref %s) handling %r for %s:%s",
                ref,
                request.text or request.action,
                request.speaker.platform,
                request.speaker.user_id,
            )
            return Reply(
                f"Sorry, something went wrong on our side and nothing was changed. "
                f"If it happens again, tell the steering group the reference {ref}."
            )

    async def _read(self, cmd: Command, args: Args, request: Request, member_id: int, text: str) -> Reply:
        """A command that changes nothing: its reply is reused while none of the tables it read has changed."""
        snapshot = await self.db.snapshot()
        changes = self.db.changes
        if snapshot is None or changes is None:
            return await self._run(cmd, args, request, member_id)
        key = (
            None if cmd.shared else member_id,
            request.speaker.platform,
            text,
            request.place.channel_id,
            request.forms,
        )
        minute = request.now.replace(second=0, microsecond=0)
        cached = self._replies.get(key)
        if cached is not None and cached.holds(changes, minute):
            self._replies.move_to_end(key)
            return cached.reply
        making = self._making.get(key)
        if making is None or making[0] != (snapshot.state, minute):  # the same reply asked for at once is made once
            made = self._make(key, cmd, args, request, member_id, snapshot)
            making = ((snapshot.state, minute), asyncio.ensure_future(made))
            self._making[key] = making
            making[1].add_done_callback(lambda _: self._made(key, making))
        return await asyncio.shield(making[1])

    async def _make(
        self, key: ReplyKey, cmd: Command, args: Args, request: Request, member_id: int, snapshot: Snapshot
    ) -> Reply:
        assert self.db.changes is not None
        with self.db.changes.watching() as seen, watching_clock() as clock:
            try:
                reply = await self._run(cmd, args, request, member_id)
            except UserError as err:
                reply = error_reply(err, cmd)
        minute = request.now.replace(second=0, microsecond=0) if clock.read else None
        self._replies[key] = Made(reply, frozenset(seen.read), snapshot, minute)
        self._replies.move_to_end(key)
        if len(self._replies) > REPLY_CACHE_SIZE:
            self._replies.popitem(last=False)
        return reply

    def _made(self, key: ReplyKey, making: Making) -> None:
        if self._making.get(key) is making:
            del self._making[key]

    async def _run(self, cmd: Command, args: Args, request: Request, member_id: int) -> Reply:
        async with self.db.unit(write=cmd.writes) as unit:
            speaker = await self.keeper.get(("member", member_id), lambda: queries.speaker(unit, member_id))
            me = unit.adopt(queries.member_from(speaker))
            is_admin = speaker[2] or f"{me.platform}:{me.user_id}" in self.config.admins
            ctx = Ctx(unit, request, me, is_admin, self.config, cmd, args, keeper=self.keeper)
            if cmd.role == "admin" and not is_admin:
                raise NotAllowed(ROLE_REFUSALS["admin"].format(name=cmd.name))
            if request.forms and cmd.form is not None and not args.words and not args.options:
                values = await cmd.prefill(ctx) if cmd.prefill is not None else {}
                return Reply(f"Usage: `{cmd.usage}`", form=cmd.form.filled(values))
            if cmd.group_word:
                ctx.group = await ctx.take_group()
                if cmd.role == "chair" and not await ctx.may_chair(ctx.group):
                    raise NotAllowed(ROLE_REFUSALS["chair"].format(name=cmd.name, group=ctx.group.name))
            return await cmd.run(ctx)

    async def rehearse(self, now: datetime) -> int:
        """Ask what members ask most (help, the directory, the home view, a group's page, an offer to serve) as
        the longest-standing member, in a rehearsal that keeps nothing; the number of commands asked.
        SQLAlchemy compiles a statement the first time it runs, which for the larger ones holds the loop for
        5-20 ms: done at start-up, before any request comes, none waits for it."""
        async with self.db.read() as session:
            member = await session.scalar(select(Member).order_by(Member.id).limit(1))
            group = await session.scalar(select(Group.slug).where(Group.status != "closed").order_by(Group.id))
            calling = await session.scalar(
                select(Group.slug).join(Call, Call.group_id == Group.id).where(Call.status == "open").limit(1)
            )
        if member is None:
            return 0
        speaker = Speaker(member.platform, member.workspace, member.user_id, member.display_name, member.tz)
        texts = ["help", "groups", "home"]
        texts += [f"group {group}"] if group is not None else []
        texts += [f"volunteer {calling}"] if calling is not None else []
        async with self.db.rehearsal():
            for text in texts:
                await self.handle(Request(speaker, Place(), now, text=text))
        return len(texts)

    async def member_id(self, request: Request) -> int:
        """The speaker's member id, creating them on first use; a name change is saved when seen."""
        s = request.speaker
        identity = (s.platform, s.workspace, s.user_id)
        cached = self._members.get(identity)
        if cached is not None and cached[1] == s.display_name:
            return cached[0]
        async with self.db.write() as session:
            member = await queries.ensure_member(
                session,
                platform=s.platform,
                workspace=s.workspace,
                user_id=s.user_id,
                display_name=s.display_name,
                tz=s.tz,
                now=request.now,
            )
            if member.display_name != s.display_name:
                member.display_name = s.display_name
            self._members[identity] = (member.id, s.display_name)
            return member.id


def error_reply(err: UserError, cmd: Command | None) -> Reply:
    usage = err.usage or (cmd.usage if cmd is not None else None)
    text = err.message if usage is None else f"{err.message}\nUsage: `{usage}`"
    return Reply(text, failed=True, field=err.field)
