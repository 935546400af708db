"""Which tables a piece of work read, which a commit changed, and so whether a reply made earlier still holds.

Every statement Convene sends passes `Changes.saw`, which files the tables it names under what the work in
hand (`Changes.watching`) read or wrote. A commit moves the version of each table it wrote; a reply made from
certain tables stays good while none of their versions has moved. What cannot be put down to tables (a change
of schema, a write naming no table Convene knows, a commit by another process) moves every table at once.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
SCHEMA_VERBS = ("CREATE", "DROP", "ALTER")
KNOWN_SHAPES = 4096  # statements whose tables are remembered (there are far fewer shapes than that)


@dataclass
class Seen:
    """What one piece of work touched."""

    read: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)
    everything: bool = False  # it changed something that cannot be put down to tables


@dataclass(frozen=True)
class Snapshot:
    """The versions at one moment: `state` moves at every commit, `generation` when everything changed."""

    generation: int
    state: int
    versions: dict[str, int]


_watching: ContextVar[Seen | None] = ContextVar("convene_seen", default=None)


class Changes:
    def __init__(self, tables: Collection[str]) -> None:
        """`tables`: the names of the tables to keep apart, read again when more appear (a module that defines
        tables may be imported after the database is opened)."""
        self._tables = tables
        self._known = -1
        self._names = re.compile("$^")
        self._shapes: dict[str, tuple[str, frozenset[str]]] = {}
        self.generation = 0
        self.state = 0
        self._versions: dict[str, int] = {}

    @contextlib.contextmanager
    def watching(self) -> Iterator[Seen]:
        """Note what the statements sent inside this block (in this task) read and write; a block inside
        another's counts towards the outer one's too."""
        outer = _watching.get()
        seen = Seen()
        token = _watching.set(seen)
        try:
            yield seen
        finally:
            _watching.reset(token)
            if outer is not None:
                outer.read |= seen.read
                outer.written |= seen.written
                outer.everything |= seen.everything

    def note_read(self, tables: Iterable[str]) -> None:
        """Count `tables` as read by the work being watched, as if a statement had read them."""
        seen = _watching.get()
        if seen is not None:
            seen.read.update(tables)

    def saw(self, statement: str) -> None:
        seen = _watching.get()
        if seen is None:
            return
        kind, tables = self._shape(statement)
        if kind == "read":
            seen.read |= tables
        elif kind == "write":
            seen.written |= tables
        elif kind == "everything":
            seen.everything = True

    def _shape(self, statement: str) -> tuple[str, frozenset[str]]:
        if len(self._tables) != self._known:
            self._known = len(self._tables)
            names = sorted(self._tables, key=len, reverse=True)
            self._names = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
            self._shapes.clear()
        shape = self._shapes.get(statement)
        if shape is None:
            tables = frozenset(self._names.findall(statement))
            verb = statement.lstrip()[:8].upper()
            writes = verb.startswith(WRITE_VERBS) or (
                verb.startswith("WITH") and any(v in statement.upper() for v in WRITE_VERBS)
            )
            if verb.startswith(SCHEMA_VERBS) or (writes and not tables):
                shape = ("everything", tables)
            elif writes:
                shape = ("write", tables)
            elif verb.startswith(("SELECT", "WITH")):
                shape = ("read", tables)
            else:  # BEGIN, PRAGMA, SAVEPOINT and the like
                shape = ("none", tables)
            if len(self._shapes) >= KNOWN_SHAPES:
                self._shapes.clear()
            self._shapes[statement] = shape
        return shape

    def committed(self, seen: Seen) -> None:
        """A transaction that did what `seen` says has committed."""
        self.state += 1
        if seen.everything:
            self.generation += 1
        for table in seen.written:
            self._versions[table] = self.state

    def everything_changed(self) -> None:
        self.state += 1
        self.generation += 1

    def snapshot(self) -> Snapshot:
        return Snapshot(self.generation, self.state, dict(self._versions))

    def unchanged(self, tables: Iterable[str], since: Snapshot) -> bool:
        """Whether none of `tables` has changed since the snapshot was taken."""
        if self.generation != since.generation:
            return False
        now, then = self._versions, since.versions
        return all(now.get(t, 0) == then.get(t, 0) for t in tables)
