"""Events (SPEC.md §2 Event, RSVP; §3; §6): making them, answering by typing and by button, seats and a waitlist
that promotes itself and tells who got the seat, the organiser told when it fills, cancelling, and the lists."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handlers.command.dispatch import Convene
from handlers.command.messages import Place, Request, Speaker
from scheduler import jobs
from scheduler.outbox import Delivery
from storage.db import Database
from storage.models import Event, Member, Rsvp
from tests.conftest import START, Chat

USAGE = 'Usage: `event new "<title>"'
WHEN = 'when:"2027-02-02 14:00"'  # three weeks after START, a Tuesday


async def community(chat: Chat, *members: str) -> None:
    await chat.say("Ada", 'group new "Wellbeing" kind:community channel:#wellbeing')
    await chat.say("Ada", "join wellbeing")
    for person in members:
        await chat.say(person, "join wellbeing")
    await chat.deliver()


async def test_an_event_is_posted_in_its_groups_channel_with_three_answers(chat: Chat) -> None:
    await community(chat)
    made = await chat.say(
        "Ada", f'event new "Cataloguing meet-up" {WHEN} until:15:30 where:"Leeds Central" seats:20 group:wellbeing'
    )
    assert made.text.startswith(
        "Posted event 1 in Wellbeing's channel: Tuesday 2027-02-02 14:00-15:30 (Europe/London time)."
    ), made.text
    [posted] = await chat.deliver()
    assert posted.target == "#wellbeing" and "📅 Event 1: Cataloguing meet-up" in posted.reply.text
    assert "Where: Leeds Central" in posted.reply.text and "20 seats left of 20" in posted.reply.text
    assert [b.value for b in posted.reply.all_buttons()] == ["rsvp 1 going", "rsvp 1 maybe", "rsvp 1 no"]
    async with chat.core.db.read() as session:
        event = await session.get(Event, 1)
    assert event is not None and event.starts_at.isoformat() == "2027-02-02T14:00:00+00:00"


async def test_times_are_entered_in_the_organisers_zone_and_stored_in_utc(chat: Chat) -> None:
    await community(chat)
    await chat.say("Ada", 'event new "Summer social" when:"2027-07-01 18:00" until:"2027-07-01 20:00" group:wellbeing')
    await chat.say("Ada", 'event new "NY call" when:"2027-02-02 09:00" tz:America/New_York group:wellbeing')
    async with chat.core.db.read() as session:
        summer, ny = await session.get(Event, 1), await session.get(Event, 2)
    assert summer is not None and summer.starts_at.isoformat() == "2027-07-01T17:00:00+00:00"  # BST
    assert ny is not None and ny.starts_at.isoformat() == "2027-02-02T14:00:00+00:00" and ny.tz == "America/New_York"


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ('event new "Q" group:wellbeing', "Say when it starts"),
        ('event new "Q" when:"2027-01-10 10:00" group:wellbeing', "when: 2027-01-10 10:00 has passed"),
        ('event new "Q" when:tomorrow group:wellbeing', "when: “tomorrow” is not a time"),
        (f'event new "Q" {WHEN} until:13:00 group:wellbeing', "until: 2027-02-02 13:00 is not after the start"),
        (f'event new "Q" {WHEN} tz:Mars/Base group:wellbeing', "“Mars/Base” is not a time zone"),
        (f'event new "Q" {WHEN} seats:0 group:wellbeing', "is not a valid number of seats"),
        (f'event new "Q" {WHEN} link:meet.example.org group:wellbeing', "link: takes a web address"),
        (f'event new "Q" {WHEN} for:everyone group:wellbeing', "for: must be one of all, early, mid, senior"),
        (f'event new "Q" {WHEN} group:nowhere', "There is no group called “nowhere”"),
        ('event new "Q" when:"2150-12-31 23:59" group:wellbeing', "more than a hundred years ahead"),
        (f'event new "Q" {WHEN} until:"2150-12-31 23:59" group:wellbeing', "until: 2150-12-31 23:59 is more than"),
        ('event new "Q" when:"9999-12-31 23:59" group:wellbeing', "when: “9999-12-31” is after 2199"),
    ],
)
async def test_bad_events_are_refused_naming_the_problem(chat: Chat, command: str, problem: str) -> None:
    await community(chat)
    reply = await chat.say("Ada", command)
    assert reply.failed and problem in reply.text and USAGE in reply.text, reply.text
    async with chat.core.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 0


async def test_only_chairs_and_the_steering_group_make_events(chat: Chat) -> None:
    await community(chat, "Bea")
    refused = await chat.say("Bea", f'event new "Q" {WHEN} group:wellbeing')
    assert (
        refused.failed and "Only the chairs of Wellbeing (and the steering group) can use `event new`" in refused.text
    )
    assert (await chat.say("Ada", f'event new "Open day" {WHEN}')).text.startswith("Posted event 1 in #announcements")


async def test_a_full_event_waitlists_and_a_drop_out_promotes_the_first_waiting(chat: Chat) -> None:
    await community(chat, "Bea", "Cai", "Dee", "Eve")
    await chat.say("Ada", f'event new "Meet-up" {WHEN} seats:2 group:wellbeing')
    [posted] = await chat.deliver()
    assert (await chat.press("Bea", "Going", posted.reply)).text.startswith("You are going to Meet-up")
    assert (await chat.say("Cai", "rsvp 1 going")).text.startswith("You are going")
    told = [d for d in await chat.deliver() if d.target_kind == "member"]
    assert [(d.target, d.reply.text.split(":")[0]) for d in told] == [("ada", "Meet-up is full")]  # the organiser
    waiting = await chat.say("Dee", "rsvp 1 going")
    assert waiting.text.startswith("Meet-up is full, so you are number 1 on its waitlist."), waiting.text
    assert "number 2 on its waitlist" in (await chat.say("Eve", "rsvp 1 yes")).text
    off = await chat.say("Eve", "rsvp 1 maybe")
    assert "You are off its waitlist: `rsvp 1 going` puts you at its end." in off.text, off.text
    assert "number 2 on its waitlist" in (await chat.say("Eve", "rsvp 1 going")).text
    assert "You are already on the waitlist for Meet-up: number 1." in (await chat.say("Dee", "rsvp 1 going")).text
    assert "Your seat has gone to the next person" in (await chat.say("Bea", "rsvp 1 no")).text
    sent = await chat.deliver()
    [promoted] = [d for d in sent if d.target_kind == "member"]
    assert promoted.target == "dee" and promoted.reply.text.startswith("A seat came free at Meet-up")
    assert "You are going." in (await chat.say("Dee", "event 1")).text
    assert "You are number 1 on the waitlist." in (await chat.say("Eve", "event 1")).text
    chat.advance(seconds=3)
    edits = [d for d in await chat.deliver() if d.message_key == "event:1" and d.edit_ref is not None]
    assert edits and "Full: all 2 seats taken, 1 on the waitlist. Going: Cai, Dee" in edits[-1].reply.text
    listed = await chat.say("Ada", "attendees 1")
    assert "Going (2 of 2): Cai, Dee" in listed.text and "Waitlist (1): 1. Eve" in listed.text
    refused = await chat.say("Eve", "attendees 1")
    assert refused.failed and "Only the organiser of event 1" in refused.text


async def test_an_answer_or_an_edit_that_changes_nothing_edits_no_card(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", f'event new "Meet-up" {WHEN} seats:2 group:wellbeing')
    await chat.deliver()  # the card posted

    async def card_edits() -> list[Delivery]:
        await chat.deliver()  # the card job queues an edit, due on the next tick
        chat.advance(seconds=3)
        return [d for d in await chat.deliver() if d.message_key == "event:1" and d.edit_ref is not None]

    await chat.say("Bea", "rsvp 1 going")
    assert await card_edits()
    assert "already going" in (await chat.say("Bea", "rsvp 1 going")).text
    assert "nothing changed" in (await chat.say("Ada", "event edit 1 seats:2")).text
    assert not await card_edits()
    await chat.say("Bea", "rsvp 1 maybe")
    assert await card_edits()
    assert "as before" in (await chat.say("Bea", "rsvp 1 maybe")).text
    assert not await card_edits()


async def test_a_cancelled_event_tells_those_going_and_waiting_and_takes_no_answers(chat: Chat) -> None:
    await community(chat, "Bea", "Cai", "Dee")
    await chat.say("Ada", f'event new "Meet-up" {WHEN} seats:1 group:wellbeing')
    await chat.say("Bea", "rsvp 1 going")
    await chat.say("Cai", "rsvp 1 going")  # waits
    await chat.say("Dee", "rsvp 1 no")
    await chat.deliver()
    refused = await chat.say("Bea", "event cancel 1")
    assert refused.failed and "Only the organiser of event 1" in refused.text
    done = await chat.say("Ada", "event cancel 1")
    assert done.text == "Event 1, Meet-up, is cancelled; 2 people told.", done.text
    told = sorted(
        d.target for d in await chat.deliver() if d.target_kind == "member" and "is cancelled" in d.reply.text
    )
    assert told == ["bea", "cai"]
    late = await chat.say("Dee", "rsvp 1 going")
    assert late.failed and "is cancelled: it takes no answers" in late.text and "Usage: `rsvp <id>" in late.text
    assert (await chat.say("Ada", "event cancel 1")).failed
    assert "No events coming up" in (await chat.say("Bea", "events")).text


async def test_answers_after_the_start_and_bad_answers_are_refused(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", f'event new "Meet-up" {WHEN} group:wellbeing')
    for text, problem in [
        ("rsvp 1 perhaps", "Answer going, maybe or no, not “perhaps”"),
        ("rsvp 9 going", "There is no event 9"),
        ("rsvp x going", "“x” is not an event number"),
        ("rsvp 1", "answer: going, maybe or no"),
    ]:
        reply = await chat.say("Bea", text)
        assert reply.failed and problem in reply.text and "Usage: `rsvp <id> going|maybe|no`" in reply.text, text
    chat.now = chat.now.replace(month=2, day=2, hour=14, minute=5)
    late = await chat.say("Bea", "rsvp 1 going")
    assert late.failed and "has started: it takes no more answers" in late.text


async def test_events_lists_whats_coming_and_mine(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", f'event new "Meet-up" {WHEN} group:wellbeing programme:cpd25')
    await chat.say("Ada", 'event new "Later talk" when:"2027-03-02 14:00"')
    await chat.say("Bea", "rsvp 2 going")
    listing = await chat.say("Bea", "events")
    assert listing.text.index("Event 1: Meet-up") < listing.text.index("Event 2: Later talk — ")
    assert "Event 2: Later talk — Tuesday 2027-03-02 14:00-15:00 (Europe/London time) — you are going" in listing.text
    mine = await chat.say("Bea", "events mine")
    assert "Later talk" in mine.text and "Meet-up" not in mine.text
    assert "Later talk" not in (await chat.say("Bea", "events programme:CPD25")).text
    assert "Meet-up" in (await chat.say("Bea", "events wellbeing")).text


# -- at once, on SQLite and PostgreSQL ----------------------------------------------------------------------------

ENGINES = 2
PEOPLE = 200
SEATS = 20


def ask(who: str, text: str) -> Request:
    return Request(Speaker("console", "console", who.lower(), who), Place(), START, text=text)


async def test_two_hundred_going_at_once_fill_twenty_seats_and_wait_in_order(chat: Chat, db_url: str) -> None:
    await community(chat)
    await chat.say("Ada", f'event new "Big meet" {WHEN} seats:{SEATS} group:wellbeing')
    people = [f"P{n:03d}" for n in range(PEOPLE)]
    for person in people:  # known to Convene before they answer
        await chat.say(person, "profile")
    cores = [Convene(Database(db_url), chat.core.config) for _ in range(ENGINES)]
    try:
        replies = await asyncio.gather(
            *(cores[n % ENGINES].handle(ask(p, "rsvp 1 going")) for n, p in enumerate(people))
        )
    finally:
        for core in cores:
            await core.db.dispose()
    assert sum(r.text.startswith("You are going") for r in replies) == SEATS
    assert sum("on its waitlist" in r.text for r in replies) == PEOPLE - SEATS
    async with chat.core.db.read() as session:
        rows = (await session.execute(select(Rsvp, Member.display_name).join(Member))).tuples().all()
    held = [name for r, name in rows if r.position is None]
    queue = sorted((r.position, name) for r, name in rows if r.position is not None)
    assert len(held) == SEATS and [p for p, _ in queue] == list(range(1, PEOPLE - SEATS + 1))
    # each was told the place they got, in the order they got it
    told = {
        name: int(r.text.split("number ")[1].split()[0])
        for name, r in zip(people, replies, strict=True)
        if "waitlist" in r.text
    }
    assert sorted(told.values()) == list(range(1, PEOPLE - SEATS + 1))
    assert all(told[name] == position for position, name in queue)
    await chat.deliver()
    for person in held[:5]:  # five drop out: the first five waiting get their seats, each told once
        await chat.say(person, "rsvp 1 no")
    promoted = [d.target for d in await chat.deliver() if d.reply.text.startswith("A seat came free")]
    assert promoted == [name.lower() for _, name in queue[:5]]
    listed = (await chat.say("Ada", "attendees 1")).text
    assert f"Going ({SEATS} of {SEATS})" in listed and f"Waitlist ({PEOPLE - SEATS - 5}): 1. {queue[5][1]}," in listed


async def test_reminders_a_day_and_an_hour_before_go_once_to_those_with_a_seat(chat: Chat, db_url: str) -> None:
    """Through two processes (or a restart) each running what is due, and the console's clock stepping to each
    reminder: each person holding a seat is reminded once a day before and once an hour before; the one waiting
    and the cancelled event's people are not."""
    await community(chat, "Bea", "Cai", "Dee")
    await chat.say("Ada", f'event new "Meet-up" {WHEN} seats:2 where:"Room 2" group:wellbeing')
    await chat.say("Ada", f'event new "Called off" {WHEN} group:wellbeing')
    for person in ("Bea", "Cai", "Dee"):  # Dee waits
        await chat.say(person, "rsvp 1 going")
    await chat.say("Dee", "rsvp 2 going")
    await chat.say("Ada", "event cancel 2")
    await chat.deliver()
    reminded = []
    for _ in range(10):  # the clock stepped from one due moment to the next, as the console's `:clock` does
        moment = await jobs.next_moment(chat.core.db, chat.now, chat.now + timedelta(days=30))
        if moment is None:
            break
        chat.now = moment
        for _ in range(2):
            other = Database(db_url)
            try:
                await jobs.run_due(other, chat.core.config, lambda: chat.now, grace=None)
            finally:
                await other.dispose()
        reminded += [(d.target, d.reply.text) for d in await chat.deliver() if d.reply.text.startswith("Reminder")]
    assert [(who, text.split(",")[0]) for who, text in reminded] == [
        ("bea", "Reminder: Meet-up is tomorrow"),
        ("cai", "Reminder: Meet-up is tomorrow"),
        ("bea", "Reminder: Meet-up is in an hour"),
        ("cai", "Reminder: Meet-up is in an hour"),
    ]
    assert (
        "Where: Room 2." in reminded[0][1] and "Tuesday 2027-02-02 14:00-15:00 (Europe/London time)" in reminded[0][1]
    )


