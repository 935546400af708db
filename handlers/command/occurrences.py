"""Scheduled work: which occurrences of the schedules are due, and running each exactly once through the runner
its kind registered (`runs`).

An occurrence is (schedule, fire time). Running one first inserts its `schedule_runs` row; a second process
or a restart that reaches the same occurrence finds the row and does nothing. Everything the occurrence sends
is an outbox row, written in the same transaction, whose key names the occurrence.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command.context import CoreConfig
from handlers.command.timing import Rule, occurrence_stamp
from storage import queries
from storage.db import Database
from storage.models import Schedule, ScheduleRun

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


def set_rule(schedule: Schedule, rule: Rule, typed: str, now: datetime) -> None:
    """Give `schedule` the rule (as evaluated, and as typed, for people to read) and turn it on, counting its
    occurrences from `now` (UTC)."""
    schedule.rule, schedule.cron, schedule.every_weeks, schedule.anchor = (
        typed,
        rule.cron,
        rule.every_weeks,
        rule.anchor,
    )
    schedule.tz, schedule.skip_holidays, schedule.active, schedule.updated_at = rule.tz, rule.skip_holidays, True, now


# -- what is due -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    schedule_id: int
    fire_at: datetime


async def active_schedules(
    session: AsyncSession, schedule_id: int | None = None
) -> list[tuple[Schedule, datetime | None]]:
    """The active schedules (or the one with this id, if active), in id order, each with the fire time of the
    last occurrence it ran or skipped (None if none): looked up per schedule by its unique (schedule, fire
    time) index, so the cost does not grow with the runs recorded."""
    last_run = select(func.max(ScheduleRun.fire_at)).where(ScheduleRun.schedule_id == Schedule.id).scalar_subquery()
    query = select(Schedule, last_run).where(Schedule.active.is_(True)).order_by(Schedule.id)
    if schedule_id is not None:
        query = query.where(Schedule.id == schedule_id)
    return [(schedule, ran) for schedule, ran in (await session.execute(query)).tuples()]


async def due_occurrences(
    db: Database, now: datetime, *, grace: timedelta | None, schedule_id: int | None = None
) -> tuple[list[Due], list[Due]]:
    """Occurrences not yet run up to `now`, in fire-time order: (to run, too late to run). With a grace
    period, those more than `grace` old are too late; without one (the console's clock) none is."""
    async with db.read() as session:
        schedules = await active_schedules(session, schedule_id)
    run: list[Due] = []
    late: list[Due] = []
    for schedule, ran in schedules:
        # After downtime a server looks back no further than LOOK_BACK (what is older than the grace period is
        # skipped anyway); the console's clock (no grace) runs every occurrence in order, however far it moves.
        since = max(schedule.updated_at, now - LOOK_BACK) if grace is not None else schedule.updated_at
        if ran is not None:
            since = max(since, ran.replace(tzinfo=UTC) if ran.tzinfo is None else ran)
        for fire in rule_of(schedule).occurrences(since, now):
            (late if grace is not None and fire < now - grace else run).append(Due(schedule.id, fire))
    key = lambda d: (d.fire_at, d.schedule_id)  # noqa: E731
    return sorted(run, key=key), sorted(late, key=key)


_RUN = queries.on_conflict(ScheduleRun.__table__, ("schedule_id", "fire_at"), returning=ScheduleRun.__table__.c.id)


async def _claim(session: AsyncSession, due: Due, status: str, now: datetime, note: str | None) -> int | None:
    return await queries.insert_returning_id(
        session, _RUN, schedule_id=due.schedule_id, fire_at=due.fire_at, status=status, ran_at=now, note=note
    )


async def run_occurrence(db: Database, due: Due, now: datetime, config: CoreConfig) -> str | None:
    """Run one occurrence, once: what it did, or None when it had run already (here or in another process)."""
    async with db.write() as session:
        run_id = await _claim(session, due, "done", now, None)
        if run_id is None:
            return None
        schedule = await session.get(Schedule, due.schedule_id)
        run = await session.get(ScheduleRun, run_id)
        assert run is not None
        reason = (
            "the schedule was removed before it ran"
            if schedule is None
            else "the schedule was turned off before it ran"
            if not schedule.active
            else "the schedule's rule was changed before it ran"
            if not rule_of(schedule).fires_at(due.fire_at)
            else None
        )
        if reason is not None or schedule is None:
            run.status, run.note = "skipped", reason
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
