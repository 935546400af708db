"""Scheduled prompts and pair DMs through Convene's real Slack messenger to the fake Slack Web API: each
reaches Slack once, through 429 storms, 5xx answers and a restart of the scheduler."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.slack.messenger import Clients, SlackMessenger
from handlers.command.context import CoreConfig
from handlers.command.dispatch import Convene
from handlers.command.messages import Place, Reply, Request, Speaker
from scheduler.outbox import Dispatcher
from scheduler.pacing import Pacer
from scheduler.service import Scheduler
from storage.db import Database
from storage.models import Institution, Member
from tests.conftest import START
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_api import slack_api as slack_api  # the fixture

TEAM = "T0LIBS"
pytestmark = pytest.mark.clock  # the scheduler (APScheduler) starts on the wall clock
PEOPLE = [
    (f"U0P{i:02d}", f"Person {i}", f"Library {i % 3}", ("early", "mid", "senior", "leader")[i % 4]) for i in range(9)
]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


async def say(core: Convene, clock: Clock, user: str, name: str, text: str) -> Reply:
    return await core.handle(
        Request(Speaker("slack", TEAM, user, name), Place("C0GENERAL", "general"), clock.now, text)
    )


async def test_prompts_and_pair_dms_reach_slack_once_through_429s_5xx_and_restarts(
    db: Database, slack_api: FakeSlack
) -> None:
    clock = Clock()
    core = Convene(db, CoreConfig(admins=frozenset({"slack:U0ADA"})))
    await say(core, clock, "U0ADA", "Ada", 'group new "Readers" kind:community channel:<#C0READERS|readers>')
    reply = await say(core, clock, "U0ADA", "Ada", 'prompts readers every:"monday 10:00"')
    assert "The first is on Monday 2027-01-11 at 10:00" in reply.text
    assert "Tuesdays at 10:00" in (await say(core, clock, "U0ADA", "Ada", "pairing every:1w day:tue")).text
    for user, name, _, _ in PEOPLE:
        assert "You're in!" in (await say(core, clock, user, name, "pairing on")).text
    async with db.write() as session:
        for _, _, library, _ in PEOPLE[:3]:
            session.add(Institution(name=library))
        await session.flush()
        for user, _, library, stage in PEOPLE:
            inst = await session.scalar(select(Institution.id).where(Institution.name == library))
            await session.execute(update(Member).where(Member.user_id == user).values(institution_id=inst, stage=stage))

    slack_api.fail("chat.postMessage", status=429, retry_after=1, times=4)  # a storm: retried inside, then by us
    slack_api.fail("conversations.open", status=500, retry_after=None, times=3)
    async with aiohttp.ClientSession() as http:
        messenger = SlackMessenger(Clients(http, slack_api.url, token="xoxb-test"), create_channels=False)
        dispatcher = Dispatcher(
            db, {"slack": messenger}, clock, pacers={"slack": Pacer(50.0, 0.05)}, base_backoff=timedelta(seconds=1)
        )

        async def deliver() -> None:
            for _ in range(20):
                await dispatcher.drain()
                clock.now += timedelta(seconds=2)  # let retries fall due

        for minutes in (31, 24 * 60 + 30):  # Monday 10:01, then Tuesday 10:31
            clock.now = START + timedelta(minutes=minutes)
            for _ in range(2):  # a restart: the scheduler starts again and catches up
                scheduler = Scheduler(db, core.config, clock, grace=timedelta(hours=1))
                await scheduler.start()
                scheduler.stop()
            await deliver()

    posts = slack_api.to("chat.postMessage")
    prompts = [p for p in posts if p["channel"] == "C0READERS"]
    assert len(prompts) == 1 and "Conversation prompt for Readers" in prompts[0]["text"]
    dms = [p for p in posts if str(p["channel"]).startswith("D")]
    assert len(dms) == 4  # nine people: three pairs and a trio
    assert Counter(p["channel"] for p in dms).most_common(1)[0][1] == 1  # each DM once
    opened = [a["users"] for a in slack_api.to("conversations.open")]
    members = sorted(u for users in opened for u in users.split(","))
    assert members == sorted(u for u, _, _, _ in PEOPLE)  # everyone introduced, nobody twice
    assert sorted(len(users.split(",")) for users in opened) == [2, 2, 2, 3]
    assert len(slack_api.attempts("chat.postMessage")) == len(posts) + 4  # the 429s were retried, not lost
