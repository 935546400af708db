"""How fast Convene answers Teams, next to a bare Agents SDK app run in the same run (by hand, not in CI).

    PYTHONPATH=. .venv/bin/python bench/teams_turn.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/x]
                                                     [--requests 800] [--concurrency 16 64] [--rounds 3]
                                                     [--modes secured dev] [--skip turns fanout] [--profile]

Turns: message activities shaped as Teams sends them from a personal chat (serviceUrl: a fake Bot Connector on
loopback, `tests/fakes/teams_connector.py`) are posted over HTTP to `POST /api/messages` of three apps, each in
its own process:
- bare: the Microsoft 365 Agents SDK's aiohttp CloudAdapter with an ActivityHandler that only replies with a
  fixed text (anonymous, as Convene's development mode);
- secured: `convene serve` with an app id (the production path): every request carries a Bot Framework token
  signed by a test key that a fake OpenID endpoint publishes (`tests/fakes/openid.py`), and what Convene sends
  carries a token from a fake provider standing in for MSAL (the one change to `bot.web.serve`);
- dev: `convene serve` as it is, with CONVENE_TEAMS=dev (nothing authenticated).
Reads are `groups` and `help`; writes are `pairing on`/`pairing off` (each turning the person's state over) and
`profile title:…`. Every person has spoken once before (their member row and personal chat are known). Each
request counts once its HTTP answer is back (the SDK answers after the turn, that is after the reply was posted
to the connector); the connector's calls are counted to check that every request got its reply. The apps take
turns with the same load, round after round; the medians of the rounds are printed. SQLite always; PostgreSQL
too with --database-url (a database made for the run on that server, dropped after it).

Fan-out: 500 channel posts (outbox rows for Teams, 50 channels whose references Convene keeps) sent by
Convene's Dispatcher, built by `bot.app.build` with its Teams pacer (TEAMS_TENANT_RATE a second to a tenant,
TEAMS_CONVERSATION_RATE to one conversation), to the fake connector; the wall time against 500 / rate, and the
connector's record checked: each post arrived exactly once.

Targets (from the issue): p99 <= 50 ms at 16 concurrent, reads and writes; throughput >= 0.5x the bare app's;
fan-out within 5% of 500 / rate. Each is printed as met or not. --profile runs the secured app under cProfile
for one more pass at 16 concurrent and prints where its time went.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import functools
import itertools
import os
import pstats
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.openid import FakeOpenId  # noqa: E402
from tests.fakes.teams_connector import BOT_ID, FakeConnector  # noqa: E402

TENANT = "5e1f0c1a-0000-4000-8000-00000000c0de"
APP_ID = "0a1b2c3d-0000-4000-8000-00000000a99d"
ADA = "aad00000-0000-4000-8000-0000000000ad"  # the admin who makes the groups
PEOPLE = 400
GROUPS = 12
CHANNELS = 50
POSTS = 500
APPS = ("bare", "secured", "dev")
P99_TARGET = 0.050
RATIO_TARGET = 0.5
FANOUT_TARGET = 0.05


def person(n: int) -> str:
    return f"aad00000-0000-4000-8000-{n:012d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# -- the apps, each run in a child process of this script -------------------------------------------------------


class BenchTokens:
    """Convene's outbound token, from a fake provider in place of MSAL (which would ask Entra ID)."""

    def __init__(self, configuration: Any) -> None:
        self.configuration = configuration

    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        return "outbound-token-from-the-fake-provider"


def profiled(run: Any) -> None:
    """Run `run()`, under cProfile if BENCH_PROFILE names a file for the statistics."""
    out = os.environ.get("BENCH_PROFILE")
    if not out:
        run()
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        run()
    finally:
        profile.disable()
        profile.dump_stats(out)


def serve_secured() -> None:
    """`convene serve` (bot.web.serve) with the settings from the environment; only the outbound token provider
    is the fake one."""
    from bot import web
    from bot.app import build
    from bot.settings import load

    web.build = functools.partial(build, teams_tokens=BenchTokens)  # type: ignore[attr-defined]
    profiled(lambda: asyncio.run(web.serve(load(env_file=None))))


