"""How fast Convene answers Slack, next to two baselines run in the same run (by hand, not in CI).

    .venv/bin/python bench/slack_ack.py [--database sqlite postgresql] [--requests 1000] [--concurrency 16 64]
                                        [--rounds 3] [--pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/]
                                        [--loads read write vote rsvp] [--skip throughput lock pairing]

Three apps, each in its own process on its own fresh database, all answering signed slash commands (every
request distinct: Convene refuses a replayed signature):
- bare: a Bolt app with process_before_response=True whose listener only acknowledges (the limit);
- peer: a "first draft" Bolt app with default settings whose listener does the work with a plain SQLAlchemy
  session, as an engineer would write it first: a read selects the groups, a write inserts an offer row and
  commits, a vote selects the voter's row on the one poll and updates or inserts it and commits, an RSVP counts
  the seats taken on the one event, then updates or inserts the person's answer (waiting when full) and commits,
  and each acknowledges with a sentence;
- convene: `convene serve`, its groups and calls made through the slash command, each person known, and a poll
  (three options, its card posted in #general, where everyone in the workspace may vote) for the votes.
The vote load is every voter at once on that one poll (a voter may vote again: the vote moves); the RSVP load is
everyone answering one event with 100 seats at once, going and then (on their next turn) not, so that seats fill,
people wait and are promoted. With votes and without RSVPs among the loads (whose promotions send messages at
Slack's pace, which would hold the card's edits back), after the
loads, a burst of 500 votes at the highest concurrency is sent to Convene alone, and the chat.update calls it
makes to the poll's card are counted (each vote makes its card's edit due on the next 2-second tick).
They take turns with the same requests, round after round, so that a noisy machine weighs on all alike; the
medians of the rounds are printed with Convene's throughput as a ratio of each baseline's.

Two more passes, on SQLite:
- lock: another process holds SQLite's write lock for 10 s while reads and writes keep coming and /healthz is
  asked every 50 ms; the slowest acknowledgement and the slowest health check, and whether every write
  acknowledged with "Working on it…" was answered once the lock was gone;
- pairing: 10,000 members and 500,000 pairs; ten members ask `pairing status` at once, twenty times, while
  Convene times every callback of its event loop: those over 20 ms are listed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import DateTime, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.slack_api import FakeSlack, slash_command  # noqa: E402

SECRET = "bench-signing-secret"
TEAM = "T0LIBS"
ADMIN = "U0ADMIN"
GROUPS = 30
PEOPLE = 600  # 30 groups x 600 people: a new offer for every write request
SLOW = float(os.environ.get("BENCH_SLOW", "0.02"))  # seconds: a callback held the loop too long
APPS = ("bare", "peer", "convene")
POLL = 1  # the poll every vote is for: Convene's first
EVENT = 1  # the event every RSVP is for: Convene's first
SEATS = 100
BURST = 500  # votes in the burst whose card edits are counted


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


_serial = itertools.count(1)


def command(user: str, text: str, response_url: str = "http://127.0.0.1:1/respond") -> str:
    n = next(_serial)
    return slash_command(TEAM, user, text, response_url=f"{response_url}/{n}", trigger=n)


# -- the two baselines, each run in a child process of this script -------------------------------------------


class PeerBase(DeclarativeBase):
    """The first-draft peer's own tables."""


class Group(PeerBase):
    __tablename__ = "peer_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))


class Offer(PeerBase):
    __tablename__ = "peer_offers"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    group_slug: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PeerRsvp(PeerBase):
    __tablename__ = "peer_rsvps"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int]
    user_id: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(String(10))
    waiting: Mapped[bool]


class PeerVote(PeerBase):
    __tablename__ = "peer_votes"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int]
    user_id: Mapped[str] = mapped_column(String(64))
    choice: Mapped[int]


