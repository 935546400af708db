"""Schedules: which occurrences are due, running each exactly once, and the steering group's views of what is
scheduled (`schedules`) and of what was delivered or failed (`deliveries`).

An occurrence is (schedule, fire time). Running one first inserts its `schedule_runs` row; a second process
or a restart that reaches the same occurrence finds the row and does nothing. Everything the occurrence sends
is an outbox row, written in the same transaction, whose key names the occurrence.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import CoreConfig, Ctx
from handlers.messages import Reply, Section
from handlers.registry import command
from handlers.timing import Rule, describe, occurrence_stamp
from storage import queries
from storage.db import Database, InsertUnlessTaken
from storage.models import Group, Member, Outbox
from storage.scheduling import Schedule, ScheduleRun

log = logging.getLogger("convene.schedules")

LOOK_BACK = timedelta(days=35)  # how far back a restart looks for occurrences it missed


@dataclass(frozen=True)
class Occasion:
    """One occurrence being run: the schedule, when it was meant to fire, and when it actually runs."""

    schedule: Schedule
    fire_at: datetime
    now: datetime
    config: CoreConfig

    @property
    def key(self) -> str:
        return f"schedule {self.schedule.id}:{occurrence_stamp(self.fire_at)}"

    @property
    def late(self) -> timedelta:
        return self.now - self.fire_at


Runner = Callable[[AsyncSession, Occasion], Awaitable[str]]
RUNNERS: dict[str, Runner] = {}


def runs(kind: str) -> Callable[[Runner], Runner]:
    def register(fn: Runner) -> Runner:
        RUNNERS[kind] = fn
        return fn

    return register


def rule_of(schedule: Schedule) -> Rule:
    return Rule(schedule.cron, schedule.every_weeks, schedule.anchor, schedule.tz, schedule.skip_holidays)


# -- what is due -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    schedule_id: int
    fire_at: datetime


async def due_occurrences(
    db: Database, now: datetime, *, grace: timedelta | None, schedule_id: int | None = None
) -> tuple[list[Due], list[Due]]:
    """Occurrences not yet run up to `now`, in fire-time order: (to run, too late to run). With a grace
    period, those more than `grace` old are too late; without one (the console's clock) none is."""
    async with db.read() as session:
        query = select(Schedule).where(Schedule.active.is_(True))
        if schedule_id is not None:
            query = query.where(Schedule.id == schedule_id)
        schedules = (await session.scalars(query)).all()
        last = dict(
            (
                await session.execute(
                    select(ScheduleRun.schedule_id, func.max(ScheduleRun.fire_at)).group_by(ScheduleRun.schedule_id)
                )
            )
            .tuples()
            .all()
        )
    run: list[Due] = []
    late: list[Due] = []
    for schedule in schedules:
        since = max(schedule.updated_at, now - LOOK_BACK)
        ran = last.get(schedule.id)
        if ran is not None:
            since = max(since, ran.replace(tzinfo=UTC) if ran.tzinfo is None else ran)
        for fire in rule_of(schedule).occurrences(since, now):
            (late if grace is not None and fire < now - grace else run).append(Due(schedule.id, fire))
    key = lambda d: (d.fire_at, d.schedule_id)  # noqa: E731
    return sorted(run, key=key), sorted(late, key=key)


async def _claim(session: AsyncSession, due: Due, status: str, now: datetime, note: str | None) -> int | None:
    stmt = (
        InsertUnlessTaken(ScheduleRun, "schedule_id", "fire_at")
        .values(schedule_id=due.schedule_id, fire_at=due.fire_at, status=status, ran_at=now, note=note)
        .returning(ScheduleRun.id)
    )
    run_id: int | None = (await session.execute(stmt)).scalar()
    return run_id


async def run_occurrence(db: Database, due: Due, now: datetime, config: CoreConfig) -> str | None:
    """Run one occurrence, once: what it did, or None when it had run already (here or in another process)."""
    async with db.write() as session:
        run_id = await _claim(session, due, "done", now, None)
        if run_id is None:
            return None
        schedule = await session.get(Schedule, due.schedule_id)
        run = await session.get(ScheduleRun, run_id)
        assert run is not None
        if schedule is None or not schedule.active or not rule_of(schedule).fires_at(due.fire_at):
            run.status, run.note = "skipped", "the schedule changed before it ran"
            return run.note
        occasion = Occasion(schedule, due.fire_at, now, config)
        note = await RUNNERS[schedule.kind](session, occasion)
        if occasion.late > timedelta(minutes=1):
            note += f" (late by {_span(occasion.late)})"
            log.info("schedule %s: occurrence %s ran late by %s", schedule.id, occasion.key, occasion.late)
        run.note = note[:300]
        return note


async def skip_occurrence(db: Database, due: Due, now: datetime) -> bool:
    """Record an occurrence as missed (too old to send after downtime), and log it; False if it had run."""
    note = f"missed: Convene was not running within the grace period after {occurrence_stamp(due.fire_at)}"
    async with db.write() as session:
        skipped = await _claim(session, due, "skipped", now, note) is not None
    if skipped:
        log.warning(
            "schedule %s: skipped the occurrence at %s, %s late", due.schedule_id, due.fire_at, now - due.fire_at
        )
    return skipped


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


# -- admin views -----------------------------------------------------------------------------------------------


async def describe_schedule(session: AsyncSession, schedule: Schedule) -> str:
    what = {"prompts": "Networking prompts", "pairing": "Pairing rounds", "reminders": "Deadline reminders"}[
        schedule.kind
    ]
    if schedule.group_id is not None:
        group = await session.get(Group, schedule.group_id)
        what += f" for {group.name}" if group else ""
        if schedule.kind == "prompts" and group is not None and group.channel:
            what += f" in {group.channel}"
    elif schedule.kind == "pairing":
        what += " for everyone opted in"
    return what


@command(
    "schedules",
    role="admin",
    writes=False,
    live=True,
    usage="schedules",
    summary="what Convene will do next on its own: prompts, pairing rounds, reminders",
    examples=("schedules",),
)
async def list_schedules(ctx: Ctx) -> Reply:
    ctx.no_more_words(0)
    rows = (await ctx.session.scalars(select(Schedule).where(Schedule.active.is_(True)).order_by(Schedule.id))).all()
    if not rows:
        return Reply(
            "Nothing is scheduled. Chairs set prompts with `prompts <group> every:…`; "
            "the steering group sets pairing rounds with `pairing every:2w`."
        )
    last = dict(
        (
            await ctx.session.execute(
                select(ScheduleRun.schedule_id, func.max(ScheduleRun.fire_at)).group_by(ScheduleRun.schedule_id)
            )
        )
        .tuples()
        .all()
    )
    entries: list[tuple[datetime | None, str]] = []
    for s in rows:
        rule = rule_of(s)
        nxt = rule.next_after(ctx.now)
        when = f"next {nxt.astimezone(rule.zone):%a %Y-%m-%d %H:%M} {rule.tz}" if nxt else "no further dates"
        ran = last.get(s.id)
        line = f"{await describe_schedule(ctx.session, s)} — {describe(rule)}; {when}"
        if ran is not None:
            line += f"; last {ran.astimezone(rule.zone):%Y-%m-%d %H:%M}"
        entries.append((nxt, line))
    entries.sort(key=lambda e: (e[0] is None, e[0] or ctx.now))
    pending = await ctx.session.scalar(select(func.count()).where(Outbox.status.in_(("pending", "sending")))) or 0
    failed = await ctx.session.scalar(select(func.count()).where(Outbox.status == "failed")) or 0
    tail = f"Deliveries waiting: {pending}; failed: {failed}" + (" (see `deliveries failed`)." if failed else ".")
    text = "Scheduled, soonest first:\n" + "\n".join(f"• {line}" for _, line in entries) + "\n" + tail
    return Reply(text, sections=(*(Section(line) for _, line in entries), Section(tail)))


DELIVERY_LIMIT = 20


@command(
    "deliveries",
    role="admin",
    writes=False,
    live=True,
    usage="deliveries [failed]",
    summary="messages Convene sent on its own, and those that failed and why",
    examples=("deliveries", "deliveries failed"),
)
async def deliveries(ctx: Ctx) -> Reply:
    words = [w.text.lower() for w in ctx.args.words]
    if words not in ([], ["failed"]):
        raise ctx.fail(f"I don't understand “{ctx.args.words[0].text}” here.")
    counts = dict(
        (await ctx.session.execute(select(Outbox.status, func.count()).group_by(Outbox.status))).tuples().all()
    )
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("pending", "sending", "sent", "failed"))
    query = select(Outbox).order_by(Outbox.id.desc()).limit(DELIVERY_LIMIT)
    if words:
        query = query.where(Outbox.status == "failed")
    rows = (await ctx.session.scalars(query)).all()
    if not rows:
        return Reply(f"Deliveries: {summary}." + (" None has failed." if words else ""))
    lines = []
    for r in rows:
        to = r.target if r.target_kind == "channel" else f"DM {r.target_label}"
        when = r.sent_at or r.due_at
        line = f"{r.status} · {to} · {when:%Y-%m-%d %H:%M} UTC · {r.key}"
        if r.status != "sent" and r.attempts:
            line += f" · {r.attempts} attempt{'s' if r.attempts != 1 else ''}"
        if r.error and r.status != "sent":
            line += f" · error: {r.error[:200]}"
        lines.append(line)
    title = "Failed deliveries, newest first" if words else "Latest deliveries, newest first"
    return Reply(f"Deliveries: {summary}.\n{title}:\n" + "\n".join(f"• {line}" for line in lines))


async def members_for(session: AsyncSession, ids: Sequence[int]) -> dict[int, Member]:
    if not ids:
        return {}
    found = (await session.scalars(select(Member).where(Member.id.in_(list(ids))))).all()
    return {m.id: m for m in found}


async def admins_to_tell(session: AsyncSession, config: CoreConfig) -> list[Member]:
    """The steering group as members: those added with `admin add` and those named in the configuration."""
    found = {m.id: m for m in await queries.admin_members(session)}
    for entry in sorted(config.admins):
        platform, _, user_id = entry.partition(":")
        rows = (
            await session.scalars(select(Member).where(Member.platform == platform, Member.user_id == user_id))
        ).all()
        for m in rows:
            found.setdefault(m.id, m)
    return sorted(found.values(), key=lambda m: m.id)
