"""Pacing for the dispatcher: at most one post a second to any one channel (or DM) and at most `rate` posts a
second to a workspace, as Slack asks; a platform's "retry after" holds the whole workspace that long.

Slots are reserved before sleeping, so concurrent senders share the rate rather than race for it. The clock
and the sleep are given, so tests can run the pacer on a fake clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]
PRUNE_AT = 10_000  # forget channels whose slot is in the past once this many are remembered


class Pacer:
    def __init__(
        self,
        workspace_rate: float,
        channel_interval: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if workspace_rate <= 0:
            raise ValueError("the workspace rate must be positive")
        self.interval = 1.0 / workspace_rate
        self.channel_interval = channel_interval
        self.clock = clock
        self.sleep = sleep
        self._workspace: dict[str, float] = {}
        self._channel: dict[str, float] = {}

    @property
    def rate(self) -> float:
        return 1.0 / self.interval

    async def wait(self, workspace: str, channel: str) -> None:
        """Return when a post to `channel` in `workspace` may go; one sender per channel at a time."""
        ready = self._channel.get(channel, 0.0)
        now = self.clock()
        if ready > now:
            await self.sleep(ready - now)
        now = self.clock()
        slot = max(now, self._workspace.get(workspace, 0.0))
        self._workspace[workspace] = slot + self.interval
        self._channel[channel] = slot + self.channel_interval
        if slot > now:
            await self.sleep(slot - now)
        if len(self._channel) > PRUNE_AT:
            self._prune()

    def hold(self, workspace: str, seconds: float) -> None:
        """The platform said "retry after": no post to the workspace before then."""
        until = self.clock() + seconds
        if until > self._workspace.get(workspace, 0.0):
            self._workspace[workspace] = until

    def _prune(self) -> None:
        now = self.clock()
        self._channel = {k: v for k, v in self._channel.items() if v > now}
