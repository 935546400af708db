"""The composition root: the one place that builds Convene's parts from its settings."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.settings import Settings
from handlers.command.context import CoreConfig
from handlers.command.dispatch import Convene
from scheduler.outbox import Dispatcher, Messenger
from scheduler.pacing import Pacer
from scheduler.service import Scheduler
from storage.db import Database
from storage.migrate import upgrade

if TYPE_CHECKING:
    from bot.slack.app import SlackRuntime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Parts:
    settings: Settings
    db: Database
    core: Convene
    dispatcher: Dispatcher
    clock: Clock
    scheduler: Scheduler
    slack: SlackRuntime | None = None

    async def close(self) -> None:
        if self.slack is not None:
            await self.slack.close()
        await self.db.dispose()


def core_config(settings: Settings, **overrides: object) -> CoreConfig:
    values: dict[str, object] = dict(
        admins=settings.convene_admins,
        command=settings.convene_command,
        announce_channel=settings.convene_announce_channel,
        create_channels=settings.slack_enabled,
        pairing_window_weeks=settings.convene_pairing_window_weeks,
    )
    values.update(overrides)
    return CoreConfig(**values)  # type: ignore[arg-type]


async def build(
    settings: Settings,
    messengers: Mapping[str, Messenger],
    *,
    clock: Clock = utc_now,
    config: CoreConfig | None = None,
    migrate: bool = True,
    log_level: str | None = None,
) -> Parts:
    logging.basicConfig(
        level=(log_level or settings.convene_log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    db = Database(settings.database_url)
    if migrate:
        await upgrade(db)
    core = Convene(db, config or core_config(settings))
    slack = None
    if settings.slack_enabled:
        from bot.slack.app import SlackRuntime  # Bolt is imported only when Slack is configured

        slack = SlackRuntime(settings, db, core, clock)
        messengers = {**slack.messengers, **messengers}
    # Slack asks for about one post a second per channel, and a rate per workspace (CONVENE_WORKSPACE_RATE).
    dispatcher = Dispatcher(db, messengers, clock, pacers={"slack": Pacer(settings.convene_workspace_rate)})
    scheduler = Scheduler(db, core.config, clock, grace=timedelta(seconds=settings.convene_misfire_grace))
    if slack is not None:
        slack.attach(dispatcher)
    return Parts(settings, db, core, dispatcher, clock, scheduler, slack)
