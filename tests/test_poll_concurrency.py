"""Votes arriving at once, on SQLite and PostgreSQL, through several independent engines (as several processes
would): one vote a person, a changed vote moves and never doubles, and a multi-answer poll's limit holds.
And anonymity (SPEC.md §6): after an anonymous poll's votes, nothing Convene keeps, sends, shows or logs links a
vote to a person."""

import asyncio
import logging
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.util import await_only

from handlers.command.dispatch import Convene
from handlers.command.messages import Action, Place, Request, Speaker
from storage.db import Database
from storage.models import Base, Member, Outbox, Vote
from tests.conftest import START, Chat

ENGINES = 2  # on PostgreSQL each holds up to 30 connections (storage.db); the server allows 100
VOTERS = 500


def ask(who: str, text: str | None = None, action: Action | None = None) -> Request:
    return Request(Speaker("console", "console", who.lower(), who), Place(), START, text=text, action=action)


async def many_at_once(chat: Chat, db_url: str, requests: list[Request]) -> list[str]:
    cores = [Convene(Database(db_url), chat.core.config) for _ in range(ENGINES)]
    try:
        replies = await asyncio.gather(*(cores[i % ENGINES].handle(r) for i, r in enumerate(requests)))
    finally:
        for core in cores:
            await core.db.dispose()
    return [r.text for r in replies]


async def members_of_wellbeing(chat: Chat, count: int) -> list[str]:
    await chat.say("Ada", 'group new "Wellbeing" kind:community channel:#wellbeing')
    people = [f"P{n:03d}" for n in range(count)]
    for person in people:
        await chat.say(person, "join wellbeing")
    return people


async def test_five_hundred_votes_at_once_count_each_person_once(chat: Chat, db_url: str) -> None:
    people = await members_of_wellbeing(chat, VOTERS)
    await chat.say("Ada", 'poll "Which day?" "Tuesday" "Thursday" group:wellbeing')
    first = [ask(p, f"vote 1 {1 + n % 2}") for n, p in enumerate(people)]
    # the first hundred change their minds at the same moment: each ends with one vote, wherever it lands
    changed = [ask(p, f"vote 1 {2 - n % 2}") for n, p in enumerate(people[:100])]
    replies = await many_at_once(chat, db_url, first + changed)
    assert all(r.startswith("Your vote on poll 1:") for r in replies), Counter(replies).most_common(3)
    async with chat.core.db.read() as session:
        votes = (await session.scalars(select(Vote))).all()
    assert len(votes) == VOTERS and len({v.member_id for v in votes}) == VOTERS
    assert all(len(v.choices["chosen"]) == 1 for v in votes)
    results = (await chat.say("Ada", "poll results 1")).text
    counts = [int(line.split()[-2]) for line in results.splitlines() if line[:2] in ("1.", "2.")]
    assert sum(counts) == VOTERS and f"{VOTERS} votes" in results
    # the others' votes are where they put them
    async with chat.core.db.read() as session:
        names = dict((await session.execute(select(Member.id, Member.display_name))).tuples().all())
    put = {p: 1 + n % 2 for n, p in enumerate(people)}
    assert all(
        v.choices["chosen"] == [put[names[v.member_id]]] for v in votes if names[v.member_id] not in people[:100]
    )


