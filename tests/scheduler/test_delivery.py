"""Exactly once, with real processes: two dispatchers on one database, and a dispatcher killed with SIGKILL
mid-way and restarted, send 1,000 due deliveries to the fake Slack Web API; and a post Slack took just before
a crash is found by its metadata, not posted again.

Both tests run in both CI passes. On PostgreSQL the two dispatchers claim side by side (FOR UPDATE SKIP
LOCKED); on SQLite they take turns as the one writer (BEGIN IMMEDIATE). The guarantee tested is the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from handlers.command.messages import Reply
from handlers.command.outbox import outbox_row
from storage import queries
from storage.db import Database
from storage.models import Outbox
from tests.conftest import backend, real_now
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_api import slack_api as slack_api  # the fixture

COUNT = 1000
ROOT = Path(__file__).resolve().parents[2]


async def due_deliveries(db: Database) -> None:
    """1,000 due rows, as scheduled fan-out writes them: channel posts to 100 channels and group DMs."""
    now = real_now()  # the worker processes run on the real clock, even when this one's is moved
    rows = []
    for i in range(COUNT):
        if i % 2:
            kind, target, label = "channel", f"C{i % 100:04d}", f"C{i % 100:04d}"
        else:
            kind, target, label = "members", f"U{i:05d},U{i + 1:05d}", f"pair {i}"
        rows.append(
            outbox_row(
                key=f"delivery {i}",
                platform="slack",
                workspace="T0LIBS",
                target_kind=kind,
                target=target,
                label=label,
                reply=Reply(f"delivery {i}", private=False),
                due=now - timedelta(minutes=1),
                now=now,
            )
        )
    async with db.write() as session:
        await queries.enqueue(session, rows)


@contextlib.asynccontextmanager
async def workers() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """Worker processes started in the block, killed when it ends however it ends."""
    started: list[asyncio.subprocess.Process] = []
    try:
        yield started
    finally:
        for proc in started:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def worker(
    started: list[asyncio.subprocess.Process], db_url: str, api: FakeSlack, *extra: str
) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.scheduler.dispatch_worker",
        db_url,
        api.url,
        *extra,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )
    started.append(proc)
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 60)).strip() == b"ready"
    return proc


def posted(api: FakeSlack) -> Counter[str]:
    return Counter(str(args["text"]) for args in api.to("chat.postMessage"))


async def finish(proc: asyncio.subprocess.Process, within: float = 120) -> None:
    assert await asyncio.wait_for(proc.wait(), within) == 0


async def statuses(db: Database) -> Counter[str]:
    async with db.read() as session:
        return Counter((await session.scalars(select(Outbox.status))).all())


async def test_two_dispatcher_processes_deliver_each_message_once(
    db: Database, db_url: str, slack_api: FakeSlack
) -> None:
    await due_deliveries(db)
    async with workers() as started:
        a = await worker(started, db_url, slack_api, "--until-empty")
        b = await worker(started, db_url, slack_api, "--until-empty")
        await asyncio.gather(finish(a), finish(b))
    counts = posted(slack_api)
    assert set(counts) == {f"delivery {i}" for i in range(COUNT)}
    assert max(counts.values()) == 1, [k for k, n in counts.items() if n > 1][:5]
    assert await statuses(db) == Counter({"sent": COUNT})
    print(f"\n[{backend()}] two dispatchers: {COUNT} delivered once each")


async def test_a_dispatcher_killed_mid_way_loses_nothing_and_repeats_only_what_was_in_flight(
    db: Database, db_url: str, slack_api: FakeSlack
) -> None:
    await due_deliveries(db)
    lease = "2"
    async with workers() as started:
        first = await worker(started, db_url, slack_api, "--lease", lease, "--rate", "300")
        await slack_api.wait_for(
            "chat.postMessage", lambda _: len(slack_api.to("chat.postMessage")) >= COUNT // 3, within=60
        )
        first.send_signal(signal.SIGKILL)
        await first.wait()
    assert first.returncode == -signal.SIGKILL
    async with db.read() as session:
        in_flight = {
            r.payload["text"] for r in (await session.scalars(select(Outbox).where(Outbox.status == "sending"))).all()
        }
    before = posted(slack_api)
    assert 0 < sum(before.values()) < COUNT

    async with workers() as started:
        second = await worker(started, db_url, slack_api, "--lease", lease, "--until-empty")
        await finish(second)
    counts = posted(slack_api)
    assert set(counts) == {f"delivery {i}" for i in range(COUNT)}  # none lost
    repeated = {k for k, n in counts.items() if n > 1}
    assert repeated == set()  # what was in flight at the kill was found in Slack, not posted again
    assert await statuses(db) == Counter({"sent": COUNT})
    print(
        f"\n[{backend()}] killed after {sum(before.values())} posts with {len(in_flight)} rows in flight; "
        f"after the restart: {len(repeated)} repeated, 0 lost"
    )


@pytest.mark.parametrize(("kind", "target"), [("channel", "C0ANNOUNCE"), ("member", "U0BEA")])
async def test_a_post_slack_took_before_a_crash_is_found_and_not_posted_again(
    db: Database, db_url: str, slack_api: FakeSlack, kind: str, target: str
) -> None:
    now = real_now()
    row = outbox_row(
        key=f"call 7: announce to {target}",
        platform="slack",
        workspace="T0LIBS",
        target_kind=kind,
        target=target,
        label=target,
        reply=Reply("Call for volunteers: Diversity", private=False),
        due=now - timedelta(seconds=5),
        now=now,
    )
    async with db.write() as session:
        await queries.enqueue(session, [row])
    async with workers() as started:
        first = await worker(started, db_url, slack_api, "--lease", "1")

        def accept_then_crash(args: dict[str, Any]) -> dict[str, Any]:
            answer = slack_api._answer("chat.postMessage", args)  # Slack takes the post…
            os.kill(first.pid, signal.SIGKILL)  # …and Convene dies before it hears back
            return answer

        slack_api.handlers["chat.postMessage"] = accept_then_crash
        assert await asyncio.wait_for(first.wait(), 30) == -signal.SIGKILL
        del slack_api.handlers["chat.postMessage"]
        await asyncio.sleep(1.2)  # the lease runs out
        second = await worker(started, db_url, slack_api, "--lease", "1", "--until-empty")
        await finish(second)
    [posted_once] = [m for m in slack_api.messages.values() if m.get("metadata", {}).get("event_payload")]
    assert posted_once["metadata"] == {"event_type": "convene_outbox", "event_payload": {"key": row["key"]}}
    assert len(slack_api.attempts("chat.postMessage")) == 1  # looked for, found, not posted again
    assert slack_api.to("conversations.history")[0]["include_all_metadata"] in (True, "true", "1")
    async with db.read() as session:
        sent = await session.scalar(select(Outbox))
    assert sent is not None and (sent.status, sent.sent_ref) == ("sent", posted_once["ts"])
