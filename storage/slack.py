"""Slack's tables: the installations of Convene in member libraries' workspaces (kept in the shape slack_sdk's
SQLAlchemy installation and OAuth state stores read and write), and the deliveries already seen, so that a
retried event or a replayed request does nothing twice, whichever of Convene's processes it reaches."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table, bindparam, delete, func
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Database, InsertUnlessTaken
from storage.direct import direct
from storage.models import Base

FORGET_EVERY = 1000  # deliveries recorded between clear-outs of those older than `keep_for`

# The columns slack_sdk's installation store uses (slack_sdk.oauth.installation_store.sqlalchemy); a test
# checks that these stay the same as the installed slack_sdk's.
installations = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)

bots = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)


class SlackSeen(Base):
    """A delivery from Slack already acted on: `event:<event_id>` or `request:<signature>`."""

    __tablename__ = "slack_seen"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


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
