"""Convene's core in a process of its own, on the database given, for tests that run two processes on one
database: `python -m tests.core_worker DATABASE_URL`. It reads one request a line on standard input, as JSON
(`{"who": "Bea", "text": "groups"}`), and writes each reply as one line of JSON (`{"text": …, "failed": …}`)."""

from __future__ import annotations

import asyncio
import json
import sys

import handlers  # noqa: F401  (every capability registers its commands)
from handlers.command.context import CoreConfig
from handlers.command.dispatch import Convene
from handlers.command.messages import Place, Request, Speaker, shown
from tests.conftest import START


async def main(url: str) -> None:
    from storage.db import Database

    db = Database(url)
    core = Convene(db, CoreConfig(admins=frozenset({"console:ada"})))
    loop = asyncio.get_running_loop()
    try:
        print(json.dumps({"ready": True}), flush=True)
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            asked = json.loads(line)
            speaker = Speaker("console", "console", asked["who"].lower(), asked["who"])
            reply = await core.handle(Request(speaker, Place(), START, text=asked["text"]))
            print(json.dumps({"text": shown(reply.text), "failed": reply.failed}), flush=True)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
