"""Rows asked for at almost every command (the speaker, the group they name), kept between transactions while
the tables they were read from are unchanged.

What is kept is column values, never ORM objects: each transaction builds instances of its own from them,
detached, for its unit to adopt (`Unit.adopt`), so no object is ever shared by two sessions. Only SQLite keeps
anything, as only there does `Changes` see every commit (another process's too, by `Database.snapshot`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Label, inspect
from sqlalchemy.orm import class_mapper
from sqlalchemy.orm.attributes import instance_state

from storage.changes import Snapshot
from storage.db import Database

KEPT_ROWS = 4096
T = TypeVar("T")
M = TypeVar("M")


@dataclass(frozen=True)
class _Kept:
    value: Any
    tables: frozenset[str]
    snapshot: Snapshot


class Keeper:
    def __init__(self, db: Database, size: int = KEPT_ROWS) -> None:
        self.db = db
        self.size = size
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()

    async def get(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """The value kept under `key` while the tables it was read from are unchanged, else `read()` now (kept
        if what it read can be told). Either way the current work counts those tables as read, as a reply made
        from the value depends on them. Ask at the start of a transaction, before it writes: a value read after
        a write of its own would be kept before that write is committed."""
        snapshot = await self.db.snapshot()
        changes = self.db.changes
        if snapshot is None or changes is None:
            return await read()
        kept = self._kept.get(key)
        if kept is not None and changes.unchanged(kept.tables, kept.snapshot):
            self._kept.move_to_end(key)
            changes.note_read(kept.tables)
            return kept.value
        with changes.watching() as seen:
            value = await read()
        if not (seen.written or seen.everything):
            self._kept[key] = _Kept(value, frozenset(seen.read), snapshot)
            self._kept.move_to_end(key)
            if len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value


def columns(model: type[Any], prefix: str = "") -> list[Label[Any]]:
    """The model's columns, each labelled with its attribute's name (after `prefix`), for `detached`."""
    return [attr.columns[0].label(prefix + attr.key) for attr in inspect(model).column_attrs]


def values(row: Mapping[Any, Any], model: type[Any], prefix: str = "") -> dict[str, Any] | None:
    """The model's attribute values in a row selected with `columns(model, prefix)`; None if the row has none
    (an outer join that found nothing)."""
    found = {attr.key: row[prefix + attr.key] for attr in inspect(model).column_attrs}
    return None if all(v is None for v in found.values()) else found


def detached(model: type[M], attrs: Mapping[Any, Any]) -> M:
    """An instance of a row known to be in the database, built as the ORM builds one from a row it loads (its
    attributes set as loaded, not as changed), with no session: detached. `attrs` gives every column's value,
    and the value of any relationship the model loads eagerly."""
    mapper = class_mapper(model)
    instance: M = mapper.class_manager.new_instance()
    instance.__dict__.update(attrs)
    instance_state(instance).key = mapper.identity_key_from_instance(instance)
    return instance
