"""Polls (SPEC.md §2 Poll, Vote; §3; §6): making them, voting by typing and by button, limits, hidden results,
CSV, closing by hand and on time, and the card's tally edited in place a bounded number of times."""

import csv
import io
from datetime import UTC, datetime, timedelta

import PIL.Image
import pytest
from sqlalchemy import func, select

from handlers.command import charts
from handlers.command.charts import MAX_BYTES
from handlers.polls import TALLY_EVERY, next_tick
from handlers.reminders import ensure_reminders
from scheduler import jobs
from storage.db import Database
from storage.models import Outbox, Poll, Schedule, Vote
from tests.conftest import START, Chat

USAGE = 'Usage: `poll "<question>"'


async def community(chat: Chat, *members: str) -> None:
    """A community of practice, Wellbeing, with its channel, Ada (admin) chairing it and `members` in it."""
    await chat.say("Ada", 'group new "Wellbeing" kind:community channel:#wellbeing')
    await chat.say("Ada", "join wellbeing")
    for person in members:
        await chat.say(person, "join wellbeing")
    await chat.deliver()


async def test_a_poll_is_posted_in_its_groups_channel_with_a_button_an_option(chat: Chat) -> None:
    await community(chat, "Bea")
    reply = await chat.say("Ada", 'poll "Which day suits?" "Tuesday" "Thursday" group:wellbeing')
    assert reply.text.startswith("Posted poll 1 in Wellbeing's channel."), reply.text
    [posted] = await chat.deliver()
    assert posted.target == "#wellbeing" and posted.reply.text.startswith("📊 Poll 1: Which day suits?")
    assert [b.value for b in posted.reply.all_buttons()] == ["vote 1 1", "vote 1 2"]
    assert "named · one answer" in posted.reply.text


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ('poll "Q" "A" group:wellbeing', "A poll needs at least two options"),
        ('poll "Q" "A" "a" group:wellbeing', "The option “a” is given twice"),
        ('poll "Q" "A" "B" limit:3 group:wellbeing', "limit:3 is more than the poll's 2 options"),
        ('poll "Q" "A" "B" closes:2027-01-10 group:wellbeing', "closes: the end of 2027-01-10 has passed"),
        ('poll "Q" "A" "B" closes:"2027-01-11 09:00" group:wellbeing', "closes: 2027-01-11 09:00 has passed"),
        ('poll "Q" "A" "B" closes:soon group:wellbeing', "closes: “soon” is not a time"),
        ('poll "Q" "A" "B" closes:9999-12-31 group:wellbeing', "“9999-12-31” is after 2199: is its year mistyped?"),
        ('poll "Q" "A" "B" multi limit:1 group:wellbeing', "multi and limit:1 say opposite things"),
        ('poll "Q" kind:rating "A" group:wellbeing', "A rating poll has no options of its own"),
        ('poll "Q" kind:text multi group:wellbeing', "A text poll takes one answer from each person"),
        ('poll "Q" "A" "B" maybe group:wellbeing', "I don't understand “maybe” here"),
        ("poll Q A B group:wellbeing", "Put the question in quotes"),
        ('poll "Q" "A" "B" group:nowhere', "There is no group called “nowhere”"),
        ('poll "Q" ' + " ".join(f'"o{n}"' for n in range(26)) + " group:wellbeing", "at most 25 options"),
    ],
)
async def test_bad_polls_are_refused_naming_the_problem(chat: Chat, command: str, problem: str) -> None:
    await community(chat)
    reply = await chat.say("Ada", command)
    assert reply.failed and problem in reply.text and USAGE in reply.text, reply.text
    async with chat.core.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Poll)) == 0


