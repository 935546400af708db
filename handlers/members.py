"""Joining and leaving communities, and who is in a group."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.command.context import Ctx
from handlers.command.messages import Reply, Section
from handlers.command.outbox import address
from handlers.command.registry import command
from handlers.groups import KIND_NAMES, seats_left
from storage import queries
from storage.models import Membership


@command(
    "join",
    group_word=True,
    usage="join <group>",
    summary="join a community of practice",
    examples=("join scholarly-libraries",),
)
async def join(ctx: Ctx) -> Reply:
    ctx.no_more_words(1)
    g = ctx.group
    assert g is not None
    if g.kind == "task":
        raise ctx.fail(
            f"{g.name} is a task-and-finish group: members serve by volunteering, "
            f"with `volunteer {g.slug}` while a call is open."
        )
    if g.status == "closed":
        raise ctx.fail(f"{g.name} is closed.")
    if await queries.membership(ctx.session, g.id, ctx.me.id) is not None:
        raise ctx.fail(f"You are already a member of {g.name}.")
    taken = len(await queries.memberships(ctx.session, g.id))
    if g.seats is not None and taken >= g.seats:
        raise ctx.fail(f"{g.name} is full: all {g.seats} places are taken.")
    row = Membership(group_id=g.id, member_id=ctx.me.id, role="member", since=ctx.now)
    ctx.session.add(row)
    if ctx.config.create_channels and g.channel:
        await ctx.session.flush()
        await ctx.post(
            channel=g.channel,
            key=f"membership {row.id}: welcome",
            reply=Reply(f"Welcome {ctx.me.display_name}, who joins {g.name}!", private=False, invite=(ctx.me.user_id,)),
        )
    channel = f" Say hello in {g.channel}." if g.channel else ""
    return Reply(f"Welcome to {g.name}!{channel}")


@command("leave", group_word=True, usage="leave <group>", summary="leave a group", examples=("leave wellbeing",))
async def leave(ctx: Ctx) -> Reply:
    ctx.no_more_words(1)
    g = ctx.group
    assert g is not None
    row = await queries.membership(ctx.session, g.id, ctx.me.id)
    if row is None:
        raise ctx.fail(f"You are not a member of {g.name}.")
    await ctx.session.delete(row)
    if row.role != "chair":
        return Reply(f"You have left {g.name}.")
    await ctx.session.flush()
    chairs = await ctx.session.scalar(
        select(func.count()).where(Membership.group_id == g.id, Membership.role == "chair")
    )
    if chairs == 0:  # the group has no chair left: the steering group hears of it
        news = Reply(
            f"{ctx.me.display_name} has left {g.name}, which now has no chair. Appoint one from its members or "
            f"volunteers (`accept <person> {g.slug} as:chair`), or open a call: `call {g.slug}`."
        )
        for admin in await queries.steering_group(ctx.session, ctx.config.admins):
            await ctx.tell(admin, news, key=f"group {g.id}: no chair since membership {row.id}, to {address(admin)}")
    return Reply(f"You have left {g.name}. You were one of its chairs: the steering group has been told.")


@command(
    "members",
    group_word=True,
    writes=False,
    usage="members <group>",
    summary="who is in a group, with their institution and role",
    examples=("members diversity",),
)
async def members(ctx: Ctx) -> Reply:
    ctx.no_more_words(1)
    g = ctx.group
    assert g is not None
    rows = await queries.memberships(ctx.session, g.id)
    if not rows:
        return Reply(f"{g.name} has no members yet.")
    lines = []
    for m in rows:
        inst = m.member.institution.name if m.member.institution else "institution not given"
        lines.append(f"• {m.member.display_name} — {inst}" + (" (chair)" if m.role == "chair" else ""))
    left = seats_left(g, len(rows))
    head = f"{g.name}, {KIND_NAMES[g.kind]}: {len(rows)} member{'s' if len(rows) != 1 else ''}" + (
        f", {left} seats left" if left is not None else ""
    )
    return Reply(head + "\n" + "\n".join(lines), sections=(Section(head), Section("\n".join(lines))))
