"""How fast Convene acknowledges Slack, next to a bare Bolt app that only acks (run by hand, not in CI).

    .venv/bin/python bench/slack_ack.py [--requests 2000] [--concurrency 16 64] [--rounds 3]

Starts the fake Slack Web API (tests/fakes/slack_api.py), then `convene serve` on a fresh SQLite database and
a bare Bolt app, each in its own process; seeds 30 task groups with open calls through the slash command, and
starts Convene again on that database, as after a restart, with each of 600 people known. Then it sends
signed slash commands at each concurrency: reads (`groups`, `group <name>`), writes (`volunteer <group>`,
each a new offer) and a mix (a new offer every tenth request: the reads wait behind the offers'
transactions, but the replies Convene keeps for them stay good, as offers change no table a directory or a
group page is made from). The two apps take turns, round after round, with the same requests, so that a
noisy machine weighs on both alike; it prints the median requests per second, p50 and p99 for both apps, and
the ratio of Convene's throughput to the bare app's.

Two last passes report every callback that held Convene's event loop over 5 ms under the same load: one with
asyncio's debug mode and its slow-callback warnings (debug mode makes every callback slower, so this is the
pessimistic view), one timing each callback with debug mode off.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.slack_api import FakeSlack  # noqa: E402

SECRET = "bench-signing-secret"
TEAM = "T0LIBS"
ADMIN = "U0ADMIN"
GROUPS = 30
PEOPLE = 600  # 30 groups x 600 people: enough new offers for every round
SLOW = 0.005


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


def command(user: str, text: str) -> str:
    n = next(_serial)
    return urllib.parse.urlencode(
        {
            "token": "x",
            "team_id": TEAM,
            "team_domain": "libraries",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/convene",
            "text": text,
            "api_app_id": "A0CONVENE",
            "is_enterprise_install": "false",
            "response_url": f"http://127.0.0.1:1/respond/{n}",
            "trigger_id": f"{n}.1.abc",
        }
    )


# -- the two servers, each run in a child process of this script ---------------------------------------------


def run_bare(port: int, api_url: str) -> None:
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    async def main() -> None:
        bolt = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token="xoxb-bench", base_url=api_url))

        async def on_command(ack):  # type: ignore[no-untyped-def]
            await ack()

        bolt.command("/convene")(on_command)

        async def events(request: web.Request) -> web.StreamResponse:
            return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

        app = web.Application()
        app.router.add_post("/slack/events", events)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.Event().wait()

    asyncio.run(main())


def run_convene_watched(mode: str) -> None:
    """`convene serve`, reporting each callback that holds the loop over 5 ms: with asyncio's debug mode
    ("debug", which slows every callback down), or by timing each callback and nothing else ("timed")."""
    import asyncio.events
    import logging

    from bot import web
    from bot.settings import load

    if mode == "timed":
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

    async def main() -> None:
        if mode == "debug":
            loop = asyncio.get_running_loop()
            loop.set_debug(True)
            loop.slow_callback_duration = SLOW
            logging.getLogger("asyncio").setLevel(logging.WARNING)
        await web.serve(load(env_file=None))

    asyncio.run(main())


# -- load ------------------------------------------------------------------------------------------------


async def wait_until_up(url: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.post(url, data=b"", headers={"Content-Type": "text/plain"}) as r:
                    await r.read()
                    return
            except aiohttp.ClientError:
                if time.monotonic() > deadline:
                    raise
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

    def mixed() -> list[str]:
        """Reads with a new offer every tenth request."""
        bodies = reads()
        for i, (g, p) in zip(range(0, requests, 10), offers, strict=False):
            bodies[i] = command(p, f"volunteer group-{g:02d}")
        return bodies

    return {"read": reads, "write": writes, "mixed": mixed}


async def seed(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for g in range(GROUPS):
            for text in (f'group new "Group {g:02d}" kind:task seats:50', f"call group-{g:02d}"):
                body = command(ADMIN, text)
                async with session.post(url, data=body.encode(), headers=signed(body)) as r:
                    assert r.status == 200, await r.text()
        for n in range(PEOPLE):  # each person speaks once, so names come from the cache, as in steady use
            body = command(f"U{n:05d}", "help")
            async with session.post(url, data=body.encode(), headers=signed(body)) as r:
                assert r.status == 200


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A child process whose output goes to a file (a pipe nobody reads until the end would fill and stall it)."""
    with log.open("wb") as out:
        return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=out, cwd=ROOT)


async def seeded(args: list[str], env: dict[str, str], log: Path, url: str) -> subprocess.Popen[bytes]:
    """Convene, started on a database seeded by an earlier run of it, as a server is after a restart (it
    rehearses what members ask first before it listens, which it cannot do on an empty database)."""
    first = start(args, env, log)
    try:
        await wait_until_up(url)
        await seed(url)
    finally:
        first.terminate()
        first.wait(10)
    again = start(args, env, log)
    await wait_until_up(url)
    await load(url, [command(f"U{n:05d}", "help") for n in range(PEOPLE)], 16)  # everyone known again
    return again


