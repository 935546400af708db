"""Fixtures shared by the whole suite.

Every test gets a real, migrated, empty database: a copy of a migrated SQLite file by default, or, when
TEST_DATABASE_URL names a PostgreSQL database, that database emptied with TRUNCATE. With TEST_DATABASE_URL
set (as CI sets it) a PostgreSQL server that cannot be reached fails the run; it never skips.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select, text

from bot.app import Parts
from handlers.command.context import CoreConfig
from handlers.command.dispatch import Convene
from handlers.command.messages import Action, Place, Reply, Request, Speaker, shown
from scheduler import jobs
from scheduler.outbox import Delivery, Dispatcher
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Base, Outbox

PG_URL = os.environ.get("TEST_DATABASE_URL")
START = datetime(2027, 1, 11, 9, 30, tzinfo=UTC)  # a Monday, outside any bank holiday
# TEST_NOW=2027-01-17T10:30:00+00:00 (ISO 8601, with its offset) starts this process's wall clock there.
TEST_NOW = datetime.fromisoformat(os.environ["TEST_NOW"]) if os.environ.get("TEST_NOW") else None
assert TEST_NOW is None or TEST_NOW.tzinfo is not None, "TEST_NOW needs an offset, like +00:00"
# Tests that run Convene's app on the wall clock (`bot.app.utc_now`) through these fixtures are marked `clock`:
# Slack's (tests/slack/conftest.py) and Teams' (tests/teams/conftest.py).
WALL_CLOCK_FIXTURES = frozenset({"workspace", "teams", "secured"})


def pytest_report_header() -> str | None:
    return f"clock: TEST_NOW={TEST_NOW.isoformat()} (ticking from there)" if TEST_NOW else None


@pytest.hookimpl(tryfirst=True)  # before `-m clock` selects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if WALL_CLOCK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.clock)


@pytest.fixture(scope="session", autouse=True)
def _test_now() -> Iterator[None]:
    """With TEST_NOW set (CI reruns the `clock` tests so at fixed moments), the whole run's wall clock
    starts at that moment and ticks on (tick=True: time passes, so signatures, leases and expiries behave as on
    the real clock; asyncio and timeouts use time.monotonic, which time_machine leaves alone). Subprocesses are
    not moved: they run on the real clock. A test's own time_machine.travel overrides this while it lasts."""
    if TEST_NOW is None:
        yield
        return
    with time_machine.travel(TEST_NOW, tick=True):
        yield


def real_now() -> datetime:
    """The real time, even while this process's clock is moved: the clock Convene in a subprocess reads."""
    hatch = time_machine.escape_hatch  # it raises when nothing travels
    return hatch.datetime.datetime.now(UTC) if hatch.is_travelling() else datetime.now(UTC)


def backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run: a template SQLite file, or the PostgreSQL test database."""
    if PG_URL:

        async def reset() -> None:
            db = Database(PG_URL)
            try:
                async with db.engine.begin() as conn:
                    await conn.execute(text("DROP SCHEMA public CASCADE"))
                    await conn.execute(text("CREATE SCHEMA public"))
                await upgrade(db)
            finally:
                await db.dispose()

        asyncio.run(reset())
        return PG_URL
    template = tmp_path_factory.mktemp("template") / "convene.db"
    url = f"sqlite+aiosqlite:///{template}"

    async def migrate() -> None:
        db = Database(url)
        await upgrade(db)
        await db.dispose()

    asyncio.run(migrate())
    return str(template)


@pytest.fixture
def db_url(_migrated: str, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)

        async def truncate() -> None:
            db = Database(PG_URL)
            async with db.engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            await db.dispose()

        asyncio.run(truncate())
        yield PG_URL
        return
    path = tmp_path / "convene.db"
    shutil.copy(_migrated, path)
    yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


def as_shown(reply: Reply) -> Reply:
    """The reply as a person reads it where mentions are not links: each reference to a person or a channel as
    its name (`handlers.command.messages.shown`)."""
    sections = tuple(dataclasses.replace(s, text=shown(s.text)) for s in reply.sections)
    return dataclasses.replace(reply, text=shown(reply.text), sections=sections)


class Recorder:
    """A messenger that keeps what it is asked to send: `sent` as read, `raw` as the core wrote it."""

    def __init__(self) -> None:
        self.sent: list[Delivery] = []
        self.raw: list[Delivery] = []

    async def send(self, delivery: Delivery) -> str | None:
        self.raw.append(delivery)
        self.sent.append(dataclasses.replace(delivery, reply=as_shown(delivery.reply)))
        return f"ref-{delivery.id}"

    def texts(self) -> list[str]:
        return [d.reply.text for d in self.sent]

    def to(self, label: str) -> list[str]:
        return [d.reply.text for d in self.sent if d.target_label == label or d.target == label]


@dataclass
class Chat:
    """People talking to Convene's core, as the console does, on a clock the test moves."""

    core: Convene
    dispatcher: Dispatcher
    recorder: Recorder
    now: datetime = START
    last: dict[str, Reply] = field(default_factory=dict)

    def request(
        self, who: str, text: str | None = None, action: Action | None = None, channel: str | None = None
    ) -> Request:
        return Request(
            Speaker("console", "console", who.lower(), who), Place(channel), self.now, text=text, action=action
        )

    async def say(self, who: str, text: str, *, channel: str | None = None) -> Reply:
        reply = as_shown(await self.core.handle(self.request(who, text, channel=channel)))
        self.last[who] = reply
        return reply

    async def press(self, who: str, label: str, reply: Reply | None = None) -> Reply:
        source = reply or self.last[who]
        button = next(b for b in source.all_buttons() if b.label == label)
        result = as_shown(await self.core.handle(self.request(who, action=Action(button.action_id, button.value))))
        self.last[who] = result
        return result

    async def deliver(self) -> list[Delivery]:
        """What the outbox sends now, after the scheduler's card job has queued the edits of poll cards."""
        before = len(self.recorder.sent)
        await jobs.edit_cards(self.core.db, lambda: self.now)
        await self.dispatcher.drain()
        return self.recorder.sent[before:]

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
async def chat(db: Database) -> Chat:
    recorder = Recorder()
    holder: dict[str, Chat] = {}
    config = CoreConfig(admins=frozenset({"console:ada"}), announce_channel="#announcements")
    dispatcher = Dispatcher(db, {"console": recorder}, lambda: holder["chat"].now, sealer=config.sealer)
    core = Convene(db, config)
    holder["chat"] = Chat(core, dispatcher, recorder)
    return holder["chat"]


async def deliver_all(parts: Parts, within: float = 5.0) -> None:
    """Send what the outbox of a running app (`bot.app.Parts`) has due, and wait for what the app is sending in
    the background, for at most `within` seconds (then fail, saying how many rows are left)."""
    deadline = time.monotonic() + within
    while True:
        await jobs.edit_cards(parts.db, parts.clock)  # the scheduler's card job (not started in tests)
        await parts.dispatcher.drain()
        now = parts.clock()
        async with parts.db.read() as session:
            busy = await session.scalar(
                select(func.count()).where(
                    (Outbox.status == "sending") | ((Outbox.status == "pending") & (Outbox.due_at <= now))
                )
            )
        if not busy:
            return
        assert time.monotonic() < deadline, f"{busy} outbox rows still unsent"
        await asyncio.sleep(0.02)
