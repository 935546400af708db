"""The scheduler's jobs: each computes what is due from Convene's own schedule rows and runs it through the
handlers, which write the outbox rows. Running a job twice, or in two processes, is harmless."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select

from handlers import events, polls
from handlers.command.context import CoreConfig
from handlers.command.occurrences import due_occurrences, run_occurrence, skip_occurrence
from handlers.polls import close_due_polls, next_closing
from storage import queries
from storage.db import Database
from storage.models import Outbox

log = logging.getLogger("convene.scheduler")
Clock = Callable[[], datetime]


async def run_due(
    db: Database, config: CoreConfig, clock: Clock, *, grace: timedelta | None, schedule_id: int | None = None
) -> int:
    """Run every occurrence due by now (one schedule's, or all), oldest first; those older than the grace
    period are skipped and logged. The number run."""
    now = clock()
    due, late = await due_occurrences(db, now, grace=grace, schedule_id=schedule_id)
    for occurrence in late:
        await skip_occurrence(db, occurrence, now)
    ran = 0
    for occurrence in due:
        note = await run_occurrence(db, occurrence, clock(), config)
        if note is not None:
            ran += 1
            log.info("schedule %s at %s: %s", occurrence.schedule_id, occurrence.fire_at, note)
    if schedule_id is None:
        async with db.write() as session:
            closed = await close_due_polls(session, clock(), config.admins)
        if closed:
            log.info("closed %d polls at their closing time", closed)
            ran += closed
        async with db.write() as session:
            reminded = await events.send_reminders(session, clock())
            asked = await events.send_feedback_polls(session, clock())
            seated = await events.open_to_all(session, clock(), config.public_url)
        if reminded or asked or seated:
            log.info(
                "reminded those going to %d events; asked for feedback on %d; seated %d from waitlists",
                reminded,
                asked,
                seated,
            )
            ran += reminded + asked + seated
        await edit_cards(db, clock)
    return ran


async def edit_cards(db: Database, clock: Clock) -> int:
    """Queue the edits of the poll cards whose tallies moved and of the event cards whose seats did
    (`handlers.polls.refresh_cards`, `handlers.events.refresh_cards`); how many."""
    async with db.read() as session:  # most seconds nothing moved: no write transaction, no lock taken
        if not await polls.cards_behind(session) and not await events.cards_behind(session):
            return 0
    now = clock()
    async with db.write() as session:
        return await polls.refresh_cards(session, now) + await events.refresh_cards(session, now, polls.next_tick(now))


async def next_moment(db: Database, after: datetime, until: datetime) -> datetime | None:
    """The first time in (after, until] at which something is due: an occurrence, a delivery due later (a
    check-in), a poll's closing, an event's reminder, feedback poll or opening to all. The console steps its clock
    through these."""
    due, _ = await due_occurrences(db, until, grace=None)
    times = [d.fire_at for d in due if d.fire_at > after]
    async with db.read() as session:
        later = await session.scalar(
            select(func.min(Outbox.due_at)).where(
                Outbox.status == "pending", Outbox.due_at > after, Outbox.due_at <= until
            )
        )
        closing = await next_closing(session, after, until)
        reminder = await events.next_reminder(session, after, until)
        feedback = await events.next_feedback(session, after, until)
        opening = await events.next_opening(session, after, until)
    times += [t for t in (later, closing, reminder, feedback, opening) if t is not None]
    return min(times) if times else None


async def forget_deliveries(db: Database, clock: Clock, *, kept: timedelta) -> int:
    """Forget the platforms' deliveries recorded more than `kept` ago (they retry for minutes, and a signature
    is valid for five); how many were forgotten."""
    async with db.write() as session:
        return await queries.forget_deliveries(session, clock() - kept)