async def test_only_the_groups_chairs_and_the_steering_group_make_polls_in_it(chat: Chat) -> None:
    await community(chat, "Bea")
    reply = await chat.say("Bea", 'poll "Q" "A" "B" group:wellbeing')
    assert reply.failed and "Only the chairs of Wellbeing (and the steering group) can use `poll` for it" in reply.text
    reply = await chat.say("Bea", 'poll "Q" "A" "B"')
    assert reply.failed and "Say which of your groups the poll is for, with group:" in reply.text
    assert (await chat.say("Ada", 'poll "Q" "A" "B"')).text.startswith("Posted poll 1 in #announcements.")
    await chat.say("Ada", "accept @bea wellbeing as:chair")
    assert (await chat.say("Bea", 'poll "Q" "A" "B" group:wellbeing')).text.startswith("Posted poll 2")


async def test_votes_by_typing_and_by_button_count_once_a_person_and_move_when_changed(chat: Chat) -> None:
    await community(chat, "Bea", "Cai")
    await chat.say("Ada", 'poll "Which day?" "Tuesday" "Thursday" group:wellbeing')
    [posted] = await chat.deliver()
    assert (await chat.press("Bea", "1. Tuesday", posted.reply)).text.startswith("Your vote on poll 1: Tuesday.")
    assert (await chat.say("Cai", "vote 1 thursday")).text.startswith("Your vote on poll 1: Thursday.")
    assert (await chat.say("Bea", "vote 1 2")).text.startswith("Your vote on poll 1: Thursday.")
    results = await chat.say("Ada", "poll results 1")
    assert "1. Tuesday  ░░░░░░░░░░  0 (0%)" in results.text and "2. Thursday  ██████████  2 (100%)" in results.text
    assert "2 votes" in results.text
    refused = await chat.say("Dee", "vote 1 1")
    assert (
        refused.failed and "Poll 1 is for the members of Wellbeing" in refused.text and "join wellbeing" in refused.text
    )
    for bad, problem in [
        ("vote 1 3", "Poll 1 has no option “3”"),
        ("vote 1 1 2", "takes at most 1 answer from each person"),
        ("vote 1", "Say your answer"),
        ("vote x 1", "“x” is not a poll number"),
        ("vote 99 1", "There is no poll 99 that you can see"),
    ]:
        reply = await chat.say("Bea", bad)
        assert reply.failed and problem in reply.text and "Usage: `vote <id>" in reply.text, (bad, reply.text)


async def test_a_multi_answer_poll_takes_answers_back_and_keeps_its_limit(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", 'poll "Topics?" "Cataloguing" "Outreach" "Archives" limit:2 group:wellbeing')
    [posted] = await chat.deliver()
    assert [b.value for b in posted.reply.all_buttons()] == ["vote 1 +1", "vote 1 +2", "vote 1 +3"]
    await chat.press("Bea", "1. Cataloguing", posted.reply)
    assert "Cataloguing, Archives" in (await chat.press("Bea", "3. Archives", posted.reply)).text
    full = await chat.press("Bea", "2. Outreach", posted.reply)
    assert full.failed and "takes at most 2 answers" in full.text
    assert (await chat.press("Bea", "1. Cataloguing", posted.reply)).text.startswith("Your vote on poll 1: Archives.")
    assert "vote on poll 1: Cataloguing, Outreach." in (await chat.say("Bea", "vote 1 1 2")).text
    await chat.press("Bea", "1. Cataloguing", posted.reply)
    assert "is taken back" in (await chat.press("Bea", "2. Outreach", posted.reply)).text  # the last one
    async with chat.core.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Vote)) == 0


async def test_rating_and_text_polls(chat: Chat) -> None:
    await community(chat, "Bea", "Cai")
    await chat.say("Ada", 'poll "How useful?" kind:rating group:wellbeing')
    await chat.say("Ada", 'poll "One thing to take back?" kind:text group:wellbeing')
    assert (await chat.say("Bea", "vote 1 4")).text.startswith("Your vote on poll 1: 4.")
    assert (await chat.say("Bea", "vote 1 6")).failed
    assert "recorded: “More shared cataloguing”" in (await chat.say("Bea", 'vote 2 "More shared cataloguing"')).text
    await chat.say("Cai", 'vote 2 "Coffee mornings"')
    results = await chat.say("Ada", "poll results 2")
    assert "• Coffee mornings\n• More shared cataloguing" in results.text and "2 answers" in results.text


