"""No statement Convene runs scans a table that grows with history.

Every command (with the arguments that take each path), every scheduled runner and the outbox dispatcher run
once on a small programme; each statement they sent is then explained by the database with the values it was
sent with: `EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL with sequential scans priced out (so that a
`Seq Scan` left in the plan means no index could serve it). A full scan of a table that grows with every
round, message, offer or suggestion is a view that gets slower every week; the fix is its query or an index.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import event, text

from handlers.command.messages import Place, Request, Speaker
from scheduler import jobs
from storage.db import Database
from storage.models import Base
from tests.conftest import Chat, backend

# Tables that grow with the programme's history (every message sent, round run, offer made); the others grow
# with the number of people, libraries and groups.
GROWING = {
    "outbox",
    "received",
    "schedule_runs",
    "prompt_uses",
    "pairing_rounds",
    "pairs",
    "pairing_checkins",
    "progress_updates",
    "suggestions",
    "suggestion_replies",
    "volunteer_offers",
    "calls",
    "milestones",
    "memberships",
}

SESSION = [
    ("Ada", "help"),
    ("Ada", 'group new "Diversity" kind:task seats:4'),
    ("Ada", 'group new "Wellbeing" kind:task'),
    ("Ada", 'group new "Readers" kind:community'),
    ("Ada", "call diversity closes:2027-02-01"),
    ("Ada", "call wellbeing"),
    ("Bea", 'profile institution:"Northgate Library" stage:early title:Assistant interests:outreach'),
    ("Cal", 'profile institution:"Easton Libraries" stage:senior'),
    ("Dee", 'profile institution:"Northgate Library" stage:mid'),
    ("Bea", "volunteer diversity as:chair"),
    ("Bea", "volunteer diversity as:member"),
    ("Cal", 'volunteer diversity note:"Keen"'),
    ("Dee", "volunteer diversity"),
    ("Dee", "withdraw diversity"),
    ("Eve", "volunteer wellbeing"),
    ("Ada", "volunteers diversity"),
    ("Ada", "accept @bea diversity as:chair"),
    ("Ada", "accept @cal diversity"),
    ("Ada", "decline @eve wellbeing"),
    ("Bea", 'milestone add diversity "Literature review" due:2027-01-18'),
    ("Bea", 'milestone add diversity "Survey" due:2027-02-01'),
    ("Bea", "milestone done diversity 1"),
    ("Bea", 'progress diversity "Survey drafted"'),
    ("Bea", 'casestudy diversity "Inclusive recruitment" https://example.org/case'),
    ("Bea", 'prompt add "What are you reading?" group:diversity'),
    ("Ada", 'prompt add "What surprised you this week?"'),
    ("Bea", 'prompts diversity every:"monday 10:00"'),
    ("Bea", "prompts diversity"),
    ("Dee", "join readers"),
    ("Eve", "join readers"),
    ("Eve", "leave readers"),
    ("Bea", "members diversity"),
    ("Bea", "group diversity"),
    ("Bea", "groups"),
    ("Bea", "groups task open"),
    ("Bea", "home"),
    ("Ada", "home"),
    ("Bea", 'suggest "More sessions for early-career staff"'),
    ("Cal", 'suggest "A quieter room" anon'),
    ("Ada", "suggestions"),
    ("Ada", "suggestions new"),
    ("Ada", 'suggestion 1 reply "Planned for spring"'),
    ("Ada", "suggestion 2 status:planned"),
    ("Bea", "pairing on"),
    ("Cal", "pairing on"),
    ("Dee", "pairing on"),
    ("Eve", "pairing on"),
    ("Eve", "pairing snooze until:2027-01-20"),
    ("Eve", "pairing off"),
    ("Ada", "pairing every:2w day:tue"),
    ("Ada", "pairing now"),
    ("Bea", "pairing status"),
    ("Ada", "pairing status"),
    ("Ada", "admin add @bea"),
    ("Ada", "admin remove @bea"),
    ("Ada", "schedules"),
    ("Ada", "deliveries"),
    ("Ada", "deliveries failed"),
    ("Ada", "group close wellbeing anyway"),
    ("Ada", "group close diversity"),
]


class Statements:
    """Every statement sent on the database's engines: (SQL, the values it was sent with)."""

    def __init__(self, db: Database) -> None:
        self.seen: dict[str, Any] = {}
        for engine in {db.engine, db.write_engine}:
            event.listen(engine.sync_engine, "before_cursor_execute", self._saw)

    def _saw(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", statement, re.I):
            self.seen.setdefault(statement, parameters[0] if many else parameters)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.seen.items())


