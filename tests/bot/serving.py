"""`convene serve` as a real process on loopback, with Slack configured against the fake Web API, and signed
slash commands sent to it as Slack sends them."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.conftest import real_now
from tests.fakes.slack_api import FakeSlack, slash_command
from tests.slack.conftest import SECRET, sign

ROOT = Path(__file__).parents[2]
_serial = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running `convene serve`: its address, and an HTTP session to reach it."""

    url: str
    api: FakeSlack
    http: aiohttp.ClientSession
    process: asyncio.subprocess.Process

    async def command(self, user: str, text: str) -> tuple[int, str, float]:
        """Send `/convene text` as `user`, signed; the status, the body and the seconds the answer took."""
        n = next(_serial)
        body = slash_command(self.api.team, user, text, response_url=self.api.response_url(f"serve{n}"), trigger=n)
        # `convene serve` checks the signature's timestamp on the real clock, whatever this process's clock says
        stamp = int(real_now().timestamp())
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, timestamp=stamp)}
        began = time.monotonic()
        async with self.http.post(f"{self.url}/slack/events", data=body.encode(), headers=headers) as answer:
            text_ = await answer.text()
            return answer.status, text_, time.monotonic() - began

    async def health(self) -> tuple[int, float]:
        began = time.monotonic()
        async with self.http.get(f"{self.url}/healthz") as answer:
            await answer.read()
            return answer.status, time.monotonic() - began


@contextlib.asynccontextmanager
async def serving(
    db_url: str, api: FakeSlack, *, admins: str, settings: dict[str, str] | None = None
) -> AsyncIterator[Served]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVENE_", "SLACK_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=db_url,
        PORT=str(port),
        HOST="127.0.0.1",
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api.url,
        CONVENE_ADMINS=admins,
        CONVENE_LOG_LEVEL="WARNING",
        **(settings or {}),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        served = Served(url, api, http, process)
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.returncode is None, "convene serve stopped while starting"
                with contextlib.suppress(aiohttp.ClientError):
                    if (await served.health())[0] == 200:
                        break
                assert time.monotonic() < deadline, "convene serve did not answer /healthz within 30 s"
                await asyncio.sleep(0.1)
            yield served
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()
