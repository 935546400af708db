"""The engine, and the two kinds of transaction Convene uses: `read()` and `write()`.

SQLite has one writer at a time. A write transaction there starts with `BEGIN IMMEDIATE`, so that what it
reads cannot change before it writes (a deferred transaction would read, then fail or race on upgrade),
and writers in this process queue on an asyncio lock rather than on SQLite's sleeping busy handler.
PostgreSQL runs writers side by side; handlers that guard a limit lock the row they count against
(`lock_for_update`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

DEFAULT_URL = "sqlite+aiosqlite:///./convene.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def dialect_insert(session: AsyncSession) -> Any:
    """The INSERT construct of the session's database, with its ON CONFLICT clauses (PostgreSQL or SQLite)."""
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_events(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let this module say when transactions begin (pysqlite's own handling defers and hides them).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("convene_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    def __init__(self, url: str = DEFAULT_URL, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": not self.sqlite}
        if not self.sqlite:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2)
        self.engine = create_async_engine(url, **kwargs)
        if self.sqlite:
            _sqlite_events(self.engine)
        self._reader = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = async_sessionmaker(self.engine.execution_options(convene_write=True), expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.sqlite else None
        self._commits = 0  # write transactions this process has committed
        self._watch: AsyncConnection | None = None
        self._watch_lock = asyncio.Lock()
        self._version: asyncio.Future[int] | None = None
        self._version_since = -1  # self._commits when the check in flight began

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session, session.begin():
            yield session

    @contextlib.asynccontextmanager
    async def write(self, *, bookkeeping: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction that commits when the block ends and rolls back if it raises.

        `bookkeeping` marks a write that no reusable reply reads (the outbox's progress, Slack's replay
        records): on SQLite it runs on the connection that watches for changes, whose own commits do not move
        its `data_version`, and it leaves the change token as it was."""
        lock = self._write_lock if self._write_lock is not None else contextlib.nullcontext()
        if bookkeeping and self.sqlite:
            async with lock:
                watch = await self._watching()
                async with AsyncSession(bind=watch, expire_on_commit=False) as session, session.begin():
                    yield session
            return
        async with lock, self._writer() as session:
            async with session.begin():
                yield session
            self._commits += 1  # at once, before anything else runs: a read after this sees a new token

    async def change_token(self) -> tuple[int, int] | None:
        """A value that differs after any commit, by this process or another, so a reply computed under one
        token can be reused while the token stays the same. None (reuse nothing) on PostgreSQL, whose other
        replicas' commits cannot be seen this cheaply.

        On SQLite, `PRAGMA data_version` on a connection kept for the purpose changes whenever any other
        connection commits; concurrent callers share one check, unless this process committed since it began.
        """
        if not self.sqlite:
            return None
        commits = self._commits
        flight = self._version
        if flight is None or self._version_since != commits:
            flight = self._version = asyncio.ensure_future(self._data_version())
            self._version_since = commits
            flight.add_done_callback(self._landed)
        return commits, await asyncio.shield(flight)

    def _landed(self, flight: asyncio.Future[int]) -> None:
        if self._version is flight:
            self._version = None  # the next caller asks afresh

    async def _watching(self) -> AsyncConnection:
        async with self._watch_lock:
            if self._watch is None:
                self._watch = await (await self.engine.connect()).execution_options(convene_write=True)
            return self._watch

    async def _data_version(self) -> int:
        raw = await (await self._watching()).get_raw_connection()
        rows = await raw.driver_connection.execute_fetchall("PRAGMA data_version")  # type: ignore[union-attr]
        return int(rows[0][0])

    async def dispose(self) -> None:
        if self._watch is not None:
            lock = self._write_lock if self._write_lock is not None else contextlib.nullcontext()
            async with lock:  # not under a bookkeeping write that is still running
                await self._watch.close()
                self._watch = None
        await self.engine.dispose()
