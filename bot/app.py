"""The composition root: the one place that builds Convene's parts from its settings."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import make_url

from bot.settings import Settings, SettingsError
from handlers import suggestions
from handlers.command.context import CoreConfig
from handlers.command.dispatch import Convene
from handlers.command.sealing import Sealer
from scheduler.outbox import Dispatcher, Messenger
from scheduler.pacing import Pacer
from scheduler.service import Scheduler
from storage.db import Database
from storage.migrate import upgrade

if TYPE_CHECKING:
    from bot.slack.app import SlackRuntime
    from bot.teams.app import TeamsRuntime, Tokens

Clock = Callable[[], datetime]
log = logging.getLogger("convene")
TEAMS_TENANT_RATE = 40.0  # outbox messages a second to one Teams tenant (Teams allows 50 a second per app)
TEAMS_CONVERSATION_RATE = 6.0  # to one conversation (Teams allows about 7 a second)


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
    teams: TeamsRuntime | None = None

    async def close(self) -> None:
        if self.slack is not None:
            await self.slack.close()
        if self.teams is not None:
            await self.teams.close()
        await self.db.dispose()


def key_file(settings: Settings) -> Path:
    """Where the sealing key is kept when the settings give none: beside a SQLite database (`convene.db.key`), or
    `convene.key` in the working directory for PostgreSQL; CONVENE_KEY_FILE says otherwise."""
    if settings.convene_key_file:
        return Path(settings.convene_key_file)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(f"{url.database}.key")
    return Path("convene.key")


def load_sealer(settings: Settings) -> Sealer:
    """The sealer for anonymous senders' addresses: CONVENE_SECRET_KEY, or the key file, made (readable by this
    user only) on first start. Raises SettingsError if the key is not a Fernet key."""
    if settings.convene_secret_key is not None:
        given, where = settings.convene_secret_key.get_secret_value(), "CONVENE_SECRET_KEY"
    else:
        path = key_file(settings)
        where = str(path)
        if not path.exists():
            _make_key_file(path)
        given = path.read_text().strip()
    try:
        return Sealer(given)
    except ValueError:
        raise SettingsError(
            f"{where} does not hold a key Convene can use: 32 url-safe base64-encoded bytes "
            '(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").'
        ) from None


def _make_key_file(path: Path) -> None:
    """Write a new key to `path`, readable by this user only; if another process made it first, theirs stays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, prefix=".convene-key-") as new:
        new.write(Sealer.new_key().decode() + "\n")
    os.chmod(new.name, 0o600)
    try:
        os.link(new.name, path)  # fails if the file is there already: never two keys
        log.warning(
            "Made a new key for anonymous suggestions at %s: keep it with the database and back it up with it; "
            "without it, answers cannot reach anonymous senders.",
            path,
        )
    except FileExistsError:
        pass
    finally:
        os.unlink(new.name)


def core_config(settings: Settings, **overrides: object) -> CoreConfig:
    values: dict[str, object] = dict(
        sealer=load_sealer(settings),
        admins=settings.convene_admins,
        command=settings.convene_command,
        announce_channel=settings.convene_announce_channel,
        create_channels=settings.slack_enabled,
        pairing_window_weeks=settings.convene_pairing_window_weeks,
        public_url=settings.convene_public_url.rstrip("/") if settings.convene_public_url else None,
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
    teams_tokens: Tokens | None = None,
) -> Parts:
    """Convene's parts. `teams_tokens` stands in for the Agents SDK's MSAL token provider (tests only)."""
    logging.basicConfig(
        level=(log_level or settings.convene_log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    db = Database(settings.database_url)
    if migrate:
        await upgrade(db)
    core = Convene(db, config or core_config(settings))
    await suggestions.seal_senders(db, core.config.sealer)
    slack = None
    if settings.slack_enabled:
        from bot.slack.app import SlackRuntime  # Bolt is imported only when Slack is configured

        slack = SlackRuntime(settings, db, core, clock)
        messengers = {**slack.messengers, **messengers}
    teams = None
    if settings.teams_enabled:
        from bot.teams.app import TeamsRuntime  # the Agents SDK is imported only when Teams is configured

        teams = TeamsRuntime(settings, db, core, clock, tokens=teams_tokens)
        messengers = {**teams.messengers, **messengers}
    # Slack asks for about one post a second per channel, and a rate per workspace (CONVENE_WORKSPACE_RATE).
    # Teams allows about 7 messages a second to one conversation and 50 a second to one app in one tenant
    # ("Optimize your bot: rate limiting and best practices"): Convene keeps under both.
    pacers = {
        "slack": Pacer(settings.convene_workspace_rate),
        "teams": Pacer(TEAMS_TENANT_RATE, channel_interval=1.0 / TEAMS_CONVERSATION_RATE),
    }
    dispatcher = Dispatcher(db, messengers, clock, pacers=pacers, sealer=core.config.sealer)
    scheduler = Scheduler(db, core.config, clock, grace=timedelta(seconds=settings.convene_misfire_grace))
    if slack is not None:
        slack.attach(dispatcher)
    if teams is not None:
        teams.attach(dispatcher)
    return Parts(settings, db, core, dispatcher, clock, scheduler, slack, teams)
