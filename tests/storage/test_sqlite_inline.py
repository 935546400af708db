"""SQLite on the event loop's thread: what could wait is kept off it.

These run on SQLite whatever TEST_DATABASE_URL says: they are about the SQLite driver itself.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from storage import db as db_module
from storage import sqlite as inline
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Institution


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[tuple[Database, Path]]:
    path = tmp_path / "inline.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(database)
    yield database, path
    await database.dispose()


async def ticks_while(work: asyncio.Future[object], every: float = 0.01) -> int:
    """How many times a task that sleeps `every` seconds got to run before `work` finished."""
    count = 0
    while not work.done():
        await asyncio.sleep(every)
        count += 1
    return count


async def test_a_write_waits_off_the_loop_for_another_process_holding_the_lock(
    sqlite_db: tuple[Database, Path],
) -> None:
    database, path = sqlite_db
    other = sqlite3.connect(path, isolation_level=None)  # as another process would hold it
    other.execute("BEGIN IMMEDIATE")

    async def write() -> None:
        async with database.write() as session:
            session.add(Institution(name="Waited Library"))

    task = asyncio.ensure_future(write())
    ticker = asyncio.ensure_future(ticks_while(task))
    await asyncio.sleep(0.3)
    assert not task.done()  # still waiting for the lock...
    other.execute("COMMIT")  # ...until the other process lets go
    await asyncio.wait_for(task, 5)
    ticks = await ticker
    other.close()

    assert ticks >= 10  # the loop kept running while the write waited
    async with database.read() as session:
        assert await session.scalar(select(Institution.name)) == "Waited Library"


async def test_checkpoints_run_on_a_worker_thread_and_keep_up(
    sqlite_db: tuple[Database, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    database, path = sqlite_db
    runs: list[tuple[str, tuple[int, int, int]]] = []
    real = inline.checkpoint

    def recorded(db_path: str, busy_timeout_ms: int) -> tuple[int, int, int]:
        result = real(db_path, busy_timeout_ms)
        runs.append((threading.current_thread().name, result))
        return result

    monkeypatch.setattr(inline, "checkpoint", recorded)
    for n in range(db_module.CHECKPOINT_EVERY * 2):
        async with database.write() as session:
            session.add(Institution(name=f"Library {n}"))
        await asyncio.sleep(0)  # let a finished checkpoint report, as a serving loop would
    await database.dispose()  # waits for a checkpoint still running

    assert runs, "no checkpoint ran"
    assert all(name != threading.main_thread().name for name, _ in runs)
    busy, logged, done = runs[-1][1]
    assert busy == 0 and logged > 0 and done == logged  # everything in the WAL reached the database file
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT count(*) FROM institutions").fetchone()[0] == db_module.CHECKPOINT_EVERY * 2


class Turns:
    """Counts the turns another task gets while the test's work runs (work that never gives way allows none)."""

    def __init__(self) -> None:
        self.count = 0
        self._spinning: asyncio.Future[None] | None = None

    async def __aenter__(self) -> Turns:
        self._spinning = asyncio.ensure_future(self._spin())
        await asyncio.sleep(0)  # it starts
        self.count = 0
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._spinning is not None
        self._spinning.cancel()

    async def _spin(self) -> None:
        while True:
            await asyncio.sleep(0)
            self.count += 1


async def test_a_long_result_gives_other_tasks_a_turn(sqlite_db: tuple[Database, Path]) -> None:
    database, path = sqlite_db
    chunks = 4
    async with database.write() as session:
        await session.execute(
            insert(Institution), [{"name": f"Library {n}"} for n in range(inline.FETCH_CHUNK * chunks)]
        )
    connection = await inline.connector(str(path), busy_timeout_ms=1000)()
    cursor = await connection.execute("SELECT name FROM institutions ORDER BY id")
    async with Turns() as turns:
        rows = await cursor.fetchall()
    await connection.close()

    assert [name for (name,) in rows[:2]] == ["Library 0", "Library 1"]
    assert len(rows) == inline.FETCH_CHUNK * chunks
    assert turns.count >= chunks  # the fetch gave way between chunks