async def test_a_vote_written_while_its_poll_closes_is_either_in_the_results_or_refused(
    chat: Chat, db_url: str
) -> None:
    people = await members_of_wellbeing(chat, 3)
    await chat.say("Ada", 'poll "Which day?" "Tuesday" "Thursday" group:wellbeing')
    await chat.say(people[0], "vote 1 1")
    voting = Convene(Database(db_url), chat.core.config)
    reading = asyncio.Event()

    def pause_before_the_vote(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO votes"):  # the poll was read open; the vote is about to be written
            reading.set()
            await_only(asyncio.sleep(0.3))  # the close runs now, from another engine (another process)

    event.listen(voting.db.write_engine.sync_engine, "before_cursor_execute", pause_before_the_vote)
    try:
        late = asyncio.ensure_future(voting.handle(ask(people[1], "vote 1 2")))
        await reading.wait()
        closing = (await chat.say("Ada", "poll close 1")).text
        reply = (await late).text
    finally:
        await voting.db.dispose()
    async with chat.core.db.read() as session:
        kept = len((await session.scalars(select(Vote))).all())
    if chat.core.db.sqlite:  # one writer at a time: the close waited for the vote, and counts it
        assert reply.startswith("Your vote on poll 1:") and kept == 2 and "2 votes" in closing, (reply, closing)
    else:  # the close went first: the vote, written after it, is refused and undone
        assert reply.startswith("Poll 1 closed") and kept == 1 and "1 vote" in closing, (reply, closing)


async def test_a_limit_of_two_holds_when_one_person_presses_every_option_at_once(chat: Chat, db_url: str) -> None:
    people = await members_of_wellbeing(chat, 40)
    await chat.say("Ada", 'poll "Topics?" "Cataloguing" "Outreach" "Archives" limit:2 group:wellbeing')
    presses = [ask(p, action=Action("vote", f"vote 1 +{n}")) for p in people for n in (1, 2, 3)]
    replies = await many_at_once(chat, db_url, presses)
    assert sum("takes at most 2 answers" in r for r in replies) == 40  # the third press of each person
    async with chat.core.db.read() as session:
        votes = (await session.scalars(select(Vote))).all()
    assert len(votes) == 40 and all(len(v.choices["chosen"]) == 2 for v in votes)


async def test_a_typed_vote_and_a_press_by_one_person_at_once_are_both_taken(chat: Chat, db_url: str) -> None:
    people = await members_of_wellbeing(chat, 40)
    await chat.say("Ada", 'poll "Topics?" "Cataloguing" "Outreach" "Archives" limit:2 group:wellbeing')
    for person in people:
        await chat.say(person, "vote 1 1")
    # a typed vote (written without the poll's row) and a +n press (which reads the vote before) at once
    both = [r for p in people for r in (ask(p, "vote 1 1 2"), ask(p, action=Action("vote", "vote 1 +3")))]
    replies = await many_at_once(chat, db_url, both)
    assert not [r for r in replies if "went wrong" in r or "same moment" in r], Counter(replies).most_common(3)
    async with chat.core.db.read() as session:
        votes = (await session.scalars(select(Vote))).all()
    assert len(votes) == 40 and all(1 <= len(v.choices["chosen"]) <= 2 for v in votes)


async def test_nothing_links_an_anonymous_vote_to_its_voter(
    chat: Chat, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    people = await members_of_wellbeing(chat, 12)
    await chat.say("Ada", 'poll "Is the workload fair?" "Yes" "No" anon group:wellbeing')
    await chat.say("Ada", 'poll "What would help?" kind:text anon group:wellbeing')
    caplog.set_level(logging.INFO)  # what a production server logs
    seen: list[str] = []
    for n, person in enumerate(people):
        seen.append((await chat.say(person, f"vote 1 {'yes' if n % 3 else 'no'}")).text)
        seen.append((await chat.say(person, f'vote 2 "answer {n}"')).text)
    await chat.say(people[0], "vote 1 yes")  # a changed vote
    await chat.deliver()
    assert all("anonymous vote" in s and "Yes" not in s and "answer" not in s for s in seen)
    async with chat.core.db.read() as session:
        members = (await session.scalars(select(Member))).all()
        identities = {m.user_id for m in members} | {m.display_name for m in members}
        votes = (await session.scalars(select(Vote))).all()
        assert votes and all(v.member_id is None for v in votes)
        hashes = {v.voter for v in votes if v.voter is not None}
        assert len(votes) == len(hashes) == 2 * len(people)  # one a person a poll; no hash repeats across polls
        assert not hashes & identities and not hashes & {str(m.id) for m in members}
        # every row of every table that holds a vote's answer or its hash names no voter
        answers = {f"answer {n}" for n in range(len(people))} | hashes
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).tuples():
                text = " ".join(str(c) for c in row)
                if any(a in text for a in answers):
                    assert not any(i in text for i in identities if len(i) > 3), (table.name, row)
        outbox = (await session.scalars(select(Outbox).where(Outbox.key.like("poll %")))).all()
    assert outbox and not any(p in str(o.payload) for o in outbox for p in people)
    for sent in chat.recorder.sent:
        if "poll" in sent.key:
            assert not any(p in sent.reply.text for p in people)
    hidden = (await chat.say("Ada", "poll results 1")).text  # an anonymous tally moves only when it closes
    assert "12 votes so far; the results are anonymous" in hidden and "█" not in hidden
    await chat.say("Ada", "poll close 1")
    await chat.say("Ada", "poll close 2")
    await chat.deliver()
    shown = [(await chat.say("Ada", c)).text for c in ("poll results 1", "poll results 1 csv", "poll results 2 csv")]
    assert "voter" not in shown[1] and "answer 3" in shown[2]
    assert not any(p in s for s in shown for p in people)
    for record in caplog.records:
        message = record.getMessage()
        assert not any(p in message or p.lower() in message for p in people), message