def run_baseline(kind: str, port: int, api_url: str, database_url: str) -> None:
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    async def main() -> None:
        client = AsyncWebClient(token="xoxb-bench", base_url=api_url)
        if kind == "bare":
            bolt = AsyncApp(signing_secret=SECRET, client=client, process_before_response=True)

            async def only_ack(ack):  # type: ignore[no-untyped-def]
                await ack()

            bolt.command("/convene")(only_ack)
        else:
            engine = create_async_engine(database_url)
            async with engine.begin() as conn:
                await conn.run_sync(PeerBase.metadata.create_all)
            sessions = async_sessionmaker(engine, expire_on_commit=False)
            async with sessions() as session:
                session.add_all(Group(slug=f"group-{g:02d}", name=f"Group {g:02d}") for g in range(GROUPS))
                await session.commit()
            bolt = AsyncApp(signing_secret=SECRET, client=client)

            async def first_draft(ack, command):  # type: ignore[no-untyped-def]
                words = command["text"].split()
                async with sessions() as session:
                    if words[0] == "rsvp":
                        event, answer = int(words[1]), words[2]
                        taken = await session.scalar(
                            select(func.count()).where(
                                PeerRsvp.event_id == event, PeerRsvp.answer == "going", PeerRsvp.waiting.is_(False)
                            )
                        )
                        mine = await session.scalar(
                            select(PeerRsvp).where(PeerRsvp.event_id == event, PeerRsvp.user_id == command["user_id"])
                        )
                        if mine is None:
                            mine = PeerRsvp(event_id=event, user_id=command["user_id"], answer=answer, waiting=False)
                            session.add(mine)
                        mine.answer, mine.waiting = answer, answer == "going" and (taken or 0) >= SEATS
                        await session.commit()
                        await ack(f"Noted: {answer} for event {event}.")
                    elif words[0] == "vote":
                        poll, choice = int(words[1]), int(words[2])
                        mine = await session.scalar(
                            select(PeerVote).where(PeerVote.poll_id == poll, PeerVote.user_id == command["user_id"])
                        )
                        if mine is None:
                            session.add(PeerVote(poll_id=poll, user_id=command["user_id"], choice=choice))
                        else:
                            mine.choice = choice
                        await session.commit()
                        await ack(f"Your vote on poll {poll}: option {choice}.")
                    elif words[0] == "volunteer":
                        session.add(
                            Offer(user_id=command["user_id"], group_slug=words[1], created_at=datetime.now(UTC))
                        )
                        await session.commit()
                        await ack(f"Thank you! You have offered to serve on {words[1]}.")
                    else:
                        groups = (await session.scalars(select(Group).order_by(Group.name))).all()
                        await ack("Groups: " + ", ".join(g.name for g in groups))

            bolt.command("/convene")(first_draft)

        async def events(request: web.Request) -> web.StreamResponse:
            return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

        app = web.Application()
        app.router.add_post("/slack/events", events)

        async def healthz(_request: web.Request) -> web.Response:
            return web.Response(text="ok")

        app.router.add_get("/healthz", healthz)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.Event().wait()

    asyncio.run(main())


def run_convene_timed() -> None:
    """`convene serve`, printing each callback of its event loop that runs over SLOW seconds."""
    import asyncio.events

    from bot import web
    from bot.settings import load

    run = asyncio.events.Handle._run

    def timed(handle: asyncio.events.Handle) -> None:
        began = time.perf_counter()
        run(handle)
        took = time.perf_counter() - began
        if took > SLOW:
            task = getattr(getattr(handle, "_callback", None), "__self__", None)  # a task's step: its coroutine
            what = f"task {task.get_coro()!r}" if isinstance(task, asyncio.Task) else repr(handle)
            print(f"Executing {what} took {took:.3f} seconds", file=sys.stderr, flush=True)

    asyncio.events.Handle._run = timed  # type: ignore[method-assign,assignment]
    asyncio.run(web.serve(load(env_file=None)))


# -- load ------------------------------------------------------------------------------------------------


