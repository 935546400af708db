"""The scheduler service: restarts catch up within the grace period, once; two replicas run an occurrence once."""

import asyncio
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers.command.timing import RuleTrigger
from scheduler.service import Scheduler
from storage.db import Database
from storage.models import ScheduleRun
from tests.conftest import Chat

GRACE = timedelta(hours=1)
pytestmark = pytest.mark.clock  # APScheduler computes its jobs' next run times from the wall clock


async def weekly_prompts(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Readers" kind:community')
    assert (
        "The first is on Monday 2027-01-11 at 10:00"
        in (await chat.say("Ada", 'prompts readers every:"monday 10:00"')).text
    )


def service(chat: Chat, db: Database | None = None) -> Scheduler:
    return Scheduler(db or chat.core.db, chat.core.config, lambda: chat.now, grace=GRACE)


async def test_stopped_across_a_scheduled_time_and_started_within_grace_sends_once_late(chat: Chat) -> None:
    await weekly_prompts(chat)
    first = service(chat)
    await first.start()  # 09:30: nothing due yet
    first.stop()
    assert await chat.deliver() == []
    chat.advance(minutes=50)  # down across 10:00; back at 10:20
    second = service(chat)
    await second.start()
    posted = await chat.deliver()
    assert [d.target for d in posted] == ["#readers"]
    async with chat.core.db.read() as session:
        run = await session.scalar(select(ScheduleRun))
    assert run is not None and run.status == "done" and "late by 20 min" in (run.note or "")
    second.stop()
    chat.advance(minutes=5)
    third = service(chat)  # another restart: the occurrence has run
    await third.start()
    third.stop()
    assert await chat.deliver() == []


async def test_an_occurrence_older_than_the_grace_period_is_skipped_and_logged(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    await weekly_prompts(chat)
    chat.advance(hours=2)  # down from before 10:00 until 11:30
    caplog.set_level(logging.WARNING, logger="convene.schedules")
    late = service(chat)
    await late.start()
    late.stop()
    assert await chat.deliver() == []
    assert any("skipped the occurrence at 2027-01-11 10:00" in r.getMessage() for r in caplog.records)
    async with chat.core.db.read() as session:
        run = await session.scalar(select(ScheduleRun))
    assert run is not None and run.status == "skipped"
    chat.advance(weeks=1, hours=-1, minutes=-25)  # 10:05 the next Monday: within the grace period
    await service(chat).catch_up()
    assert len(await chat.deliver()) == 1  # the next week's prompt goes as usual


async def test_two_replicas_run_an_occurrence_once(chat: Chat, db_url: str) -> None:
    await weekly_prompts(chat)
    chat.advance(minutes=31)
    other = Database(db_url)  # a second process's engine and pool
    try:
        a, b = service(chat), service(chat, other)
        ran = await asyncio.gather(a.catch_up(), b.catch_up(), a.catch_up(), b.catch_up())
    finally:
        await other.dispose()
    assert sum(ran) == 1
    assert [d.target for d in await chat.deliver()] == ["#readers"]


async def test_jobs_follow_the_schedule_rows(chat: Chat) -> None:
    await weekly_prompts(chat)
    running = service(chat)
    await running.start()
    try:
        assert running.aps is not None
        job = running.aps.get_job("schedule 1")  # the prompts; the daily reminders, made at start, are 2
        assert job is not None and isinstance(job.trigger, RuleTrigger)
        assert job.misfire_grace_time == 3600 and job.coalesce
        local = job.next_run_time.astimezone(ZoneInfo("Europe/London"))
        assert (local.weekday(), local.hour, local.minute) == (0, 10, 0)
        assert running.aps.get_job("schedule 2") is not None
        await chat.say("Ada", "prompts readers off")
        await running.sync()
        assert running.aps.get_job("schedule 1") is None and running.aps.get_job("schedule 2") is not None
    finally:
        running.stop()