def serve_bare(port: int) -> None:
    """The Agents SDK's aiohttp CloudAdapter and an ActivityHandler that replies with a fixed text."""
    from aiohttp import web
    from microsoft_agents.hosting.aiohttp import CloudAdapter
    from microsoft_agents.hosting.core import (
        ActivityHandler,
        AgentAuthConfiguration,
        AnonymousTokenProvider,
        ConnectionManager,
        MessageFactory,
        RestChannelServiceClientFactory,
        TurnContext,
    )

    class Echo(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:  # type: ignore[override]
            await turn_context.send_activity(MessageFactory.text("Hello from a bare agent."))

    async def main() -> None:
        connections = ConnectionManager(
            provider_factory=lambda _c: AnonymousTokenProvider(),
            connections_configurations={"SERVICE_CONNECTION": AgentAuthConfiguration(anonymous_allowed=True)},
        )
        adapter = CloudAdapter(channel_service_client_factory=RestChannelServiceClientFactory(connections))
        agent = Echo()

        async def messages(request: web.Request) -> web.StreamResponse:
            response = await adapter.process(request, agent)
            return response if response is not None else web.Response(status=202)

        async def healthz(_request: web.Request) -> web.Response:
            return web.json_response({"status": "ok"})

        app = web.Application()
        app.router.add_post("/api/messages", messages)
        app.router.add_get("/healthz", healthz)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await stop.wait()
        await runner.cleanup()

    asyncio.run(main())


# -- activities, as Teams shapes them ----------------------------------------------------------------------------

_ids = itertools.count(1_700_000_000_001)


def message(app: str, user: str, text: str, service_url: str) -> dict[str, Any]:
    """A message typed in the person's personal chat with the app (each app has its own chats, so that the
    connector's record tells whose reply is whose)."""
    return {
        "id": str(next(_ids)),
        "type": "message",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "localTimestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "localTimezone": "Europe/London",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": f"29:1bf-{user[-6:]}", "name": f"Person {user[-6:]}", "aadObjectId": user},
        "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": f"a:1{app}-chat-{user[-6:]}"},
        "recipient": {"id": BOT_ID, "name": "Convene"},
        "locale": "en-GB",
        "channelData": {"tenant": {"id": TENANT}},
        "textFormat": "plain",
        "text": text,
        "entities": [
            {"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Web", "timezone": "Europe/London"}
        ],
    }


@dataclass
class Run:
    rps: float
    p50: float
    p95: float
    p99: float
    failed: int  # not answered 200/202, or no reply posted to the connector
    cpu: float  # the app's CPU seconds per request (its process, all threads)
    busy: float  # the app's CPU seconds per second of the run (1.0: one core kept busy)
    ours: float  # the same for this process (the load and the fake connector)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Load:
    """Sends activities to the apps over HTTP and counts the replies the fake connector received."""

    def __init__(self, connector: FakeConnector, openid: FakeOpenId) -> None:
        self.connector = connector
        self.token = openid.token(audience=APP_ID, service_url=connector.url, expires_in=3 * 3600)
        self.pairing: dict[str, bool] = collections.defaultdict(bool)
        self.titles = itertools.count(1)

    def headers(self, app: str) -> dict[str, str]:
        # One token for the whole run, as the Bot Connector keeps its token for an hour.
        return {"Authorization": f"Bearer {self.token}"} if app == "secured" else {}

    async def run(self, app: str, url: str, activities: list[dict[str, Any]], concurrency: int, pid: int) -> Run:
        self.connector.calls.clear()
        self.connector.activities.clear()
        latencies: list[float] = []
        failures = 0
        queue = iter(activities)
        headers = self.headers(app)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

            async def worker() -> None:
                nonlocal failures
                for activity in queue:
                    started = time.perf_counter()
                    async with session.post(url, json=activity, headers=headers) as response:
                        await response.read()
                    latencies.append(time.perf_counter() - started)
                    if response.status not in (200, 202):
                        failures += 1

            began, cpu, ours = time.perf_counter(), cpu_seconds(pid), time.process_time()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - began
            cpu, ours = cpu_seconds(pid) - cpu, time.process_time() - ours
        replies = sum(1 for c in self.connector.calls if c.status < 300 and c.kind in ("send", "reply"))
        missing = max(0, len(activities) - replies)
        return Run(
            len(activities) / elapsed,
            percentile(latencies, 50),
            percentile(latencies, 95),
            percentile(latencies, 99),
            max(failures, missing),
            cpu / len(activities),
            cpu / elapsed,
            ours / elapsed,
        )

    def reads(self, app: str, n: int) -> list[dict[str, Any]]:
        url = self.connector.url
        return [message(app, person(i % PEOPLE), "groups" if i % 2 else "help", url) for i in range(n)]

    def writes(self, app: str, n: int) -> list[dict[str, Any]]:
        """Pairing turned on or off (whichever changes it) and a new job title, by turns; people in turn, so that
        nobody has two requests in flight."""
        found = []
        for i in range(n):
            user = person(i % PEOPLE)
            if i % 2:
                key = f"{app}:{user}"
                self.pairing[key] = not self.pairing[key]
                text = "pairing on" if self.pairing[key] else "pairing off"
            else:
                text = f'profile title:"Subject librarian {next(self.titles)}"'
            found.append(message(app, user, text, self.connector.url))
        return found