async def wait_until_up(base: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{base} did not come up")
            await asyncio.sleep(0.2)


async def load(url: str, bodies: list[str], concurrency: int) -> tuple[float, list[float], int]:
    """Send the bodies, `concurrency` at a time; requests per second, latencies (s), and failures."""
    latencies: list[float] = []
    failures = 0
    queue = iter(bodies)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal failures
            for body in queue:
                started = time.perf_counter()
                async with session.post(url, data=body.encode(), headers=signed(body)) as response:
                    await response.read()
                    if response.status != 200:
                        failures += 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return len(bodies) / elapsed, latencies, failures


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def workloads(requests: int) -> dict[str, Callable[[], list[str]]]:
    people = [f"U{n:05d}" for n in range(PEOPLE)]
    offers = itertools.product(range(GROUPS), people)  # each (group, person) once: every request a new offer

    def reads() -> list[str]:
        return [
            command(people[i % PEOPLE], "groups" if i % 2 else f"group group-{i % GROUPS:02d}") for i in range(requests)
        ]

    def writes() -> list[str]:
        return [command(p, f"volunteer group-{g:02d}") for g, p in itertools.islice(offers, requests)]

    def votes() -> list[str]:
        return [command(people[i % PEOPLE], f"vote {POLL} {1 + i % 3}") for i in range(requests)]

    turns: dict[str, int] = {}

    def rsvps() -> list[str]:
        bodies = []
        for i in range(requests):
            person = people[i % PEOPLE]
            turns[person] = turns.get(person, 0) + 1
            bodies.append(command(person, f"rsvp {EVENT} {'going' if turns[person] % 2 else 'no'}"))
        return bodies

    return {"read": reads, "write": writes, "vote": votes, "rsvp": rsvps}


async def seed_convene(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for g in range(GROUPS):
            for text in (f'group new "Group {g:02d}" kind:task seats:50', f"call group-{g:02d}"):
                body = command(ADMIN, text)
                async with session.post(url, data=body.encode(), headers=signed(body)) as r:
                    assert r.status == 200, await r.text()
    await load(url, [command(f"U{n:05d}", "help") for n in range(PEOPLE)], 16)  # each person known
    async with aiohttp.ClientSession() as session:
        # a poll and an event in #general, where the command is typed: open to everyone in the workspace
        for text, made in (
            ('poll "Which?" "A" "B" "C"', f"Posted poll {POLL} in"),
            (f'event new "Meet" when:"2099-03-03 14:00" seats:{SEATS}', f"Posted event {EVENT} in"),
        ):
            body = command(ADMIN, text)
            async with session.post(url, data=body.encode(), headers=signed(body)) as r:
                answer = await r.text()
                assert r.status == 200 and made in answer, answer


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A child process whose output goes to a file (a pipe nobody reads until the end would fill and stall it)."""
    with log.open("ab") as out:
        return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=out, cwd=ROOT)


def convene_env(api_url: str, port: int, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("CONVENE_", "SLACK_"))}
    env.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        CONVENE_ADMINS=f"slack:{ADMIN}",
        CONVENE_LOG_LEVEL="WARNING",
        PORT=str(port),
        HOST="127.0.0.1",
        PYTHONPATH=str(ROOT),
    )
    return env


class Databases:
    """Fresh databases for the run: SQLite files in a temporary folder, or PostgreSQL databases made for it
    (and dropped after it) on the server `pg_url` names."""

    def __init__(self, workdir: Path, pg_url: str) -> None:
        self.workdir = workdir
        self.pg_url = pg_url.rstrip("/")
        self.made: list[str] = []

    async def new(self, kind: str, name: str) -> str:
        if kind == "sqlite":
            return f"sqlite+aiosqlite:///{self.workdir / name}.db"
        import asyncpg

        database = f"convene_bench_{name}_{os.getpid()}"
        server = await asyncpg.connect(self.pg_url.replace("postgresql+asyncpg", "postgresql") + "/postgres")
        try:
            await server.execute(f'DROP DATABASE IF EXISTS "{database}"')
            await server.execute(f'CREATE DATABASE "{database}"')
        finally:
            await server.close()
        self.made.append(database)
        return f"{self.pg_url}/{database}"

    async def drop(self) -> None:
        if not self.made:
            return
        import asyncpg

        server = await asyncpg.connect(self.pg_url.replace("postgresql+asyncpg", "postgresql") + "/postgres")
        try:
            for database in self.made:
                await server.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await server.close()


Result = tuple[float, float, float, int]  # req/s, p50 s, p99 s, failures


async def throughput(fake: FakeSlack, dbs: Databases, kind: str, opts: argparse.Namespace) -> None:
    workdir = dbs.workdir
    ports = {app: free_port() for app in APPS}
    base = {app: f"http://127.0.0.1:{ports[app]}" for app in APPS}
    processes = [
        start(
            [sys.executable, __file__, "--baseline", "bare", str(ports["bare"]), fake.url, "-"],
            dict(os.environ),
            workdir / "bare.log",
        ),
        start(
            [sys.executable, __file__, "--baseline", "peer", str(ports["peer"]), fake.url, await dbs.new(kind, "peer")],
            dict(os.environ),
            workdir / "peer.log",
        ),
        start(
            [str(ROOT / ".venv/bin/convene"), "serve"],
            convene_env(fake.url, ports["convene"], await dbs.new(kind, "convene")),
            workdir / "convene.log",
        ),
    ]
    results: dict[tuple[str, str, int], list[Result]] = {}
    try:
        for app in APPS:
            await wait_until_up(base[app])
        await seed_convene(f"{base['convene']}/slack/events")
        for app in ("bare", "peer"):  # warm up
            await load(f"{base[app]}/slack/events", [command("U00000", "groups") for _ in range(200)], 16)
        loads = {k: v for k, v in workloads(opts.requests).items() if k in opts.loads}
        for concurrency in opts.concurrency:
            for _ in range(opts.rounds):
                for load_kind, make in loads.items():
                    bodies = make()  # the same requests to every app
                    for app in APPS:
                        rps, lat, failed = await load(f"{base[app]}/slack/events", bodies, concurrency)
                        results.setdefault((load_kind, app, concurrency), []).append(
                            (rps, percentile(lat, 50), percentile(lat, 99), failed)
                        )
        # the burst on its own: after the RSVP load, the promotions' messages hold its edits back (Slack's pace)
        burst = "vote" in opts.loads and "rsvp" not in opts.loads
        edits = (
            await edits_in_a_burst(fake, f"{base['convene']}/slack/events", max(opts.concurrency)) if burst else None
        )
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
    print(
        f"\n{kind}: {opts.requests} signed slash commands a run, {opts.rounds} rounds taking turns; medians of the"
        " rounds; Convene's req/s as a ratio of each baseline's (median, and lowest-highest round)"
    )
    print(
        f"{'load':6} {'conc':>4} {'app':8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'fail':>5}"
        f"  {'/peer':>5} {'range':>9}  {'/bare':>5}"
    )
    for (load_kind, app, concurrency), rounds in results.items():
        rps, p50, p99 = (statistics.median(r[i] for r in rounds) for i in range(3))
        failed = sum(r[3] for r in rounds)
        line = f"{load_kind:6} {concurrency:>4} {app:8} {rps:7.0f} {p50 * 1000:7.1f} {p99 * 1000:7.1f} {failed:>5}"
        if app == "convene":
            peer = results[(load_kind, "peer", concurrency)]
            bare = results[(load_kind, "bare", concurrency)]
            ratios = [c[0] / p[0] for c, p in zip(rounds, peer, strict=True)]
            line += f"  {rps / statistics.median(p[0] for p in peer):5.2f} {min(ratios):4.2f}-{max(ratios):4.2f}"
            line += f"  {rps / statistics.median(b[0] for b in bare):5.2f}"
        print(line)
    if edits is not None:
        most = max(opts.concurrency)
        print(f"{BURST} votes at once ({most} concurrent) on one poll: {edits} chat.update calls to its card")


async def edits_in_a_burst(fake: FakeSlack, url: str, concurrency: int) -> int:
    """The chat.update calls to the poll's card made for a burst of `BURST` votes: counted from when the edits of
    the votes before it are done until those of the burst are (the outbox is quiet for two ticks). Raises
    AssertionError when the card was never edited at all (then the count would say nothing)."""

    async def quiet() -> None:
        seen = -1
        while len(fake.to("chat.update")) != seen:
            seen = len(fake.to("chat.update"))
            await asyncio.sleep(4.5)  # two ticks of the tally's edits, and a little more

    await quiet()
    before = len(fake.to("chat.update"))
    assert before > 0, "the poll's card was never edited: is it posted?"
    _, _, failed = await load(
        url, [command(f"U{n % PEOPLE:05d}", f"vote {POLL} {1 + n % 3}") for n in range(BURST)], concurrency
    )
    assert failed == 0
    await quiet()
    return len(fake.to("chat.update")) - before


def hold_lock(path: str, seconds: float, held: threading.Event) -> None:
    other = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        other.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        other.execute("ROLLBACK")
    finally:
        other.close()


async def lock_pass(fake: FakeSlack, dbs: Databases, seconds: float = 10.0) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    url = await dbs.new("sqlite", "locked")
    server = start(
        [str(ROOT / ".venv/bin/convene"), "serve"], convene_env(fake.url, port, url), dbs.workdir / "lock.log"
    )
    try:
        await wait_until_up(base)
        await seed_convene(f"{base}/slack/events")
        held = threading.Event()
        holder = threading.Thread(target=hold_lock, args=(url.split("///", 1)[1], seconds, held))
        holder.start()
        await asyncio.to_thread(held.wait, 10)
        began = time.monotonic()
        acks: list[tuple[float, int, str]] = []
        health: list[float] = []
        people = itertools.cycle(f"U{n:05d}" for n in range(PEOPLE))
        offers = itertools.product(range(GROUPS), [f"U{n:05d}" for n in range(PEOPLE)])
        async with aiohttp.ClientSession() as session:

            async def asker(i: int) -> None:
                n = 0
                while time.monotonic() - began < seconds:
                    n += 1
                    if (i + n) % 2:
                        g, who = next(offers)
                        text = f"volunteer group-{g:02d}"
                    else:
                        who, text = next(people), "groups"
                    body = command(who, text, fake.response_url("lock").rsplit("/", 1)[0])
                    t = time.monotonic()
                    async with session.post(f"{base}/slack/events", data=body.encode(), headers=signed(body)) as r:
                        answer = await r.text()
                    acks.append((time.monotonic() - t, r.status, answer))

            async def checker() -> None:
                while time.monotonic() - began < seconds:
                    t = time.monotonic()
                    async with session.get(f"{base}/healthz") as r:
                        await r.read()
                    health.append(time.monotonic() - t)
                    await asyncio.sleep(0.05)

            await asyncio.gather(checker(), *(asker(i) for i in range(16)))
        await asyncio.to_thread(holder.join)
        working = sum("Working on it" in a for _, _, a in acks)
        with contextlib.suppress(TimeoutError):  # every write answered, or a minute gone
            await fake.wait_for_response(lambda _b: len(fake.responses) >= working, within=60)
        print(
            f"\nlock: another process held SQLite's write lock for {seconds:.0f} s: {len(acks)} commands, the slowest"
            f" acknowledged in {max(a for a, _, _ in acks) * 1000:.0f} ms ({sum(s != 200 for _, s, _ in acks)} not"
            f" 200; {working} acknowledged with “Working on it…”, {len(fake.responses)} of them answered by"
            f" response_url after the release); /healthz asked {len(health)} times, slowest"
            f" {max(health) * 1000:.0f} ms, p50 {statistics.median(health) * 1000:.0f} ms"
        )
    finally:
        server.terminate()
        server.wait(10)


async def pairing_data(url: str, members: int = 10_000, pairs: int = 500_000) -> None:
    """Members of one Slack workspace, opted in to pairing, and rounds of pairs written straight in."""
    from sqlalchemy import insert

    from storage.db import Database
    from storage.migrate import upgrade
    from storage.models import Institution, Member, Pair, PairingOptIn, PairingRound

    db = Database(url)
    await upgrade(db)
    rng = random.Random(1)
    now = datetime(2027, 1, 5, 10, tzinfo=UTC)
    per_round = members // 2
    async with db.write() as session:
        await session.execute(insert(Institution), [{"name": f"Library {i}"} for i in range(40)])
        await session.execute(
            insert(Member),
            [
                dict(
                    platform="slack",
                    workspace=TEAM,
                    user_id=f"U{i:05d}",
                    display_name=f"Person {i}",
                    institution_id=rng.randrange(40) + 1,
                    stage=rng.choice(("early", "mid", "senior", "leader")),
                    tz="Europe/London",
                    created_at=now,
                )
                for i in range(members)
            ],
        )
        await session.execute(
            insert(PairingOptIn),
            [dict(member_id=i + 1, active=True, since=now, updated_at=now) for i in range(members)],
        )
        rounds = pairs // per_round
        await session.execute(
            insert(PairingRound),
            [
                dict(
                    occurrence=f"bench {r}",
                    platform="slack",
                    workspace=TEAM,
                    started_at=now,
                    checkin_at=now,
                    people=members,
                    left_out=0,
                )
                for r in range(rounds)
            ],
        )
        ids = list(range(1, members + 1))
        for r in range(rounds):
            rng.shuffle(ids)
            await session.execute(
                insert(Pair),
                [dict(round_id=r + 1, member_a=ids[2 * k], member_b=ids[2 * k + 1]) for k in range(per_round)],
            )
    await db.dispose()


async def pairing_pass(fake: FakeSlack, dbs: Databases) -> None:
    url = await dbs.new("sqlite", "pairing")
    await pairing_data(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = dbs.workdir / "pairing.log"
    server = start([sys.executable, __file__, "--convene-timed"], convene_env(fake.url, port, url), log)
    try:
        await wait_until_up(base)
        await load(f"{base}/slack/events", [command("U09999", "pairing status")], 1)  # a first request
        loaded_from = log.stat().st_size
        latencies: list[float] = []
        for burst in range(20):
            bodies = [command(f"U{(burst * 10 + k) * 37 % 10_000:05d}", "pairing status") for k in range(10)]
            _, lat, failed = await load(f"{base}/slack/events", bodies, 10)
            assert failed == 0
            latencies += lat
        loaded_until = log.stat().st_size
    finally:
        server.terminate()
        server.wait(10)
    with log.open("rb") as f:
        f.seek(loaded_from)
        err = f.read(loaded_until - loaded_from).decode(errors="replace")
    slow = re.findall(r"Executing (.+?) took (\d+\.\d+) seconds", err)
    print(
        f"\npairing: 10,000 members, 500,000 pairs; ten members ask `pairing status` at once, 20 times:"
        f" p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms;"
        f" {len(slow)} callbacks held the loop over {SLOW * 1000:.0f} ms"
    )
    for what, took in sorted(slow, key=lambda s: -float(s[1]))[:10]:
        print(f"  {float(took) * 1000:6.1f} ms  {what[:150]}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"])
    parser.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--rounds", type=int, default=3)
    loads = ("read", "write", "vote", "rsvp")
    parser.add_argument("--loads", nargs="+", default=list(loads), choices=loads)  # the burst: with vote, not rsvp
    parser.add_argument("--skip", nargs="*", default=[], choices=("throughput", "lock", "pairing"))
    opts = parser.parse_args()

    fake = FakeSlack()
    for n in range(max(PEOPLE, 10_000)):
        fake.person(f"U{n:05d}", f"Person {n}")
    fake.person(ADMIN, "Ada")
    await fake.start()
    dbs = Databases(Path(tempfile.mkdtemp(prefix="convene-bench-")), opts.pg_url)
    try:
        if "throughput" not in opts.skip:
            for kind in opts.database:
                await throughput(fake, dbs, kind, opts)
        if "lock" not in opts.skip:
            await lock_pass(fake, dbs)
        if "pairing" not in opts.skip:
            await pairing_pass(fake, dbs)
    finally:
        await dbs.drop()
        await fake.close()
    print(f"\nlogs in {dbs.workdir}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--baseline":
        run_baseline(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif len(sys.argv) > 1 and sys.argv[1] == "--convene-timed":
        run_convene_timed()
    else:
        asyncio.run(main())
