"""Polls run by chairs and the steering group: vote buttons, a live tally drawn as bars and edited in place,
voting by typing, true anonymity, hidden results, closing on time, and results as bars or CSV (SPEC.md §2 Poll,
Vote; §3; §6).

A poll's card is posted in its group's channels (each platform the group has one on), or in the channel it was
asked for in. A vote only counts one more `version` of the poll; the scheduler's card job (`refresh_cards`, every
second) queues one edit of the card, with the tally then, for each poll whose version moved, due on the next tick
of `TALLY_EVERY`, and the outbox sends only the newest of the edits waiting for one message (`scheduler.outbox`).
So a burst of votes makes one edit a tick, not one a vote, and the tally is counted once a tick, not once a
vote. Votes on one poll take its row's lock, so the limit of answers and the card's count hold whatever arrives
at once.

An anonymous poll's votes name no one (`storage.models.polls`): not the card, not the answer to the voter (which
says the vote counted, not what it was, since it passes through the platform), not the CSV, not the log.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command.charts import bar_chart
from handlers.command.context import Ctx
from handlers.command.errors import UserError
from handlers.command.forms import Field, Form
from handlers.command.grammar import MAX_ID, parse_date, parse_int, parse_time
from handlers.command.messages import Button, File, Reply, Section, channel_ref, counted, possessive
from handlers.command.occurrences import Occasion, rule_of, runs, set_rule
from handlers.command.outbox import address, beside, group_rows, member_row, post_card
from handlers.command.registry import command
from handlers.command.spreadsheets import csv_text
from handlers.command.timing import DEFAULT_TZ, Rule, closing_moment, describe, first_words, until_words
from storage import queries
from storage.models import Event, Group, Member, Membership, Poll, Schedule, Vote

MAX_OPTIONS = 25  # Slack shows at most 25 buttons in one actions block (Block Kit's limit)
OPTION_LIMIT = 75  # Slack's longest button text (Block Kit's limit), so that every option is its own button
QUESTION_LIMIT = 300  # polls.question
ANSWER_LIMIT = 500  # a text poll's answer
RATINGS = 5  # a rating poll asks for 1 to 5
FLAGS = ("multi", "anon", "hidden")
TALLY_EVERY = timedelta(seconds=2)  # a card's tally is edited at most once a tick
BAR_WIDTH = 10
SERIES_SHOWN = 10  # a recurring poll's latest polls listed by `poll results`
SERIES_GAP = timedelta(hours=23)  # the least time between a recurring poll's occurrences (a clock change is 1 h)
POLL_USAGE = (
    'poll "<question>" "<option>" "<option>"… [multi|limit:N] [anon] [hidden] [closes:…] [group:…] '
    '[kind:choice|rating|text] [every:…|cron:"…" [tz:…] [holidays:skip|post]]'
)
VOTE_USAGE = 'vote <id> <option>…  ·  vote <id> <1-5>  ·  vote <id> "<answer>"'


def message_key(poll_id: int) -> str:
    """The key of a poll's card, in every place it was posted (`group_rows` adds each other place's suffix)."""
    return f"poll:{poll_id}"


# -- what a poll shows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    votes: int  # how many people voted
    counts: tuple[int, ...]  # per option (a rating's 1 to 5); empty for a text poll
    answers: tuple[str, ...] = ()  # a text poll's answers, in no particular order that could tell who


def labels(poll: Poll) -> list[str]:
    """The options' names, numbered from 1 by the voters: a choice poll's own, a rating's 1 to 5."""
    if poll.kind == "rating":
        return [str(n) for n in range(1, RATINGS + 1)]
    return list(poll.options.get("labels", [])) if poll.kind == "choice" else []


def no_votes(poll: Poll) -> Tally:
    """The tally of a poll no one has voted in yet."""
    return Tally(0, (0,) * len(labels(poll)))


async def tally(session: AsyncSession, poll: Poll) -> Tally:
    rows = (await session.execute(select(Vote.choices, Vote.answer).where(Vote.poll_id == poll.id))).tuples().all()
    named = labels(poll)
    counted_choices: Counter[int] = Counter(n for choices, _ in rows for n in choices.get("chosen", ()))
    answers = tuple(sorted(a for _, a in rows if a))  # sorted: the order of casting says nothing
    return Tally(len(rows), tuple(counted_choices[n] for n in range(1, len(named) + 1)), answers)


def is_open(poll: Poll, now: datetime) -> bool:
    return poll.status == "open" and (poll.closes_at is None or poll.closes_at > now)


def hides_results(poll: Poll, now: datetime) -> bool:
    """Whether the poll shows only its number of votes now: a `hidden` poll until it closes, and an anonymous one
    too, since a tally that moves as someone votes would tell watchers what they chose."""
    return (poll.hidden or poll.anonymous) and is_open(poll, now)


def bars(poll: Poll, result: Tally) -> list[str]:
    """One line an option: its number and name, a bar of its share of the votes, its count and percentage."""
    lines = []
    for number, (label, count) in enumerate(zip(labels(poll), result.counts, strict=True), start=1):
        share = count / result.votes if result.votes else 0.0
        filled = round(share * BAR_WIDTH)
        name = label if poll.kind == "rating" else f"{number}. {label}"
        lines.append(f"{name}  {'█' * filled}{'░' * (BAR_WIDTH - filled)}  {count} ({share:.0%})")
    return lines


def _answers_word(poll: Poll) -> str:
    if poll.kind == "text":
        return "a written answer"
    if poll.max_choices == 1:
        return "one answer"
    everything = poll.max_choices >= len(labels(poll))
    return "any number of answers" if everything else f"up to {poll.max_choices} answers"


def card(poll: Poll, result: Tally, now: datetime, group: Group | None) -> Reply:
    """The poll as posted: question, how to answer, the tally (or only the number of votes while hidden), and a
    button an option while it is open."""
    open_now = is_open(poll, now)
    headline = f"📊 Poll {poll.id}: {poll.question}" + ("" if open_now else " (closed)")
    about = [group.name] if group is not None else []
    about.append("anonymous: no one, not even its creator, can see who voted what" if poll.anonymous else "named")
    about.append(_answers_word(poll))
    if open_now and poll.closes_at is not None:
        about.append(f"closes {until_words(poll.closes_at, ZoneInfo(DEFAULT_TZ), label=True)}")
    lines = [" · ".join(about)]
    showing = not hides_results(poll, now)
    if poll.kind == "text":
        lines.append(
            counted(result.votes, "answer")
            + ("" if open_now or not result.votes else f"; `poll results {poll.id}` shows the answers")
        )
    elif showing:
        lines += [*bars(poll, result), counted(result.votes, "vote")]
    else:
        lines.append(f"{counted(result.votes, 'vote')} so far; the results are shown when the poll closes.")
    if open_now:
        lines.append(_how_to_vote(poll))
    buttons = _vote_buttons(poll) if open_now else ()
    body = "\n".join(lines)
    return Reply(f"{headline}\n{body}", sections=(Section(f"*{headline}*\n{body}", buttons=buttons),), private=False)


def _how_to_vote(poll: Poll) -> str:
    if poll.review:
        return f'Press an answer, or type `vote {poll.id} 2 "what would help"` to say what would help too.'
    if poll.kind == "text":
        return f'Answer by typing `vote {poll.id} "your answer"` (you can change it while the poll is open).'
    if poll.max_choices > 1:
        return (
            f"Press an option to choose it, again to take it back, or type `vote {poll.id} 1 3`; "
            "you can change your answers while the poll is open."
        )
    return f"Press an option or type `vote {poll.id} <number>`; you can change your vote while the poll is open."


