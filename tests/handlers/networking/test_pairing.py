"""Cross-library pairing: the matching rules over many rounds, and the commands, DMs and check-ins."""

import asyncio
import random
import re

from sqlalchemy import select

from handlers.command.dispatch import Convene
from handlers.networking.matching import Person, match, pair_key, recent_pairs
from storage.db import Database
from storage.models import Institution, Member, Pair, PairingRound
from tests.conftest import Chat

STAGES = ("early", "mid", "senior", "leader")


def people(n: int, institutions: int, seed: int) -> list[Person]:
    rng = random.Random(seed)
    return [Person(i, rng.randrange(institutions), rng.choice(STAGES)) for i in range(1, n + 1)]


def everyone_once(result_groups: list[tuple[int, ...]], unplaced: list[int], ids: list[int]) -> None:
    placed = [i for g in result_groups for i in g] + unplaced
    assert sorted(placed) == sorted(ids)  # nobody twice, nobody silently dropped


def test_no_pair_repeats_within_the_window_over_many_rounds() -> None:
    crowd = people(30, 6, seed=1)
    window = 12
    rounds: list[list[tuple[int, ...]]] = []
    for r in range(40):
        recent = recent_pairs(g for past in rounds[-window:] for g in past)
        result = match(crowd, recent, f"round {r}")
        everyone_once(result.groups, result.unplaced, [p.id for p in crowd])
        assert not recent_pairs(result.groups) & recent, f"round {r} repeated a pair from the last {window}"
        assert result.unplaced == []  # 29 possible partners, 12 weeks of history: everyone can be placed
        rounds.append(result.groups)
    met = recent_pairs(g for rnd in rounds for g in rnd)
    assert len(met) > 30 * 15 / 2  # over 40 rounds people met far more than a dozen different partners


def test_an_odd_count_makes_exactly_one_trio() -> None:
    for n in (3, 5, 11, 101):
        crowd = people(n, 4, seed=n)
        result = match(crowd, set(), "odd")
        everyone_once(result.groups, result.unplaced, [p.id for p in crowd])
        assert [len(g) for g in result.groups].count(3) == 1
        assert all(len(g) in (2, 3) for g in result.groups)
        assert result.unplaced == []
    result = match(people(10, 4, seed=2), set(), "even")
    assert {len(g) for g in result.groups} == {2}


def test_someone_who_has_met_everyone_is_returned_not_dropped() -> None:
    crowd = people(4, 2, seed=3)
    everyone = {pair_key(a.id, b.id) for a in crowd for b in crowd if a.id < b.id}
    result = match(crowd, everyone - {pair_key(1, 2)}, "tight")
    assert result.groups == [(1, 2)] or result.groups == [(2, 1)]
    assert sorted(result.unplaced) == [3, 4]


def test_institution_and_stage_mixing_over_1000_random_members() -> None:
    crowd = people(1000, 12, seed=7)
    by_id = {p.id: p for p in crowd}
    history: list[tuple[int, ...]] = []
    for r in range(6):  # twelve weeks of fortnightly rounds
        history += match(crowd, recent_pairs(history), f"history {r}").groups
    result = match(crowd, recent_pairs(history), "measured")
    pairs = [g for g in result.groups if len(g) == 2]
    other_library = sum(by_id[a].institution != by_id[b].institution for a, b in pairs) / len(pairs)
    other_stage = sum(by_id[a].stage != by_id[b].stage for a, b in pairs) / len(pairs)
    # Paired at random, about 92% would be from another library and 75% from another stage.
    print(f"\nmixing over 1,000 members: {other_library:.1%} other library, {other_stage:.1%} other stage")
    assert other_library >= 0.99
    assert other_stage >= 0.97
    assert not recent_pairs(result.groups) & recent_pairs(history)


def test_the_same_seed_gives_the_same_round() -> None:
    crowd = people(200, 8, seed=9)
    assert (
        match(crowd, set(), "schedule 1:2027-01-19T10:00Z").groups
        == match(crowd, set(), "schedule 1:2027-01-19T10:00Z").groups
    )


