"""Two processes on one database (a SQLite file, or PostgreSQL): for every command that reads, a change
committed by one process is seen by the very next command of the other, both ways round. Each read is asked
once before the change too, so that a reply kept from before it would be caught."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from handlers.command.context import CoreConfig
from handlers.command.dispatch import Convene
from handlers.command.grammar import tokenize
from handlers.command.messages import Place, Request, Speaker, shown
from handlers.command.registry import REGISTRY
from storage.db import Database
from tests.conftest import START

Said = tuple[str, str]  # who, what


@dataclass(frozen=True)
class Case:
    """Changes, then a read that must show them: `expect` is found in the read's reply (it may use the last
    change's reply, where the change names what it made)."""

    changes: list[Said]
    read: Said
    expect: Callable[[str], str]


def cases(x: str) -> list[Case]:
    """The cases, with names of their own for each direction (`x`)."""
    poll = event = {"a": 1, "b": 2}
    return [
        Case([("Ada", f'group new "Alpha {x}" kind:community')], ("Bea", "groups"), lambda _: f"Alpha {x} (alpha-{x})"),
        Case([(f"Joe{x}", f"join alpha-{x}")], ("Bea", f"group alpha-{x}"), lambda _: "Members: 1"),
        Case([(f"Kim{x}", f"join alpha-{x}")], ("Bea", f"members alpha-{x}"), lambda _: f"• Kim{x}"),
        Case([("Ada", f"admin add @helper{x}")], (f"helper{x}", "help"), lambda _: "For the steering group"),
        Case([("Ada", f"admin add @lister{x}")], ("Ada", "admin list"), lambda _: f"lister{x}"),
        Case(
            [("Ada", f'group new "Task {x}" kind:task'), ("Ada", f"call task-{x}")],
            ("Bea", "home"),
            lambda _: f"*Task {x}*",
        ),
        Case([(f"Vol{x}", f"volunteer task-{x}")], ("Ada", f"volunteers task-{x}"), lambda _: f"• Vol{x} — as member"),
        Case([("Bea", f'suggest "Quiet room {x}"')], ("Ada", "suggestions"), lambda _: f"“Quiet room {x}”"),
        Case(
            [("Cal", f'suggest "Deliver {x}"')],
            ("Ada", "deliveries"),
            lambda said: "New suggestion #" + re.findall(r"#(\d+)", said)[0] + " from Cal",
        ),
        Case([(f"Pat{x}", "pairing on")], (f"Pat{x}", "pairing status"), lambda _: "You are opted in to pairing."),
        Case(
            [("Ada", f'prompts task-{x} every:"tuesday 11:00"')],
            ("Ada", "schedules"),
            lambda _: f"Networking prompts for Task {x} in #task-{x} — Tuesdays at 11:00",
        ),
        Case([("Ada", f"prompts task-{x} off")], ("Ada", f"prompts task-{x}"), lambda _: "has no prompts scheduled"),
        Case([(f"Pro{x}", f'profile institution:"Library {x}"')], (f"Pro{x}", "profile"), lambda _: f"Library {x}"),
        Case(  # the first direction makes poll 1, the second poll 2
            [("Ada", f'poll "Lunch {x}?" "Yes" "No" group:alpha-{x}'), (f"Joe{x}", f"vote {poll[x]} yes")],
            ("Ada", f"poll results {poll[x]}"),
            lambda _: "1. Yes  ██████████  1 (100%)",
        ),
        Case([("Ada", f"review task-{x} every:month")], ("Ada", f"review task-{x}"), lambda _: "Reviewed every month"),
        Case(  # the first direction makes event 1, the second event 2
            [
                ("Ada", f'event new "Meet {x}" when:"2099-03-01 10:00" seats:5 group:alpha-{x}'),
                (f"Joe{x}", f"rsvp {event[x]} going"),
            ],
            ("Ada", f"attendees {event[x]}"),
            lambda _: f"Going (1 of 5): Joe{x}",
        ),
        Case([(f"Lee{x}", f"rsvp {event[x]} maybe")], ("Bea", f"event {event[x]}"), lambda _: "1 maybe"),
        Case([(f"Max{x}", f"rsvp {event[x]} going")], (f"Max{x}", "events mine"), lambda _: f"Meet {x} — "),
    ]


class Other:
    """Convene's core in another process (`tests.core_worker`), asked one request at a time."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def say(self, who: str, text: str) -> dict[str, object]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write((json.dumps({"who": who, "text": text}) + "\n").encode())
        await self.process.stdin.drain()
        line = await asyncio.wait_for(self.process.stdout.readline(), 30)
        assert line, "the other process stopped"
        answer: dict[str, object] = json.loads(line)
        return answer


@pytest.fixture
async def other(db_url: str) -> AsyncIterator[Other]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.core_worker",
        db_url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).parents[1],
    )
    worker = Other(process)
    try:
        assert process.stdout is not None
        assert json.loads(await asyncio.wait_for(process.stdout.readline(), 30)) == {"ready": True}
        yield worker
    finally:
        assert process.stdin is not None
        process.stdin.close()
        await asyncio.wait_for(process.wait(), 30)


def reads_of(case_list: list[Case]) -> set[str]:
    return {REGISTRY.find(tokenize(case.read[1]))[0].name for case in case_list}


async def test_every_read_sees_what_the_other_process_committed_just_before(db_url: str, other: Other) -> None:
    reading = {c.name for c in REGISTRY if not c.writes or c.reads_when is not None}
    assert reads_of(cases("a")) == reading  # every command that can read is tried

    db = Database(db_url)
    here = Convene(db, CoreConfig(admins=frozenset({"console:ada"})))

    async def said_here(who: str, text: str) -> dict[str, object]:
        reply = await here.handle(Request(Speaker("console", "console", who.lower(), who), Place(), START, text=text))
        return {"text": shown(reply.text), "failed": reply.failed}

    try:
        for who in ("Ada", "Bea", "Cal"):
            await said_here(who, "help")
        for x, (change, read) in {"a": (said_here, other.say), "b": (other.say, said_here)}.items():
            for case in cases(x):
                before = await read(*case.read)
                answer: dict[str, object] = {}
                for who, text in case.changes:
                    answer = await change(who, text)
                    assert not answer["failed"], (text, answer["text"])
                expected = case.expect(str(answer["text"]))
                assert expected not in str(before["text"]), (case.read, before["text"])
                after = await read(*case.read)
                assert expected in str(after["text"]), (x, case.read, expected, after["text"])
    finally:
        await db.dispose()
