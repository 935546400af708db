"""SQLite on the event loop's own thread, with its waits sent off it.

SQLAlchemy's `sqlite+aiosqlite` dialect normally runs each statement on aiosqlite's worker thread, at four
round trips through the event loop a statement (cursor, execute, fetch, close). Under load every round trip
queues behind the other requests' callbacks, and a write transaction, which holds SQLite's one write lock from
`BEGIN IMMEDIATE` to `COMMIT`, is stretched by all of them. Convene's statements touch a few indexed rows and
take microseconds, so this driver connection runs them inline and keeps the dialect as it is (it is handed to
`create_async_engine` as `async_creator`).

What could wait is kept off the loop:
- another process holding the write lock: a statement that meets `SQLITE_BUSY` is retried on a worker thread,
  where SQLite's busy timeout waits for the lock;
- checkpoints, which write the WAL back into the database file and sync it: automatic checkpoints are off on
  these connections, and `Database` runs a passive one on a worker thread every so many commits;
- long work: rows are fetched in chunks, and a transaction that has held the loop for `SLICE` seconds gives
  way to other tasks before its next statement, so no command holds the loop for long.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

FETCH_CHUNK = 256  # rows fetched between chances for other tasks to run
SLICE = 0.002  # seconds a transaction runs before it gives way (a command takes 1–5 ms, by the machine)
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",  # in WAL mode, durable at each checkpoint; a commit does not sync
    "PRAGMA wal_autocheckpoint=0",  # checkpoints run on a worker thread (`checkpoint`)
    "PRAGMA busy_timeout=0",  # never wait on the loop's thread: a busy statement is retried off it
)


def is_busy(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class InlineCursor:
    """The awaitable cursor SQLAlchemy's aiosqlite adapter expects, doing its work at once."""

    def __init__(self, owner: InlineConnection) -> None:
        self._owner = owner
        self._cursor = owner.raw.cursor()
        self._rowcount: int | None = None  # rows an executemany in chunks touched in all

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._rowcount if self._rowcount is not None else self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        self._rowcount = None
        if sql.startswith("BEGIN"):
            self._owner.slice_began = time.perf_counter()
        else:
            await self._owner.take_turns()
        await self._owner.run(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> InlineCursor:
        """The rows in chunks, giving way to other tasks between them (a pairing round queues thousands)."""
        done = 0
        for start in range(0, len(rows), FETCH_CHUNK):
            await self._owner.take_turns()
            await self._owner.run(self._cursor.executemany, sql, rows[start : start + FETCH_CHUNK])
            done += max(self._cursor.rowcount, 0)
        self._rowcount = done
        return self

    async def fetchall(self) -> list[Any]:
        rows: list[Any] = []
        while True:
            chunk = self._cursor.fetchmany(FETCH_CHUNK)
            rows.extend(chunk)
            if len(chunk) < FETCH_CHUNK:
                return rows
            await asyncio.sleep(0)

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size or FETCH_CHUNK)

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """The awaitable connection SQLAlchemy's aiosqlite adapter expects, over one `sqlite3` connection."""

    def __init__(self, raw: sqlite3.Connection, busy_timeout_ms: int) -> None:
        self.raw = raw
        self.busy_timeout_ms = busy_timeout_ms
        self.slice_began = time.perf_counter()

    async def take_turns(self) -> None:
        """Give way to other tasks if this connection's work has held the loop for a whole slice."""
        if time.perf_counter() - self.slice_began > SLICE:
            await asyncio.sleep(0)
            self.slice_began = time.perf_counter()

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level

    async def run(self, work: Callable[..., Any], *args: Any) -> Any:
        """Do `work` here and now; if another process holds the lock it needs, wait for it on a worker thread."""
        try:
            return work(*args)
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
        return await asyncio.to_thread(self._waiting, work, *args)

    def _waiting(self, work: Callable[..., Any], *args: Any) -> Any:
        self.raw.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
        try:
            return work(*args)
        finally:
            self.raw.execute("PRAGMA busy_timeout=0")

    async def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        return await (await self.cursor()).execute(sql, parameters)

    def value(self, sql: str) -> Any:
        """The first column of the first row of a quick statement, such as a pragma."""
        return self.raw.execute(sql).fetchone()[0]

    async def commit(self) -> None:
        await self.run(self.raw.commit)

    async def rollback(self) -> None:
        self.raw.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.raw.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.raw.close()

    def stop(self) -> None:
        self.raw.close()


def driver_of(connection: AsyncConnection) -> InlineConnection:
    """The inline driver connection under a SQLAlchemy connection to SQLite that is checked out."""
    sync = connection.sync_connection
    assert sync is not None, "the connection is not checked out"
    driver = sync.connection.driver_connection
    assert isinstance(driver, InlineConnection)
    return driver


def connector(path: str, *, busy_timeout_ms: int) -> Callable[[], Coroutine[Any, Any, InlineConnection]]:
    """The `async_creator` for an engine on the SQLite file at `path`."""

    async def connect() -> InlineConnection:
        # isolation_level None: Convene's `begin` listener says when transactions begin. Worker threads use the
        # connection only while its owner awaits them, so it may cross threads.
        raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in PRAGMAS:
            raw.execute(pragma)
        return InlineConnection(raw, busy_timeout_ms)

    return connect


def checkpoint(path: str, busy_timeout_ms: int) -> tuple[int, int, int]:
    """A passive checkpoint of the database at `path` (blocking: run it on a worker thread): it copies what it
    can from the WAL into the database without waiting for readers or writers. Returns SQLite's (busy, frames in
    the WAL, frames checkpointed)."""
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        raw.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        busy, logged, done = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(logged), int(done)
    finally:
        raw.close()
