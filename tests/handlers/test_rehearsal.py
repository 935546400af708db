"""The rehearsal `convene serve` runs before it listens: the statements of the commands members ask first are
compiled by then, and the rehearsal itself keeps nothing, though one of them writes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine.interfaces import CacheStats

from handlers.command.dispatch import Convene
from storage.db import Database
from storage.models import Base
from tests.conftest import START, Chat


async def everything(db: Database) -> dict[str, list[Any]]:
    async with db.read() as session:
        return {t.name: sorted(map(tuple, await session.execute(select(t)))) for t in Base.metadata.sorted_tables}


async def test_after_a_rehearsal_the_first_requests_compile_nothing_and_nothing_has_changed(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", 'group new "Readers" kind:community')
    await chat.say("Ada", "call diversity")
    started = Database(chat.core.db.url)  # a new process: an engine that has compiled nothing yet
    try:
        before = await everything(started)
        core = Convene(started, chat.core.config)
        assert await core.rehearse(START) == 5
        assert await everything(started) == before

        compiled: list[str] = []

        def note(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
            if context.cache_hit is not CacheStats.CACHE_HIT and not statement.startswith(("BEGIN", "PRAGMA")):
                compiled.append(statement)

        event.listen(started.engine.sync_engine, "before_cursor_execute", note)
        for text in ("groups", "group readers", "home", "help", "volunteer diversity"):
            reply = await core.handle(chat.request("Bea", text))  # someone else, who has never spoken
            assert not reply.failed, reply.text
        assert compiled == []
    finally:
        await started.dispose()


async def test_an_empty_database_has_nothing_to_rehearse(db: Database) -> None:
    assert await Convene(db).rehearse(START) == 0
