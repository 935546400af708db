"""Joining and leaving communities, and who is in a group."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from handlers.command.context import CoreConfig, Ctx
from handlers.command.messages import Reply, Section, Speaker, channel_ref, counted, possessive, titled
from handlers.command.outbox import address, member_row, mention
from handlers.command.registry import command
from handlers.groups import KIND_NAMES, seats_left
from handlers.volunteering import refresh_announcement
from storage import queries
from storage.db import Database
from storage.models import Group, Member, Membership


def appoint_advice(g: Group) -> str:
    """How the steering group gives a group a chair: a member made chair with `accept … as:chair`, or, for a
    task-and-finish group, a call for volunteers."""
    advice = f"Make one of its members chair: `accept <person> {g.slug} as:chair`"
    return advice + (f", or open a call: `call {g.slug}`." if g.kind == "task" else ".")


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
        await ctx.post_to_group(
            g,
            key=f"membership {row.id}: welcome",
            reply=Reply(f"Welcome {mention(ctx.me)}, who joins {g.name}!", private=False, invite=(ctx.me.user_id,)),
            invitee=ctx.me,
        )
    channel = f" Say hello in {channel_ref(g.channel)}." if g.channel else ""
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
    if g.kind == "task":  # a seat is free again: a call's announcement says so
        await ctx.session.flush()
        await refresh_announcement(ctx, g, f"membership {row.id} left")
    if row.role != "chair":
        return Reply(f"You have left {g.name}.")
    await ctx.session.flush()
    chairs = await ctx.session.scalar(
        select(func.count()).where(Membership.group_id == g.id, Membership.role == "chair")
    )
    if chairs == 0:  # the group has no chair left: the steering group hears of it
        news = Reply(f"{mention(ctx.me)} has left {g.name}, which now has no chair. {appoint_advice(g)}")
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
        inst = f" — {m.member.institution.name}" if m.member.institution else ""
        lines.append(f"• {m.member.display_name}{inst}" + (" (chair)" if m.role == "chair" else ""))
    left = seats_left(g, len(rows))
    head = f"{g.name}, {KIND_NAMES[g.kind]}: {counted(len(rows), 'member')}" + (
        f", {counted(left, 'seat')} left" if left is not None else ""
    )
    return titled(head, [Section("\n".join(lines))])


async def account_changed(
    db: Database, config: CoreConfig, account: Speaker, *, active: bool, now: datetime, delivery: str | None = None
) -> str:
    """What the platform says of a person's account (Slack's `user_change` and `team_join` events): their display
    name and time zone are kept up to date, and whether the account is active. A deactivated member is left out
    of pairing and of every message to people (SPEC §5); if they chaired a group that is still open, the steering
    group is told, once, so that it can appoint another. Someone Convene does not know is not recorded: people
    become members when they first use Convene. A delivery acted on before does nothing.

    Returns what was done, for the log: "repeat", "unknown", "deactivated", "reactivated" or "updated".
    """
    async with db.write() as session:
        if delivery is not None and not await queries.first_delivery(session, delivery, now):
            return "repeat"
        member = await queries.member_by_identity(session, account.platform, account.workspace, account.user_id)
        if member is None:
            return "unknown"
        member.display_name = account.display_name[: queries.DISPLAY_NAME_LIMIT]
        if account.tz:
            member.tz = account.tz
        if active:
            was = member.deactivated_at
            member.deactivated_at = None
            return "reactivated" if was is not None else "updated"
        if member.deactivated_at is not None:
            return "updated"
        member.deactivated_at = now
        chaired = (
            await session.scalars(
                select(Group)
                .join(Membership, Membership.group_id == Group.id)
                .where(Membership.member_id == member.id, Membership.role == "chair", Group.status != "closed")
                .order_by(Group.name)
            )
        ).all()
        rows = []
        for g in chaired:
            others = await session.scalar(
                select(func.count())
                .select_from(Membership)
                .join(Member, Member.id == Membership.member_id)
                .where(Membership.group_id == g.id, Membership.role == "chair", queries.ACTIVE)
            )
            still = (
                f"It has no other chair. {appoint_advice(g)}"
                if not others
                else f"It has {counted(others, 'other chair')}."
            )
            news = Reply(
                f"{possessive(member.display_name)} account has been deactivated, and they chair {g.name}. {still} "
                f"Convene no longer pairs them or sends them messages."
            )
            for admin in await queries.steering_group(session, config.admins):
                key = f"member {member.id}: deactivated {now:%Y-%m-%dT%H:%M}, chair of {g.id}, to {address(admin)}"
                rows.append(member_row(admin, news, key=key, due=now, now=now))
        await queries.enqueue(session, rows)
        return "deactivated"