async def make_people(chat: Chat, names: list[tuple[str, str, str]]) -> None:
    """Each (name, library, stage) speaks once, so they exist, and gets a profile."""
    async with chat.core.db.write() as session:
        libraries = {}
        for _, lib, _ in names:
            if lib not in libraries:
                libraries[lib] = Institution(name=lib)
                session.add(libraries[lib])
        await session.flush()
        for name, lib, stage in names:
            session.add(
                Member(
                    platform="console",
                    workspace="console",
                    user_id=name.lower(),
                    display_name=name,
                    institution_id=libraries[lib].id,
                    title="Librarian",
                    stage=stage,
                    interests="cataloguing",
                    created_at=chat.now,
                )
            )


async def test_opt_in_snooze_and_a_round_by_group_dm(chat: Chat) -> None:
    await chat.say("Ada", "help")  # Ada is an admin by configuration
    await make_people(
        chat,
        [
            ("Bea", "North Library", "early"),
            ("Cal", "South Library", "senior"),
            ("Dee", "North Library", "mid"),
            ("Eve", "East Library", "leader"),
            ("Fay", "South Library", "early"),
        ],
    )
    for name in ("Bea", "Cal", "Dee", "Eve", "Fay"):
        assert "You're in!" in (await chat.say(name, "pairing on")).text
    assert "already opted in" in (await chat.say("Bea", "pairing on")).text
    snoozed = await chat.say("Fay", "pairing snooze until:2027-01-20")
    assert "no rounds before 2027-01-20" in snoozed.text
    assert "must be after today" in (await chat.say("Fay", "pairing snooze until:2027-01-01")).text
    assert "paused until 2027-01-20" in (await chat.say("Fay", "pairing status")).text

    assert "Only the steering group" in (await chat.say("Bea", "pairing now")).text
    reply = await chat.say("Ada", "pairing now")
    assert "paired 4 people in 2 groups" in reply.text
    sent = await chat.deliver()
    dms = [d for d in sent if d.target_kind == "members"]
    assert len(dms) == 2 and not any(d.target_kind == "member" for d in sent)  # check-ins wait till mid-round
    paired = [set(d.target.split(",")) for d in dms]
    assert all(len(p) == 2 for p in paired)
    assert set().union(*paired) == {"bea", "cal", "dee", "eve"}  # Fay is snoozed
    assert {"bea", "dee"} not in paired  # both North Library: the round prefers another library
    intro = dms[0].reply.text
    assert "paired for a coffee" in intro and "Librarian" in intro and "interests: cataloguing" in intro
    assert "A question to start with:" in intro

    chat.advance(days=8)
    checkins = [d for d in await chat.deliver() if d.target_kind == "member"]
    assert sorted(d.target for d in checkins) == ["bea", "cal", "dee", "eve"]
    bea = next(d for d in checkins if d.target == "bea")
    assert bea.reply.text.startswith("Did you meet")
    assert [b.label for b in bea.reply.buttons] == ["Yes, we met", "Planned", "Not this time"]
    assert "noted that you met" in (await chat.press("Bea", "Yes, we met", bea.reply)).text
    cal = next(d for d in checkins if d.target == "cal")
    await chat.press("Cal", "Planned", cal.reply)
    assert "not yours" in (await chat.say("Fay", bea.reply.buttons[0].value)).text
    status = await chat.say("Ada", "pairing status")
    assert "check-ins: 1 met, 1 planned, 0 did not meet" in status.text

    assert "You're out of pairing" in (await chat.say("Dee", "pairing off")).text
    chat.advance(days=7)  # Fay's snooze is over; Dee is out
    assert "paired 4 people" in (await chat.say("Ada", "pairing now")).text
    second = [set(d.target.split(",")) for d in await chat.deliver() if d.target_kind == "members"]
    assert set().union(*second) == {"bea", "cal", "eve", "fay"}
    assert not any(p in paired for p in second)  # nobody meets last round's partner again


