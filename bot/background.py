"""What a platform adapter does beside its answers: work after an answer (recording a delivery, answering a slow
command later) and loops (the outbox sent right after a change, and any the adapter adds), all tracked, and ended
together as Convene stops, so that no task outlives the database it uses."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from scheduler.outbox import Dispatcher

log = logging.getLogger("convene")

NUDGE_GATHER = 0.05  # seconds the outbox waits after a change for the changes that come with it
CLOSE_WITHIN = 5.0  # seconds work under way gets to finish when Convene stops, before it is cancelled


class Background:
    """One adapter's background work; `platform` names it in the log."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.dispatcher: Dispatcher | None = None  # the outbox's, once attached: `nudge` sends through it
        self.tasks: set[asyncio.Future[Any]] = set()
        self.stopping = False  # the loops end their round and stop
        self._loops: list[asyncio.Task[None]] = []
        self._nudge = asyncio.Event()
        self._closing = False  # `close` has begun (work started from now on is still waited for, then cancelled)
        self._closed = asyncio.Event()

    def start(self, *loops: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Start the outbox loop and the adapter's own `loops` (each ends when `stopping` is set)."""
        if not self._loops and not self._closing:
            self._loops = [asyncio.create_task(self._nudged()), *(asyncio.create_task(loop()) for loop in loops)]

    def nudge(self) -> None:
        """Something was written: the outbox sends its messages now, not at its next round."""
        self._nudge.set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Work that goes on after an answer; what it raises is logged. Once Convene has stopped, it is dropped."""
        if self._closed.is_set():  # nothing would wait for it: it is not started
            work.close()
            log.warning("Convene has stopped: %s work after an answer was dropped", self.platform)
            return
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def track(self, task: asyncio.Future[Any]) -> asyncio.Future[Any]:
        """A task someone awaits (a command's own), which may outlive its request: tracked, and what it raises
        retrieved here, so that a task nobody awaits any more says nothing."""
        self.tasks.add(task)
        task.add_done_callback(self._untrack)
        return task

    async def close(self, within: float = CLOSE_WITHIN, *, wake: Callable[[], None] = lambda: None) -> None:
        """Stop: the work under way (and what it starts) gets up to `within` seconds to finish; then the loops end
        the round they are in (a round of the outbox is not cut off mid-send; `wake` wakes the adapter's own)
        within what is left of that time; whatever still runs then is cancelled, and awaited. Every task has ended
        when this returns. Closing again waits for the first close to end."""
        if self._closing:
            await self._closed.wait()
            return
        self._closing = True
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + within
            while self.tasks and loop.time() < deadline:
                await asyncio.wait(list(self.tasks), timeout=deadline - loop.time())
            self.stopping = True
            self._nudge.set()
            wake()
            if self._loops:
                await asyncio.wait(self._loops, timeout=max(0.0, deadline - loop.time()))
            while left := [t for t in (*self._loops, *self.tasks) if not t.done()]:
                log.warning("Convene is stopping: %d pieces of %s work were cut short", len(left), self.platform)
                for task in left:
                    task.cancel()
                await asyncio.wait(left)
        finally:
            self._closed.set()

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s work after an answer failed", self.platform, exc_info=task.exception())

    def _untrack(self, task: asyncio.Future[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled():
            task.exception()

    async def _nudged(self) -> None:
        while not self.stopping:
            await self._nudge.wait()
            if self.stopping:
                return
            await asyncio.sleep(NUDGE_GATHER)
            self._nudge.clear()
            if self.dispatcher is None:
                continue
            try:
                while not self.stopping and await self.dispatcher.run_once():
                    pass
            except Exception:
                log.exception("sending the outbox after a change failed; the dispatcher will try again")