async def test_a_long_transaction_gives_other_tasks_a_turn(sqlite_db: tuple[Database, Path]) -> None:
    database, _ = sqlite_db
    gave_way = 0
    began = time.perf_counter()
    async with Turns() as turns, database.write() as session:
        for n in range(500):  # one statement at a time, as a long-running command would
            before = turns.count
            await session.execute(insert(Institution).values(name=f"Library {n}"))
            gave_way += turns.count != before
    held = time.perf_counter() - began

    assert held > 3 * inline.SLICE  # long enough that it should have given way...
    assert gave_way >= 2  # ...and it did, between its statements


async def test_a_short_write_holds_the_lock_without_giving_way(
    sqlite_db: tuple[Database, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer waiting for the lock would otherwise wait for every turn of a busy loop in between."""
    database, _ = sqlite_db
    # "Short" is within the slice. A slice of 2 ms is shorter than these few statements take on a busy shared
    # machine, and a test must not depend on the machine's speed: within a long slice, nothing gives way.
    monkeypatch.setattr(inline, "SLICE", 0.25)
    async with Turns() as turns:
        for n in range(3):
            async with database.write() as session:
                session.add(Institution(name=f"Library {n}"))
            async with database.read() as session:
                assert await session.scalar(select(Institution.name).where(Institution.name == f"Library {n}"))
    assert turns.count == 0, f"the writes and reads gave way {turns.count} times"


async def test_many_rows_are_written_in_chunks_that_give_way(sqlite_db: tuple[Database, Path]) -> None:
    database, _ = sqlite_db
    rows = 20_003  # as many outbox rows as a pairing round of 10,000 members queues, and a few
    names = [{"name": f"Library {n}"} for n in range(rows)]
    async with Turns() as turns, database.write() as session:
        began = time.perf_counter()
        result = await session.execute(insert(Institution.__table__), names)
        gave_way, held = turns.count, time.perf_counter() - began

    assert held > 3 * inline.SLICE  # long enough that it should have given way...
    assert gave_way >= 2  # ...and it did, between chunks
    assert result.rowcount == rows  # type: ignore[attr-defined]
    async with database.read() as session:
        assert len((await session.scalars(select(Institution.id))).all()) == rows


async def test_a_lost_writing_connection_is_replaced(sqlite_db: tuple[Database, Path]) -> None:
    database, _ = sqlite_db
    async with database.write() as session:
        session.add(Institution(name="Before"))
    lost = await database._writer_connection()
    await lost.invalidate()  # as SQLAlchemy does after an error that leaves a connection unusable
    async with database.write() as session:
        session.add(Institution(name="After"))
    async with database.read() as session:
        assert set((await session.scalars(select(Institution.name))).all()) == {"Before", "After"}
    assert await database._writer_connection() is not lost


async def test_read_connections_are_kept_and_each_read_sees_the_latest_commit(
    sqlite_db: tuple[Database, Path],
) -> None:
    database, path = sqlite_db
    other = sqlite3.connect(path, isolation_level=None)  # another process writing between the reads
    drivers = []
    for name in ("First Library", "Second Library"):
        other.execute("INSERT INTO institutions (name) VALUES (?)", (name,))
        async with database.unit(write=False) as unit:
            drivers.append(inline.driver_of(unit.connection))
            names = (await unit.execute(select(Institution.name).order_by(Institution.name))).scalars().all()
        assert name in names  # committed by the other process after this connection was kept
    other.close()
    assert drivers[0] is drivers[1]  # the same connection, kept between the reads
    assert not drivers[1].raw.in_transaction  # and each read's transaction ended


async def test_a_read_that_fails_leaves_its_connection_usable(sqlite_db: tuple[Database, Path]) -> None:
    database, _ = sqlite_db
    with pytest.raises(RuntimeError):
        async with database.unit(write=False) as unit:
            await unit.execute(select(Institution.name))
            raise RuntimeError("the command failed")
    async with database.unit(write=False) as unit:
        assert (await unit.execute(select(Institution.name))).all() == []
        async with database.unit(write=False) as inner:  # a read begun while another is open: its own connection
            assert inline.driver_of(inner.connection) is not inline.driver_of(unit.connection)
