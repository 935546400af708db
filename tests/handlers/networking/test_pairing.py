"""Cross-library pairing: the matching rules over many rounds, and the commands, DMs and check-ins."""

import asyncio
import random
import re

from sqlalchemy import select

from handlers.command.dispatch import Convene
from handlers.command.messages import person_ref, shown
from handlers.networking.matching import Person, match, pair_key, recent_pairs
from storage.db import Database
from storage.models import Institution, Member, Pair, PairingLeftOut, PairingRound
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
    assert "paired all 4 people in 2 pairs" in reply.text
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
    assert "paired all 4 people" in (await chat.say("Ada", "pairing now")).text
    second = [set(d.target.split(",")) for d in await chat.deliver() if d.target_kind == "members"]
    assert set().union(*second) == {"bea", "cal", "eve", "fay"}
    assert not any(p in paired for p in second)  # nobody meets last round's partner again


async def test_an_odd_round_has_a_trio_and_nobody_is_left_out(chat: Chat) -> None:
    await make_people(
        chat, [(n, f"Library {i % 3}", STAGES[i % 4]) for i, n in enumerate(["Bo", "Cy", "Di", "Ed", "Flo"])]
    )
    for name in ("Bo", "Cy", "Di", "Ed", "Flo"):
        await chat.say(name, "pairing on")
    assert "paired all 5 people in 1 pair and a trio." in (await chat.say("Ada", "pairing now")).text
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
    assert "no one could be paired: the 2 people opted in have all met each other recently" in reply.text
    assert "Each pair gets" not in reply.text
    told = [d for d in await chat.deliver() if "you have met everyone else opted in" in d.reply.text]
    assert sorted(d.target for d in told) == ["gil", "hal"]
    async with chat.core.db.read() as session:
        assert len((await session.scalars(select(Pair))).all()) == 1
    chat.advance(weeks=12)
    assert "paired all 2 people in 1 pair" in (await chat.say("Ada", "pairing now")).text  # the window has passed


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


def best_possible(ids: list[int], recent: set[tuple[int, int]], before: frozenset[int]) -> tuple[int, int]:
    """By brute force over every way to place `ids` in pairs and at most one trio: the fewest people left out,
    and, with that few, the fewest of `before` among them."""
    best = (len(ids), len(ids))

    def ok(*group: int) -> bool:
        return all(pair_key(a, b) not in recent for i, a in enumerate(group) for b in group[i + 1 :])

    def walk(rest: list[int], out: list[int], trio: bool) -> None:
        nonlocal best
        if not rest:
            best = min(best, (len(out), sum(i in before for i in out)))
            return
        me, others = rest[0], rest[1:]
        walk(others, [*out, me], trio)
        for j, b in enumerate(others):
            if ok(me, b):
                walk(others[:j] + others[j + 1 :], out, trio)
            if not trio:
                for k in range(j + 1, len(others)):
                    if ok(me, b, others[k]):
                        walk([x for x in others if x not in (b, others[k])], out, True)

    walk(ids, [], False)
    return best


def test_nobody_sits_out_twice_running_while_a_matching_places_them() -> None:
    """Five to seven people paired daily with a week's window: each round leaves out as few as any matching could,
    and of those as few as possible who sat out last round (checked against every possible matching)."""
    for n, seed in ((5, 1), (6, 2), (7, 3)):
        crowd = people(n, 3, seed=seed)
        ids = [p.id for p in crowd]
        rounds: list[list[tuple[int, ...]]] = []
        before: frozenset[int] = frozenset()
        for r in range(30):
            recent = recent_pairs(g for past in rounds[-7:] for g in past)
            result = match(crowd, recent, f"day {r}", left_out_before=before)
            everyone_once(result.groups, result.unplaced, ids)
            assert not recent_pairs(result.groups) & recent
            found = (len(result.unplaced), sum(i in before for i in result.unplaced))
            assert found == best_possible(ids, recent, before), f"{n} people, day {r}"
            rounds.append(result.groups)
            before = frozenset(result.unplaced)


async def test_one_person_opted_in_hears_the_truth_and_so_does_the_steering_group(chat: Chat) -> None:
    await chat.say("Ada", "help")
    await make_people(chat, [("Gil", "A", "early")])
    await chat.say("Gil", "pairing on")
    reply = await chat.say("Ada", "pairing now")
    assert "only one person is opted in, so there was no one to pair them with; they were told" in reply.text
    assert "people" not in reply.text and "group DM" not in reply.text
    (told,) = [d for d in await chat.deliver() if d.target == "gil"]
    assert "you are the only person opted in to pairing" in told.reply.text
    assert "met" not in told.reply.text


