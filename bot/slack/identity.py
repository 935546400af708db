"""Who is speaking, in Convene's terms: display name and time zone from users.info, cached."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from handlers.command.messages import Speaker

log = logging.getLogger("convene.slack")
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
PLATFORM = "slack"
MENTIONS_LOOKED_UP = 10  # people one command can name; a command with more mentions looks up no more


class People:
    """Display names and time zones, cached for `ttl` seconds. One users.info call is made for a person at a
    time, whoever is waiting for them: a waiter gives up after `timeout` seconds (and speaks with the handle it
    has) while the call goes on to fill the cache, for at most `patience` seconds. A call nobody waits for any
    more because its waiters were cancelled is cancelled with them; `close` cancels and awaits what is left."""

    def __init__(
        self, *, ttl: float = 3600.0, timeout: float = 1.5, patience: float = 15.0, size: int = 20_000
    ) -> None:
        self.ttl = ttl
        self.timeout = timeout
        self.patience = patience
        self.size = size
        self._known: dict[tuple[str, str], tuple[float, Speaker]] = {}
        self._asking: dict[tuple[str, str], _Asking] = {}
        self._closed = False

    async def speaker(self, client: AsyncWebClient, team: str, user: str, fallback: str | None = None) -> Speaker:
        """The person, from the cache or users.info; if Slack is slow or says no, their handle for now."""
        found = await self._lookup(client, team, user)
        return found or Speaker(PLATFORM, team, user, fallback or user)

    async def mentions(self, client: AsyncWebClient, team: str, text: str) -> dict[str, Speaker]:
        """The people mentioned in the text, looked up by users.info: the first `MENTIONS_LOOKED_UP` different
        ones, in the order they are mentioned (no command takes more; the others go unknown)."""
        ids = list(dict.fromkeys(MENTION.findall(text)))[:MENTIONS_LOOKED_UP]
        if not ids:
            return {}
        found = await asyncio.gather(*(self._lookup(client, team, u) for u in ids))
        return {u: s for u, s in zip(ids, found, strict=True) if s is not None}

    def forget(self, team: str, user: str) -> None:
        self._known.pop((team, user), None)

    async def close(self) -> None:
        """Cancel the users.info calls under way and wait for them to end; later lookups ask Slack nothing."""
        self._closed = True
        tasks = [asking.task for asking in self._asking.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _lookup(self, client: AsyncWebClient, team: str, user: str) -> Speaker | None:
        key = (team, user)
        cached = self._known.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        if self._closed:
            return cached[1] if cached is not None else None
        asking = self._asking.get(key)
        if asking is None:
            asking = _Asking(asyncio.ensure_future(self._ask(client, team, user)))
            self._asking[key] = asking
            asking.task.add_done_callback(lambda _t: self._settled(key, asking))
        # asyncio.wait neither cancels the call when this waiter gives up nor lets a cancelled waiter leave it
        # behind: the last waiter to be cancelled cancels it (a waiter that timed out leaves it to fill the cache).
        asking.waiters += 1
        try:
            done, _ = await asyncio.wait({asking.task}, timeout=self.timeout)
        except asyncio.CancelledError:
            asking.waiters -= 1
            if asking.waiters == 0:
                asking.task.cancel()
            raise
        asking.waiters -= 1
        if done and not asking.task.cancelled():
            return asking.task.result()
        return cached[1] if cached is not None else None

    def _settled(self, key: tuple[str, str], asking: _Asking) -> None:
        if self._asking.get(key) is asking:
            del self._asking[key]

    async def _ask(self, client: AsyncWebClient, team: str, user: str) -> Speaker | None:
        try:
            async with asyncio.timeout(self.patience):  # never waits for ever, whatever the client's retries
                response = await client.users_info(user=user)
        except Exception as err:  # Slack down, slow or the user unknown: the caller falls back to what it has
            log.warning("users.info for %s failed: %s", user, str(err) or type(err).__name__)
            return None
        speaker = speaker_from(team, {"id": user, **(response.get("user") or {})})
        if len(self._known) >= self.size:
            self._known.clear()
        self._known[(team, user)] = (time.monotonic() + self.ttl, speaker)
        return speaker


class _Asking:
    """One users.info call under way, and how many lookups are waiting for it."""

    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Future[Speaker | None]) -> None:
        self.task = task
        self.waiters = 0


def speaker_from(team: str, user: dict[str, Any]) -> Speaker:
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or user.get("id", "someone")
    )
    return Speaker(PLATFORM, team, user.get("id", ""), name, user.get("tz"))
