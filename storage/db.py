"""The database: SQLAlchemy's async engine and sessions on stock drivers (aiosqlite, asyncpg), and the two kinds
of unit of work Convene runs, one per command: `read()` and `write()`, each a session in one transaction.

SQLite, as SQLAlchemy documents for pysqlite and aiosqlite: the driver's own transaction handling is turned off
in a `connect` listener (which also sets the pragmas: WAL, a busy timeout, foreign keys), and a `begin` listener
says how each transaction begins. A write unit begins `BEGIN IMMEDIATE`, so what it reads cannot change before
it writes (a deferred transaction would read, then fail or race when it upgrades to writing); a read unit
begins `BEGIN` and never takes the write lock. Writes go through an engine of their own whose pool holds one
connection: SQLite has one writer at a time, so writers in this process wait their turn in SQLAlchemy's pool
rather than in SQLite's sleeping busy handler, and a write waiting for another process's lock (a backup, a
migration, an `sqlite3` shell) holds that one connection while reads go on, on the others, in WAL mode.

PostgreSQL runs writers side by side; a command that checks a limit locks the row it counts against
(`SELECT … FOR UPDATE`). Read units there are `READ ONLY` transactions, so a read that tried to write would
fail rather than write.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

DEFAULT_URL = "sqlite+aiosqlite:///./convene.db"
# How long a SQLite write waits for another process's lock before it fails. Long enough for a backup or a
# migration; the person is answered within Slack's 3 seconds either way ("Working on it…"), and told the
# outcome when it is done.
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_PRAGMAS = (
    "journal_mode=WAL",  # readers never wait for the writer, nor the writer for readers
    "synchronous=NORMAL",  # in WAL mode: durable at each checkpoint; a commit does not sync
    "foreign_keys=ON",
    f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
)
# Writers queued for SQLite's one writing connection wait at most this long (seconds) for their turn.
SQLITE_WRITE_QUEUE_TIMEOUT = 60


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_transactions(engine: AsyncEngine, begin: str) -> None:
    """SQLAlchemy's recipe for SQLite transactions that begin when and as it says: `begin` is the statement."""

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own; `on_begin` does
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin)


class Database:
    """The engines and session factories for one database URL (`sqlite+aiosqlite:///…` or
    `postgresql+asyncpg://…`). Nothing connects until a unit first runs a statement."""

    def __init__(self, url: str = DEFAULT_URL, *, echo: bool = False) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        if self.sqlite:
            self.engine = create_async_engine(url, echo=echo)
            self.write_engine = create_async_engine(
                url, echo=echo, pool_size=1, max_overflow=0, pool_timeout=SQLITE_WRITE_QUEUE_TIMEOUT
            )
            _sqlite_transactions(self.engine, "BEGIN")
            _sqlite_transactions(self.write_engine, "BEGIN IMMEDIATE")
            reading: AsyncEngine = self.engine
        else:
            self.engine = self.write_engine = create_async_engine(
                url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20
            )
            reading = self.engine.execution_options(postgresql_readonly=True)
        self._reads = async_sessionmaker(reading, expire_on_commit=False)
        self._writes = async_sessionmaker(self.write_engine, expire_on_commit=False)

    @contextlib.asynccontextmanager
    async def unit(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        """One unit of work: a session in one transaction, committed when the block ends and rolled back if it
        raises. A read unit (`write=False`) takes no write lock and, on PostgreSQL, cannot write."""
        async with (self._writes if write else self._reads)() as session, session.begin():
            yield session

    def read(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        return self.unit(write=False)

    def write(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        return self.unit(write=True)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()