async def test_someone_left_over_is_not_told_they_have_met_everyone(chat: Chat) -> None:
    """Three who met yesterday and a newcomer: only one of them can meet the newcomer, so one pair is made and two
    sit out. They could have met the newcomer, so they are not told they have met everyone."""
    await chat.say("Ada", "help")
    await make_people(chat, [("Gil", "A", "early"), ("Hal", "B", "mid"), ("Ivy", "C", "senior")])
    for name in ("Gil", "Hal", "Ivy"):
        await chat.say(name, "pairing on")
    assert "paired all 3 people in a trio" in (await chat.say("Ada", "pairing now")).text
    await chat.deliver()
    await make_people(chat, [("Jo", "D", "mid")])
    await chat.say("Jo", "pairing on")
    chat.advance(days=1)
    reply = await chat.say("Ada", "pairing now")
    assert "paired 2 of 4 people in 1 pair; 2 people had a round off and were told why" in reply.text
    told = {d.target: d.reply.text for d in await chat.deliver() if d.target_kind == "member"}
    assert len(told) == 2 and all(text.startswith("No coffee for you this round") for text in told.values())
    assert all("couldn't place everyone with someone they haven't met recently" in text for text in told.values())
    assert not any("met everyone" in text for text in told.values())
    async with chat.core.db.read() as session:
        left_out = (await session.scalars(select(PairingLeftOut.member_id))).all()
    assert len(left_out) == 2


async def test_intros_and_check_ins_mention_people_and_a_check_in_shows_its_answer(chat: Chat) -> None:
    await chat.say("Ada", "help")
    await make_people(chat, [("Gil", "A", "early"), ("Hal", "B", "mid")])
    for name in ("Gil", "Hal"):
        await chat.say(name, "pairing on")
    await chat.say("Ada", "pairing now")
    await chat.deliver()
    intro = next(d for d in chat.recorder.raw if d.target_kind == "members")
    assert person_ref("gil", "Gil") in intro.reply.text and person_ref("hal", "Hal") in intro.reply.text
    assert re.search(r"I'll check in around \w+day \d{1,2} \w+\.", shown(intro.reply.text))  # no zero-padded day
    chat.advance(days=3)
    checkins = {d.target: d for d in await chat.deliver() if d.target_kind == "member"}
    assert person_ref("hal", "Hal") in next(d for d in chat.recorder.raw if d.id == checkins["gil"].id).reply.text
    await chat.press("Gil", "Yes, we met", checkins["gil"].reply)
    (edit,) = await chat.deliver()
    assert edit.target == "gil" and edit.edit_ref == f"ref-{checkins['gil'].id}"  # the check-in itself, updated
    assert "✅ You said you met" in edit.reply.text
    assert [b.label for b in edit.reply.buttons] == ["Planned", "Not this time"]
    await chat.press("Gil", "Planned", edit.reply)
    (again,) = await chat.deliver()
    assert "You said you have a date planned" in again.reply.text and again.edit_ref == edit.edit_ref


async def test_an_answer_given_before_the_check_in_is_due_goes_into_the_check_in(chat: Chat) -> None:
    await chat.say("Ada", "help")
    await make_people(chat, [("Gil", "A", "early"), ("Hal", "B", "mid")])
    for name in ("Gil", "Hal"):
        await chat.say(name, "pairing on")
    await chat.say("Ada", "pairing now")
    await chat.deliver()
    async with chat.core.db.read() as session:
        pair = (await session.scalars(select(Pair))).one()
    assert "noted that you met" in (await chat.say("Hal", f"pairing met {pair.id} met")).text
    assert await chat.deliver() == []  # nothing to edit yet: the check-in waits for its day
    chat.advance(days=3)
    checkins = {d.target: d for d in await chat.deliver()}
    assert "✅ You said you met" in checkins["hal"].reply.text and checkins["hal"].edit_ref is None
    assert "✅" not in checkins["gil"].reply.text


async def test_a_round_by_hand_warns_when_the_scheduled_one_comes_within_a_week(chat: Chat) -> None:
    await chat.say("Ada", "help")
    await make_people(chat, [("Gil", "A", "early"), ("Hal", "B", "mid")])
    for name in ("Gil", "Hal"):
        await chat.say(name, "pairing on")
    await chat.say("Ada", "pairing every:2w day:tue")  # the first is Tuesday 12 January, tomorrow
    reply = await chat.say("Ada", "pairing now")
    assert "Note: the scheduled round comes soon, on Tuesday 12 January" in reply.text