def _vote_buttons(poll: Poll) -> tuple[Button, ...]:
    toggle = "+" if poll.max_choices > 1 else ""  # a multi-answer poll's button adds or takes back one answer
    return tuple(
        Button(f"{n}. {label}" if poll.kind == "choice" else label, "vote", f"vote {poll.id} {toggle}{n}")
        for n, label in enumerate(labels(poll), start=1)
    )


def results_reply(poll: Poll, result: Tally, now: datetime, group: Group | None) -> Reply:
    """The results as bars (and a text poll's answers), or only the count while they are hidden."""
    open_now = is_open(poll, now)
    where = f" ({group.name})" if group is not None else ""
    headline = f"Results of poll {poll.id}{where}: {poll.question}" + (" (closed)" if not open_now else " (open)")
    if hides_results(poll, now):
        noun = "answer" if poll.kind == "text" else "vote"
        why = "anonymous: they" if poll.anonymous and not poll.hidden else "hidden: they"
        body = [f"{counted(result.votes, noun)} so far; the results are {why} are shown when the poll closes."]
    elif poll.kind == "text":
        body = [counted(result.votes, "answer"), *(f"• {a}" for a in result.answers)]
    else:
        body = [*bars(poll, result), counted(result.votes, "vote")]
        if result.answers:  # the notes: a review's of what would help, an event feedback's of what to take back
            heading = "What would help:" if poll.review else "What people will take back:"
            body += [heading, *(f"• {a}" for a in result.answers)]
    text = "\n".join([headline, *body])
    return Reply(text, sections=(Section(f"*{headline}*\n" + "\n".join(body)),))


# -- making a poll ---------------------------------------------------------------------------------------------

POLL_FORM = Form(
    "New poll",
    (
        Field("question", "Question", required=True, positional=True, max_length=QUESTION_LIMIT),
        Field(
            "options",
            "Options",
            "lines",
            positional=True,
            hint="One option a line (2 to 25). Leave empty for a rating or a written-answer poll.",
        ),
        Field("multi", "People may choose several options", "flag"),
        Field("anon", "Anonymous: no one, not even you, sees who voted what (fixed once made)", "flag"),
        Field("hidden", "Hide the results until the poll closes", "flag"),
        Field(
            "kind",
            "Kind",
            "choice",
            choices=(
                ("choice", "Choose from the options"),
                ("rating", "A rating, 1 to 5"),
                ("text", "Written answers"),
            ),
        ),
        Field("group", "Group", required=True, hint="The group's name or short name: the poll goes to its channels."),
        Field("limit", "Most options one person may choose", "number"),
        Field("closes", "Closes", hint="YYYY-MM-DD HH:MM in your time, or YYYY-MM-DD for the end of that day."),
        Field(
            "every",
            "Repeats",
            hint='Leave empty for a poll posted once. To post it again and again: month, "first monday 10:00", '
            '"friday 16:00"; each stays open until the next.',
        ),
    ),
    submit="Post",
)


@command(
    "poll",
    role="chair",  # of the group it names (checked with it), or an admin
    usage=POLL_USAGE,
    summary="post a poll with vote buttons and a live tally",
    options=("limit", "closes", "group", "kind", "every", "cron", "tz", "holidays"),
    form=POLL_FORM,
    examples=(
        'poll "Which day suits?" "Tuesday" "Thursday" group:wellbeing',
        'poll "How useful was the session?" kind:rating anon group:diversity',
        'poll "How is the group going for you?" kind:rating anon group:wellbeing every:"first monday 10:00"',
    ),
)
async def new_poll(ctx: Ctx) -> Reply:
    """Chairs of the group named with `group:` (and admins) make a poll in it; an admin may also make one in the
    channel they type in, or in the announcements channel."""
    group, channel = await ctx.group_or_channel("poll")  # who may make it there comes before what is wrong with it
    words = ctx.args.words
    if not words:
        raise ctx.fail("Give the poll's question in quotes, then its options, each in quotes.")
    if not words[0].quoted and len(words) > 1:
        raise ctx.fail("Put the question in quotes, then each option in quotes of its own.")
    question = ctx.limited(words[0].text, QUESTION_LIMIT, "question", field="question")
    flags: set[str] = set()
    options: list[str] = []
    for word in words[1:]:
        if word.quoted:
            options.append(ctx.limited(word.text, OPTION_LIMIT, f"option “{word.text[:30]}”", field="options"))
        elif word.text.lower() in FLAGS:
            flags.add(word.text.lower())
        else:
            raise ctx.fail(
                f"I don't understand “{word.text}” here: put each option in quotes, and say multi, anon or hidden "
                "without quotes."
            )
    kind = ctx.choice("kind", ("choice", "rating", "text"), "choice")
    assert kind is not None
    if kind == "choice":
        _check_options(ctx, options)
    elif options:
        raise ctx.fail(f"A {kind} poll has no options of its own: leave them out, or say kind:choice.", field="options")
    count = len(options) if kind == "choice" else (RATINGS if kind == "rating" else 1)
    max_choices = _max_choices(ctx, flags, kind, count)
    ruled = ctx.schedule_rule()
    _check_recurrence(ctx, ruled)
    closes_at = _closes(ctx)
    poll = Poll(
        question=question,
        kind=kind,
        options={"labels": options},
        max_choices=max_choices,
        anonymous="anon" in flags,
        hidden="hidden" in flags,
        closes_at=closes_at,
        group_id=group.id if group is not None else None,
        platform=ctx.request.speaker.platform if group is None else group.platform,
        workspace=ctx.request.speaker.workspace if group is None else group.workspace,
        channel=channel,
        creator_id=ctx.me.id,
        status="open" if ruled is None else "recurring",
        version=0,
        created_at=ctx.now,
    )
    ctx.session.add(poll)
    await ctx.session.flush()
    if ruled is not None:
        return await _schedule(ctx, poll, group, *ruled)
    shown = card(poll, no_votes(poll), ctx.now, group)
    where = await _post(ctx.session, poll, group, shown, ctx.now)
    after = f"It closes at {until_words(closes_at, ctx.zone)}. " if closes_at else ""
    lead = f"Posted poll {poll.id} {where}. " if where else f"Made poll {poll.id}, with no channel to post it in. "
    return Reply(
        f"{lead}{after}`poll results {poll.id}` shows the results, `poll close {poll.id}` closes it.",
        sections=() if where else shown.sections,
    )


def _check_options(ctx: Ctx, options: list[str]) -> None:
    if len(options) < 2:
        raise ctx.fail("A poll needs at least two options, each in quotes.", field="options")
    if len(options) > MAX_OPTIONS:
        raise ctx.fail(
            f"A poll has at most {MAX_OPTIONS} options (a Slack message shows {MAX_OPTIONS} buttons together); "
            f"this one has {len(options)}.",
            field="options",
        )
    seen: dict[str, str] = {}
    for option in options:
        if option.casefold() in seen:
            raise ctx.fail(f"The option “{option}” is given twice: each option must be different.", field="options")
        seen[option.casefold()] = option


