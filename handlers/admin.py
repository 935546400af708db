"""The steering group: who is in it."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, select

from handlers.command.context import Ctx
from handlers.command.messages import Reply
from handlers.command.registry import command
from storage.db import Database
from storage.models import Admin, Member


async def grant_first_admin(db: Database, member_id: int, now: datetime, configured: Collection[str]) -> bool:
    """Make this member an admin if the database is the console's own and has no steering group yet (the
    console's first speaker): no admin in the database or in the configuration (`configured`, CONVENE_ADMINS),
    and no member of a real platform (a database Slack or Teams also uses has its steering group there).
    True if they were made one."""
    if configured:
        return False
    async with db.write() as session:
        if await session.scalar(select(exists().select_from(Admin))):
            return False
        speaker = await session.get_one(Member, member_id)
        if await session.scalar(select(exists().where(Member.platform != speaker.platform))):
            return False
        session.add(Admin(member_id=member_id, added_by=None, added_at=now))
        return True


@command(
    "admin add",
    role="admin",
    usage="admin add <person>",
    summary="add someone to the steering group",
    examples=("admin add @alice",),
)
async def add(ctx: Ctx) -> Reply:
    person = await ctx.person_from(ctx.word(0, "person"), create=True)
    ctx.no_more_words(1)
    if (
        ctx.config.names_admin(person.platform, person.workspace, person.user_id)
        or await ctx.session.get(Admin, person.id) is not None
    ):
        raise ctx.fail(f"{person.display_name} is already in the steering group.")
    ctx.session.add(Admin(member_id=person.id, added_by=ctx.me.id, added_at=ctx.now))
    await ctx.tell(
        person,
        Reply(f"{ctx.me.display_name} added you to Convene's steering group. Type `help` to see what you can now do."),
        key=f"admin {person.id}: added {ctx.now.isoformat()}",
    )
    return Reply(f"{person.display_name} is now in the steering group.")


@command(
    "admin remove",
    role="admin",
    usage="admin remove <person>",
    summary="remove someone from the steering group",
    examples=("admin remove @alice",),
)
async def remove(ctx: Ctx) -> Reply:
    person = await ctx.person_from(ctx.word(0, "person"))
    ctx.no_more_words(1)
    if ctx.config.names_admin(person.platform, person.workspace, person.user_id):
        raise ctx.fail(
            f"{person.display_name} is an admin by configuration (CONVENE_ADMINS); "
            "change the configuration to remove them."
        )
    row = await ctx.session.get(Admin, person.id)
    if row is None:
        raise ctx.fail(f"{person.display_name} is not in the steering group.")
    others = await ctx.session.scalar(select(exists().where(Admin.member_id != person.id)))
    if not others and not ctx.config.admins:
        raise ctx.fail(f"{person.display_name} is the last admin; add another before removing them.")
    await ctx.session.delete(row)
    await ctx.tell(
        person,
        Reply(f"{ctx.me.display_name} removed you from Convene's steering group. Thank you for serving on it."),
        key=f"admin {person.id}: removed {ctx.now.isoformat()}",
    )
    return Reply(f"{person.display_name} is no longer in the steering group; they have been told.")
