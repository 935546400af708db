"""The deliveries from Slack already seen, so that a retried event or a replayed request does nothing twice,
whichever of Convene's processes it reaches."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete

from storage.db import Database, InsertUnlessTaken
from storage.direct import direct
from storage.models import SlackSeen

FORGET_EVERY = 1000  # deliveries recorded between clear-outs of those older than `keep_for`

_SEEN = direct(InsertUnlessTaken(SlackSeen, "key").returning(SlackSeen.key))
_FORGET = direct(delete(SlackSeen).where(SlackSeen.seen_at < bindparam("before")))


async def first_sightings(
    db: Database, keys: Sequence[str], now: datetime, *, forget_before: datetime | None = None
) -> set[str]:
    """Record the keys; those that no one (in any process) had recorded before. With `forget_before`, keys
    recorded before then are forgotten in the same transaction."""
    async with db.unit(write=True) as unit:
        result = await unit.execute(_SEEN, [{"key": key, "seen_at": now} for key in dict.fromkeys(keys)])
        new = set(result.scalars())
        if forget_before is not None:
            await unit.execute(_FORGET, {"before": forget_before})
    return new


class Sightings:
    """`first_sightings` for one key at a time, with the keys asked about together recorded together.

    A key waits for the transaction under way to end (on SQLite writes take turns) and then goes in with every
    key that came while it waited: under load one transaction records many requests, not one each."""

    def __init__(self, db: Database, clock: Callable[[], datetime], keep_for: timedelta) -> None:
        self.db = db
        self.clock = clock
        self.keep_for = keep_for
        self._waiting: list[tuple[str, asyncio.Future[bool]]] = []
        self._batch: list[tuple[str, asyncio.Future[bool]]] = []  # the keys being recorded now
        self._recording: asyncio.Task[None] | None = None
        self._recorded = 0

    async def first(self, key: str) -> bool:
        """Record the key; True if no one had recorded it before (of keys asked about at once, the first)."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, answer))
        if self._recording is None:
            self._start()
        return await answer

    def _start(self) -> None:
        self._recording = asyncio.create_task(self._record())
        self._recording.add_done_callback(self._stopped)

    async def _record(self) -> None:
        while self._waiting:
            self._batch, self._waiting = self._waiting, []
            now = self.clock()
            tidy = self._recorded // FORGET_EVERY != (self._recorded + len(self._batch)) // FORGET_EVERY
            self._recorded += len(self._batch)
            try:
                new = await first_sightings(
                    self.db, [key for key, _ in self._batch], now, forget_before=now - self.keep_for if tidy else None
                )
            except Exception as error:
                for _, answer in self._batch:
                    if not answer.done():
                        answer.set_exception(error)
                continue
            for key, answer in self._batch:
                if not answer.done():
                    answer.set_result(key in new)
                new.discard(key)  # a key asked about twice in one batch: the second is a repeat
        self._batch = []

    def _stopped(self, task: asyncio.Task[None]) -> None:
        self._recording = None
        if task.cancelled():  # shutting down: no request is left waiting for ever
            for _, answer in self._batch + self._waiting:
                answer.cancel()
            self._batch, self._waiting = [], []
        elif self._waiting:  # asked about after the last batch, before the recorder had stopped
            self._start()