def _max_choices(ctx: Ctx, flags: set[str], kind: str, count: int) -> int:
    limit = ctx.option("limit")
    if kind != "choice" and ("multi" in flags or limit is not None):
        raise ctx.fail(f"A {kind} poll takes one answer from each person: leave out multi and limit:.", field="limit")
    if limit is None:
        return count if "multi" in flags else 1
    chosen = ctx.option_int("limit", "limit of answers", high=MAX_OPTIONS)
    assert chosen is not None
    if chosen == 1 and "multi" in flags:
        raise ctx.fail("multi and limit:1 say opposite things: leave out one of them.", field="limit")
    if chosen > count:
        raise ctx.fail(f"limit:{chosen} is more than the poll's {counted(count, 'option')}.", field="limit")
    return chosen


def _closes(ctx: Ctx) -> datetime | None:
    """`closes:` as a moment: `YYYY-MM-DD HH:MM` in the speaker's zone, or `YYYY-MM-DD` for the end of that day;
    refused when it has passed."""
    value = ctx.option("closes")
    if value is None:
        return None
    try:
        if len(value.strip()) == 10:
            moment = closing_moment(parse_date(value.strip(), "closing date"), ctx.zone.key)
        else:
            moment = parse_time(value, ctx.zone.key).astimezone(UTC)
    except UserError as err:
        raise ctx.fail(f"closes: {err.message}", field="closes") from None
    if moment <= ctx.now:
        raise ctx.fail(
            f"closes: {until_words(moment, ctx.zone)} has passed; it is {ctx.local(ctx.now):%Y-%m-%d %H:%M} now.",
            field="closes",
        )
    return moment


def _in_channels(group: Group, places: Sequence[object]) -> str:
    return f"in {possessive(group.name)} " + ("channel" if len(places) == 1 else "channels")


# -- recurring polls ------------------------------------------------------------------------------------------
#
# A recurring poll is a template (a poll whose status is `recurring`, never posted or voted on) and a `polls`
# schedule whose scope names it. Each occurrence copies the template into a poll of its own, which stays open until
# the next occurrence is posted; its card and results are those of any poll.


def _check_recurrence(ctx: Ctx, ruled: tuple[Rule, str] | None) -> None:
    if ruled is None:
        for name in ("tz", "holidays"):
            if ctx.option(name) is not None:
                raise ctx.fail(f"{name}: goes with every: or cron:, for a poll posted again and again.", field=name)
        return
    if ctx.option("closes") is not None:
        raise ctx.fail(
            "A recurring poll closes each time the next one is posted: leave out closes:, or every: for one poll.",
            field="closes",
        )


def _series_scope(template_id: int) -> str:
    return f"poll {template_id}"


async def _schedule(ctx: Ctx, template: Poll, group: Group | None, rule: Rule, typed: str) -> Reply:
    """Schedule the recurring poll `template` (just made): a `polls` schedule posts a copy at each occurrence."""
    places = await queries.group_places(ctx.session, group) if group is not None else []
    where = (
        f"in {channel_ref(template.channel)}"
        if group is None and template.channel is not None
        else _in_channels(group, places)
        if group is not None and places
        else None
    )
    first = rule.next_after(ctx.now)
    second = rule.next_after(first) if first is not None else None
    if first is not None and second is not None and second - first < SERIES_GAP:
        raise ctx.fail(
            f"{typed} would post a poll every {_gap_words(second - first)}: a recurring poll comes at most once a "
            'day (each stays open until the next). Try every:"monday 10:00" or every:month.',
            field="every" if typed.startswith("every") else "cron",
        )
    if where is None or first is None:
        name = group.name if group is not None else "The poll"
        raise ctx.fail(
            f"{name} has no channel to post the poll in." if where is None else f"{typed} never comes round again."
        )
    schedule = Schedule(
        kind="polls",
        scope=_series_scope(template.id),
        group_id=template.group_id,
        platform=template.platform,
        workspace=template.workspace,
        created_by=ctx.me.id,
        created_at=ctx.now,
    )
    ctx.session.add(schedule)
    set_rule(schedule, rule, typed, ctx.now)
    return Reply(
        f"Recurring poll {template.id} will be posted {where}: {describe(rule)}.{first_words(rule, ctx.now)} "
        "Each time it is a poll of its own, open until the next is posted. "
        f"`poll results {template.id}` lists them; `poll close {template.id}` stops it."
    )


