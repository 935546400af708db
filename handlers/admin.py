"""The steering group: who is in it, and adding and removing its members."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, select

from handlers.command.context import Ctx
from handlers.command.messages import Reply
from handlers.command.outbox import mention
from handlers.command.registry import command
from storage import queries
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
    "admin list",
    role="admin",
    writes=False,
    usage="admin list",
    summary="who is in the steering group",
    examples=("admin list",),
)
async def list_admins(ctx: Ctx) -> Reply:
    """Everyone in the steering group, by display name, in alphabetical order: those named in the configuration
    (CONVENE_ADMINS), said to be so, and those added with `admin add`. Someone named in the configuration who has
    not used Convene yet has no display name, so they are shown by the id the configuration gives, and said not
    to have used Convene yet; an account the platform has deactivated is said to be so.

    Only the steering group may read it (SPEC.md §3 gives `admin list` to admins): it shows the configuration's
    ids. It changes nothing, so it runs in a read unit. Raises UserError if words follow `admin list`."""
    ctx.no_more_words(0)
    shown: dict[int, tuple[Member, str]] = {}  # member id → (member, how they are in the steering group)
    waiting: list[str] = []  # configured ids nobody has used Convene with yet
    for entry in sorted(ctx.config.admins):
        platform, *where, user_id = entry.split(":")
        query = select(Member).where(Member.platform == platform, Member.user_id == user_id)
        if where:
            query = query.where(Member.workspace == where[0])
        found = (await ctx.session.scalars(query)).all()
        for member in found:
            shown[member.id] = (member, "named in the configuration")
        if not found:
            waiting.append(f"`{entry}` — named in the configuration; has not used Convene yet")
    for member in await queries.admin_members(ctx.session):
        shown.setdefault(member.id, (member, "added with `admin add`"))
    if not shown and not waiting:
        return Reply("No one is in the steering group yet.")
    people = sorted(shown.values(), key=lambda pair: (pair[0].display_name.casefold(), pair[0].id))
    lines = [
        f"• {member.display_name} — {how}"
        + ("; their account is deactivated" if member.deactivated_at is not None else "")
        for member, how in people
    ]
    lines += [f"• {line}" for line in waiting]
    return Reply(f"The steering group ({len(lines)}):\n" + "\n".join(lines))


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
        Reply(f"{mention(ctx.me)} added you to Convene's steering group. Type `help` to see what you can now do."),
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
        Reply(f"{mention(ctx.me)} removed you from Convene's steering group. Thank you for serving on it."),
        key=f"admin {person.id}: removed {ctx.now.isoformat()}",
    )
    return Reply(f"{person.display_name} is no longer in the steering group; they have been told.")