async def test_an_edit_tells_those_coming_and_never_leaves_fewer_seats_than_people_going(chat: Chat) -> None:
    await community(chat, "Bea", "Cai", "Dee", "Eve")
    await chat.say("Ada", f'event new "Meet-up" {WHEN} seats:2 group:wellbeing')
    for person in ("Bea", "Cai", "Dee"):  # Dee waits
        await chat.say(person, "rsvp 1 going")
    await chat.say("Eve", "rsvp 1 maybe")
    await chat.deliver()
    refused = await chat.say("Ada", "event edit 1 seats:1")
    assert refused.failed and "2 people are going to Meet-up: it cannot have fewer seats than that" in refused.text
    assert "Usage: `event edit <id>" in refused.text
    for bad, problem in [
        ("event edit 1", "Say what to change"),
        ('event edit 1 when:"2027-01-01 10:00"', "when: 2027-01-01 10:00 has passed"),
        ("event edit 1 until:13:00", "until: 2027-02-02 13:00 is not after the start"),
    ]:
        reply = await chat.say("Ada", bad)
        assert reply.failed and problem in reply.text, (bad, reply.text)
    assert (await chat.say("Bea", "event edit 1 seats:5")).failed  # not the organiser
    moved = await chat.say("Ada", 'event edit 1 when:"2027-02-09 15:00" seats:3')
    assert moved.text.startswith("Event 1 changed (when, seats): Tuesday 2027-02-09 15:00-16:00"), moved.text
    assert "3 people told; 1 given a seat from the waitlist." in moved.text
    sent = [d for d in await chat.deliver() if d.target_kind == "member"]
    by = {d.target: d for d in sent}
    assert by["dee"].reply.text.startswith("A seat came free at Meet-up, Tuesday 2027-02-09 15:00")
    assert by["bea"].reply.text.startswith("Meet-up has changed (when, seats): it is now Tuesday 2027-02-09 15:00")
    assert by["bea"].reply.files and not by["eve"].reply.files  # the calendar file for those with a seat
    assert sorted(by) == ["bea", "cai", "dee", "eve"]
    async with chat.core.db.read() as session:
        event = await session.get(Event, 1)
    assert event is not None and event.sequence == 1 and event.seats == 3
    assert "nothing changed" in (await chat.say("Ada", "event edit 1 seats:3")).text