def _gap_words(gap: timedelta) -> str:
    minutes = int(gap.total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"


async def _post(session: AsyncSession, poll: Poll, group: Group | None, shown: Reply, now: datetime) -> str | None:
    """Queue the poll's card where it belongs (`post_card`); where that is, in words."""
    channel = (poll.platform, poll.workspace, poll.channel) if poll.channel is not None else None
    key = f"poll {poll.id}: post"
    return await post_card(
        session, shown, key=key, message_key=message_key(poll.id), now=now, group=group, channel=channel
    )


async def _series_schedule(session: AsyncSession, template: Poll) -> Schedule | None:
    return await session.scalar(
        select(Schedule).where(Schedule.kind == "polls", Schedule.scope == _series_scope(template.id))
    )


@runs("polls")
async def post_occurrence(session: AsyncSession, occasion: Occasion) -> str:
    """One occurrence of a recurring poll: a copy of its template, posted where the template says, open until the
    schedule's next occurrence (or `REVIEW_OPEN` if there is none)."""
    schedule = occasion.schedule
    template = await session.get(Poll, int(schedule.scope.removeprefix("poll ")))
    if template is None or template.status != "recurring":
        return "the recurring poll was stopped"
    group = await session.get(Group, template.group_id) if template.group_id else None
    if group is not None and group.status == "closed":
        return f"not posted: {group.name} is closed"
    poll = Poll(
        question=template.question,
        kind=template.kind,
        options=dict(template.options),
        max_choices=template.max_choices,
        anonymous=template.anonymous,
        hidden=template.hidden,
        closes_at=rule_of(schedule).next_after(occasion.fire_at) or occasion.fire_at + REVIEW_OPEN,
        group_id=template.group_id,
        platform=template.platform,
        workspace=template.workspace,
        channel=template.channel,
        creator_id=template.creator_id,
        status="open",
        version=0,
        series_id=template.id,
        created_at=occasion.now,
    )
    session.add(poll)
    await session.flush()
    where = await _post(session, poll, group, card(poll, no_votes(poll), occasion.now, group), occasion.now)
    return f"posted poll {poll.id} {where}" if where else f"made poll {poll.id}, with no channel to post it in"


async def _occurrences(session: AsyncSession, template: Poll) -> list[tuple[Poll, int]]:
    """The polls a recurring poll has posted, newest first, each with its number of votes."""
    votes = select(func.count()).where(Vote.poll_id == Poll.id).scalar_subquery()
    query = select(Poll, votes).where(Poll.series_id == template.id).order_by(Poll.id.desc())
    return [(poll, count) for poll, count in (await session.execute(query)).tuples()]


async def _series_state(ctx: Ctx, template: Poll) -> str:
    """Where a recurring poll is: its latest poll, or when its first comes."""
    latest = await ctx.session.scalar(select(func.max(Poll.id)).where(Poll.series_id == template.id))
    if latest is not None:
        return f"its latest is poll {latest}"
    schedule = await _series_schedule(ctx.session, template)
    nxt = rule_of(schedule).next_after(ctx.now) if schedule is not None and schedule.active else None
    return (
        f"the first is posted on {ctx.local(nxt):%A %Y-%m-%d at %H:%M}"
        if nxt
        else "it was stopped before it was posted"
    )


async def _series_results(ctx: Ctx, template: Poll) -> Reply:
    schedule = await _series_schedule(ctx.session, template)
    how = describe(rule_of(schedule)) if schedule is not None else "not scheduled"
    state = "" if schedule is not None and schedule.active else " (stopped)"
    headline = f"Recurring poll {template.id}: {template.question}{state}"
    rows = await _occurrences(ctx.session, template)
    lines = [f"Posted {how}."]
    shown = rows[:SERIES_SHOWN]
    lines += [
        f"• poll {poll.id}, {ctx.local(poll.created_at):%Y-%m-%d}: {counted(votes, 'vote')}"
        + ("" if poll.status == "closed" else " (open)")
        for poll, votes in shown
    ]
    if not rows:
        lines.append(f"Not posted yet: {await _series_state(ctx, template)}.")
    elif len(rows) > len(shown):
        lines.append(f"…and {len(rows) - len(shown)} before them.")
    if rows:
        lines.append(f"`poll results {rows[0][0].id}` shows one of them.")
    return Reply("\n".join([headline, *lines]), sections=(Section(f"*{headline}*\n" + "\n".join(lines)),))


async def _stop_series(ctx: Ctx, template: Poll) -> Reply:
    schedule = await _series_schedule(ctx.session, template)
    if schedule is None or not schedule.active:
        raise ctx.fail(f"Recurring poll {template.id} is stopped already.")
    schedule.active, schedule.updated_at = False, ctx.now
    template.closed_at = ctx.now
    latest = await ctx.session.scalar(
        select(Poll).where(Poll.series_id == template.id, Poll.status == "open").order_by(Poll.id.desc()).limit(1)
    )
    still = (
        f" Poll {latest.id} stays open until {until_words(latest.closes_at, ctx.zone)}: `poll close {latest.id}` "
        "closes it now."
        if latest is not None and latest.closes_at is not None
        else ""
    )
    return Reply(f"Recurring poll {template.id} is stopped: it will not be posted again.{still}")


HOME_POLLS = 5  # open polls listed on a person's home


async def open_polls_for(ctx: Ctx) -> list[Section]:
    """The open polls of the groups the speaker is a member of (SPEC.md §4: the App Home lists open polls),
    soonest closing first, at most `HOME_POLLS`: each with whether they have voted and its buttons to vote."""
    mine = select(Membership.group_id).where(Membership.member_id == ctx.me.id)
    polls = (
        (
            await ctx.session.execute(
                select(Poll, Group)
                .join(Group, Group.id == Poll.group_id)
                .where(Poll.status == "open", or_(Poll.closes_at.is_(None), Poll.closes_at > ctx.now))
                .where(Poll.group_id.in_(mine), Group.status != "closed")
                .order_by(Poll.closes_at.is_(None), Poll.closes_at, Poll.id)
                .limit(HOME_POLLS)
            )
        )
        .tuples()
        .all()
    )
    if not polls:
        return [Section("*Open polls*\nNone in your groups just now.")]
    sections = [Section("*Open polls*")]
    for poll, group in polls:
        voter = ctx.config.sealer.pseudonym("vote", poll.id, ctx.me.id) if poll.anonymous else None
        mine_now = Vote.voter == voter if voter is not None else Vote.member_id == ctx.me.id
        voted = await ctx.session.scalar(select(Vote.id).where(Vote.poll_id == poll.id, mine_now)) is not None
        closes = f", closes {until_words(poll.closes_at, ctx.zone)}" if poll.closes_at else ""
        state = "you have voted; you can change it" if voted else "you have not voted yet"
        buttons = _vote_buttons(poll) if poll.kind != "text" else ()
        sections.append(Section(f"Poll {poll.id} ({group.name}): {poll.question}{closes} — {state}", buttons=buttons))
    return sections


# -- finding a poll, and who may do what with it --------------------------------------------------------------


async def _poll(ctx: Ctx, index: int = 0, *, lock: bool = False) -> tuple[Poll, Group | None]:
    """The poll the word at `index` numbers, with its group; UserError when there is none this speaker may see
    (SPEC.md §6: an identifier from a client is checked against the person)."""
    text = ctx.word(index, "poll (its number)").text.lstrip("#")
    try:
        poll_id = parse_int(text, "poll number", high=MAX_ID)
    except UserError:
        raise ctx.fail(f"“{text}” is not a poll number: polls are numbered, like `vote 12 2`.") from None
    statement = select(Poll).where(Poll.id == poll_id)
    poll = await ctx.session.scalar(statement.with_for_update() if lock else statement)
    group = await ctx.session.get(Group, poll.group_id) if poll is not None and poll.group_id else None
    if poll is not None and group is not None and not await _may_see(ctx, poll, group):
        how = f"`join {group.slug}`" if group.kind == "community" else f"`volunteer {group.slug}` when it calls"
        raise ctx.fail(f"Poll {poll_id} is for the members of {group.name} (to become one: {how}).")
    if poll is None or not await _may_see(ctx, poll, group):
        raise ctx.fail(f"There is no poll {poll_id} that you can see.")
    return poll, group


async def _may_see(ctx: Ctx, poll: Poll, group: Group | None) -> bool:
    """A group's poll: its members and chairs, and the steering group. A channel's poll: everyone in its
    workspace, or in one joined to it by a group's channels. An event's feedback poll: those who attended."""
    if ctx.is_admin:
        return True
    if poll.event_id is not None:  # an event's feedback poll: those who attended it, and its organiser
        return poll.creator_id == ctx.me.id or ctx.me.id in await queries.attendee_ids(ctx.session, poll.event_id)
    if group is not None:
        return await queries.membership(ctx.session, group.id, ctx.me.id) is not None
    mine = (ctx.me.platform, ctx.me.workspace)
    return mine == (poll.platform, poll.workspace) or await queries.one_community(
        ctx.session, (ctx.request.speaker.platform, ctx.request.speaker.workspace), (poll.platform, poll.workspace)
    )


async def _may_run(ctx: Ctx, poll: Poll, group: Group | None) -> bool:
    """Whether the speaker may close the poll or read its results while open: its creator, its group's chairs,
    the steering group."""
    return ctx.is_admin or poll.creator_id == ctx.me.id or (group is not None and group.id in await ctx.chaired())


# -- voting ----------------------------------------------------------------------------------------------------


# A vote, written in one statement whether or not the person voted before (`queries.on_conflict`): by the member
# on a named poll, by the keyed hash on an anonymous one (SPEC.md §6), each a unique rule of `votes`.
_VOTE_BY_MEMBER = queries.on_conflict(Vote.__table__, ("poll_id", "member_id"), changed=("choices", "answer"))
_VOTE_BY_VOTER = queries.on_conflict(Vote.__table__, ("poll_id", "voter"), changed=("choices", "answer"))
# The person's vote held (locked, unchanged; made empty if there was none) before it is read and changed.
_HOLD_BY_MEMBER = queries.on_conflict(Vote.__table__, ("poll_id", "member_id"), kept=("choices",))
_HOLD_BY_VOTER = queries.on_conflict(Vote.__table__, ("poll_id", "voter"), kept=("choices",))


@command(
    "vote",
    usage=VOTE_USAGE,
    summary="vote in a poll by typing, as its buttons do",
    examples=("vote 12 2", "vote 12 1 3", 'vote 14 "More time for questions"'),
)
async def vote(ctx: Ctx) -> Reply:
    """Record the speaker's vote in one statement (an upsert on their vote's unique key), then count it on the
    poll's row as the last statement before the commit (`_counted`), so that votes on one poll hold its row only
    for that moment: a close waits for the votes being counted, and a vote counted after a close is undone. Every
    vote takes its locks in that order, the person's vote and then the poll, so that two never wait for each
    other."""
    poll, group = await _poll(ctx)
    if poll.status == "recurring":
        raise ctx.fail(
            f"Poll {poll.id} is a recurring poll: each time it is posted it is a poll of its own, and "
            f"{await _series_state(ctx, poll)}."
        )
    if not is_open(poll, ctx.now):
        raise _closed(ctx, poll)
    # `_poll` let only the group's members (and the steering group) see it: an admin must be a member too
    if group is not None and ctx.is_admin and await queries.membership(ctx.session, group.id, ctx.me.id) is None:
        raise ctx.fail(f"Poll {poll.id} is for the members of {group.name} to answer.")
    if group is not None and group.status == "closed":
        raise ctx.fail(f"{group.name} is closed, so poll {poll.id} takes no more votes.")
    # `_poll` let an event's organiser and the steering group see its feedback poll: only those who came answer it
    if poll.event_id is not None and ctx.me.id not in await queries.attendee_ids(ctx.session, poll.event_id):
        raise ctx.fail(f"Poll {poll.id} asks those who came to its event; its organiser reads the results.")
    if len(ctx.args.words) < 2:
        raise ctx.fail(f"Say your answer. {_how_to_vote(poll)}")
    voter = ctx.config.sealer.pseudonym("vote", poll.id, ctx.me.id) if poll.anonymous else None
    mine = (Vote.poll_id == poll.id) & (Vote.voter == voter if voter is not None else Vote.member_id == ctx.me.id)
    mark = dict(poll_id=poll.id, member_id=None if poll.anonymous else ctx.me.id, voter=voter)
    by_voter = voter is not None
    before = None
    if takes_note(poll) or any(w.text.startswith("+") and not w.quoted for w in ctx.args.words[1:]):
        # the answer depends on the vote before (a note kept, `+n` toggled): that vote is held first (made, empty,
        # if there was none), so that the same person's presses at once are taken one after another (a limit holds)
        hold = (_HOLD_BY_VOTER if by_voter else _HOLD_BY_MEMBER)[queries.dialect(ctx.session)]
        await ctx.session.execute(hold, {**mark, "choices": {"chosen": []}, "answer": None})
        before = await ctx.session.scalar(select(Vote).where(mine))
    chosen, answer = _answer(ctx, poll, before)
    if takes_note(poll) and answer is None and before is not None:
        answer = before.answer  # a changed answer keeps its note (what would help, what to take back)
    if not chosen and poll.kind != "text":  # the last answer taken back: no vote any more
        await ctx.session.execute(delete(Vote).where(mine))
        await _counted(ctx, poll)
        return Reply(f"Your vote on poll {poll.id} is taken back; you can vote again while the poll is open.")
    upsert = (_VOTE_BY_VOTER if by_voter else _VOTE_BY_MEMBER)[queries.dialect(ctx.session)]
    await ctx.session.execute(upsert, {**mark, "choices": {"chosen": chosen}, "answer": answer})
    await _counted(ctx, poll)
    return Reply(_confirmation(poll, chosen, answer))


async def _counted(ctx: Ctx, poll: Poll) -> None:
    """Count a vote just written on its poll's row (its `version`, which the card job reads: `refresh_cards`),
    if the poll is still open: the row is locked from here to the commit, so a close (which locks it first) either
    waits for this vote and counts it, or has closed the poll and this vote is refused and undone (UserError)."""
    still_open = (Poll.status == "open") & (Poll.closes_at.is_(None) | (Poll.closes_at > ctx.now))
    counted = await ctx.session.execute(
        update(Poll).where(Poll.id == poll.id, still_open).values(version=Poll.version + 1),
        execution_options={"synchronize_session": False},
    )
    if not counted.rowcount:  # type: ignore[attr-defined]
        await ctx.session.refresh(poll)
        raise _closed(ctx, poll)


def _answer(ctx: Ctx, poll: Poll, before: Vote | None) -> tuple[list[int], str | None]:
    """The answer the words after the poll's number give: option numbers (a choice poll's names too, and `+n` to
    add or take back one answer, as a multi-answer poll's buttons send), a rating, or a text."""
    words = ctx.args.words[1:]
    if poll.kind == "text":
        return [], ctx.free_text(1, ANSWER_LIMIT, "answer")
    named = labels(poll)
    note = None
    if takes_note(poll) and len(words) > 1 and words[-1].quoted:  # the note, after the answer
        note = ctx.limited(words[-1].text, NOTE_LIMIT, "note")
        words = words[:-1]
    if poll.kind == "rating":
        if len(words) > 1:
            raise ctx.fail(f"I don't understand “{words[1].text}” here. {_how_to_vote(poll)}")
        text = words[0].text.lstrip("+")
        if text not in named:
            raise ctx.fail(f"Poll {poll.id} asks for a rating from 1 to {RATINGS}, not “{words[0].text}”.")
        return [int(text)], note
    chosen: list[int] = []
    toggled: list[int] = []
    for word in words:
        toggle = word.text.startswith("+") and not word.quoted
        number = _option_number(ctx, poll, named, word.text[1:] if toggle else word.text, quoted=word.quoted)
        (toggled if toggle else chosen).append(number)
    if toggled and chosen:
        raise ctx.fail("Give the answers you choose, or `+n` to add or take back one, not both.")
    if toggled:
        current = set(before.choices.get("chosen", ())) if before is not None else set()
        for number in toggled:
            current ^= {number}
        chosen = sorted(current)
    chosen = sorted(set(chosen))
    if len(chosen) > poll.max_choices:
        most = counted(poll.max_choices, "answer")
        raise ctx.fail(
            f"Poll {poll.id} takes at most {most} from each person; that would be {len(chosen)}. "
            f"Take one back first, or type the ones you want: `vote {poll.id} …`."
        )
    return chosen, note


def _option_number(ctx: Ctx, poll: Poll, named: list[str], text: str, *, quoted: bool = False) -> int:
    """The option a word names: quoted, by its name first (an option may be called "3"); else by its number."""
    by_name = [n for n, label in enumerate(named, start=1) if label.casefold() == text.casefold()]
    if quoted and by_name:
        return by_name[0]
    if text.isdigit() and 1 <= int(text) <= len(named):
        return int(text)
    if by_name:
        return by_name[0]
    raise ctx.fail(f"Poll {poll.id} has no option “{text}”: its options are numbered 1 to {len(named)}.")


def _confirmation(poll: Poll, chosen: list[int], answer: str | None) -> str:
    if poll.anonymous:  # the answer passes through the platform: it must not say what was chosen
        return (
            f"Your anonymous vote on poll {poll.id} is counted. No one can see what you chose, and this message "
            "does not say it either. You can change it while the poll is open."
        )
    if poll.kind == "text":
        return f"Your answer to poll {poll.id} is recorded: “{answer}”. You can change it while the poll is open."
    named = labels(poll)
    picked = ", ".join(named[n - 1] for n in chosen) + (f", and what would help: “{answer}”" if answer else "")
    return f"Your vote on poll {poll.id}: {picked}. You can change it while the poll is open."


def _closed(ctx: Ctx, poll: Poll) -> UserError:
    when = poll.closed_at or poll.closes_at
    at = f" at {until_words(when, ctx.zone)}" if when is not None else ""
    return ctx.fail(f"Poll {poll.id} closed{at}, so it takes no more votes. `poll results {poll.id}` shows them.")


# -- the card, edited where it was posted ------------------------------------------------------------------------


async def cards_behind(session: AsyncSession) -> bool:
    """Whether some open poll's card shows fewer votes than it has (`refresh_cards` has work)."""
    behind = select(Poll.id).where(Poll.status == "open", Poll.version != Poll.shown_version).exists()
    return bool(await session.scalar(select(behind)))


async def refresh_cards(session: AsyncSession, now: datetime) -> int:
    """Queue an edit of the card of every open poll whose votes changed since its last edit was queued (its
    `version` is past its `shown_version`), showing the tally now, due on the next tick; how many. Run by the
    scheduler every second, after each console command, and as often as anyone likes: an edit is queued once a
    version (its key names it), and the outbox sends the newest of those due for one card."""
    changed = (
        await session.scalars(
            select(Poll)
            .where(Poll.status == "open", Poll.version != Poll.shown_version)
            .order_by(Poll.id)
            .with_for_update()
        )
    ).all()
    for poll in changed:
        group = await session.get(Group, poll.group_id) if poll.group_id else None
        await _edit_card(session, poll, group, now, f"poll {poll.id}: tally {poll.version}")
        poll.shown_version = poll.version
    return len(changed)


def next_tick(now: datetime) -> datetime:
    """The first tick of `TALLY_EVERY` after `now` (ticks counted from the Unix epoch, in UTC): every vote
    between two ticks makes an edit due at the second, and the outbox sends the newest of them."""
    step = TALLY_EVERY.total_seconds()
    return datetime.fromtimestamp((math.floor(now.timestamp() / step) + 1) * step, UTC)


async def _edit_card(
    session: AsyncSession, poll: Poll, group: Group | None, now: datetime, key: str, *, due: datetime | None = None
) -> None:
    """Queue an edit of the card everywhere it was posted, due on the next tick (`next_tick`) unless `due`."""
    shown = card(poll, await tally(session, poll), now, group)
    when = due or next_tick(now)
    posts = await queries.posts_of(session, message_key(poll.id))
    rows = [beside(post, message_key(poll.id), key, shown, when, now, edit=True) for post in posts]
    await queries.enqueue(session, rows)


# -- closing, and the results ----------------------------------------------------------------------------------


async def close(session: AsyncSession, poll: Poll, now: datetime, admins: Collection[str]) -> bool:
    """Close an open poll: recorded closed (once, whoever else closes it at the same moment), its card edited to
    show the final tally, and the results posted where the card was. False if it was closed already."""
    done = await session.execute(
        update(Poll).where(Poll.id == poll.id, Poll.status == "open").values(status="closed", closed_at=now)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        return False
    await session.refresh(poll)
    group = await session.get(Group, poll.group_id) if poll.group_id else None
    result = await tally(session, poll)
    await _edit_card(session, poll, group, now, f"poll {poll.id}: closed", due=now)
    results = results_reply(poll, result, now, group)
    public = replace(results, private=False)
    card_key = message_key(poll.id)
    posts = await queries.posts_of(session, card_key) if not poll.review else ()
    # a review's result goes to its chairs and the steering group (`_tell_reviewers`), not the channel
    rows = [beside(post, card_key, f"poll {poll.id}: results", public, now, now, edit=False) for post in posts]
    if posts and charted(poll, result):
        drawn = await chart_reply(poll, result, now, ZoneInfo(DEFAULT_TZ))
        rows += [beside(post, card_key, f"poll {poll.id}: chart", drawn, now, now, edit=False) for post in posts]
    await queries.enqueue(session, rows)
    if poll.review and group is not None:
        await _tell_reviewers(session, poll, group, now, admins)
    if poll.event_id is not None:
        await _tell_organiser(session, poll, now)
    return True


@command(
    "poll close",
    usage="poll close <id>",
    summary="close a poll now and post its results",
    examples=("poll close 12",),
)
async def close_poll(ctx: Ctx) -> Reply:
    poll, group = await _poll(ctx, lock=True)
    ctx.no_more_words(1)
    if not await _may_run(ctx, poll, group):
        raise ctx.fail(f"Only the creator of poll {poll.id}, its group's chairs and the steering group can close it.")
    if poll.status == "recurring":
        return await _stop_series(ctx, poll)
    if poll.status == "closed":
        raise ctx.fail(f"Poll {poll.id} is closed already. `poll results {poll.id}` shows the results.")
    await close(ctx.session, poll, ctx.now, ctx.config.admins)
    return results_reply(poll, await tally(ctx.session, poll), ctx.now, group)


async def close_due_polls(session: AsyncSession, now: datetime, admins: Collection[str]) -> int:
    """Close every open poll whose closing moment has come; how many. Run by the scheduler (and the console's
    clock): closing twice, or in two processes, closes once."""
    due = (
        await session.scalars(
            select(Poll).where(Poll.status == "open", Poll.closes_at <= now).order_by(Poll.id).with_for_update()
        )
    ).all()
    closed = 0
    for poll in due:
        closed += await close(session, poll, now, admins)
    return closed


async def close_group_polls(session: AsyncSession, group_id: int, now: datetime, admins: Collection[str]) -> int:
    """Close a closing group's open polls now (their cards edited, their results posted); how many."""
    found = (
        await session.scalars(
            select(Poll).where(Poll.group_id == group_id, Poll.status == "open").order_by(Poll.id).with_for_update()
        )
    ).all()
    return sum([await close(session, poll, now, admins) for poll in found])


async def next_closing(session: AsyncSession, after: datetime, until: datetime) -> datetime | None:
    """The first closing moment of an open poll in (after, until], for the console's clock."""
    return await session.scalar(
        select(func.min(Poll.closes_at)).where(Poll.status == "open", Poll.closes_at > after, Poll.closes_at <= until)
    )


def charted(poll: Poll, result: Tally) -> bool:
    """Whether the poll's results make a chart: a choice or rating poll's, once someone has voted."""
    return poll.kind != "text" and result.votes > 0


async def chart_reply(poll: Poll, result: Tally, now: datetime, reader: ZoneInfo) -> Reply:
    """The results as a message carrying a PNG bar chart (drawn in a worker thread: it takes tens of ms): each
    option numbered as the bars in text number it, its share of the voters as they give it; the moment it was
    drawn in the zone of `reader` (the person it is sent to; for a channel, Convene's default zone)."""
    state = "closed" if not is_open(poll, now) else "open"
    note = (
        f"{counted(result.votes, 'vote')} · poll {poll.id} · {state} · "
        f"{now.astimezone(reader):%Y-%m-%d %H:%M} ({reader.key} time)"
    )
    named = [label if poll.kind == "rating" else f"{n}. {label}" for n, label in enumerate(labels(poll), start=1)]
    png = await asyncio.to_thread(bar_chart, poll.question, named, list(result.counts), result.votes, note=note)
    text = f"📊 Chart of poll {poll.id}: {poll.question} ({counted(result.votes, 'vote')})"
    alt = "; ".join(f"{label}: {count}" for label, count in zip(labels(poll), result.counts, strict=True))
    chart = File(f"poll-{poll.id}.png", "image/png", png, f"Poll {poll.id}: {poll.question}", alt=alt)
    return Reply(text, files=(chart,), private=False)


@command(
    "poll results",
    usage="poll results <id> [csv|chart]",
    summary="a poll's results as bars, as CSV, or as a chart image",
    reads_when=lambda args: len(args.words) < 2 or args.words[1].text.lower() != "chart",  # a chart is sent
    examples=("poll results 12", "poll results 12 csv", "poll results 12 chart"),
)
async def poll_results(ctx: Ctx) -> Reply:
    poll, group = await _poll(ctx)
    ctx.no_more_words(2)
    form = ctx.args.words[1].text.lower() if len(ctx.args.words) > 1 else None
    if form not in (None, "csv", "chart"):
        raise ctx.fail(
            f"Results come as bars (say nothing more), as csv or as a chart, not “{ctx.args.words[1].text}”."
        )
    if poll.status == "recurring":
        if form is not None:
            raise ctx.fail(
                f"Poll {poll.id} is a recurring poll: each time it is posted is a poll of its own, with its own "
                f"{form}. `poll results {poll.id}` lists them; `poll results <their number> {form}` gives one."
            )
        return await _series_results(ctx, poll)
    open_now = is_open(poll, ctx.now)
    runs_it = await _may_run(ctx, poll, group)
    if open_now and not runs_it and (poll.kind == "text" or takes_note(poll)):
        raise ctx.fail(
            f"Poll {poll.id} is open: its results are for its creator, its group's chairs and the steering group "
            "until it closes."
        )
    result = await tally(ctx.session, poll)
    if takes_note(poll) and not runs_it:  # the notes are for the chairs, the organiser, the steering group
        result = Tally(result.votes, result.counts)
    if form is None:
        return results_reply(poll, result, ctx.now, group)
    if hides_results(poll, ctx.now):
        what = "CSV" if form == "csv" else "chart"
        raise ctx.fail(f"Poll {poll.id} shows its results when it closes; its {what} comes then.")
    if form == "chart":
        return await _send_chart(ctx, poll, result)
    return Reply(f"Poll {poll.id} as CSV (paste it into a spreadsheet):\n```\n{await _csv(ctx.session, poll)}```")


async def _send_chart(ctx: Ctx, poll: Poll, result: Tally) -> Reply:
    """Post the chart in the channel the command was typed in, or send it to the speaker in a direct message (a
    file cannot travel in an answer only the speaker sees)."""
    if not charted(poll, result):
        what = "written answers" if poll.kind == "text" else "no votes yet" if is_open(poll, ctx.now) else "no votes"
        raise ctx.fail(f"Poll {poll.id} has {what}: there is nothing to chart. `poll results {poll.id}` shows it.")
    drawn = await chart_reply(poll, result, ctx.now, ctx.zone)
    key = f"poll {poll.id}: chart {poll.version} for {address(ctx.me)}"
    channel = ctx.request.place.channel_id
    if channel is not None:
        await ctx.post(channel=channel, reply=drawn, key=f"{key} in {channel}")
        return Reply(f"The chart of poll {poll.id} is posted in {channel_ref(channel)}.")
    await ctx.tell(ctx.me, drawn, key=key)
    return Reply(f"The chart of poll {poll.id} is on its way to you in a direct message.")


async def _csv(session: AsyncSession, poll: Poll) -> str:
    """One row a vote: the voter's name (named polls only: an anonymous poll's CSV has no voter column), and each
    option's 1 or 0 (a choice poll), the rating, or the answer. Anonymous rows are sorted by their answers, so
    their order says nothing of when anyone voted."""
    named = labels(poll)
    header = [] if poll.anonymous else ["voter"]
    header += named if poll.kind == "choice" else ["rating"] if poll.kind == "rating" else ["answer"]
    statement = select(Vote, Member.display_name).outerjoin(Member, Member.id == Vote.member_id)
    rows = (await session.execute(statement.where(Vote.poll_id == poll.id).order_by(Vote.id))).tuples().all()
    lines: list[list[str]] = []
    for v, name in rows:
        chosen = set(v.choices.get("chosen", ()))
        if poll.kind == "choice":
            cells = ["1" if n in chosen else "0" for n in range(1, len(named) + 1)]
        elif poll.kind == "rating":
            cells = [str(min(chosen))] if chosen else [""]
        else:
            cells = [v.answer or ""]
        lines.append(([] if poll.anonymous else [name or "(someone who left)"]) + cells)
    if poll.anonymous:
        lines.sort()
    return csv_text(header, lines)


# -- events' feedback polls --------------------------------------------------------------------------------------

FEEDBACK_OPEN = timedelta(days=7)  # how long an event's feedback poll takes answers


def takes_note(poll: Poll) -> bool:
    """Whether a vote may carry a quoted note (a review's "what would help", an event feedback's "one thing you
    will take back"), shown only to those who run the poll."""
    return poll.review or poll.event_id is not None


async def open_feedback(session: AsyncSession, event: Event, people: Sequence[Member], now: datetime) -> Poll:
    """An event's feedback poll, anonymous, sent by direct message to `people` (those who attended): how useful,
    1 to 5, with one thing they will take back; open for `FEEDBACK_OPEN`. Its results go to the organiser and the
    chairs of the event's group when it closes (SPEC.md §5: after-event feedback polls to those who went)."""
    poll = Poll(
        question=f"How useful was {event.title}, from 1 to 5?"[:QUESTION_LIMIT],
        kind="rating",
        options={"labels": []},
        max_choices=1,
        anonymous=True,
        hidden=False,
        closes_at=now + FEEDBACK_OPEN,
        group_id=None,
        platform=event.platform,
        workspace=event.workspace,
        channel=None,
        creator_id=event.organiser_id,
        status="open",
        version=0,
        event_id=event.id,
        created_at=now,
    )
    session.add(poll)
    await session.flush()
    shown = card(poll, no_votes(poll), now, None)
    note = f'One thing you will take back? Add it in quotes: `vote {poll.id} 4 "…"`.'
    ask = replace(shown, text=f"{shown.text}\n{note}", sections=(*shown.sections, Section(note)), private=True)
    rows = [member_row(m, ask, key=f"poll {poll.id}: ask {address(m)}", due=now, now=now) for m in people]
    await queries.enqueue(session, rows)
    return poll


async def _tell_organiser(session: AsyncSession, poll: Poll, now: datetime) -> None:
    """A closed feedback poll's results, with what people will take back, to the event's organiser and the chairs
    of its group."""
    assert poll.event_id is not None
    result = await tally(session, poll)
    title, group_id = (
        (await session.execute(select(Event.title, Event.group_id).where(Event.id == poll.event_id))).tuples().one()
    )
    lines = [f"Feedback on {title}:", *bars(poll, result), counted(result.votes, "answer") + "."]
    if result.answers:
        lines += ["What people will take back:", *(f"• {n}" for n in result.answers)]
    reply = Reply("\n".join(lines))
    chairs = (
        (
            await session.scalars(
                select(Member)
                .join(Membership, Membership.member_id == Member.id)
                .where(Membership.group_id == group_id, Membership.role == "chair")
            )
        ).all()
        if group_id is not None
        else []
    )
    organiser = await session.get(Member, poll.creator_id) if poll.creator_id else None
    people = {m.id: m for m in [*([organiser] if organiser else []), *chairs]}
    rows = [
        member_row(m, reply, key=f"poll {poll.id}: feedback to {address(m)}", due=now, now=now) for m in people.values()
    ]
    await queries.enqueue(session, rows)


# -- on-course reviews ------------------------------------------------------------------------------------------

REVIEW_OPTIONS = ("On track", "At risk", "Off track")
LIGHTS = ("🟢 on track", "🟠 at risk", "🔴 off track")  # a light always has its words beside it
NO_ANSWERS = "⚪ no answers to its last review"
REVIEW_OPEN = timedelta(days=7)  # how long a review takes answers
REVIEW_EVERY = {"quarter": timedelta(days=91), "month": timedelta(days=30)}
NOTE_LIMIT = 500  # a review answer's "what would help"


def review_every(group: Group) -> str:
    """How often the group is reviewed: its own choice, else quarterly for an active task group (SPEC.md §1: every
    activity is checked during the year), never for a community."""
    if group.review_every is not None:
        return group.review_every
    return "quarter" if group.kind == "task" else "off"


async def open_review(
    session: AsyncSession, group: Group, now: datetime, *, creator: Member | None, anonymous: bool
) -> Poll:
    """Open the group's on-course review: a poll of its members (on track, at risk, off track, and what would help),
    open for `REVIEW_OPEN`, posted in its channels or, where it has none, sent to each member."""
    poll = Poll(
        question=f"Is {group.name} on course?",
        kind="choice",
        options={"labels": list(REVIEW_OPTIONS)},
        max_choices=1,
        anonymous=anonymous,
        hidden=False,
        closes_at=now + REVIEW_OPEN,
        group_id=group.id,
        platform=group.platform,
        workspace=group.workspace,
        channel=None,
        creator_id=creator.id if creator is not None else None,
        status="open",
        review=True,
        version=0,
        created_at=now,
    )
    session.add(poll)
    await session.flush()
    shown = card(poll, no_votes(poll), now, group)
    places = await queries.group_places(session, group)
    key = f"poll {poll.id}: post"
    if places:
        rows = group_rows(group, places, shown, key=key, due=now, now=now, message_key=message_key(poll.id))
    else:
        people = await session.scalars(
            select(Member).join(Membership, Membership.member_id == Member.id).where(Membership.group_id == group.id)
        )
        rows = [member_row(m, shown, key=f"{key} to {address(m)}", due=now, now=now) for m in people]
    await queries.enqueue(session, rows)
    return poll


def light(poll: Poll, result: Tally) -> str:
    """A closed review's light: the answer most gave (a tie counts as the worse), or that no one answered."""
    if not result.votes:
        return NO_ANSWERS
    worst_first = sorted(range(len(LIGHTS)), key=lambda i: (result.counts[i], i), reverse=True)
    return LIGHTS[worst_first[0]]


async def review_lights(session: AsyncSession, group_ids: Sequence[int]) -> dict[int, tuple[str, datetime]]:
    """Each group's latest closed review: its light and when it closed; groups never reviewed are left out."""
    latest = (
        select(Poll.group_id, func.max(Poll.id).label("id"))
        .where(Poll.review.is_(True), Poll.status == "closed", Poll.group_id.in_(group_ids))
        .group_by(Poll.group_id)
        .subquery()
    )
    polls = (await session.scalars(select(Poll).join(latest, latest.c.id == Poll.id))).all()
    found = {}
    for poll in polls:
        assert poll.group_id is not None and poll.closed_at is not None
        found[poll.group_id] = (light(poll, await tally(session, poll)), poll.closed_at)
    return found


async def _tell_reviewers(
    session: AsyncSession, poll: Poll, group: Group, now: datetime, admins: Collection[str]
) -> None:
    """A closed review's results, to the group's chairs and the steering group, with what would help."""
    result = await tally(session, poll)
    notes = result.answers
    lines = [
        f"Review of {group.name}: {light(poll, result)}"
        + (f" ({counted(result.votes, 'answer')})." if result.votes else "."),
        *bars(poll, result),
    ]
    if notes:
        lines += ["What would help:", *(f"• {n}" for n in notes)]
    lines.append(f"`group {group.slug}` shows its page; `review {group.slug} now` asks again.")
    reply = Reply("\n".join(lines))
    chairs = await session.scalars(
        select(Member)
        .join(Membership, Membership.member_id == Member.id)
        .where(Membership.group_id == group.id, Membership.role == "chair")
    )
    people = {m.id: m for m in [*chairs, *await queries.steering_group(session, admins)]}
    rows = [
        member_row(m, reply, key=f"poll {poll.id}: review to {address(m)}", due=now, now=now) for m in people.values()
    ]
    await queries.enqueue(session, rows)


async def open_due_reviews(session: AsyncSession, now: datetime) -> int:
    """Open the reviews that are due: a group that is not closed, reviewed every quarter or month
    (`review_every`), whose last review (or, never reviewed, whose start) is that long ago. Run daily by the
    reminders schedule, which runs each day once; scheduled reviews are anonymous, so that members answer freely."""
    groups = (await session.scalars(select(Group).where(Group.status != "closed").with_for_update())).all()
    last = dict(
        (
            await session.execute(
                select(Poll.group_id, func.max(Poll.created_at)).where(Poll.review.is_(True)).group_by(Poll.group_id)
            )
        )
        .tuples()
        .all()
    )
    peopled = set(await session.scalars(select(Membership.group_id).distinct()))  # a group of no one: nothing to ask
    opened = 0
    for group in groups:
        every = REVIEW_EVERY.get(review_every(group))
        since = last.get(group.id) or group.created_at
        if every is not None and since + every <= now and group.id in peopled:
            await open_review(session, group, now, creator=None, anonymous=True)
            opened += 1
    return opened


@command(
    "review",
    role="chair",
    group_word=True,
    options=("every",),
    reads_when=lambda args: len(args.words) <= 1 and not args.options,
    usage="review <group> [now] [anon] [every:quarter|month|off]",
    summary="run or schedule the group's on-course review; alone, its latest result",
    examples=("review wellbeing now anon", "review diversity every:month", "review diversity"),
)
async def review(ctx: Ctx) -> Reply:
    g = ctx.group
    assert g is not None
    flags = [w.text.lower() for w in ctx.args.words[1:]]
    for flag in flags:
        if flag not in ("now", "anon"):
            raise ctx.fail(f"I don't understand “{flag}” here.")
    if "anon" in flags and "now" not in flags:
        raise ctx.fail("anon is for a review run now: `review <group> now anon`.")
    said = []
    every = ctx.choice("every", ("quarter", "month", "off"))
    if every is not None:
        g.review_every = every
        said.append(
            f"{g.name} is now reviewed every {every}." if every != "off" else f"{g.name} is no longer reviewed."
        )
    if "now" in flags:
        waiting = await ctx.session.scalar(
            select(Poll).where(Poll.group_id == g.id, Poll.review.is_(True), Poll.status == "open")
        )
        if waiting is not None and is_open(waiting, ctx.now):
            raise ctx.fail(
                f"Review poll {waiting.id} of {g.name} is open until "
                f"{until_words(waiting.closes_at or ctx.now, ctx.zone)}: its answers come then."
            )
        poll = await open_review(ctx.session, g, ctx.now, creator=ctx.me, anonymous="anon" in flags)
        said.append(
            f"Opened review poll {poll.id} for {g.name}; it takes answers until "
            f"{until_words(poll.closes_at or ctx.now, ctx.zone)}, "
            "then its chairs and the steering group get the result."
        )
    if said:
        return Reply(" ".join(said))
    found = (await review_lights(ctx.session, [g.id])).get(g.id)
    status = f"{found[0]} (review closed {ctx.local(found[1]):%Y-%m-%d})" if found else "not reviewed yet"
    cadence = review_every(g)
    when = "Not reviewed on its own" if cadence == "off" else f"Reviewed every {cadence}"
    return Reply(f"{g.name}: {status}. {when}; `review {g.slug} now` asks its members now.")