def convene_env(api_url: str, port: int, db: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("CONVENE_", "SLACK_"))}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        CONVENE_ADMINS=f"slack:{ADMIN}",
        CONVENE_LOG_LEVEL="WARNING",
        PORT=str(port),
        HOST="127.0.0.1",
    )
    return env


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--each-round", action="store_true", help="print every round as it ends")
    parser.add_argument("--no-debug-pass", action="store_true")
    opts = parser.parse_args()

    fake = FakeSlack()
    for n in range(PEOPLE):
        fake.person(f"U{n:05d}", f"Person {n}")
    fake.person(ADMIN, "Ada")
    await fake.start()
    workdir = Path(tempfile.mkdtemp(prefix="convene-bench-"))
    convene_port, bare_port = free_port(), free_port()
    convene_url = f"http://127.0.0.1:{convene_port}/slack/events"
    bare_url = f"http://127.0.0.1:{bare_port}/slack/events"
    convene = await seeded(
        [str(ROOT / ".venv/bin/convene"), "serve"],
        convene_env(fake.url, convene_port, str(workdir / "c.db")),
        workdir / "convene.log",
        convene_url,
    )
    bare = start([sys.executable, __file__, "--bare", str(bare_port), fake.url], dict(os.environ), workdir / "bare.log")
    results: dict[tuple[str, str, int], list[tuple[float, float, float, int]]] = {}
    try:
        await wait_until_up(bare_url)
        await load(bare_url, [command("U00000", "help") for _ in range(200)], 16)  # warm it up
        loads = workloads(opts.requests)
        for concurrency in opts.concurrency:
            for _ in range(opts.rounds):
                for kind, make in loads.items():
                    bodies = make()  # the same requests to both apps, the bare one first
                    for name, url in (("bare", bare_url), ("convene", convene_url)):
                        rps, lat, failed = await load(url, bodies, concurrency)
                        if opts.each_round:
                            p99 = percentile(lat, 99) * 1000
                            print(f"round: {kind:6} {concurrency:>3} {name:8} {rps:6.0f} req/s, p99 {p99:5.1f} ms")
                        results.setdefault((kind, name, concurrency), []).append(
                            (rps, percentile(lat, 50), percentile(lat, 99), failed)
                        )
    finally:
        for process in (convene, bare):
            process.terminate()
            process.wait(10)
    print(
        f"\n{opts.requests} signed slash commands per run, {opts.rounds} rounds taking turns, SQLite, Convene and the"
        " bare app in their own processes; medians of the rounds, and the ratio's lowest and highest round"
    )
    print(f"{'load':6} {'conc':>4} {'app':8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'fail':>5} {'ratio':>6}  range")
    for (kind, name, concurrency), rounds in results.items():
        rps, p50, p99 = (statistics.median(r[i] for r in rounds) for i in range(3))
        failed = sum(r[3] for r in rounds)
        ratio = ""
        if name == "convene":
            bare_rounds = results[(kind, "bare", concurrency)]
            ratios = [c[0] / b[0] for c, b in zip(rounds, bare_rounds, strict=True)]
            ratio = f"{rps / statistics.median(b[0] for b in bare_rounds):6.2f}  {min(ratios):.2f}-{max(ratios):.2f}"
        print(f"{kind:6} {concurrency:>4} {name:8} {rps:8.0f} {p50 * 1000:8.1f} {p99 * 1000:8.1f} {failed:>5} {ratio}")

    if not opts.no_debug_pass:
        for mode in ("debug", "timed"):
            await watched_pass(fake, workdir, opts.requests, mode)
    await fake.close()


async def watched_pass(fake: FakeSlack, workdir: Path, requests: int, mode: str) -> None:
    port = free_port()
    env = convene_env(fake.url, port, str(workdir / f"{mode}.db"))
    log_path = workdir / f"{mode}.log"
    url = f"http://127.0.0.1:{port}/slack/events"
    server = await seeded([sys.executable, __file__, "--convene-watched", mode], env, log_path, url)
    try:
        loaded_from = log_path.stat().st_size  # start-up and seeding are not under the load
        loads = workloads(min(requests, 500))
        for make in loads.values():
            await load(url, make(), 16)
        loaded_until = log_path.stat().st_size  # nor is stopping
    finally:
        server.terminate()
        server.wait(10)
    with log_path.open("rb") as log:
        log.seek(loaded_from)
        err = log.read(loaded_until - loaded_from).decode(errors="replace")
    slow = re.findall(r"Executing (.+?) took (\d+\.\d+) seconds", err)
    how = "asyncio debug mode (every callback slowed)" if mode == "debug" else "each callback timed, debug mode off"
    print(f"\n{how}, under the load at 16 concurrent: {len(slow)} callbacks over {SLOW * 1000:.0f} ms")
    for what, took in sorted(slow, key=lambda s: -float(s[1]))[:10]:
        print(f"  {float(took) * 1000:6.1f} ms  {what[:150]}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--bare":
        run_bare(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) > 2 and sys.argv[1] == "--convene-watched":
        run_convene_watched(sys.argv[2])
    else:
        asyncio.run(main())
