"""A dispatcher in a process of its own, sending through Convene's real Slack messenger, for the tests that
run two replicas or kill one: `python -m tests.scheduler.dispatch_worker DATABASE_URL SLACK_API_URL [options]`.

It prints "ready" once it has started, and with --until-empty exits when nothing is left to send."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import select

from bot.slack.messenger import Clients, SlackMessenger
from scheduler.outbox import Dispatcher
from scheduler.pacing import Pacer
from storage.db import Database
from storage.models import Outbox


async def left(db: Database) -> bool:
    async with db.read() as session:
        return (
            await session.scalar(select(Outbox.id).where(Outbox.status.in_(("pending", "sending"))).limit(1))
            is not None
        )


async def main(args: argparse.Namespace) -> None:
    db = Database(args.database_url)
    async with aiohttp.ClientSession() as http:
        messenger = SlackMessenger(Clients(http, args.api_url, token="xoxb-test"), create_channels=False)
        dispatcher = Dispatcher(
            db,
            {"slack": messenger},
            lambda: datetime.now(UTC),
            lease=timedelta(seconds=args.lease),
            base_backoff=timedelta(seconds=0.2),
            pacers={"slack": Pacer(args.rate, args.channel_interval)},
        )
        print("ready", flush=True)
        while True:
            if await dispatcher.run_once() == 0:
                if args.until_empty and not await left(db):
                    break
                await asyncio.sleep(0.05)
    await db.dispose()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("database_url")
    p.add_argument("api_url")
    p.add_argument("--lease", type=float, default=120.0)
    p.add_argument("--rate", type=float, default=500.0)
    p.add_argument("--channel-interval", type=float, default=0.01)
    p.add_argument("--until-empty", action="store_true")
    asyncio.run(main(p.parse_args()))