async def test_hidden_results_stay_hidden_from_everyone_until_the_poll_closes(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", 'poll "Where next?" "Leeds" "York" hidden group:wellbeing')
    await chat.say("Bea", "vote 1 york")
    await chat.deliver()  # the card posted; the card job queues its edit for the next tick
    chat.advance(seconds=5)
    edits = [d for d in await chat.deliver() if d.message_key == "poll:1" and d.edit_ref is not None]
    assert len(edits) == 1
    for shown in [*(d.reply.text for d in edits), (await chat.say("Ada", "poll results 1")).text]:
        assert "1 vote so far" in shown and "█" not in shown and "(100%)" not in shown
    assert (await chat.say("Ada", "poll results 1 csv")).failed
    await chat.say("Ada", "poll close 1")
    assert "2. York  ██████████  1 (100%)" in (await chat.say("Ada", "poll results 1")).text


async def test_open_results_are_for_the_creator_chairs_and_steering_group(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", 'poll "Q" "A" "B" group:wellbeing')
    await chat.say("Ada", 'poll "Say" kind:text group:wellbeing')
    assert "0 votes" in (await chat.say("Bea", "poll results 1")).text  # its card shows the tally anyway
    refused = await chat.say("Bea", "poll results 2")
    assert refused.failed and "its results are for its creator" in refused.text
    assert (await chat.say("Bea", "poll close 1")).failed
    await chat.say("Ada", "poll close 1")
    assert not (await chat.say("Bea", "poll results 1")).failed
    closed = await chat.say("Bea", "vote 1 1")
    assert closed.failed and "Poll 1 closed at" in closed.text and "takes no more votes" in closed.text


async def test_csv_has_voters_only_for_named_polls_and_no_cell_a_spreadsheet_runs(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", 'profile title:"=HYPERLINK(1)"')
    await chat.say("Ada", 'poll "Q" "=SUM(A1)" "+1" "-x" "@me" group:wellbeing')
    await chat.say("Ada", 'poll "Say" kind:text group:wellbeing')
    await chat.say("Ada", "vote 1 1")
    await chat.say("Bea", "vote 1 4")
    await chat.say("Bea", "vote 2 \"=cmd|' /C calc'!A0\"")
    reply = await chat.say("Ada", "poll results 1 csv")
    rows = list(csv.reader(io.StringIO(reply.text.split("```\n", 1)[1].rsplit("```", 1)[0])))
    assert rows[0] == ["voter", "'=SUM(A1)", "'+1", "'-x", "'@me"]
    assert sorted(rows[1:]) == [["Ada", "1", "0", "0", "0"], ["Bea", "0", "0", "0", "1"]]
    text = (await chat.say("Ada", "poll results 2 csv")).text
    assert "'=cmd|" in text and "\n=cmd" not in text


async def test_a_poll_closes_on_time_once_through_a_restart(chat: Chat, db_url: str) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", 'poll "Q" "A" "B" group:wellbeing closes:"2027-01-11 12:00"')
    await chat.say("Bea", "vote 1 2")
    await chat.deliver()
    chat.advance(hours=3)  # 12:30 London: past its closing
    too_late = await chat.say("Bea", "vote 1 1")
    assert too_late.failed and "Poll 1 closed at 2027-01-11 12:00" in too_late.text
    for _ in range(2):  # two processes, or one restarted: each runs what is due
        restarted = Database(db_url)
        try:
            await jobs.run_due(restarted, chat.core.config, lambda: chat.now, grace=None)
        finally:
            await restarted.dispose()
    sent = await chat.deliver()
    results = [d for d in sent if d.key.startswith("poll 1: results")]
    assert len(results) == 1 and "2. B  ██████████  1 (100%)" in results[0].reply.text
    [closed] = [d for d in sent if d.key == "poll 1: closed"]
    assert "(closed)" in closed.reply.text and not closed.reply.all_buttons()
    async with chat.core.db.read() as session:
        poll = await session.get(Poll, 1)
        assert poll is not None and poll.status == "closed" and poll.closed_at == chat.now


async def test_the_console_clock_stops_at_a_polls_closing(chat: Chat) -> None:
    await community(chat)
    await chat.say("Ada", 'poll "Q" "A" "B" group:wellbeing closes:"2027-01-11 12:00"')
    moment = await jobs.next_moment(chat.core.db, START, START + timedelta(days=1))
    assert moment is not None and moment.isoformat() == "2027-01-11T12:00:00+00:00"


async def test_a_burst_of_votes_edits_the_card_once_a_tick(chat: Chat) -> None:
    people = [f"P{n:03d}" for n in range(60)]
    await community(chat, *people)
    await chat.say("Ada", 'poll "Q" "A" "B" group:wellbeing')
    await chat.deliver()
    chat.now = next_tick(chat.now) + timedelta(seconds=0.05)
    for n, person in enumerate(people):  # 60 votes over 6 seconds, the outbox sending all the while
        await chat.say(person, f"vote 1 {1 + n % 2}")
        chat.advance(seconds=0.1)
        await chat.deliver()
    chat.advance(seconds=TALLY_EVERY.total_seconds())
    await chat.deliver()
    edits = [d for d in chat.recorder.sent if d.message_key == "poll:1" and d.edit_ref is not None]
    versions = [int(d.key.removeprefix("poll 1: tally ")) for d in edits]
    # one edit a tick (three ticks in the 6 s, and one after), each showing the tally when the card job last ran
    assert len(versions) <= 4 and versions == sorted(set(versions)) and versions[-1] == 60, versions
    assert "1. A  █████░░░░░  30 (50%)" in edits[-1].reply.text and "60 votes" in edits[-1].reply.text
    async with chat.core.db.read() as session:
        waiting = await session.scalar(select(func.count()).where(Outbox.status == "pending"))
        votes = await session.scalar(select(func.count()).select_from(Vote))
    assert waiting == 0 and votes == 60


async def test_a_review_reaches_the_chairs_and_steering_group_and_turns_the_light_amber(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task channel:#diversity')
    await chat.say("Ada", "call diversity")
    for person in ("Bea", "Cai", "Dee"):
        await chat.say(person, "volunteer diversity")
        await chat.say("Ada", f"accept @{person.lower()} diversity" + (" as:chair" if person == "Bea" else ""))
    refused = await chat.say("Cai", "review diversity now")
    assert refused.failed and "Only the chairs of Diversity" in refused.text
    for bad in ("review diversity later", "review diversity anon", "review diversity every:week"):
        assert (await chat.say("Bea", bad)).failed, bad
    opened = await chat.say("Bea", "review diversity now anon")
    assert opened.text.startswith("Opened review poll 1 for Diversity"), opened.text
    again = await chat.say("Bea", "review diversity now")
    assert again.failed and "Review poll 1 of Diversity is open until" in again.text
    outsider = await chat.say("Ada", "vote 1 1")  # the steering group sees it, but it is the members' to answer
    assert outsider.failed and "for the members of Diversity to answer" in outsider.text
    [posted] = [d for d in await chat.deliver() if d.message_key == "poll:1"]
    assert posted.target == "#diversity" and "Is Diversity on course?" in posted.reply.text
    assert [b.label for b in posted.reply.all_buttons()] == ["1. On track", "2. At risk", "3. Off track"]
    await chat.press("Cai", "2. At risk", posted.reply)
    assert "anonymous vote" in (await chat.say("Dee", 'vote 1 2 "More time from our managers"')).text
    await chat.say("Bea", "vote 1 1")
    assert "not reviewed yet" in (await chat.say("Bea", "review diversity")).text
    chat.advance(days=7, minutes=1)
    await jobs.run_due(chat.core.db, chat.core.config, lambda: chat.now, grace=None)
    told = {d.target_label: d.reply.text for d in await chat.deliver() if d.key.startswith("poll 1: review to")}
    assert set(told) == {"Ada", "Bea"}  # the chair and the steering group, once each
    assert told["Bea"].startswith("Review of Diversity: 🟠 at risk (3 answers).")
    assert "What would help:\n• More time from our managers" in told["Bea"]
    assert "Review: 🟠 at risk (closed 2027-01-18)" in (await chat.say("Cai", "group diversity")).text
    assert "review: 🟠 at risk" in (await chat.say("Cai", "groups")).text
    assert "Diversity* — review closed 2027-01-18: 🟠 at risk" in (await chat.say("Ada", "home")).text
    assert "🟠 at risk (review closed 2027-01-18)" in (await chat.say("Bea", "review diversity")).text


async def test_task_groups_are_reviewed_each_quarter_on_their_own_once(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task channel:#diversity')
    await chat.say("Ada", 'group new "Makers" kind:community channel:#makers')
    await chat.say("Ada", "review makers every:month")
    await chat.say("Ada", "join makers")
    await chat.say("Ada", "call diversity")
    await chat.say("Bea", "volunteer diversity")
    await chat.say("Ada", "accept @bea diversity")
    await chat.say("Ada", 'group new "Empty" kind:task channel:#empty')  # no one to ask: not reviewed
    await chat.say("Ada", 'group new "Quiet" kind:task channel:#quiet')
    await chat.say("Ada", "review quiet every:off")
    await chat.deliver()
    await ensure_reminders(chat.core.db, chat.now)
    for days in (29, 31, 92):
        chat.now = START + timedelta(days=days)
        for _ in range(2):  # run twice, as a restart would
            await jobs.run_due(chat.core.db, chat.core.config, lambda: chat.now, grace=timedelta(days=1))
    async with chat.core.db.read() as session:
        reviews = (await session.execute(select(Poll.group_id, Poll.anonymous).where(Poll.review.is_(True)))).all()
    assert sorted(g for g, _ in reviews) == [1, 2, 2] and all(anon for _, anon in reviews)  # Diversity; Makers twice


async def run_due_in_two_processes(chat: Chat, db_url: str) -> None:
    """What two processes (or one restarted) do at `chat.now`: each runs every occurrence due."""
    for _ in range(2):
        other = Database(db_url)
        try:
            await jobs.run_due(other, chat.core.config, lambda: chat.now, grace=None)
        finally:
            await other.dispose()


async def test_a_recurring_poll_is_posted_once_an_occurrence_across_a_clock_change(chat: Chat, db_url: str) -> None:
    """Mondays at 10:00 London: 09:00 UTC before the clocks go back on 2027-10-31, 10:00 UTC after it. Each
    occurrence is a poll of its own, posted once whoever runs it, open until the next is posted."""
    await community(chat, "Bea")
    chat.now = datetime(2027, 10, 23, 12, 0, tzinfo=UTC)  # a Saturday
    made = await chat.say("Ada", 'poll "How was the week?" kind:rating anon group:wellbeing every:"monday 10:00"')
    assert made.text.startswith("Recurring poll 1 will be posted in Wellbeing's channel: Mondays at 10:00"), made.text
    assert "The first is on Monday 2027-10-25 at 10:00 (Europe/London)." in made.text
    assert not await chat.deliver()  # the template itself is never posted
    listed = await chat.say("Ada", "schedules")
    assert "Recurring poll 1 for Wellbeing — Mondays at 10:00 (Europe/London)" in listed.text, listed.text
    early = await chat.say("Bea", "vote 1 4")
    assert early.failed and "Poll 1 is a recurring poll" in early.text and "Monday 2027-10-25 at 10:00" in early.text
    fired = []
    for _ in range(2):
        moment = await jobs.next_moment(chat.core.db, chat.now, chat.now + timedelta(days=8))
        assert moment is not None, (fired, chat.now)
        chat.now = moment
        await run_due_in_two_processes(chat, db_url)
        fired.append(moment)
        posts = [d for d in await chat.deliver() if d.key.endswith(": post")]
        assert len(posts) == 1 and "How was the week?" in posts[0].reply.text
    assert [f.isoformat() for f in fired] == ["2027-10-25T09:00:00+00:00", "2027-11-01T10:00:00+00:00"]
    async with chat.core.db.read() as session:
        polls = (await session.scalars(select(Poll).where(Poll.series_id == 1).order_by(Poll.id))).all()
    assert [(p.id, p.status, p.anonymous, p.kind) for p in polls] == [
        (2, "closed", True, "rating"),
        (3, "open", True, "rating"),
    ]
    assert polls[0].closes_at == fired[1] and polls[1].closes_at == datetime(2027, 11, 8, 10, 0, tzinfo=UTC)
    assert (await chat.say("Bea", "vote 3 4")).text.startswith("Your anonymous vote on poll 3 is counted.")
    listing = await chat.say("Ada", "poll results 1")
    assert "• poll 3, 2027-11-01: 1 vote (open)" in listing.text and "• poll 2, 2027-10-25: 0 votes" in listing.text
    stopped = await chat.say("Ada", "poll close 1")
    assert stopped.text.startswith("Recurring poll 1 is stopped: it will not be posted again. Poll 3 stays open")
    assert (await chat.say("Ada", "poll close 1")).failed
    chat.now += timedelta(days=14)
    await run_due_in_two_processes(chat, db_url)
    async with chat.core.db.read() as session:
        assert await session.scalar(select(func.count()).where(Poll.series_id == 1)) == 2


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ('poll "Q" "A" "B" group:wellbeing every:month closes:2027-02-01', "leave out closes:"),
        ('poll "Q" "A" "B" group:wellbeing every:fortnightly', "I don't understand “fortnightly” in every:"),
        ('poll "Q" "A" "B" group:wellbeing cron:"0 10 * *"', "cron: takes five fields"),
        ('poll "Q" "A" "B" group:wellbeing every:month cron:"0 10 * * 1"', "Give either every: or cron:, not both"),
        ('poll "Q" "A" "B" group:wellbeing every:month tz:Mars/Base', "“Mars/Base” is not a time zone"),
        ('poll "Q" "A" "B" group:wellbeing tz:Europe/Paris', "tz: goes with every: or cron:"),
        ('poll "Q" "A" "B" group:wellbeing every:"first monday tuesday"', "a day of the month is one day"),
        ('poll "Q" "A" "B" group:wellbeing cron:"* * * * *"', "would post a poll every 1 minutes: a recurring"),
        ('poll "Q" "A" "B" group:wellbeing cron:"0 * * * *"', "comes at most once a day"),
        ('poll "Q" "A" "B" group:wellbeing every:100w', "Between 1w and 12w"),
    ],
)
async def test_bad_recurring_polls_are_refused_naming_the_problem(chat: Chat, command: str, problem: str) -> None:
    await community(chat)
    reply = await chat.say("Ada", command)
    assert reply.failed and problem in reply.text and USAGE in reply.text, reply.text
    async with chat.core.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Poll)) == 0
        assert await session.scalar(select(func.count()).select_from(Schedule)) == 0


async def test_a_monthly_poll_comes_on_the_first_monday_in_the_speakers_zone(chat: Chat) -> None:
    await community(chat)
    made = await chat.say("Ada", 'poll "Q" "A" "B" group:wellbeing every:month tz:America/New_York')
    assert "the first Monday of each month at 10:00 (America/New_York)" in made.text, made.text
    assert "The first is on Monday 2027-02-01 at 10:00 (America/New_York)." in made.text


async def test_closing_posts_a_chart_where_the_card_was_and_chart_sends_one_on_asking(chat: Chat) -> None:
    await community(chat, "Bea", "Cai")
    await chat.say("Ada", 'poll "Which day?" "Tuesday" "Thursday" group:wellbeing')
    await chat.say("Ada", 'poll "Ideas?" kind:text group:wellbeing')
    await chat.say("Ada", 'poll "Secret?" "A" "B" hidden group:wellbeing')
    await chat.deliver()
    early = await chat.say("Ada", "poll results 1 chart")
    assert early.failed and "Poll 1 has no votes yet: there is nothing to chart" in early.text
    await chat.say("Bea", "vote 1 2")
    await chat.say("Cai", "vote 1 2")
    await chat.say("Bea", 'vote 2 "More walks"')
    await chat.say("Bea", "vote 3 1")
    asked = await chat.say("Bea", "poll results 1 chart", channel="#wellbeing")
    assert asked.text == "The chart of poll 1 is posted in #wellbeing.", asked.text
    mine = await chat.say("Cai", "poll results 1 chart")
    assert mine.text == "The chart of poll 1 is on its way to you in a direct message.", mine.text
    for who, command, problem in [
        ("Ada", "poll results 2 chart", "Poll 2 has written answers: there is nothing to chart"),
        ("Bea", "poll results 3 chart", "Poll 3 shows its results when it closes; its chart comes then"),
        ("Bea", "poll results 1 pie", "as csv or as a chart, not “pie”"),
    ]:
        refused = await chat.say(who, command)
        assert refused.failed and problem in refused.text and "poll results <id> [csv|chart]" in refused.text
    sent = [d for d in await chat.deliver() if d.reply.files]
    assert [(d.target_kind, d.target) for d in sent] == [("channel", "#wellbeing"), ("member", "cai")]
    for command in ("poll close 1", "poll close 2", "poll close 3"):
        await chat.say("Ada", command)
    charts = [d for d in await chat.deliver() if d.reply.files]
    assert [d.key for d in charts] == ["poll 1: chart", "poll 3: chart"]  # a text poll has no chart
    [png] = charts[0].reply.files
    assert png.name == "poll-1.png" and png.mime == "image/png" and png.alt == "Tuesday: 0; Thursday: 2"
    image = PIL.Image.open(io.BytesIO(png.data))
    assert image.format == "PNG" and image.width >= 400 and len(png.data) <= MAX_BYTES
    assert charts[0].target == "#wellbeing" and charts[0].reply.text.startswith("📊 Chart of poll 1: Which day?")


async def test_home_lists_the_open_polls_of_my_groups_and_whether_i_voted(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", 'poll "Which day?" "Tuesday" "Thursday" group:wellbeing closes:"2027-01-20 12:00"')
    await chat.say("Ada", 'poll "Rate it" kind:rating anon group:wellbeing')
    await chat.say("Ada", 'poll "Elsewhere?" "A" "B"', channel="#general")
    await chat.say("Bea", "vote 2 4")
    home = await chat.say("Bea", "home")
    assert "Poll 1 (Wellbeing): Which day?, closes 2027-01-20 12:00 — you have not voted yet" in home.text, home.text
    assert "Poll 2 (Wellbeing): Rate it — you have voted; you can change it" in home.text
    assert "Elsewhere?" not in home.text  # not a poll of one of Bea's groups
    pressed = await chat.press("Bea", "2. Thursday", home)
    assert pressed.text.startswith("Your vote on poll 1: Thursday.")
    assert "None in your groups just now" in (await chat.say("Dee", "home")).text


async def test_closing_a_group_closes_its_polls_and_a_recurring_poll_has_no_csv_of_its_own(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", 'poll "Q" "A" "B" group:wellbeing')
    await chat.say("Ada", 'poll "Weekly?" "A" "B" group:wellbeing every:"monday 10:00"')
    await chat.say("Bea", "vote 1 2")
    for form in ("csv", "chart"):
        refused = await chat.say("Ada", f"poll results 2 {form}")
        assert refused.failed and f"`poll results <their number> {form}` gives one" in refused.text
    await chat.deliver()
    closed = await chat.say("Ada", "group close wellbeing anyway")
    assert "its open polls (1) are closed, their results posted" in closed.text, closed.text
    sent = await chat.deliver()
    assert [d.key for d in sent if d.key.startswith("poll 1: results")] == ["poll 1: results"]
    assert "(closed)" in (await chat.say("Ada", "poll results 1")).text


def test_a_charts_shares_are_of_the_voters_as_the_bars_in_text_give_them() -> None:
    figure = charts._figure("Which?", ["1. A", "2. B"], [2, 1], 2, "")  # two voters, one chose both
    assert [t.get_text() for t in figure.axes[0].texts] == ["2 (100%)", "1 (50%)"]
