import logging
import re
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from handlers.command.context import CoreConfig, Ctx
from handlers.command.dispatch import Convene
from handlers.command.messages import Reply
from handlers.command.registry import Registry
from storage.db import Database
from storage.models import Institution, Member
from tests.conftest import Chat


async def test_an_unexpected_error_is_logged_once_with_the_reference_shown_and_nothing_is_written(
    db: Database, chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    registry = Registry()

    @registry.command("break", usage="break", summary="writes, then fails")
    async def broken(ctx: Ctx) -> Reply:
        ctx.session.add(Institution(name="Half-written Library"))
        await ctx.session.flush()
        raise RuntimeError("boom")

    core = Convene(db, CoreConfig(), registry)
    with caplog.at_level(logging.ERROR, logger="convene"):
        reply = await core.handle(chat.request("Bea", "break"))
    match = re.search(r"reference ([0-9a-f]{8})", reply.text)
    assert match and reply.private and "nothing was changed" in reply.text
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Institution)) == 0


async def test_a_user_error_rolls_back_what_the_command_had_written(db: Database, chat: Chat) -> None:
    # institution is written before the bad stage is noticed: the whole command must vanish
    reply = await chat.say("Bea", 'profile institution:"New Library" stage:junior')
    assert "stage: must be one of" in reply.text
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Institution)) == 0


async def test_a_renamed_speaker_is_saved(chat: Chat) -> None:
    await chat.say("Bea", "help")
    request = chat.request("Bea", "profile")
    renamed = replace(request, speaker=replace(request.speaker, display_name="Beatrice"))
    assert "Name: Beatrice" in (await chat.core.handle(renamed)).text


async def test_a_rename_and_a_rename_back_through_two_replicas_are_both_saved(chat: Chat, db: Database) -> None:
    """The name saved is what the database holds, not what one process remembers."""
    other = Convene(Database(db.url), chat.core.config)  # a second replica on the same database
    try:

        async def name_seen_by(core: Convene, display_name: str) -> str:
            request = chat.request("Bea", "profile")
            reply = await core.handle(replace(request, speaker=replace(request.speaker, display_name=display_name)))
            return reply.text.split("Name: ")[1].split("\n")[0]

        assert await name_seen_by(chat.core, "Bea") == "Bea"
        assert await name_seen_by(other, "Beatrice") == "Beatrice"
        assert await name_seen_by(chat.core, "Bea") == "Bea"  # renamed back: this replica had seen "Bea" before
        async with db.read() as session:
            names = list(await session.scalars(select(Member.display_name).where(Member.user_id == "bea")))
        assert names == ["Bea"]
    finally:
        await other.db.dispose()
