"""The engine, and the two kinds of transaction Convene uses: `read()` and `write()` (or, with the ORM session
made only if asked for, `unit(write=...)`).

SQLite has one writer at a time. A write transaction there starts with `BEGIN IMMEDIATE`, so that what it
reads cannot change before it writes (a deferred transaction would read, then fail or race on upgrade),
and writers in this process queue on an asyncio lock rather than on SQLite's sleeping busy handler.
PostgreSQL runs writers side by side; handlers that guard a limit lock the row they count against
(`lock_for_update`).

SQLite's statements run on the event loop's thread (`storage.sqlite`), and its checkpoints on a worker thread,
one every `CHECKPOINT_EVERY` commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from sqlalchemy import Executable, Result, event, inspect, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    create_async_engine,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ClauseElement, Insert
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from storage import sqlite as inline
from storage.changes import Changes, Snapshot
from storage.direct import Direct, marked
from storage.models import Base

log = logging.getLogger("convene.db")
DEFAULT_URL = "sqlite+aiosqlite:///./convene.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
_REHEARSAL: ContextVar[bool] = ContextVar("convene_rehearsal", default=False)  # see `Database.rehearsal`
_Row = TypeVar("_Row")
READERS_KEPT = 4  # idle SQLite connections kept for reads (SQLAlchemy's pool holds 5 without overflow)
CHECKPOINT_EVERY = 100  # SQLite commits between checkpoints (its own default is about every 1,000 pages)


class _SkipTaken(ClauseElement):
    """`ON CONFLICT [(columns)] DO NOTHING`, which SQLite and PostgreSQL spell alike."""

    __visit_name__ = "convene_skip_taken"
    inherit_cache = True
    _traverse_internals = [("columns", InternalTraversal.dp_string_list)]  # noqa: RUF012 (SQLAlchemy's own shape)

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)


@compiles(_SkipTaken)
def _compile_skip_taken(element: _SkipTaken, compiler: SQLCompiler, **_kw: Any) -> str:
    target = f" ({', '.join(compiler.preparer.quote(c) for c in element.columns)})" if element.columns else ""
    return f"ON CONFLICT{target} DO NOTHING"


class InsertUnlessTaken(Insert):
    """An INSERT that writes nothing where a unique rule already holds a row like it, on either database.

    SQLAlchemy's own dialect INSERTs with `on_conflict_do_nothing` are compiled afresh at every execution (they
    have no cache key); this one is compiled once per shape, like any other statement."""

    inherit_cache = True

    def __init__(self, model: Any, *conflict_columns: str) -> None:
        super().__init__(inspect(model).local_table if hasattr(model, "__mapper__") else model)
        self._post_values_clause = _SkipTaken(conflict_columns)  # where the dialects put their ON CONFLICT


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_events(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        driver = conn.connection.driver_connection
        if isinstance(driver, inline.InlineConnection) and driver.raw.in_transaction:
            return  # begun on the driver already (`Database._sqlite_unit`): SQLAlchemy joins it
        immediate = conn.get_execution_options().get("convene_write", False)
        cursor = conn.connection.cursor()  # the driver's own: a BEGIN needs none of SQLAlchemy's statement work
        try:
            cursor.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        finally:
            cursor.close()


class Unit:
    """One transaction on one connection. Core statements go straight to the connection; an ORM session is made
    on it only when first asked for, and joins its transaction. A statement through the session costs a few
    hundred microseconds more than on the connection, so work that needs no ORM objects pays none of that."""

    def __init__(self, connection: AsyncConnection, direct: Direct | None = None) -> None:
        self.connection = connection
        self._direct = direct
        self._session: AsyncSession | None = None
        self._adopted: list[object] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            # The session only flushes: `Database.unit` ends the transaction, whichever began it.
            self._session = AsyncSession(bind=self.connection, expire_on_commit=False)
            self._session.add_all(self._adopted)
        return self._session

    def adopt(self, instance: _Row) -> _Row:
        """A detached ORM instance of a row, as this transaction's own: it joins the session (now, or when the
        session is made), unless the session holds that row already, which is then the one to use."""
        if self._session is None:
            self._adopted.append(instance)
            return instance
        state = inspect(instance)
        assert state is not None and state.key is not None, "only rows with an identity can be adopted"
        present = self._session.sync_session.identity_map.get(state.key)
        if present is not None:
            return cast(_Row, present)
        self._session.add(instance)
        return instance

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        """A Core statement: through the session if there is one (which first flushes what it holds back), else
        on the connection; on SQLite, one marked with `storage.direct.direct` on the driver's connection."""
        if self._session is not None:
            return await self._session.execute(statement, params)
        if self._direct is not None and marked(statement):
            result = await self._direct.execute(self.connection, statement, params)
            if result is not None:
                return result
        return await self.connection.execute(statement, params)

    async def flush(self) -> None:
        if self._session is not None:
            await self._session.flush()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class Database:
    def __init__(self, url: str = DEFAULT_URL, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": not self.sqlite}
        self._path = (make_url(url).database or ":memory:") if self.sqlite else ""
        if self.sqlite:
            kwargs.update(async_creator=inline.connector(self._path, busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS))
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2)
        self.engine = create_async_engine(url, **kwargs)
        if self.sqlite:
            _sqlite_events(self.engine)
        # SQLite: one connection writes, under an asyncio lock (SQLite has one writer at a time anyway). Its
        # `data_version` moves only when another connection commits: another process, as this one reads only
        # on the others.
        self._write_lock = asyncio.Lock() if self.sqlite else None
        self._writing: AsyncConnection | None = None
        self._writing_driver: inline.InlineConnection | None = None  # the same connection, as the driver has it
        self._writing_lock = asyncio.Lock()
        self._readers: list[AsyncConnection] = []  # SQLite connections kept for reading (`_sqlite_reading`)
        self._data_version: int | None = None
        self.changes: Changes | None = None
        if self.sqlite:
            self.changes = Changes(Base.metadata.tables)
            changes = self.changes
            event.listen(
                self.engine.sync_engine, "before_cursor_execute", lambda *args: changes.saw(args[2]), retval=False
            )
        self._direct = Direct(self.engine.dialect) if self.sqlite else None
        self._unchecked = 0  # SQLite commits since the last checkpoint began
        self._checkpoint: asyncio.Future[tuple[int, int, int]] | None = None

    @contextlib.asynccontextmanager
    async def unit(self, *, write: bool) -> AsyncIterator[Unit]:
        """One transaction, committed when the block ends (rolled back if it raises, or in a rehearsal); on SQLite
        a write transaction runs on the writing connection, under the write lock."""
        if self.sqlite:
            async with self._sqlite_unit(write) as unit:
                yield unit
            return
        async with self.engine.connect() as connection, connection.begin() as transaction:
            unit = Unit(connection, self._direct)
            try:
                yield unit
                await unit.flush()
                if _REHEARSAL.get():
                    await transaction.rollback()
            finally:
                await unit.close()

    @contextlib.asynccontextmanager
    async def _sqlite_unit(self, write: bool) -> AsyncIterator[Unit]:
        """A unit on SQLite, begun and ended on the driver: SQLAlchemy's own begin and commit cost more than the
        statements of a small transaction. If the unit's statements take SQLAlchemy's path (a session, or a
        statement not run directly), SQLAlchemy's connection joins the transaction already begun (the begin
        listener sees it) and ends it."""
        async with self._sqlite_writing() if write else self._sqlite_reading() as connection:
            driver = inline.driver_of(connection)
            await driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")  # a busy lock is waited for off the loop
            unit = Unit(connection, self._direct)
            keep = False
            try:
                yield unit
                await unit.flush()
                keep = not _REHEARSAL.get()
            finally:
                try:
                    if connection.in_transaction():  # SQLAlchemy joined: it ends the driver's transaction too
                        await (connection.commit() if keep else connection.rollback())
                    elif driver.raw.in_transaction:
                        await (driver.commit() if keep else driver.rollback())
                        sync = connection.sync_connection  # its listeners hear of the end, as if it had ended it
                        assert sync is not None
                        (sync.dispatch.commit if keep else sync.dispatch.rollback)(sync)
                finally:
                    await unit.close()

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.unit(write=False) as unit:
            yield unit.session

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction that commits when the block ends and rolls back if it raises."""
        async with self.unit(write=True) as unit:
            yield unit.session

    @contextlib.asynccontextmanager
    async def rehearsal(self) -> AsyncIterator[None]:
        """Within the block (in this task and those it starts), every transaction rolls back at its end instead
        of committing: commands run as they would, and nothing they write is kept."""
        token = _REHEARSAL.set(True)
        try:
            yield
        finally:
            _REHEARSAL.reset(token)

    @contextlib.asynccontextmanager
    async def _sqlite_reading(self) -> AsyncIterator[AsyncConnection]:
        """A SQLite connection to read on: one of those kept from earlier reads, or a new one from the pool. A
        connection is kept (up to READERS_KEPT) rather than given back: SQLAlchemy's pool costs about 80 us a
        check-out and return, and gives connections back in a task of its own, which costs turns of the loop."""
        connection = self._readers.pop() if self._readers else await self.engine.connect()
        try:
            yield connection
        finally:
            idle = not (connection.closed or connection.invalidated or connection.in_transaction())
            if idle and not inline.driver_of(connection).raw.in_transaction and len(self._readers) < READERS_KEPT:
                self._readers.append(connection)
            else:
                await connection.close()

    @contextlib.asynccontextmanager
    async def _sqlite_writing(self) -> AsyncIterator[AsyncConnection]:
        """SQLite's writing connection, held under the write lock; when the block ends without an error, what it
        wrote is counted as committed. Writes that changed no row (an UPDATE that matched none, an INSERT that
        was already there) change no table: SQLite's count of changed rows says so."""
        assert self._write_lock is not None and self.changes is not None
        async with self._write_lock:
            connection = await self._writer_connection()
            assert self._writing_driver is not None
            rows_before = self._writing_driver.raw.total_changes
            with self.changes.watching() as seen:
                yield connection
            if self._writing_driver is not None and self._writing_driver.raw.total_changes == rows_before:
                seen.written.clear()
            self.changes.committed(seen)  # at once, before anything else runs: a read after this sees it
        self._count_for_checkpoint()

    def _count_for_checkpoint(self) -> None:
        """Count a SQLite commit, and start a checkpoint on a worker thread when enough have gathered."""
        self._unchecked += 1
        if self._unchecked >= CHECKPOINT_EVERY and self._checkpoint is None:
            self._unchecked = 0
            self._checkpoint = asyncio.ensure_future(
                asyncio.to_thread(inline.checkpoint, self._path, SQLITE_BUSY_TIMEOUT_MS)
            )
            self._checkpoint.add_done_callback(self._checkpointed)

    def _checkpointed(self, done: asyncio.Future[tuple[int, int, int]]) -> None:
        self._checkpoint = None
        if not done.cancelled() and done.exception() is not None:
            log.warning("SQLite checkpoint failed: %s", done.exception())

    async def snapshot(self) -> Snapshot | None:
        """The tables' versions now, for a reply about to be made: it can be reused while `changes.unchanged`
        says the tables it read are as they were. None (reuse nothing) on PostgreSQL, whose other replicas'
        commits cannot be seen this cheaply.

        On SQLite a commit by another process is seen by the writing connection's `PRAGMA data_version` (a
        microsecond's question, asked on the loop's thread), and counts as a change of every table."""
        if self.changes is None:
            return None
        if self._writing_driver is None:
            await self._writer_connection()
        assert self._writing_driver is not None
        version = int(self._writing_driver.value("PRAGMA data_version"))
        if version != self._data_version:
            self._data_version = version
            self.changes.everything_changed()
        return self.changes.snapshot()

    async def _writer_connection(self) -> AsyncConnection:
        async with self._writing_lock:
            if self._writing is not None and (self._writing.closed or self._writing.invalidated):
                self._writing = self._writing_driver = None  # lost (SQLAlchemy gave it up after an error): replace it
            if self._writing is None:
                self._writing = await (await self.engine.connect()).execution_options(convene_write=True)
                driver = (await self._writing.get_raw_connection()).driver_connection
                assert isinstance(driver, inline.InlineConnection)
                self._writing_driver = driver
            return self._writing

    async def dispose(self) -> None:
        while self._readers:
            await self._readers.pop().close()
        if self._checkpoint is not None:
            await asyncio.wait([self._checkpoint])
        if self._writing is not None and self._write_lock is not None:
            async with self._write_lock:  # not under a write that is still running
                await self._writing.close()
                self._writing = self._writing_driver = None
        await self.engine.dispose()