async def test_the_feedback_poll_reaches_only_those_who_came_and_its_results_the_organiser(chat: Chat) -> None:
    await community(chat, "Bea", "Cai", "Dee")
    await chat.say("Ada", f'event new "Meet-up" {WHEN} until:16:00 group:wellbeing')
    await chat.say("Ada", "accept @dee wellbeing as:chair")
    for person in ("Bea", "Cai"):
        await chat.say(person, "rsvp 1 going")
    early = await chat.say("Ada", "attended 1 @bea")
    assert early.failed and "has not started yet" in early.text
    chat.now = chat.now.replace(month=2, day=2, hour=16, minute=30)
    assert (await chat.say("Bea", "attended 1 @bea")).failed  # only the organiser, chairs, steering group
    assert "Marked as having come to Meet-up: Bea" in (await chat.say("Ada", "attended 1 @bea")).text
    await chat.deliver()
    moments = []
    while not moments or moments[-1] < chat.now.replace(hour=19):  # as the console's clock steps
        moment = await jobs.next_moment(chat.core.db, chat.now, chat.now + timedelta(days=1))
        assert moment is not None
        chat.now = moment
        moments.append(moment)
    assert moments[-1].isoformat() == "2027-02-02T19:00:00+00:00"  # three hours after it ended
    await jobs.run_due(chat.core.db, chat.core.config, lambda: chat.now, grace=None)
    await jobs.run_due(chat.core.db, chat.core.config, lambda: chat.now, grace=None)  # once, however often run
    asked = [d for d in await chat.deliver() if "How useful was Meet-up" in d.reply.text]
    assert [d.target for d in asked] == ["bea"] and "anonymous" in asked[0].reply.text
    assert any("One thing you will take back?" in s.text for s in asked[0].reply.sections)  # shown on Slack, Teams
    poll_id = int(asked[0].reply.text.split("Poll ")[1].split(":")[0])
    voted = await chat.say("Bea", f'vote {poll_id} 5 "Ask the quiet ones first"')
    assert voted.text.startswith(f"Your anonymous vote on poll {poll_id} is counted."), voted.text
    refused = await chat.say("Cai", f"vote {poll_id} 2")
    assert refused.failed and f"There is no poll {poll_id} that you can see" in refused.text
    organiser = await chat.say("Ada", f"vote {poll_id} 5")  # the organiser (and steering group) reads, not answers
    assert organiser.failed and "asks those who came to its event" in organiser.text, organiser.text
    chat.advance(days=8)
    await jobs.run_due(chat.core.db, chat.core.config, lambda: chat.now, grace=None)
    late = await chat.say("Ada", "attended 1 @cai")
    assert late.failed and "feedback poll has gone out" in late.text  # who may answer it is settled
    over = await chat.say("Cai", "rsvp 1 going")
    assert over.failed and "Meet-up, is over: it takes no more answers" in over.text
    results = {d.target: d.reply.text for d in await chat.deliver() if d.reply.text.startswith("Feedback on")}
    assert sorted(results) == ["ada", "dee"]  # the organiser and the group's chair
    assert "5  ██████████  1 (100%)" in results["ada"] and "• Ask the quiet ones first" in results["ada"]
    shown = (await chat.say("Ada", f"poll results {poll_id}")).text
    assert "What people will take back:\n• Ask the quiet ones first" in shown and "What would help" not in shown


