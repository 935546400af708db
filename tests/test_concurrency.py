"""Seats and one-offer-per-person hold when requests arrive at once, on SQLite and on PostgreSQL.

Requests go through several independent engines (as several processes would), so the database and its
transactions, not an in-process lock, are what keep the limits."""

import asyncio
from dataclasses import replace

from sqlalchemy import func, select

from handlers.command.context import CoreConfig
from handlers.command.dispatch import Convene
from handlers.command.messages import Place, Request, Speaker
from storage.db import Database
from storage.models import Membership, VolunteerOffer
from tests.conftest import START, Chat

ENGINES = 5


def ask(who: str, text: str) -> Request:
    return Request(Speaker("console", "console", who.lower(), who), Place(), START, text=text)


async def cores(db_url: str) -> list[Convene]:
    config = CoreConfig(admins=frozenset({"console:ada"}))
    return [Convene(Database(db_url), config) for _ in range(ENGINES)]


async def test_fifty_simultaneous_accepts_fill_ten_seats_exactly(chat: Chat, db_url: str) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task seats:10')
    await chat.say("Ada", "call diversity")
    people = [f"P{i:02d}" for i in range(50)]
    for person in people:
        assert "offered to serve" in (await chat.say(person, "volunteer diversity")).text
    await chat.say("Ada", "help")
    many = await cores(db_url)
    try:
        replies = await asyncio.gather(
            *(many[i % ENGINES].handle(ask("Ada", f"accept @{p.lower()} diversity")) for i, p in enumerate(people))
        )
    finally:
        for core in many:
            await core.db.dispose()
    accepted = [r for r in replies if r.text.startswith("Accepted")]
    refused = [r for r in replies if "no seats left" in r.text]
    assert len(accepted) == 10, [r.text for r in replies if r not in accepted and r not in refused][:3]
    assert len(refused) == 40
    async with chat.core.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Membership)) == 10
        statuses = dict(
            (await session.execute(select(VolunteerOffer.status, func.count()).group_by(VolunteerOffer.status)))
            .tuples()
            .all()
        )
    assert statuses == {"accepted": 10, "offered": 40}


async def test_twenty_simultaneous_offers_from_one_person_make_one(chat: Chat, db_url: str) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity")
    await chat.say("Bea", "help")
    many = await cores(db_url)
    try:
        replies = await asyncio.gather(
            *(many[i % ENGINES].handle(ask("Bea", "volunteer diversity as:chair")) for i in range(20))
        )
    finally:
        for core in many:
            await core.db.dispose()
    assert sum("Thank you! You have offered" in r.text for r in replies) == 1
    assert sum("already offered" in r.text for r in replies) == 19
    async with chat.core.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(VolunteerOffer)) == 1


async def test_a_new_person_arriving_on_many_requests_at_once_is_one_member(db_url: str) -> None:
    many = await cores(db_url)
    try:
        replies = await asyncio.gather(*(many[i % ENGINES].handle(ask("Newcomer", "profile")) for i in range(10)))
        ids = {await core.member_id(replace(ask("Newcomer", "help"))) for core in many}
    finally:
        for core in many:
            await core.db.dispose()
    assert all("Your profile:" in r.text for r in replies)
    assert len(ids) == 1


async def test_the_same_thing_made_at_once_by_many_is_made_once_and_nobody_is_told_something_went_wrong(
    chat: Chat, db_url: str
) -> None:
    await chat.say("Ada", "help")
    await chat.say("Ada", 'group new "Readers" kind:community')
    many = await cores(db_url)
    try:
        texts = [
            'group new "Same Name" kind:task',
            'milestone add diversity "Plan" due:2099-01-01',
            "join readers",
            'profile institution:"Brand New Library"',
        ]
        await chat.say("Ada", 'group new "Diversity" kind:task')
        replies = await asyncio.gather(
            *(many[i % ENGINES].handle(ask("Ada", text)) for text in texts for i in range(ENGINES * 2))
        )
    finally:
        for core in many:
            await core.db.dispose()
    assert not any("went wrong" in r.text for r in replies), [r.text for r in replies if "went wrong" in r.text]
    made = [r.text for r in replies if r.text.startswith("Created")]
    assert len(made) == 1
    async with chat.core.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Membership)) == 1
