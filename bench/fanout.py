"""Fan-out through the outbox dispatcher, against the fake Slack Web API, at a configured workspace rate.

    PYTHONPATH=. .venv/bin/python bench/fanout.py [--count 1000] [--rate 50] [--channels 100] [--database-url URL]

Queues COUNT due channel posts spread over CHANNELS channels, then runs one dispatcher with Convene's real
Slack messenger until all are sent. Prints the total time against COUNT / RATE (the target: within 5%), how
evenly the posts were spaced, the smallest gap between two posts to one channel (Slack asks for about a
second), and the process's memory (RSS) as the run went on (the target: flat).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import delete, func, select

from bot.slack.messenger import Clients, SlackMessenger
from handlers.command.messages import Reply
from handlers.command.outbox import outbox_row
from scheduler.outbox import Dispatcher
from scheduler.pacing import Pacer
from storage import queries
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Outbox
from tests.fakes.slack_api import FakeSlack


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def main(args: argparse.Namespace) -> None:
    if args.channels < args.rate:
        print(f"note: {args.channels} channels at one post a second each cap the rate at {args.channels}/s")
    url = args.database_url or f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'fanout.db'}"
    db = Database(url)
    await upgrade(db)
    now = datetime.now(UTC)
    async with db.write() as session:
        await session.execute(delete(Outbox))
        await queries.enqueue(
            session,
            [
                outbox_row(
                    key=f"bench {i}",
                    platform="slack",
                    workspace="T0LIBS",
                    target_kind="channel",
                    target=f"C{i % args.channels:05d}",
                    label=f"C{i % args.channels:05d}",
                    reply=Reply(f"Conversation prompt {i}: what is one small change that made a big difference?"),
                    due=now,
                    now=now,
                )
                for i in range(args.count)
            ],
        )
    fake = FakeSlack()
    await fake.start()
    stamps: list[tuple[float, str]] = []

    def post(a: dict[str, Any]) -> dict[str, Any]:
        stamps.append((time.perf_counter(), str(a["channel"])))
        return {"ok": True, "channel": a["channel"], "ts": f"{len(stamps)}.0001"}

    fake.handlers["chat.postMessage"] = post
    memory = [rss_mb()]
    async with aiohttp.ClientSession() as http:
        messenger = SlackMessenger(Clients(http, fake.url, token="xoxb-bench"), create_channels=False)
        dispatcher = Dispatcher(
            db, {"slack": messenger}, lambda: datetime.now(UTC), pacers={"slack": Pacer(args.rate, 1.0)}
        )
        started = time.perf_counter()
        while await dispatcher.run_once():
            memory.append(rss_mb())
        elapsed = time.perf_counter() - started
    async with db.read() as session:
        sent = await session.scalar(select(func.count()).where(Outbox.status == "sent"))
    await fake.close()
    await db.dispose()

    ideal = args.count / args.rate
    times = [t for t, _ in stamps]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    per_channel: dict[str, list[float]] = {}
    for t, c in stamps:
        per_channel.setdefault(c, []).append(t)
    channel_gap = min(b - a for ts in per_channel.values() for a, b in itertools.pairwise(ts))
    print(f"database: {url.split('@')[-1]}")
    print(f"sent {sent} of {args.count} posts to {args.channels} channels at {args.rate:g}/s")
    print(f"total {elapsed:.2f} s; count/rate {ideal:.2f} s; off by {100 * (elapsed - ideal) / ideal:+.1f}%")
    print(
        f"first post to last: {times[-1] - times[0]:.2f} s; gaps: mean {sum(gaps) / len(gaps) * 1000:.1f} ms, "
        f"min {min(gaps) * 1000:.1f} ms; smallest gap within a channel {channel_gap:.3f} s"
    )
    quarter = len(memory) // 4 or 1
    print(
        f"memory (RSS): {memory[0]:.1f} MB at start, {memory[quarter]:.1f} MB after a quarter, "
        f"{max(memory):.1f} MB at most, {memory[-1]:.1f} MB at the end"
    )


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--rate", type=float, default=50.0)
    p.add_argument("--channels", type=int, default=100)
    p.add_argument("--database-url")
    asyncio.run(main(p.parse_args()))
