"""The one entry point every adapter calls: a neutral request in, a neutral reply out.

Parsing, the role check and the unit of work live here, once, for every command, every button and every form.
A command that changes nothing runs in a read unit, which takes no write lock; one that writes runs in a write
unit, and everything it writes (its rows and its outbox rows) commits together or not at all.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command.context import CoreConfig, Ctx
from handlers.command.errors import NotAllowed, UserError
from handlers.command.grammar import Args, GrammarError, tokenize
from handlers.command.messages import Reply, Request
from handlers.command.registry import REGISTRY, Command, Registry
from storage import queries
from storage.db import Database
from storage.models import Member

log = logging.getLogger("convene")

ROLE_REFUSALS = {
    "admin": "Only the steering group (Convene's admins) can use `{name}`.",
    "chair": "Only the chairs of {group} (and the steering group) can use `{name}` for it.",
}
CLASHED = "Someone changed the same thing at the same moment, so nothing was done. Please try again."
AGAIN_LIMIT = 200  # the longest command a reply can be asked for again by (it travels in a button's value)


class Convene:
    def __init__(self, db: Database, config: CoreConfig | None = None, registry: Registry = REGISTRY) -> None:
        self.db = db
        self.config = config or CoreConfig()
        self.registry = registry

    async def handle(self, request: Request) -> Reply:
        """The reply to a request, never an exception: a problem the person can act on is answered with its
        sentence and the command's usage (`Reply.failed`), anything else with a reference to quote, logged
        once. The reply also says what the adapter needs to know of the request (`Reply.command`, `wrote`,
        `again`, `repeat`), so that no adapter parses a command itself."""
        cmd: Command | None = None
        text = ""
        writes = False
        try:
            text = self._text(request)
            args = self._tokenize(text)
            if not args.words and not args.options:
                args = tokenize("help")
            cmd, args = self.registry.find(args)
            unknown = sorted(set(args.options) - cmd.options)
            if unknown:
                raise UserError(f"`{cmd.name}` has no option {unknown[0]}:.", usage=cmd.usage)
            writes = cmd.writes_with(args)
            reply = await self._run(cmd, writes, args, request)
        except UserError as err:
            reply = error_reply(err, cmd)
        except IntegrityError as err:  # a unique rule met a change made at the same moment: nothing was kept
            log.warning(
                "`%s` met a change made at the same moment (%s); nothing was kept",
                cmd.name if cmd is not None else "a request",
                type(err.orig).__name__,
            )
            reply = error_reply(UserError(CLASHED), cmd)
        except Exception:
            ref = secrets.token_hex(4)
            log.exception(
                "unexpected error (ref %s) handling %s for %s:%s",
                ref,
                f"`{cmd.name}`" if cmd is not None else "a request",
                request.speaker.platform,
                request.speaker.user_id,
            )
            return Reply(
                f"Sorry, something went wrong on our side and nothing was changed. "
                f"If it happens again, tell the steering group the reference {ref}."
            )
        return self._described(reply, cmd, writes, text, request)

    def _text(self, request: Request) -> str:
        """The command the request stands for, as typed: a form's values are written out as options."""
        if request.submitted is not None:
            cmd = self.registry.get(request.submitted.command)
            if cmd is None or cmd.form is None:
                raise UserError("That form is out of date: type the command again to open a new one.")
            return cmd.form.command_text(cmd.name, request.submitted.values)
        return request.action.value if request.action is not None else (request.text or "")

    def _tokenize(self, text: str) -> Args:
        """The typed command's words and options. Raises UserError for text the command language cannot read,
        with the usage of the command being typed: the one the words before the problem name (longest name
        first), or, for an unclosed quote that opens the text, the one its first words name (`"suggest more`)."""
        try:
            return tokenize(text)
        except GrammarError as err:
            typed = [w.text for w in err.words] or text[err.start + 1 :].split()
            raise UserError(err.message, usage=self.registry.usage_for(typed)) from None

    def _described(self, reply: Reply, cmd: Command | None, writes: bool, text: str, request: Request) -> Reply:
        if cmd is None:
            return reply
        done = not (reply.failed or reply.repeat or reply.form is not None)
        field = reply.field
        if reply.failed and request.submitted is not None and cmd.form is not None:
            names = [f.name for f in cmd.form.fields]
            field = field if field in names else names[0]  # a form shows every problem beside one of its fields
        again = text if done and not writes and len(text) <= AGAIN_LIMIT else None
        return replace(reply, command=cmd.name, wrote=done and writes, again=again, field=field)

    async def _run(self, cmd: Command, writes: bool, args: Args, request: Request) -> Reply:
        """Run the command in its unit of work, as the speaker the database knows. Someone new, or whom the
        platform now names differently, is saved first in a write unit of their own, so that they are known
        from their first word whatever becomes of the command."""
        s = request.speaker
        for saved in (False, True):
            async with self.db.unit(write=writes) as session:
                found = await queries.speaker(session, s.platform, s.workspace, s.user_id)
                if found is not None and (saved or found[2] == s.display_name):
                    if request.delivery is not None and await self._delivered_before(session, writes, request):
                        return Reply("This request was delivered before and acted on then.", repeat=True)
                    return await self._command(session, writes, cmd, args, request, found[0], found[1])
            await self.member_id(request)
        raise AssertionError("a member saved a moment ago is not there")

    async def _delivered_before(self, session: AsyncSession, writes: bool, request: Request) -> bool:
        """Whether the request's delivery was acted on before. A command that writes records it now, in its own
        transaction; one that reads only looks (its adapter records it after answering: `remember`)."""
        assert request.delivery is not None
        if writes:
            return not await queries.first_delivery(session, request.delivery, request.now)
        return await queries.delivered(session, request.delivery)

    async def remember(self, delivery: str, now: datetime) -> None:
        """Record a delivery that was answered without a change (a read), so that a replay of it is refused."""
        async with self.db.write() as session:
            await queries.first_delivery(session, delivery, now)

    async def _command(
        self,
        session: AsyncSession,
        writes: bool,
        cmd: Command,
        args: Args,
        request: Request,
        me: Member,
        listed_admin: bool,
    ) -> Reply:
        s = request.speaker  # named in CONVENE_ADMINS as this identity, or as the member it is linked to
        is_admin = (
            listed_admin
            or self.config.names_admin(me.platform, me.workspace, me.user_id)
            or self.config.names_admin(s.platform, s.workspace, s.user_id)
        )
        ctx = Ctx(session, writes, request, me, is_admin, self.config, cmd, args)
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

    async def _save_speaker(self, session: AsyncSession, request: Request) -> Member:
        s = request.speaker
        return await queries.ensure_member(
            session,
            platform=s.platform,
            workspace=s.workspace,
            user_id=s.user_id,
            display_name=s.display_name,
            tz=s.tz,
            now=request.now,
        )

    async def member_id(self, request: Request) -> int:
        """The speaker's member id, saving them if they are new, and their display name if it changed."""
        async with self.db.write() as session:
            return (await self._save_speaker(session, request)).id


def error_reply(err: UserError, cmd: Command | None) -> Reply:
    usage = err.usage or (cmd.usage if cmd is not None else None)
    text = err.message if usage is None else f"{err.message}\nUsage: `{usage}`"
    return Reply(text, failed=True, field=err.field)