async def test_an_event_shown_to_one_person_is_in_their_zone_and_one_seat_is_worded_so(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Bea", "profile tz:Asia/Tokyo")
    await chat.say("Ada", f'event new "Tea" {WHEN} seats:1 group:wellbeing')
    shown = await chat.say("Bea", "event 1")
    assert "When: Tuesday 2027-02-02 23:00-00:00 (Asia/Tokyo time)" not in shown.text  # an end on the next day
    assert "When: Tuesday 2027-02-02 23:00-2027-02-03 00:00 (Asia/Tokyo time)" in shown.text, shown.text
    await chat.say("Bea", "rsvp 1 going")
    full = [d.reply.text for d in await chat.deliver() if d.target == "ada"]
    assert full and full[0].startswith("Tea is full: its one seat is taken."), full


async def test_attendees_as_csv_with_each_answer_and_no_cell_a_spreadsheet_runs(chat: Chat) -> None:
    await community(chat, "Bea", "=SUM(A1)")
    await chat.say("Ada", f'event new "Meet-up" {WHEN} seats:1 group:wellbeing')
    await chat.say("Bea", "rsvp 1 going")
    await chat.say("=SUM(A1)", "rsvp 1 going")  # waits
    text = (await chat.say("Ada", "attendees 1 csv")).text
    table = text.split("```\n")[1].split("```")[0]
    assert table.splitlines() == ["name,answer,attended", "Bea,going,", "'=SUM(A1),waiting,"], table
    bad = await chat.say("Ada", "attendees 1 pdf")
    assert bad.failed and "not “pdf”" in bad.text and "Usage: `attendees <id> [csv]`" in bad.text


async def test_an_event_for_early_career_staff_offers_them_its_seats_first(chat: Chat) -> None:
    """`for:early`: for a week (or until two days before it) a seat goes only to early-career staff; others wait in
    the order they asked, and then take free seats in that order."""
    await community(chat, "Bea", "Cai", "Dee", "Eve", "Fay")
    for person in ("Bea", "Dee", "Eve"):
        await chat.say(person, "profile stage:early")
    await chat.say("Ada", f'event new "New to libraries" {WHEN} seats:3 for:early group:wellbeing')
    [posted] = await chat.deliver()
    assert "offered first to early-career staff until 2027-01-18" in posted.reply.text, posted.reply.text
    assert (await chat.say("Bea", "rsvp 1 going")).text.startswith("You are going")
    first = await chat.say("Cai", "rsvp 1 going")
    assert first.text.startswith("New to libraries is offered first to early-career staff until Monday 2027-01-18")
    assert "you are number 1 on its waitlist" in first.text
    assert (await chat.say("Dee", "rsvp 1 going")).text.startswith("You are going")
    assert "number 2 on its waitlist" in (await chat.say("Fay", "rsvp 1 going")).text
    assert (await chat.say("Eve", "rsvp 1 going")).text.startswith("You are going")  # the third seat
    await chat.say("Bea", "rsvp 1 no")  # within the week: no early-career person waits, so the seat stays free
    await chat.deliver()
    chat.now += timedelta(days=7)
    await jobs.run_due(chat.core.db, chat.core.config, lambda: chat.now, grace=None)
    seated = [d.target for d in await chat.deliver() if d.reply.text.startswith("A seat came free")]
    assert seated == ["cai"]  # the first waiting, once the event is open to all
    listed = (await chat.say("Ada", "attendees 1")).text
    assert "Going (3 of 3): " in listed and "Waitlist (1): 1. Fay" in listed


async def test_marking_who_came_gives_no_seat_and_moves_no_one(chat: Chat) -> None:
    await community(chat, "Bea", "Cai", "Dee")
    await chat.say("Ada", f'event new "Meet-up" {WHEN} seats:1 group:wellbeing')
    await chat.say("Bea", "rsvp 1 going")
    await chat.say("Cai", "rsvp 1 going")  # waits
    chat.now = chat.now.replace(month=2, day=2, hour=14, minute=30)
    await chat.say("Ada", "attended 1 @cai @dee")
    listed = (await chat.say("Ada", "attendees 1")).text
    assert "Going (1 of 1): Bea" in listed and "Waitlist (1): 1. Cai" in listed, listed
    assert (await chat.say("Ada", "event edit 1 title:Later")).failed  # it has started


async def test_an_edit_seats_those_waiting_before_newcomers_and_clears_a_place(chat: Chat) -> None:
    await community(chat, "Bea", "Cai")
    await chat.say("Ada", 'event new "Coffee" when:"2027-02-20 10:00" seats:1 for:early where:"Room 1" group:wellbeing')
    await chat.say("Bea", "rsvp 1 going")  # not early-career: waits during the week offered first
    moved = await chat.say("Ada", 'event edit 1 when:"2027-01-12 10:00" where:none')  # now under two days away
    assert "Event 1 changed (when, where)" in moved.text and "1 given a seat from the waitlist" in moved.text
    assert "You are going." in (await chat.say("Bea", "event 1")).text
    assert "Where:" not in (await chat.say("Bea", "event 1")).text
    quiet = await chat.say("Ada", "event edit 1 tz:America/New_York")
    assert quiet.text.startswith("Event 1 changed (time zone)") and "0 people told" in quiet.text
    await chat.say("Bea", "rsvp 1 no")
    assert (await chat.say("Cai", "rsvp 1 going")).text.startswith("You are going")
