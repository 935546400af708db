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
    def __init__(self, *, ttl: float = 3600.0, timeout: float = 1.5, size: int = 20_000) -> None:
        self.ttl = ttl
        self.timeout = timeout
        self.size = size
        self._known: dict[tuple[str, str], tuple[float, Speaker]] = {}
        self._asking: dict[tuple[str, str], asyncio.Task[Speaker | None]] = {}

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

    async def _lookup(self, client: AsyncWebClient, team: str, user: str) -> Speaker | None:
        key = (team, user)
        cached = self._known.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        task = self._asking.get(key)
        if task is None:
            task = asyncio.ensure_future(self._ask(client, team, user))
            self._asking[key] = task
            task.add_done_callback(lambda _t: self._asking.pop(key, None))
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.timeout)
        except TimeoutError:
            return cached[1] if cached is not None else None

    async def _ask(self, client: AsyncWebClient, team: str, user: str) -> Speaker | None:
        try:
            response = await client.users_info(user=user)
        except Exception as err:  # Slack down or the user unknown: the caller falls back to what it has
            log.warning("users.info for %s failed: %s", user, err)
            return None
        speaker = speaker_from(team, {"id": user, **(response.get("user") or {})})
        if len(self._known) >= self.size:
            self._known.clear()
        self._known[(team, user)] = (time.monotonic() + self.ttl, speaker)
        return speaker


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