async def run_everything(chat: Chat) -> None:
    for who, said in SESSION:
        reply = await chat.say(who, said)
        assert not reply.failed, (said, reply.text)
    # A press that carries a delivery's name, as a platform's does: recorded with the command.
    speaker = Speaker("console", "console", "dee", "Dee")
    request = Request(speaker, Place(), chat.now, text="pairing snooze until:2027-01-13", delivery="console:request:1")
    assert not (await chat.core.handle(request)).failed
    # A week of the scheduler: prompts, a pairing round, reminders, and the check-ins they send.
    end = chat.now + timedelta(days=8)
    while chat.now < end:
        chat.advance(hours=6)
        await jobs.run_due(chat.core.db, chat.core.config, lambda: chat.now, grace=None)
        await chat.deliver()
    buttons = " ".join(b.value for d in chat.recorder.sent for b in d.reply.buttons)
    pair = re.search(r"pairing met (\d+)", buttons)
    assert pair is not None
    for who in ("Bea", "Cal", "Dee"):
        await chat.say(who, f"pairing met {pair.group(1)} met")
    await jobs.forget_deliveries(chat.core.db, lambda: chat.now, kept=timedelta(days=1))


# Partial indexes hold only what is live (open calls, offers awaiting a decision): scanning one reads what is
# live now, not the history.
PARTIAL = {
    index.name
    for table in Base.metadata.tables.values()
    for index in table.indexes
    if index.dialect_options["sqlite"]["where"] is not None
}


def bounded(sql: str, plan: list[str]) -> bool:
    """A scan that stops after LIMIT rows: in the order of a key or an index (no sort of its own), over the
    whole table (no WHERE), like the newest twenty deliveries."""
    return " LIMIT " in sql and " WHERE " not in sql and not any("TEMP B-TREE" in line for line in plan)


def sqlite_scans(db: Database, statements: Statements) -> list[str]:
    path = db.url.split("///", 1)[1]
    found = []
    with sqlite3.connect(path) as raw:
        for sql, params in statements:
            plan = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params or ())]
            for detail in plan:
                scanned = re.match(r"SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?", detail)
                if scanned is None or scanned.group(1) not in GROWING:
                    continue
                if scanned.group(2) in PARTIAL or bounded(sql, plan):
                    continue
                found.append(f"{detail}\n    in: {sql}")
    return found


PG_SCAN = re.compile(r"(Seq Scan|Index Scan|Index Only Scan)(?: Backward)?(?: using (\w+))? on (\w+)")


def postgresql_full_scans(plan: list[str]) -> Iterator[tuple[str, str | None]]:
    """The (line, index) of each node of the plan that reads a whole table or a whole index: a sequential
    scan, or an index scan with no `Index Cond` among its details."""
    for i, line in enumerate(plan):
        node = PG_SCAN.search(line)
        if node is None or node.group(3) not in GROWING:
            continue
        if node.group(1) == "Seq Scan":
            yield line.strip(), None
            continue
        depth = len(line) - len(line.lstrip())
        details = []
        for later in plan[i + 1 :]:
            if later.strip().startswith("->") or len(later) - len(later.lstrip()) <= depth:
                break
            details.append(later)
        if not any("Index Cond" in d for d in details):
            yield line.strip(), node.group(2)


async def postgresql_scans(db: Database, statements: Statements) -> list[str]:
    found = []
    async with db.write_engine.connect() as conn:
        await conn.execute(text("SET enable_seqscan = off"))
        for sql, params in statements:
            plan = [row[0] for row in await conn.exec_driver_sql(f"EXPLAIN {sql}", params or ())]
            for line, index in postgresql_full_scans(plan):
                if index in PARTIAL or bounded(sql, ["TEMP B-TREE" for p in plan if "Sort" in p]):
                    continue
                found.append(f"{line}\n    in: {sql}")
        await conn.rollback()
    return found


async def test_no_statement_scans_a_table_that_grows_with_history(chat: Chat) -> None:
    statements = Statements(chat.core.db)
    await run_everything(chat)
    assert len(statements.seen) > 100  # everything ran, and said so
    if backend() == "sqlite":
        scans = sqlite_scans(chat.core.db, statements)
    else:
        scans = await postgresql_scans(chat.core.db, statements)
    assert scans == [], "\n".join(scans)