# -- running the apps --------------------------------------------------------------------------------------------


def start(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """A child process whose output goes to a file (a pipe nobody reads until the end would fill and stall it)."""
    with log.open("ab") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def clean_env() -> dict[str, str]:
    prefixes = ("CONVENE_", "SLACK_", "TEAMS_", "MICROSOFT_APP_", "DATABASE_URL", "BENCH_PROFILE")
    return {k: v for k, v in os.environ.items() if not k.upper().startswith(prefixes)}


def convene_env(mode: str, port: int, database_url: str, openid: FakeOpenId) -> dict[str, str]:
    env = clean_env()
    env.update(
        DATABASE_URL=database_url,
        CONVENE_ADMINS=f"teams:{TENANT}:{ADA}",
        CONVENE_LOG_LEVEL="WARNING",
        CONVENE_SECRET_KEY=Fernet.generate_key().decode(),
        PORT=str(port),
        HOST="127.0.0.1",
        PYTHONPATH=str(ROOT),
    )
    if mode == "dev":
        env.update(CONVENE_TEAMS="dev")
    else:
        env.update(
            MICROSOFT_APP_ID=APP_ID,
            MICROSOFT_APP_PASSWORD="bench-app-secret",
            MICROSOFT_APP_TENANT_ID=TENANT,
            TEAMS_OPENID_URL=openid.metadata_url,
        )
    return env


async def wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{base} exited ({process.returncode}); see {log}")
            try:
                async with session.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{base} did not come up")
            await asyncio.sleep(0.2)


class Databases:
    """Fresh databases for the run: SQLite files in a temporary folder, or PostgreSQL databases made for it (and
    dropped after it) on the server that `pg_url` names."""

    def __init__(self, workdir: Path, pg_url: str | None) -> None:
        self.workdir = workdir
        self.pg_url = pg_url
        self.made: list[str] = []

    @property
    def kinds(self) -> list[str]:
        return ["sqlite", "postgresql"] if self.pg_url else ["sqlite"]

    def _server(self) -> tuple[str, str]:
        assert self.pg_url is not None
        from sqlalchemy import make_url

        url = make_url(self.pg_url)
        plain = url.set(drivername="postgresql", database=url.database or "postgres")
        return plain.render_as_string(hide_password=False), url.render_as_string(hide_password=False)

    async def new(self, kind: str, name: str) -> str:
        if kind == "sqlite":
            return f"sqlite+aiosqlite:///{self.workdir / name}.db"
        import asyncpg
        from sqlalchemy import make_url

        server, given = self._server()
        database = f"convene_bench_teams_{name}_{os.getpid()}"
        connection = await asyncpg.connect(server)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
            await connection.execute(f'CREATE DATABASE "{database}"')
        finally:
            await connection.close()
        self.made.append(database)
        return make_url(given).set(database=database).render_as_string(hide_password=False)

    async def drop(self) -> None:
        if not self.made:
            return
        import asyncpg

        connection = await asyncpg.connect(self._server()[0])
        try:
            for database in self.made:
                await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await connection.close()


async def seed(load: Load, app: str, url: str, pid: int) -> None:
    """Groups to list (Convene only), then every person speaks once (as they would have before)."""
    if app != "bare":
        for g in range(GROUPS):
            kind = "task seats:50" if g % 3 else "community"
            sent = message(app, ADA, f'group new "Group {g:02d}" kind:{kind}', load.connector.url)
            run = await load.run(app, url, [sent], 1, pid)
            assert run.failed == 0, f"{app}: could not make a group"
    await load.run(app, url, [message(app, person(n), "help", load.connector.url) for n in range(PEOPLE)], 16, pid)


async def turns(kind: str, dbs: Databases, load: Load, openid: FakeOpenId, opts: argparse.Namespace) -> list[str]:
    """The apps take turns with the same loads; prints the table, returns the targets' verdicts."""
    apps = ["bare", *opts.modes]
    ports = {app: free_port() for app in apps}
    base = {app: f"http://127.0.0.1:{ports[app]}" for app in apps}
    logs = {app: dbs.workdir / f"{kind}-{app}.log" for app in apps}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    env = clean_env() | {"PYTHONPATH": str(ROOT)}
    processes["bare"] = start(
        [sys.executable, __file__, "--serve-bare", str(ports["bare"])], env, logs["bare"], dbs.workdir
    )
    for mode in opts.modes:
        args = [str(ROOT / ".venv/bin/convene"), "serve"] if mode == "dev" else [sys.executable, __file__, "--serve"]
        database = await dbs.new(kind, mode)
        processes[mode] = start(args, convene_env(mode, ports[mode], database, openid), logs[mode], dbs.workdir)
    results: dict[tuple[str, int, str], list[Run]] = {}
    try:
        for app in apps:
            await wait_until_up(base[app], processes[app], logs[app])
            await seed(load, app, f"{base[app]}/api/messages", processes[app].pid)
        for concurrency in opts.concurrency:
            for _ in range(opts.rounds):
                for load_kind in ("read", "write"):
                    for app in apps:
                        make = load.reads if load_kind == "read" else load.writes
                        activities = make(app, opts.requests)
                        run = await load.run(
                            app, f"{base[app]}/api/messages", activities, concurrency, processes[app].pid
                        )
                        results.setdefault((load_kind, concurrency, app), []).append(run)
    finally:
        for process in processes.values():
            stop(process)

    print(
        f"\n{kind}: {opts.requests} Teams message activities a run, {opts.rounds} rounds taking turns; medians of"
        " the rounds; Convene's req/s as a ratio of the bare app's (median, and lowest-highest round)"
    )
    print(
        f"{'load':6} {'conc':>4} {'app':8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'fail':>5}"
        f" {'cpu ms/req':>10} {'app cpu':>7} {'gen cpu':>7}  {'/bare':>5} {'range':>9}"
    )
    verdicts: list[str] = []
    for (load_kind, concurrency, app), rounds in results.items():
        rps, p50, p95, p99, cpu, busy, ours = (
            statistics.median(getattr(r, f) for r in rounds)
            for f in ("rps", "p50", "p95", "p99", "cpu", "busy", "ours")
        )
        failed = sum(r.failed for r in rounds)
        line = (
            f"{load_kind:6} {concurrency:>4} {app:8} {rps:7.0f} {p50 * 1000:7.1f} {p95 * 1000:7.1f}"
            f" {p99 * 1000:7.1f} {failed:>5} {cpu * 1000:10.2f} {busy:7.0%} {ours:7.0%}"
        )
        if app != "bare":
            bare = results[(load_kind, concurrency, "bare")]
            ratios = [c.rps / b.rps for c, b in zip(rounds, bare, strict=True)]
            ratio = rps / statistics.median(b.rps for b in bare)
            line += f"  {ratio:5.2f} {min(ratios):4.2f}-{max(ratios):4.2f}"
            where = f"{kind} {app} {load_kind} at {concurrency}"
            verdicts.append(
                f"{'met    ' if ratio >= RATIO_TARGET else 'NOT MET'}  throughput >= {RATIO_TARGET}x bare: {where}:"
                f" {ratio:.2f}x"
            )
            if concurrency == 16:
                verdicts.append(
                    f"{'met    ' if p99 <= P99_TARGET else 'NOT MET'}  p99 <= {P99_TARGET * 1000:.0f} ms: {where}:"
                    f" {p99 * 1000:.1f} ms"
                )
            if failed:
                verdicts.append(f"NOT MET  every request answered: {where}: {failed} failed")
        print(line)
    return verdicts


# -- fan-out -----------------------------------------------------------------------------------------------------


def channel(k: int) -> str:
    return f"19:bench-channel-{k:02d}@thread.tacv2"


async def fanout(kind: str, dbs: Databases, openid: FakeOpenId) -> list[str]:
    """POSTS channel posts through the Dispatcher `bot.app.build` makes, with its Teams pacer."""
    from microsoft_agents.activity import Activity
    from sqlalchemy import func, select

    from bot import app as composition
    from bot.settings import Settings
    from bot.teams import references
    from bot.teams.messenger import dump
    from handlers.command.messages import Reply
    from handlers.command.outbox import outbox_row
    from storage import queries
    from storage.models import Outbox

    connector = FakeConnector()
    await connector.start()
    values: dict[str, Any] = dict(  # the secured app's settings, as convene_env gives them
        database_url=await dbs.new(kind, "fanout"),
        microsoft_app_id=APP_ID,
        microsoft_app_password="bench-app-secret",
        microsoft_app_tenant_id=TENANT,
        teams_openid_url=openid.metadata_url,
        convene_admins=f"teams:{TENANT}:{ADA}",
        convene_log_level="WARNING",
        convene_secret_key=Fernet.generate_key().decode(),
    )
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    parts = await composition.build(settings, {}, teams_tokens=BenchTokens)
    try:
        now = datetime.now(UTC)
        for k in range(CHANNELS):  # the references Convene keeps when it is added to a team's channels
            activity = {
                "type": "conversationUpdate",
                "id": f"f:{k}",
                "serviceUrl": connector.url,
                "channelId": "msteams",
                "from": {"id": "29:1bf-000ad", "aadObjectId": ADA},
                "recipient": {"id": BOT_ID, "name": "Convene"},
                "conversation": {"isGroup": True, "conversationType": "channel", "tenantId": TENANT, "id": channel(k)},
                "channelData": {"tenant": {"id": TENANT}, "team": {"id": channel(0)}, "channel": {"id": channel(k)}},
            }
            reference = Activity.model_validate(activity).get_conversation_reference()
            await references.remember_conversation(
                parts.db,
                tenant=TENANT,
                conversation_id=channel(k),
                kind="channel",
                service_url=connector.url,
                reference=dump(reference),
                now=now,
                team_id=channel(0),
                name=f"bench-{k:02d}",
            )
        rows = [
            outbox_row(
                key=f"bench fanout {i}",
                platform="teams",
                workspace=TENANT,
                target_kind="channel",
                target=channel(i % CHANNELS),
                label=f"bench-{i % CHANNELS:02d}",
                reply=Reply(f"Conversation prompt {i}: what is one small change that made a big difference?"),
                due=now,
                now=now,
            )
            for i in range(POSTS)
        ]
        async with parts.db.write() as session:
            await queries.enqueue(session, rows)
        pacer = parts.dispatcher.pacers["teams"]
        started = time.perf_counter()
        while await parts.dispatcher.run_once():
            pass
        elapsed = time.perf_counter() - started
        async with parts.db.read() as session:
            sent = await session.scalar(select(func.count()).where(Outbox.platform == "teams", Outbox.status == "sent"))
    finally:
        await parts.close()
        await connector.close()

    posts = [c for c in connector.calls if c.kind == "send" and c.status < 300]
    numbers = collections.Counter(
        int(m.group(1)) for c in posts if (m := re.match(r"Conversation prompt (\d+):", c.text))
    )
    once = sum(1 for i in range(POSTS) if numbers[i] == 1)
    twice = sum(1 for n in numbers.values() if n > 1)
    wrong_place = sum(1 for c in posts if c.conversation != channel(int(c.text.split()[2].rstrip(":")) % CHANNELS))
    ideal = POSTS / pacer.rate
    off = (elapsed - ideal) / ideal
    stamps = sorted(c.at for c in posts)
    per_conversation: dict[str | None, list[float]] = {}
    for c in posts:
        per_conversation.setdefault(c.conversation, []).append(c.at)
    smallest = min(b - a for ts in per_conversation.values() for a, b in itertools.pairwise(sorted(ts)))
    busiest = max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps)
    print(
        f"\nfan-out ({kind}): {POSTS} channel posts to {CHANNELS} channels through the Dispatcher at the Teams pacer's"
        f" {pacer.rate:g}/s a tenant, one post every {pacer.channel_interval * 1000:.0f} ms at most to a conversation"
    )
    print(
        f"  total {elapsed:.2f} s; {POSTS}/rate {ideal:.2f} s; off by {100 * off:+.1f}%;"
        f" connector: {len(posts)} posts, {once} of {POSTS} arrived exactly once, {twice} more than once,"
        f" {wrong_place} in the wrong conversation, {len(connector.calls) - len(posts)} other calls;"
        f" outbox rows sent: {sent}"
    )
    print(
        f"  first post to last {stamps[-1] - stamps[0]:.2f} s; most posts in any one second {busiest};"
        f" smallest gap within a conversation {smallest * 1000:.0f} ms"
    )
    everything = once == POSTS and twice == 0 and wrong_place == 0 and sent == POSTS
    return [
        f"{'met    ' if abs(off) <= FANOUT_TARGET else 'NOT MET'}  fan-out within {FANOUT_TARGET:.0%} of {POSTS}/rate:"
        f" {kind}: {elapsed:.2f} s against {ideal:.2f} s ({100 * off:+.1f}%)",
        f"{'met    ' if everything else 'NOT MET'}  fan-out: every post arrived once: {kind}: {once} of {POSTS}",
    ]


