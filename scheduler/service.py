"""The APScheduler wiring: one AsyncIOScheduler, one job per Convene schedule row, triggered by the row's
rule (`handlers.command.timing.RuleTrigger`), plus a job that keeps the jobs in step with the rows.

The job store is in memory and holds nothing that matters: which occurrences ran is in the database
(`schedule_runs`), so a restart or a second process cannot run one twice, and on start the scheduler runs any
occurrence it missed within the grace period (late, once) and records older ones as skipped.
"""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select

from handlers.command.context import CoreConfig
from handlers.command.occurrences import rule_of
from handlers.reminders import ensure_reminders
from scheduler import jobs
from scheduler.jobs import Clock
from storage.db import Database
from storage.models import Schedule

log = logging.getLogger("convene.scheduler")
SYNC_SECONDS = 30
RECEIVED_KEPT = timedelta(days=1)  # how long a platform's delivery is remembered (`storage.queries.first_delivery`)
FORGET_EVERY_SECONDS = 3600
CARDS_EVERY_SECONDS = 1  # how often the poll cards whose tallies moved get their edits queued


class Scheduler:
    def __init__(self, db: Database, config: CoreConfig, clock: Clock, *, grace: timedelta) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.grace = grace
        self.aps: AsyncIOScheduler | None = None
        self._jobs: dict[str, tuple[object, ...]] = {}

    async def start(self) -> None:
        """Catch up on what was missed while stopped, then fire on time from here on."""
        await ensure_reminders(self.db, self.clock())
        await self.catch_up()
        self.aps = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                # A fire time missed by at most the grace period (a blocked loop, a suspended host) still
                # runs, once; run_due then sends every occurrence still owed and skips older ones.
                "misfire_grace_time": int(self.grace.total_seconds()),
                "coalesce": True,
                "max_instances": 1,
            },
        )
        self.aps.start()
        await self.sync()
        self.aps.add_job(self.sync, "interval", seconds=SYNC_SECONDS, id="sync", replace_existing=True)
        self.aps.add_job(self.forget, "interval", seconds=FORGET_EVERY_SECONDS, id="forget", replace_existing=True)
        self.aps.add_job(self.cards, "interval", seconds=CARDS_EVERY_SECONDS, id="cards", replace_existing=True)

    def stop(self) -> None:
        if self.aps is not None:
            self.aps.shutdown(wait=False)
            self.aps = None
        self._jobs.clear()

    async def catch_up(self) -> int:
        return await jobs.run_due(self.db, self.config, self.clock, grace=self.grace)

    async def forget(self) -> None:
        try:
            forgotten = await jobs.forget_deliveries(self.db, self.clock, kept=RECEIVED_KEPT)
        except Exception:
            log.exception("forgetting old deliveries failed; the next hour retries")
            return
        if forgotten:
            log.info("forgot %d deliveries received over %s ago", forgotten, RECEIVED_KEPT)

    async def cards(self) -> None:
        try:
            await jobs.edit_cards(self.db, self.clock)
        except Exception:
            log.exception("queueing the edits of poll cards failed; the next second retries")

    async def fire(self, schedule_id: int) -> None:
        try:
            await jobs.run_due(self.db, self.config, self.clock, grace=self.grace, schedule_id=schedule_id)
        except Exception:
            log.exception("schedule %s: running its occurrence failed; the next sync retries", schedule_id)

    async def sync(self) -> None:
        """Make the APScheduler jobs match the active schedule rows (changed here or by another process),
        and run anything owed, so a schedule changed elsewhere is never more than a sync late."""
        assert self.aps is not None
        async with self.db.read() as session:
            rows = (await session.scalars(select(Schedule).where(Schedule.active.is_(True)))).all()
        wanted: dict[str, tuple[object, ...]] = {}
        for row in rows:
            job_id = f"schedule {row.id}"
            signature = (row.cron, row.every_weeks, row.anchor, row.tz, row.skip_holidays)
            wanted[job_id] = signature
            if self._jobs.get(job_id) != signature:
                self.aps.add_job(
                    self.fire, rule_of(row).trigger(), args=[row.id], id=job_id, name=job_id, replace_existing=True
                )
        for job_id in set(self._jobs) - set(wanted):
            if self.aps.get_job(job_id) is not None:
                self.aps.remove_job(job_id)
        self._jobs = wanted
        try:
            await self.catch_up()
        except Exception:
            log.exception("catching up on schedules failed; the next sync retries")