async def test_an_odd_round_has_a_trio_and_nobody_is_left_out(chat: Chat) -> None:
    await make_people(
        chat, [(n, f"Library {i % 3}", STAGES[i % 4]) for i, n in enumerate(["Bo", "Cy", "Di", "Ed", "Flo"])]
    )
    for name in ("Bo", "Cy", "Di", "Ed", "Flo"):
        await chat.say(name, "pairing on")
    assert "(one trio)" in (await chat.say("Ada", "pairing now")).text
    dms = [d for d in await chat.deliver() if d.target_kind == "members"]
    assert sorted(len(d.target.split(",")) for d in dms) == [2, 3]
    assert re.search(r"Hello \w+, \w+ and \w+!", next(d for d in dms if d.target.count(",") == 2).reply.text)


async def test_scheduled_rounds_are_set_by_admins(chat: Chat) -> None:
    assert "Only the steering group" in (await chat.say("Bea", "pairing every:2w")).text
    reply = await chat.say("Ada", "pairing every:2w day:tue")
    assert "Tuesdays at 10:00 (Europe/London), every 2 weeks, not on bank holidays" in reply.text
    assert "The first is on Tuesday 2027-01-12" in reply.text
    assert "Next round: Tuesday 2027-01-12 10:00" in (await chat.say("Bea", "pairing status")).text
    assert "Pairing rounds for everyone opted in are off." in (await chat.say("Ada", "pairing every:off")).text
    assert "There are no pairing rounds scheduled" in (await chat.say("Ada", "pairing every:off")).text
    assert "I don't understand" in (await chat.say("Ada", "pairing every:sometimes")).text


async def test_pairs_are_kept_for_history(chat: Chat) -> None:
    await make_people(chat, [("Gil", "A", "early"), ("Hal", "B", "mid")])
    await chat.say("Gil", "pairing on")
    await chat.say("Hal", "pairing on")
    await chat.say("Ada", "pairing now")
    chat.advance(days=14)
    reply = await chat.say("Ada", "pairing now")
    assert "2 could not be given a new partner and were told" in reply.text
    told = [d for d in await chat.deliver() if "round off" in d.reply.text]
    assert sorted(d.target for d in told) == ["gil", "hal"]
    async with chat.core.db.read() as session:
        assert len((await session.scalars(select(Pair))).all()) == 1
    chat.advance(weeks=12)
    assert "paired 2 people in 1 group" in (await chat.say("Ada", "pairing now")).text  # the window has passed


async def test_pairing_now_pressed_twice_runs_one_round_and_says_so(chat: Chat, db_url: str) -> None:
    await make_people(chat, [("Gil", "A", "early"), ("Hal", "B", "mid"), ("Ivy", "C", "senior"), ("Jo", "D", "mid")])
    for name in ("Gil", "Hal", "Ivy", "Jo"):
        await chat.say(name, "pairing on")
    # Two admins at the same moment, through two engines (as two processes would).
    other = Convene(Database(db_url), chat.core.config)
    try:
        at_once = await asyncio.gather(
            chat.core.handle(chat.request("Ada", "pairing now")), other.handle(chat.request("Ada", "pairing now"))
        )
    finally:
        await other.db.dispose()
    done = [r for r in at_once if r.text.startswith("Pairing round done")]
    refused = [r for r in at_once if r.failed]
    assert len(done) == 1 and len(refused) == 1, [r.text for r in at_once]
    assert "was just run" in refused[0].text and "something went wrong" not in refused[0].text
    chat.advance(seconds=30)  # a second press, a little later
    again = await chat.say("Ada", "pairing now")
    assert again.failed and "A pairing round for everyone opted in was just run, at 09:30:00 (4 people)" in again.text
    async with chat.core.db.read() as session:
        assert len((await session.scalars(select(PairingRound))).all()) == 1
    chat.advance(minutes=15)
    assert (await chat.say("Ada", "pairing now")).text.startswith("Pairing round done")
