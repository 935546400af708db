"""Reminders of deadlines: a call for volunteers closing (to the steering group, the day before) and milestones
due (to the group's chairs, a week before and on the day). One daily system schedule runs them; each
reminder's key names its deadline, so a day run twice, or by two processes, reminds once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command.messages import Reply, possessive
from handlers.command.occurrences import Occasion, runs
from handlers.command.outbox import address, member_row
from handlers.command.timing import DEFAULT_TZ
from handlers.polls import open_due_reviews
from handlers.volunteering import close_due_calls
from storage import queries
from storage.db import Database
from storage.models import Call, Group, Member, Membership, Milestone, Schedule

SYSTEM_SCOPE = "system"
REMINDER_CRON = "0 9 * * *"  # every day at 09:00, bank holidays included: deadlines don't move for them


_SCHEDULE = queries.on_conflict(Schedule.__table__, ("kind", "scope"))  # one schedule of a kind and scope


async def ensure_reminders(db: Database, now: datetime) -> None:
    """Create the daily reminders schedule if it is not there yet (safe when two processes start at once)."""
    async with db.write() as session:
        await session.execute(
            _SCHEDULE[queries.dialect(session)],
            dict(
                kind="reminders",
                scope=SYSTEM_SCOPE,
                group_id=None,
                platform="all",
                workspace="all",
                rule='every:"day 09:00"',
                cron=REMINDER_CRON,
                every_weeks=1,
                anchor=None,
                tz=DEFAULT_TZ,
                skip_holidays=False,
                active=True,
                created_by=None,
                created_at=now,
                updated_at=now,
            ),
        )


def _tell(key: str, member: Member, text: str, now: datetime) -> dict[str, Any]:
    return member_row(
        member,
        Reply(text),
        key=key,
        due=now,
        now=now,
    )


async def _chairs(session: AsyncSession, group_id: int) -> list[Member]:
    rows = (
        await session.scalars(
            select(Member)
            .join(Membership, Membership.member_id == Member.id)
            .where(Membership.group_id == group_id, Membership.role == "chair", queries.ACTIVE)
            .order_by(Member.id)
        )
    ).all()
    return list(rows)


@runs("reminders")
async def send_reminders(session: AsyncSession, occasion: Occasion) -> str:
    today = occasion.fire_at.astimezone(ZoneInfo(occasion.schedule.tz)).date()
    now = occasion.now
    rows = []
    closing = (
        await session.execute(
            select(Call, Group)
            .join(Group, Group.id == Call.group_id)
            .where(Call.status == "open", Call.closes_on == today + timedelta(days=1))
        )
    ).tuples()
    admins = await queries.steering_group(session, occasion.config.admins)
    closed = await close_due_calls(session, now, admins)
    calls = 0
    for call, group in closing:
        calls += 1
        for admin in admins:
            rows.append(
                _tell(
                    f"reminder:call {call.id}:closing {call.closes_on}:to {address(admin)}",
                    admin,
                    f"⏰ The call for volunteers for {group.name} closes tomorrow ({call.closes_on}). "
                    f"`volunteers {group.slug}` shows the offers to decide.",
                    now,
                )
            )
    due = (
        await session.execute(
            select(Milestone, Group)
            .join(Group, Group.id == Milestone.group_id)
            .where(
                Milestone.done_on.is_(None),
                Milestone.due_on.in_((today, today + timedelta(days=7))),
                Group.status != "closed",
            )
        )
    ).tuples()
    milestones = 0
    for milestone, group in due:
        milestones += 1
        chairs = await _chairs(session, group.id) or admins
        when = "today" if milestone.due_on == today else f"in a week ({milestone.due_on})"
        lead = "is due today" if milestone.due_on == today else f"is due {when}"
        tag = "due" if milestone.due_on == today else "week"
        for chair in chairs:
            rows.append(
                _tell(
                    f"reminder:milestone {milestone.id}:{tag} {milestone.due_on}:to {address(chair)}",
                    chair,
                    f"⏰ {possessive(group.name)} milestone {milestone.number}, “{milestone.title}”, {lead}. "
                    f"When it's done: `milestone done {group.slug} {milestone.number}`.",
                    now,
                )
            )
    await queries.enqueue(session, rows)
    reviews = await open_due_reviews(session, now)
    return (
        f"reminders: {closed} calls closed on their date, {calls} closing tomorrow, {milestones} milestones due, "
        f"{reviews} reviews opened"
    )
