"""Another process holds the database's write lock for 5 seconds (a backup, a migration, an `sqlite3` shell; on
PostgreSQL, a maintenance job's table lock) while `convene serve` runs: health checks and reads answer at
once, a write is acknowledged within Slack's 3 seconds and done, once, when the lock is released."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import AsyncIterator

from sqlalchemy import func, select, text

from storage.db import Database
from storage.models import VolunteerOffer
from tests.bot.serving import serving
from tests.conftest import backend
from tests.fakes.slack_api import FakeSlack, slack_api  # noqa: F401  (the fixture)

HELD = 5.0  # seconds the other process holds the lock
ADMIN, BEA = "U0ADA", "U0BEA"


@contextlib.asynccontextmanager
async def lock_held(db_url: str, seconds: float) -> AsyncIterator[asyncio.Event]:
    """Hold the lock a write needs, from another connection, for `seconds`; the event is set once it is held."""
    held = asyncio.Event()
    if backend() == "sqlite":
        path = db_url.split("///", 1)[1]
        loop = asyncio.get_running_loop()

        def hold() -> None:
            other = sqlite3.connect(path, isolation_level=None, timeout=10)
            try:
                other.execute("BEGIN IMMEDIATE")
                loop.call_soon_threadsafe(held.set)
                time.sleep(seconds)
                other.execute("ROLLBACK")
            finally:
                other.close()

        task = asyncio.ensure_future(asyncio.to_thread(hold))
    else:
        other = Database(db_url)

        async def hold_pg() -> None:
            async with other.write_engine.connect() as conn:
                await conn.execute(text("LOCK TABLE volunteer_offers IN EXCLUSIVE MODE"))  # reads go on; writes wait
                held.set()
                await asyncio.sleep(seconds)
                await conn.rollback()
            await other.dispose()

        task = asyncio.ensure_future(hold_pg())
    try:
        await asyncio.wait_for(held.wait(), 10)
        yield held
    finally:
        await task


async def test_reads_answer_and_a_write_is_acknowledged_while_another_process_holds_the_lock(
    db_url: str,
    slack_api: FakeSlack,  # noqa: F811
) -> None:
    slack_api.person(ADMIN, "Ada")
    slack_api.person(BEA, "Bea")
    async with serving(db_url, slack_api, admins=f"slack:{ADMIN}") as served:
        for said in ('group new "Diversity" kind:task', "call diversity"):
            status, body, _ = await served.command(ADMIN, said)
            assert status == 200 and "Working on it" not in body, body
        assert (await served.command(BEA, "help"))[0] == 200  # Bea has used Convene before

        async with lock_held(db_url, HELD):
            health, health_took = await served.health()
            read_status, read_body, read_took = await served.command(BEA, "groups")
            write = asyncio.ensure_future(served.command(BEA, "volunteer diversity"))
            health_again, health_again_took = await served.health()  # while the write waits for the lock
            write_status, write_body, write_took = await write
            assert not any("Thank you!" in r.get("text", "") for r in slack_api.responses)  # not done yet

        assert health == 200 and health_took < 0.5
        assert health_again == 200 and health_again_took < 0.5
        assert read_status == 200 and read_took < 0.5 and "Diversity (diversity)" in json.loads(read_body)["text"]
        assert write_status == 200 and write_took < 3.0
        assert json.loads(write_body)["text"] == "Working on it…"
        answer = await slack_api.wait_for_response(lambda b: "You have offered to serve on Diversity" in b["text"])
        assert answer["response_type"] == "ephemeral"

    db = Database(db_url)
    try:
        async with db.read() as session:
            assert await session.scalar(select(func.count()).select_from(VolunteerOffer)) == 1
    finally:
        await db.dispose()
