"""Core statements run straight on SQLite's driver connection, compiled once by SQLAlchemy.

A statement through SQLAlchemy's `Connection` costs about 100 µs on the machines Convene runs on, and SQLite
answers most of Convene's in 10 to 50: SQLAlchemy's work at each execution (execution context, events, cursor
result) is most of what an offer to serve costs. The few statements asked at nearly every write are marked
with `direct()`; on SQLite, outside an ORM session, `Unit.execute` runs them here.

SQLAlchemy still writes their SQL (compiled once for each set of parameter names) and still converts their
values: each parameter by its type's bind processing (dates, JSON), each result column by its type's result
processing, and each statement is shown to the engine's `before_cursor_execute` listeners. What this leaves
out is refused, and the statement goes through SQLAlchemy as usual: Python-side
column defaults (an INSERT must name every column that has one), and parameters expanded or rendered at
execution. Like any statement on a connection rather than a session, one selecting ORM entities gives rows of
their columns, not objects.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Executable, Insert, Result, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

from storage import sqlite as inline

OPTION = "convene_direct"
S = TypeVar("S", bound=Executable)
Processor = Callable[[Any], Any]


def direct(statement: S) -> S:
    """Mark a statement to be run on SQLite's driver connection when it can be (see the module)."""
    marked: S = statement.execution_options(**{OPTION: True})
    return marked


def marked(statement: Executable) -> bool:
    return bool(statement.get_execution_options().get(OPTION))


_REQUIRED = object()


@dataclass(frozen=True)
class _Slot:
    """One parameter of the compiled SQL, in order: the name it is given by, its value if not given (or
    _REQUIRED), and its type's bind processing."""

    key: str
    default: Any
    process: Processor | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    slots: Sequence[_Slot]
    columns: SimpleResultMetaData | None  # None: the statement returns no rows
    results: Sequence[Processor | None]

    def values(self, given: Mapping[str, Any]) -> list[Any]:
        values = []
        for slot in self.slots:
            value = given.get(slot.key, slot.default)
            if value is _REQUIRED:
                raise KeyError(f"a value is required for the parameter {slot.key!r}")
            values.append(slot.process(value) if slot.process is not None else value)
        return values


class Direct:
    """The plans made so far, one per statement and set of parameter names."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._plans: dict[tuple[int, frozenset[str]], _Plan | None] = {}
        # Planned statements are kept alive, so that their ids are not reused; the statements marked are built
        # once, at import, so there are a few dozen at most.
        self._keep: list[Executable] = []

    def plan(self, statement: Executable, names: frozenset[str]) -> _Plan | None:
        key = (id(statement), names)
        if key not in self._plans:
            self._plans[key] = self._make(statement, names)
            self._keep.append(statement)
        return self._plans[key]

    def _make(self, statement: Executable, names: frozenset[str]) -> _Plan | None:
        dialect = self.dialect
        if isinstance(statement, Insert) and not _defaults_given(statement, names):
            return None
        if not isinstance(statement, Select | UpdateBase):
            return None
        compiled = statement.compile(dialect=dialect, column_keys=sorted(names))
        if not isinstance(compiled, SQLCompiler) or compiled.literal_execute_params or compiled.post_compile_params:
            return None
        slots = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            if bind.callable is not None:
                return None
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            slots.append(_Slot(bind.key, _REQUIRED if bind.required else bind.value, process))
        returned = list(statement.selected_columns if isinstance(statement, Select) else statement.exported_columns)
        columns = SimpleResultMetaData([str(c.key) for c in returned]) if returned else None
        results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in returned]
        return _Plan(compiled.string, slots, columns, results)

    async def execute(self, connection: AsyncConnection, statement: Executable, params: Any) -> Result[Any] | None:
        """The statement's result, or None if it cannot be run here (the caller runs it through SQLAlchemy)."""
        many = isinstance(params, list)
        rows = params if many else [params or {}]
        names = frozenset(rows[0]) if rows else frozenset()
        if many and any(frozenset(r) != names for r in rows):
            return None
        plan = self.plan(statement, names)
        if plan is None:
            return None
        driver = inline.driver_of(connection)
        sync = connection.sync_connection
        assert sync is not None
        values = [plan.values(row) for row in rows]
        cursor = await driver.cursor()
        # Shown to the engine's before_cursor_execute listeners (`Changes.saw` among them) as any statement is.
        sync.dispatch.before_cursor_execute(sync, cursor, plan.sql, values if many else values[0], None, many)
        try:
            found = []
            if many and plan.columns is None:
                await cursor.executemany(plan.sql, values)
            else:  # one row, or several whose returned rows are wanted: a statement each, still microseconds
                for row in values:
                    await cursor.execute(plan.sql, row)
                    found += await cursor.fetchall() if plan.columns is not None else []
        except sqlite3.Error as error:  # as SQLAlchemy would raise it: IntegrityError, OperationalError...
            raise DBAPIError.instance(plan.sql, values, error, sqlite3.Error, dialect=self.dialect) from error
        finally:
            await cursor.close()
        if plan.columns is None:
            return IteratorResult(SimpleResultMetaData([]), iter(()))
        processed = [tuple(p(v) if p else v for p, v in zip(plan.results, row, strict=True)) for row in found]
        return IteratorResult(plan.columns, iter(processed))


def _defaults_given(statement: Insert, names: frozenset[str]) -> bool:
    """Whether the INSERT names every column with a Python-side default (which SQLAlchemy fills in at each
    execution, and this module does not)."""
    columns = getattr(statement.table, "columns", ())
    return all(c.key in names for c in columns if c.default is not None and not c.primary_key)