# -- profile -----------------------------------------------------------------------------------------------------


async def profile_pass(dbs: Databases, load: Load, openid: FakeOpenId, opts: argparse.Namespace) -> None:
    """The secured app under cProfile: reads then writes at 16 concurrent; where its time went."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = dbs.workdir / "profile.log"
    out = dbs.workdir / "secured.prof"
    env = convene_env("secured", port, await dbs.new("sqlite", "profiled"), openid) | {"BENCH_PROFILE": str(out)}
    process = start([sys.executable, __file__, "--serve"], env, log, dbs.workdir)
    try:
        await wait_until_up(base, process, log)
        await seed(load, "secured", f"{base}/api/messages", process.pid)
        for make in (load.reads, load.writes):
            run = await load.run("secured", f"{base}/api/messages", make("secured", opts.requests), 16, process.pid)
            print(
                f"\nprofiled {make.__name__}: {run.rps:.0f} req/s, p50 {run.p50 * 1000:.1f} ms,"
                f" p99 {run.p99 * 1000:.1f} ms"
            )
    finally:
        stop(process)
    stats = pstats.Stats(str(out))
    by_package: collections.Counter[str] = collections.Counter()
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = 0.0
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        total += tottime
        by_package[package_of(filename)] += tottime
    print(f"\nwhere the secured app's CPU time went (cProfile, own time by package, of {total:.1f} s):")
    for name, seconds in by_package.most_common(14):
        print(f"  {100 * seconds / total:5.1f}%  {name}")
    print("\nits functions with the most own time:")
    stats.sort_stats("tottime").print_stats(18)
    print("by cumulative time (Convene's own code):")
    stats.sort_stats("cumulative").print_stats(r"/work/main/(bot|handlers|storage|scheduler)/", 25)


def package_of(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C: I/O, select, json, ...)"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1 :]
        if rest and rest[0] == "microsoft_agents":
            return "/".join(rest[:2])
        return rest[0] if rest else filename
    if str(ROOT) in filename:
        rel = path.relative_to(ROOT).parts
        return "/".join(rel[:2]) if rel[0] in ("bot", "handlers") else rel[0]
    if "python3" in filename:
        lib = parts[parts.index(next(p for p in parts if p.startswith("python3"))) + 1 :]
        return f"stdlib {lib[0].removesuffix('.py')}" if lib else "stdlib"
    return filename


# -- main --------------------------------------------------------------------------------------------------------


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", help="a PostgreSQL server to run on too (a database is made for the run)")
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", nargs="+", choices=("secured", "dev"), default=["secured", "dev"])
    parser.add_argument("--skip", nargs="*", default=[], choices=("turns", "fanout"))
    parser.add_argument("--profile", action="store_true")
    opts = parser.parse_args()

    connector = FakeConnector()
    openid = FakeOpenId()
    await connector.start()
    await openid.start()
    load = Load(connector, openid)
    dbs = Databases(Path(tempfile.mkdtemp(prefix="convene-bench-teams-")), opts.database_url)
    verdicts: list[str] = []
    try:
        for kind in dbs.kinds:
            if "turns" not in opts.skip:
                verdicts += await turns(kind, dbs, load, openid, opts)
            if "fanout" not in opts.skip:
                verdicts += await fanout(kind, dbs, openid)
        if opts.profile:
            await profile_pass(dbs, load, openid, opts)
    finally:
        await dbs.drop()
        await connector.close()
        await openid.close()
    print("\ntargets:")
    for verdict in verdicts:
        print(f"  {verdict}")
    print(f"\nlogs in {dbs.workdir}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve_secured()
    elif len(sys.argv) > 1 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]))
    else:
        asyncio.run(main())
