"""Networking events: a card with Going / Maybe / Can't go, seats and a waitlist that promotes itself, in the
group's channels or the announcements channel (SPEC.md §2 Event, RSVP; §3 event rows; §6 seats never exceeded,
a waitlist keeps its order).

Who holds a seat changes only under the event row's lock: an RSVP, a drop-out and the promotion it makes are one
transaction, so whatever arrives at once, the seats are never oversold and the waitlist keeps the order people
asked in (`storage.models.events`). As with polls, an answer only counts one more `version` of the event; the
scheduler's card job (`refresh_cards`) queues one edit of the card a tick with the seats then.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command.context import Ctx
from handlers.command.errors import UserError
from handlers.command.forms import Field, Form
from handlers.command.grammar import MAX_ID, parse_int, parse_time, zone
from handlers.command.messages import (
    Button,
    File,
    Reply,
    Section,
    counted,
    time_ref,
)
from handlers.command.outbox import beside, member_row, post_card
from handlers.command.registry import command
from handlers.command.spreadsheets import csv_text
from handlers.command.timing import DEFAULT_TZ, wall_clock_instant
from handlers.polls import open_feedback
from storage import queries
from storage.models import AUDIENCES, Event, Group, Member, Poll, Rsvp

TITLE_LIMIT = 200  # events.title
PLACE_LIMIT = 200  # events.place
LINK_LIMIT = 500  # events.link
PROGRAMME_LIMIT = 40  # events.programme
SEATS_LIMIT = 10_000
DEFAULT_LENGTH = timedelta(hours=1)  # an event without `until:`
FURTHEST_AHEAD = timedelta(days=100 * 365)  # an event further ahead is a mistyped year (and its end, reminders
# and feedback poll would pass the last moment Python's dates can hold)
CHANGE_ORDER = ["title", "when", "time zone", "where", "link", "seats", "programme", "who it is for"]
OFFERED_FIRST_FOR = timedelta(days=7)  # how long `for:early` (or another stage) keeps its seats for that stage
OPEN_TO_ALL_BEFORE = timedelta(days=2)  # ... but they open to everyone this long before the start at the latest
NAMES_SHOWN = 5  # who is going, by name, on the card
LISTED = 20  # events listed by `events`
ANSWERS = {"going": "going", "yes": "going", "maybe": "maybe", "no": "no", "not": "no", "cant": "no", "can't": "no"}
STAGE_WORDS = {"early": "early-career", "mid": "mid-career", "senior": "senior", "leader": "leadership"}
EVENT_USAGE = (
    'event new "<title>" when:"YYYY-MM-DD HH:MM" [until:HH:MM|"YYYY-MM-DD HH:MM"] [where:…] [link:https://…] '
    "[seats:N] [group:…] [programme:…] [for:all|early|mid|senior|leader] [tz:…]"
)
RSVP_USAGE = "rsvp <id> going|maybe|no"


def message_key(event_id: int) -> str:
    """The key of an event's card, in every place it was posted."""
    return f"event:{event_id}"


# -- what an event shows ---------------------------------------------------------------------------------------


def when_words(event: Event, reader: ZoneInfo | None = None) -> str:
    """When it is, in the zone `reader` (the organiser's by default), naming that zone: `Tuesday 2027-02-02 14:00-15:30
    (Europe/London time)`; an end on another day is written with its date."""
    tz = reader or ZoneInfo(event.tz)
    start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    if _repeated(start) or _repeated(end):  # the hour autumn shows twice: say which, by its abbreviation
        return f"{start:%A %Y-%m-%d %H:%M %Z}-{until} {end:%Z} ({tz.key} time)"
    return f"{start:%A %Y-%m-%d %H:%M}-{until} ({tz.key} time)"


def _repeated(local: datetime) -> bool:
    """Whether clocks show this local time twice (the hour before autumn's change)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def is_over(event: Event, now: datetime) -> bool:
    return event.ends_at <= now


def _seats_words(event: Event, going: int, waiting: int) -> str:
    if event.seats is None:
        return f"{counted(going, 'person', 'people')} going"
    left = max(event.seats - going, 0)
    text = f"{counted(left, 'seat')} left of {event.seats}" if left else f"Full: {_all_seats(event.seats)} taken"
    return text + (f", {waiting} on the waitlist" if waiting else "")


def _all_seats(seats: int) -> str:
    return "its one seat" if seats == 1 else f"all {seats} seats"


async def roster(session: AsyncSession, event: Event) -> tuple[list[str], int, int]:
    """Who holds a seat, by name in the order they answered (all of them); how many wait; how many said maybe."""
    rows = (
        (
            await session.execute(
                select(Rsvp.answer, Rsvp.position, Member.display_name)
                .join(Member, Member.id == Rsvp.member_id)
                .where(Rsvp.event_id == event.id, Rsvp.answer != "no")
                .order_by(Rsvp.updated_at, Rsvp.id)
            )
        )
        .tuples()
        .all()
    )
    going = [name for answer, position, name in rows if answer == "going" and position is None]
    waiting = sum(1 for answer, position, _ in rows if answer == "going" and position is not None)
    maybe = sum(1 for answer, _, _ in rows if answer == "maybe")
    return going, waiting, maybe


def card(
    event: Event,
    names: Sequence[str],
    waiting: int,
    maybe: int,
    now: datetime,
    group: Group | None,
    reader: ZoneInfo | None = None,
) -> Reply:
    """The event as posted: title, when (each reader's own time where the platform can show it; else in the zone
    `reader`, the organiser's when it is posted for many), where, who it is for, seats and the first few going by
    name, with the three answers as buttons while it takes answers."""
    cancelled = event.status == "cancelled"
    headline = f"📅 Event {event.id}: {event.title}" + (" (cancelled)" if cancelled else "")
    lines = [f"When: {time_ref(event.starts_at, when_words(event, reader))}"]
    if event.place:
        lines.append(f"Where: {event.place}")
    if event.link:
        lines.append(f"Online: {event.link}")
    about = [group.name] if group is not None else []
    if event.programme:
        about.append(event.programme)
    if event.audience != "all":
        about.append(
            f"offered first to {STAGE_WORDS[event.audience]} staff until "
            f"{first_until(event).astimezone(reader or ZoneInfo(event.tz)):%Y-%m-%d}"
            if offered_first(event, now)
            else f"for {STAGE_WORDS[event.audience]} staff"
        )
    if about:
        lines.append(" · ".join(about))
    going = len(names)
    shown = ", ".join(names[:NAMES_SHOWN]) + (f" and {going - NAMES_SHOWN} more" if going > NAMES_SHOWN else "")
    lines.append(_seats_words(event, going, waiting) + (f". Going: {shown}" if names else ""))
    if maybe:
        lines.append(f"{maybe} maybe")
    buttons: tuple[Button, ...] = ()
    if cancelled:
        lines.append("This event is cancelled.")
    elif is_over(event, now):
        lines.append("This event is over.")
    else:
        buttons = (
            Button("Going", "rsvp", f"rsvp {event.id} going"),
            Button("Maybe", "rsvp", f"rsvp {event.id} maybe"),
            Button("Can't go", "rsvp", f"rsvp {event.id} no"),
        )
        lines.append(f"Answer with the buttons or `rsvp {event.id} going|maybe|no`.")
    return Reply(
        "\n".join([headline, *lines]),
        sections=(Section(f"*{headline}*\n" + "\n".join(lines), buttons=buttons),),
        private=False,
    )


async def card_now(session: AsyncSession, event: Event, now: datetime, reader: ZoneInfo | None = None) -> Reply:
    group = await session.get(Group, event.group_id) if event.group_id else None
    names, waiting, maybe = await roster(session, event)
    return card(event, names, waiting, maybe, now, group, reader)


async def _edit_card(session: AsyncSession, event: Event, now: datetime, key: str, *, due: datetime) -> None:
    shown = await card_now(session, event, now)
    posts = await queries.posts_of(session, message_key(event.id))
    rows = [beside(post, message_key(event.id), key, shown, due, now, edit=True) for post in posts]
    await queries.enqueue(session, rows)


async def cards_behind(session: AsyncSession) -> bool:
    """Whether some event's card is behind its answers (`refresh_cards` has work)."""
    return bool(await session.scalar(select(select(Event.id).where(Event.version != Event.shown_version).exists())))


async def refresh_cards(session: AsyncSession, now: datetime, next_tick: datetime) -> int:
    """Queue an edit of the card of every event whose answers changed since its last edit was queued, with the
    seats now, due at `next_tick`; how many (as `handlers.polls.refresh_cards` does for polls)."""
    changed = (
        await session.scalars(
            select(Event).where(Event.version != Event.shown_version).order_by(Event.id).with_for_update()
        )
    ).all()
    for event in changed:
        await _edit_card(session, event, now, f"event {event.id}: seats {event.version}", due=next_tick)
        event.shown_version = event.version
    return len(changed)


# -- making an event -------------------------------------------------------------------------------------------

EVENT_FORM = Form(
    "New event",
    (
        Field("title", "Title", required=True, positional=True, max_length=TITLE_LIMIT),
        Field("when", "Starts", required=True, hint="YYYY-MM-DD HH:MM, in your time."),
        Field("until", "Ends", hint="HH:MM the same day, or YYYY-MM-DD HH:MM; an hour after the start if left empty."),
        Field("where", "Where", max_length=PLACE_LIMIT),
        Field("link", "Online link", hint="https://…", max_length=LINK_LIMIT),
        Field("seats", "Seats", "number", hint="Leave empty for no limit."),
        Field("group", "Group", hint="The group it is for; leave empty to post it in the announcements channel."),
        Field("programme", "Programme", hint="A tag like cpd25.", max_length=PROGRAMME_LIMIT),
        Field(
            "for",
            "Offered to",
            "choice",
            choices=(
                ("all", "Everyone"),
                ("early", "Early-career staff"),
                ("mid", "Mid-career staff"),
                ("senior", "Senior staff"),
                ("leader", "Leaders"),
            ),
        ),
    ),
    submit="Post",
)


@command(
    "event new",
    role="chair",  # of the group it names (checked with it), or an admin
    usage=EVENT_USAGE,
    summary="post a networking event with Going / Maybe / Can't go, seats and a waitlist",
    options=("when", "until", "where", "link", "seats", "group", "programme", "for", "tz"),
    form=EVENT_FORM,
    examples=(
        'event new "Cataloguing meet-up" when:"2027-02-02 14:00" until:15:30 where:"Leeds Central" seats:20 '
        "group:wellbeing",
        'event new "New to libraries: coffee" when:"2027-02-10 10:00" link:https://meet.example.org/x for:early',
    ),
)
async def new_event(ctx: Ctx) -> Reply:
    """Chairs of the group named with `group:` (and admins) make an event for it; an admin may also make one in
    the channel they type in, or in the announcements channel."""
    group, channel = await ctx.group_or_channel("event")
    if not ctx.args.words:
        raise ctx.fail('Give the event\'s title in quotes, then when:, like when:"2027-02-02 14:00".')
    title = ctx.free_text(0, TITLE_LIMIT, "title", field="title")
    tz = ctx.option("tz") or ctx.me.tz or DEFAULT_TZ  # SPEC §3: times typed are in the speaker's zone
    try:
        zone(tz)
    except UserError as err:
        raise ctx.fail(err.message, field="tz") from None
    starts, ends = _times(ctx, tz, None)
    seats = ctx.option_int("seats", "number of seats", high=SEATS_LIMIT)
    link = _link(ctx)
    event = Event(
        title=title,
        starts_at=starts,
        ends_at=ends,
        tz=tz,
        place=_optional(ctx, "where", PLACE_LIMIT, "place"),
        link=link,
        seats=seats,
        group_id=group.id if group is not None else None,
        programme=_optional(ctx, "programme", PROGRAMME_LIMIT, "programme"),
        audience=ctx.choice("for", AUDIENCES, "all"),
        organiser_id=ctx.me.id,
        platform=ctx.request.speaker.platform,
        workspace=ctx.request.speaker.workspace,
        channel=channel,
        status="scheduled",
        sequence=0,
        next_position=1,
        version=0,
        shown_version=0,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(event)
    await ctx.session.flush()
    shown = card(event, [], 0, 0, ctx.now, group)
    place = (event.platform, event.workspace, event.channel) if event.channel is not None else None
    where = await post_card(
        ctx.session,
        shown,
        key=f"event {event.id}: post",
        message_key=message_key(event.id),
        now=ctx.now,
        group=group,
        channel=place,
    )
    lead = f"Posted event {event.id} {where}" if where else f"Made event {event.id}, with no channel to post it in"
    return Reply(
        f"{lead}: {when_words(event, ctx.zone)}. `event {event.id}` shows it, `attendees {event.id}` who is coming.",
        sections=() if where else shown.sections,
    )


def _times(ctx: Ctx, tz: str, current: Event | None) -> tuple[datetime, datetime]:
    """`when:` and `until:` as moments in UTC (typed in `tz`; a time that clocks skip in spring moves on to the
    first minute they show); `until:` is `HH:MM` on the start's day or a whole date and time. Refused: a start
    that has passed, an end not after the start."""
    zone_ = ZoneInfo(tz)
    when = ctx.option("when")
    if when is None and current is None:
        raise ctx.fail('Say when it starts, like when:"2027-02-02 14:00" (in your time).', field="when")
    starts = current.starts_at if current is not None and when is None else _moment(ctx, when or "", tz, "when")
    if when is not None and starts <= ctx.now:
        raise ctx.fail(
            f"when: {starts.astimezone(zone_):%Y-%m-%d %H:%M} has passed; it is "
            f"{ctx.now.astimezone(zone_):%Y-%m-%d %H:%M} now ({tz} time).",
            field="when",
        )
    until = ctx.option("until")
    if until is None:
        length = current.ends_at - current.starts_at if current is not None else DEFAULT_LENGTH
        return starts, starts + length
    text = until.strip()
    if len(text) <= 5 and ":" in text:
        text = f"{starts.astimezone(zone_):%Y-%m-%d} {text}"
    ends = _moment(ctx, text, tz, "until")
    if ends <= starts:
        next_day = f"{ends.astimezone(zone_) + timedelta(days=1):%Y-%m-%d %H:%M}"
        hint = f' (past midnight? give its date too: until:"{next_day}")' if len(until.strip()) <= 5 else ""
        raise ctx.fail(
            f"until: {ends.astimezone(zone_):%Y-%m-%d %H:%M} is not after the start, "
            f"{starts.astimezone(zone_):%Y-%m-%d %H:%M}{hint}.",
            field="until",
        )
    return starts, ends


def _moment(ctx: Ctx, text: str, tz: str, option: str) -> datetime:
    try:
        wall = parse_time(text, tz).replace(tzinfo=None)
        moment = wall_clock_instant(wall, ZoneInfo(tz))
    except UserError as err:
        raise ctx.fail(f"{option}: {err.message}", field=option) from None
    if moment > ctx.now + FURTHEST_AHEAD:
        raise ctx.fail(f"{option}: {text} is more than a hundred years ahead: is its year mistyped?", field=option)
    if moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None) != wall:
        raise ctx.fail(
            f"{option}: {wall:%H:%M} does not happen in {tz} on {wall:%Y-%m-%d}: the clocks go forward then. "
            f"It is {moment.astimezone(ZoneInfo(tz)):%H:%M} by then; give that, or another time.",
            field=option,
        )
    return moment


def _optional(ctx: Ctx, option: str, limit: int, what: str) -> str | None:
    """An option's text, at most `limit` characters; None when it is not given."""
    value = ctx.option(option)
    return ctx.limited(value.strip(), limit, what, field=option) if value is not None else None


def _link(ctx: Ctx) -> str | None:
    link = ctx.option("link")
    if link is None:
        return None
    link = ctx.limited(link.strip(), LINK_LIMIT, "link", field="link")
    if not link.startswith(("https://", "http://")) or " " in link:
        raise ctx.fail(f"link: takes a web address starting https:// (or http://), not “{link}”.", field="link")
    return link


# -- finding an event, and who may do what with it ----------------------------------------------------------------


async def _event(ctx: Ctx, *, lock: bool = False) -> tuple[Event, Group | None]:
    """The event the first word numbers, with its group; UserError when there is none this speaker may see (an
    identifier from a client is checked against the person: SPEC.md §6). Every event is open to everyone in the
    programme: its group's events are networking for all. With `lock` (a command that changes the event or its
    answers), its row is locked until the commit and its `version` counted in the same statement, so that the
    card job edits its card (`refresh_cards`)."""
    text = ctx.word(0, "event (its number)").text.lstrip("#")
    try:
        event_id = parse_int(text, "event number", high=MAX_ID)
    except UserError:
        raise ctx.fail(f"“{text}” is not an event number: events are numbered, like `rsvp 12 going`.") from None
    if lock:
        counted = update(Event).where(Event.id == event_id).values(version=Event.version + 1).returning(Event)
        event = await ctx.session.scalar(counted, execution_options={"populate_existing": True})
    else:
        event = await ctx.session.scalar(select(Event).where(Event.id == event_id))
    if event is None:
        raise ctx.fail(f"There is no event {event_id}. `events` lists those coming up.")
    group = await ctx.session.get(Group, event.group_id) if event.group_id else None
    return event, group


def _unchanged(event: Event) -> None:
    """Take back the version `_event(lock=True)` counted: nothing changed, so the card is not edited again."""
    event.version -= 1


_ONLY = "Only the organiser of event {id}, its group's chairs and the steering group {what}."


async def _may_run(ctx: Ctx, event: Event, group: Group | None) -> bool:
    """Its organiser, its group's chairs and the steering group."""
    return ctx.is_admin or event.organiser_id == ctx.me.id or (group is not None and group.id in await ctx.chaired())


# -- answering ----------------------------------------------------------------------------------------------------


@command(
    "rsvp",
    usage=RSVP_USAGE,
    summary="answer an event: going, maybe or no (a full event puts you on its waitlist)",
    examples=("rsvp 12 going", "rsvp 12 no"),
)
async def rsvp(ctx: Ctx) -> Reply:
    event, _ = await _event(ctx, lock=True)  # answers to one event wait for each other: seats and order hold
    ctx.no_more_words(2)
    said = ctx.word(1, "answer: going, maybe or no").text.lower()
    answer = ANSWERS.get(said)
    if answer is None:
        raise ctx.fail(f"Answer going, maybe or no, not “{ctx.args.words[1].text}”.")
    if event.status == "cancelled":
        raise ctx.fail(f"Event {event.id}, {event.title}, is cancelled: it takes no answers.")
    if event.starts_at <= ctx.now:
        over = "is over" if is_over(event, ctx.now) else "has started"
        raise ctx.fail(f"Event {event.id}, {event.title}, {over}: it takes no more answers.")
    if event.audience != "all" and not offered_first(event, ctx.now):
        await fill_seats(ctx.session, event, ctx.now, ctx.config.public_url)  # those waiting first, then newcomers
    mine = await ctx.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.member_id == ctx.me.id))
    held = mine is not None and mine.answer == "going" and mine.position is None
    waited = mine is not None and mine.answer == "going" and mine.position is not None
    taken = await _taken(ctx.session, event)  # before this answer changes anything
    if answer == "going" and mine is not None and mine.answer == "going":
        _unchanged(event)
        if held:
            return Reply(f"You are already going to {event.title}: you have a seat.")
        number = await _place(ctx.session, mine)
        return Reply(f"You are already on the waitlist for {event.title}: number {number}.")
    if mine is not None and mine.answer == answer:  # maybe or no again: nothing changes
        _unchanged(event)
        return Reply(f"Noted: {answer} for {event.title}, as before.")
    if mine is None:
        mine = Rsvp(event_id=event.id, member_id=ctx.me.id, answer=answer, created_at=ctx.now, updated_at=ctx.now)
        ctx.session.add(mine)
    mine.answer, mine.updated_at, mine.position = answer, ctx.now, None
    if answer == "going":
        first = offered_first(event, ctx.now)
        if event.seats is not None and (taken >= event.seats or (first and ctx.me.stage != event.audience)):
            mine.position, event.next_position = event.next_position, event.next_position + 1
            await ctx.session.flush()
            number = await _place(ctx.session, mine)
            if taken < event.seats:  # seats are free, but not yet for this person
                return Reply(
                    f"{event.title} is offered first to {STAGE_WORDS[event.audience]} staff until "
                    f"{first_until(event).astimezone(ctx.zone):%A %Y-%m-%d %H:%M}: you are number {number} on its "
                    "waitlist, and get a seat then if one is free. I will tell you."
                )
            return Reply(
                f"{event.title} is full, so you are number {number} on its waitlist. If a seat comes free, it is "
                "yours in turn and I will tell you."
            )
        await ctx.session.flush()
        if event.seats is not None and taken + 1 == event.seats:
            await _tell_organiser_full(ctx, event)
        return Reply(f"You are going to {event.title}, {when_words(event, ctx.zone)}. See you there!")
    await ctx.session.flush()
    promoted = await fill_seats(ctx.session, event, ctx.now, ctx.config.public_url) if held else []
    passed = (
        " Your seat has gone to the next person."
        if promoted
        else " Your seat is free for someone else."
        if held
        else f" You are off its waitlist: `rsvp {event.id} going` puts you at its end."
        if waited
        else ""
    )
    return Reply(f"Noted: {answer} for {event.title}.{passed}")


async def _taken(session: AsyncSession, event: Event) -> int:
    return (
        await session.scalar(
            select(func.count()).where(Rsvp.event_id == event.id, Rsvp.answer == "going", Rsvp.position.is_(None))
        )
        or 0
    )


async def _place(session: AsyncSession, rsvp_: Rsvp) -> int:
    """A waiting answer's place on the waitlist, counted from 1: how many wait before it, plus one."""
    assert rsvp_.position is not None
    ahead = await session.scalar(
        select(func.count()).where(
            Rsvp.event_id == rsvp_.event_id, Rsvp.position.is_not(None), Rsvp.position < rsvp_.position
        )
    )
    return (ahead or 0) + 1


def first_until(event: Event) -> datetime:
    """When an event offered first to one career stage opens to everyone: `OFFERED_FIRST_FOR` after it was made,
    or `OPEN_TO_ALL_BEFORE` its start if that is sooner."""
    return min(event.created_at + OFFERED_FIRST_FOR, event.starts_at - OPEN_TO_ALL_BEFORE)


def offered_first(event: Event, now: datetime) -> bool:
    """Whether the event's seats are, now, only for its audience's career stage (`for:early`: SPEC.md §2, staff
    at every career stage); an event without a seat limit has room for all."""
    return event.audience != "all" and event.seats is not None and now < first_until(event)


async def fill_seats(session: AsyncSession, event: Event, now: datetime, public_url: str | None) -> list[Member]:
    """Give the free seats to the first on the waitlist, in the order they asked (while the event is offered
    first to one career stage, the first of that stage), and tell each by a direct message carrying the event's
    calendar file (and its address under `public_url`, for Teams, which shows no such file); who was promoted. The
    caller holds the event row's lock."""
    if event.seats is None:
        waiting = (
            await session.scalars(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.position.is_not(None)))
        ).all()
    else:
        free = event.seats - await _taken(session, event)
        if free <= 0:
            return []
        query = select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.position.is_not(None))
        if offered_first(event, now):
            query = query.join(Member, Member.id == Rsvp.member_id).where(Member.stage == event.audience)
        waiting = (await session.scalars(query.order_by(Rsvp.position).limit(free))).all()
    if not waiting:
        return []
    promoted = []
    calendar = ics_file(event, now)  # the same file for each person promoted
    for row in waiting:
        row.position, row.updated_at = None, now
        member = await session.get(Member, row.member_id)
        if member is None:
            continue
        promoted.append(member)
        reply = Reply(
            f"A seat came free at {event.title}, {when_words(event, ZoneInfo(member.tz or DEFAULT_TZ))}: it is "
            f"yours. If you can no longer go, `rsvp {event.id} no` passes it on."
            + (f" Calendar file: {public_url}/calendar/event/{event.id}.ics" if public_url else ""),
            files=(calendar,),
        )
        await queries.enqueue(
            session, [member_row(member, reply, key=f"event {event.id}: seat for {member.id}", due=now, now=now)]
        )
    if promoted:
        event.version += 1
        await session.flush()
    return promoted


async def _tell_organiser_full(ctx: Ctx, event: Event) -> None:
    organiser = await ctx.session.get(Member, event.organiser_id) if event.organiser_id else None
    if organiser is None:
        return
    reply = Reply(
        f"{event.title} is full: {_all_seats(event.seats or 0)} {'is' if event.seats == 1 else 'are'} taken. "
        "Others who answer going join the waitlist; "
        f"`event edit {event.id} seats:N` adds seats."
    )
    key = f"event {event.id}: full at version {event.version}"
    await ctx.tell(organiser, reply, key=key)


# -- reading --------------------------------------------------------------------------------------------------------


@command(
    "events",
    usage="events [group] [mine] [programme:…]",
    summary="the events coming up (yours with `mine`)",
    writes=False,
    options=("programme",),
    examples=("events", "events mine", "events wellbeing", "events programme:cpd25"),
)
async def list_events(ctx: Ctx) -> Reply:
    words = [w.text.lower() for w in ctx.args.words]
    mine = "mine" in words
    others = [w for w in ctx.args.words if w.text.lower() != "mine"]
    if len(others) > 1:
        raise ctx.fail(f"I don't understand “{others[1].text}” here.")
    group = await ctx.group_from(others[0]) if others else None
    query = select(Event).where(Event.status == "scheduled", Event.ends_at > ctx.now)
    if group is not None:
        query = query.where(Event.group_id == group.id)
    programme = ctx.option("programme")
    if programme is not None:
        query = query.where(func.lower(Event.programme) == programme.lower())
    if mine:
        query = query.join(Rsvp, Rsvp.event_id == Event.id).where(Rsvp.member_id == ctx.me.id, Rsvp.answer != "no")
    events = (await ctx.session.scalars(query.order_by(Event.starts_at, Event.id).limit(LISTED))).all()
    answers = dict(
        (
            await ctx.session.execute(
                select(Rsvp.event_id, Rsvp.position).where(
                    Rsvp.member_id == ctx.me.id, Rsvp.event_id.in_([e.id for e in events]), Rsvp.answer == "going"
                )
            )
        )
        .tuples()
        .all()
    )
    if not events:
        what = "you are going to" if mine else "coming up"
        return Reply(f"No events {what}." + ("" if mine else " Chairs post them with `event new`."))
    lines, sections = [], []
    for e in events:
        state = ""
        if e.id in answers:
            state = " — you are going" if answers[e.id] is None else " — you are on the waitlist"
        when = f"{time_ref(e.starts_at, when_words(e, ctx.zone))}{state}"
        lines.append(f"Event {e.id}: {e.title} — {when}")
        sections.append(
            Section(f"*Event {e.id}: {e.title}* — {when}", buttons=(Button("Details", "event", f"event {e.id}"),))
        )
    title = "Your events:" if mine else "Events coming up:"
    return Reply("\n".join([title, *lines]), sections=(Section(title), *sections))


@command(
    "event",
    usage="event <id> [ics]",
    summary="an event's details and your answer; with ics, its calendar file sent to you",
    reads_when=lambda args: len(args.words) < 2,
    examples=("event 12", "event 12 ics"),
)
async def show_event(ctx: Ctx) -> Reply:
    event, _ = await _event(ctx)
    ctx.no_more_words(2)
    if len(ctx.args.words) == 2:
        if ctx.args.words[1].text.lower() != "ics":
            raise ctx.fail(f"I don't understand “{ctx.args.words[1].text}” here: say `event {event.id} ics`.")
        file = ics_file(event, ctx.now)
        note = Reply(f"The calendar file of {event.title}: open it to add the event to your calendar.", files=(file,))
        await ctx.tell(
            ctx.me, note, key=f"event {event.id}: ics {event.sequence} for {ctx.me.id} at {ctx.now.isoformat()}"
        )
        return Reply(f"The calendar file of {event.title} is on its way to you in a direct message.")
    shown = await card_now(ctx.session, event, ctx.now, ctx.zone)  # an answer to one person: in their zone
    mine = await ctx.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.member_id == ctx.me.id))
    if event.status == "cancelled":
        state = "It was cancelled."
    elif mine is None:
        state = "You have not answered."
    elif mine.answer == "going" and mine.position is not None:
        state = f"You are number {await _place(ctx.session, mine)} on the waitlist."
    else:
        state = {"going": "You are going.", "maybe": "You said maybe.", "no": "You said you can't go."}[mine.answer]
    link = _url(ctx, f"/calendar/event/{event.id}.ics")
    state += f" Calendar file: {link}" if link else f" `event {event.id} ics` sends you its calendar file."
    return Reply(f"{shown.text}\n{state}", sections=(*shown.sections, Section(state)))


@command(
    "attendees",
    usage="attendees <id> [csv]",
    summary="who is going to an event, who waits and who said maybe",
    writes=False,
    examples=("attendees 12", "attendees 12 csv"),
)
async def attendees(ctx: Ctx) -> Reply:
    event, group = await _event(ctx)
    ctx.no_more_words(2)
    if not await _may_run(ctx, event, group):
        raise ctx.fail(_ONLY.format(id=event.id, what="see everyone going, waiting or saying maybe"))
    rows = (
        (
            await ctx.session.execute(
                select(Rsvp, Member.display_name)
                .join(Member, Member.id == Rsvp.member_id)
                .where(Rsvp.event_id == event.id)
                .order_by(Rsvp.position.is_not(None), Rsvp.position, Rsvp.updated_at, Rsvp.id)
            )
        )
        .tuples()
        .all()
    )
    going = [name for r, name in rows if r.answer == "going" and r.position is None]
    waiting = [name for r, name in rows if r.answer == "going" and r.position is not None]
    maybe = [name for r, name in rows if r.answer == "maybe"]
    lines = [
        f"Going ({len(going)}{'' if event.seats is None else f' of {event.seats}'}): "
        + (", ".join(going) or "no one yet"),
        f"Waitlist ({len(waiting)}): " + (", ".join(f"{n}. {name}" for n, name in enumerate(waiting, 1)) or "no one"),
        f"Maybe ({len(maybe)}): " + (", ".join(maybe) or "no one"),
    ]
    form = ctx.args.words[1].text.lower() if len(ctx.args.words) > 1 else None
    if form == "csv":
        table = [
            [name, "waiting" if r.answer == "going" and r.position is not None else r.answer, _came(r)]
            for r, name in rows
        ]
        return Reply(
            f"Event {event.id} as CSV (paste it into a spreadsheet):\n```\n"
            f"{csv_text(['name', 'answer', 'attended'], table)}```"
        )
    if form is not None:
        raise ctx.fail(f"attendees {event.id} shows the list, or its CSV with csv, not “{ctx.args.words[1].text}”.")
    headline = f"Who is coming to event {event.id}, {event.title}"
    return Reply("\n".join([headline, *lines]), sections=(Section(f"*{headline}*\n" + "\n".join(lines)),))


def _came(rsvp_: Rsvp) -> str:
    return "" if rsvp_.attended is None else "yes" if rsvp_.attended else "no"


# -- cancelling -------------------------------------------------------------------------------------------------


@command(
    "event cancel",
    usage="event cancel <id>",
    summary="cancel an event: everyone going or waiting is told",
    examples=("event cancel 12",),
)
async def cancel_event(ctx: Ctx) -> Reply:
    event, group = await _event(ctx, lock=True)
    ctx.no_more_words(1)
    if not await _may_run(ctx, event, group):
        raise ctx.fail(_ONLY.format(id=event.id, what="can cancel it"))
    if event.status == "cancelled":
        raise ctx.fail(f"Event {event.id} is cancelled already.")
    if is_over(event, ctx.now):
        raise ctx.fail(f"Event {event.id} is over: there is nothing to cancel.")
    event.status, event.sequence, event.updated_at = "cancelled", event.sequence + 1, ctx.now
    told = (
        (
            await ctx.session.execute(
                select(Member, Rsvp.answer, Rsvp.position)
                .join(Rsvp, Rsvp.member_id == Member.id)
                .where(Rsvp.event_id == event.id, Rsvp.answer.in_(("going", "maybe")))
            )
        )
        .tuples()
        .all()
    )
    cancelled = ics_file(event, ctx.now)  # METHOD:CANCEL: a calendar that has the event drops it
    rows = [
        member_row(
            m,
            Reply(
                f"{event.title}, {when_words(event, ZoneInfo(m.tz or DEFAULT_TZ))}, is cancelled. Sorry!",
                files=(cancelled,) if answer == "going" and position is None else (),
            ),
            key=f"event {event.id}: cancelled, to {m.id}",
            due=ctx.now,
            now=ctx.now,
        )
        for m, answer, position in told
    ]
    await queries.enqueue(ctx.session, rows)
    await ctx.session.flush()
    return Reply(f"Event {event.id}, {event.title}, is cancelled; {counted(len(told), 'person', 'people')} told.")


# -- calendars (RFC 5545, with the icalendar package) -------------------------------------------------------------

PRODID = "-//Convene//Connecting Libraries, Developing Staff//EN"
FEED_TOKEN_BYTES = 24  # the calendar feed's secret: 192 random bits, URL-safe


def uid(event: Event) -> str:
    """The event's iCalendar UID: the same for its whole life, different in another database (its number and the
    moment it was made: two installations, or one rebuilt, do not share UIDs)."""
    return f"event-{event.id}-{int(event.created_at.timestamp())}@convene"


def _vevent(event: Event, now: datetime) -> icalendar.Event:
    """One event as a VEVENT: UID stable for the event's life, SEQUENCE one more at each change, times in the
    organiser's zone (whose VTIMEZONE the calendar carries), STATUS CANCELLED once cancelled."""
    zone_ = ZoneInfo(event.tz)
    item = icalendar.Event()
    item.add("uid", uid(event))
    item.add("dtstamp", now.astimezone(UTC))
    for name, moment in (("dtstart", event.starts_at), ("dtend", event.ends_at)):
        local = moment.astimezone(zone_)
        # a local time autumn shows twice is written in UTC: a TZID time names the first of the two
        item.add(name, moment.astimezone(UTC) if _repeated(local) else local)
    item.add("summary", event.title)
    item.add("sequence", event.sequence)
    item.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
    if event.place:
        item.add("location", event.place)
    if event.link:
        item.add("url", event.link)
    item.add(
        "description",
        f"Event {event.id} in Convene: `event {event.id}` shows it, `rsvp {event.id} no` if you cannot go.",
    )
    return item


def calendar_file(events: Sequence[Event], now: datetime, *, name: str | None = None) -> bytes:
    """An iCalendar file of `events` (METHOD:PUBLISH, or CANCEL for one cancelled event), with a VTIMEZONE for
    each zone they were entered in; `name` titles a feed (X-WR-CALNAME, which Outlook and Google show)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    single_cancel = len(events) == 1 and events[0].status == "cancelled"
    calendar.add("method", "CANCEL" if single_cancel else "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_vevent(event, now))
    if events:  # rules for the years the events are in (icalendar's default stops at 2038)
        first = min(e.starts_at for e in events).date().replace(month=1, day=1)
        last = max(e.ends_at for e in events).date().replace(month=12, day=31)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def ics_file(event: Event, now: datetime) -> File:
    return File(f"event-{event.id}.ics", "text/calendar", calendar_file([event], now), f"{event.title} (calendar file)")


async def event_calendar(session: AsyncSession, event_id: int, now: datetime) -> bytes | None:
    """The calendar file served at /calendar/event/<id>.ics; None when there is no such event."""
    event = await session.get(Event, event_id)
    return calendar_file([event], now) if event is not None else None


async def feed(session: AsyncSession, token: str, now: datetime) -> bytes | None:
    """The calendar feed served at /calendar/feed/<token>.ics: the events the token's member holds a seat at (not
    those they wait for), from 30 days ago on, cancelled ones included so that calendars drop them; None when no
    member has the token (the web layer answers 404 either way, saying nothing of whether it ever existed)."""
    member = await session.scalar(select(Member).where(Member.calendar_token == token))
    if member is None:
        return None
    going = (
        await session.scalars(
            select(Event)
            .join(Rsvp, Rsvp.event_id == Event.id)
            .where(
                Rsvp.member_id == member.id,
                Rsvp.answer == "going",
                Rsvp.position.is_(None),
                Event.ends_at > now - FEED_LOOKS_BACK,
            )
            .order_by(Event.starts_at, Event.id)
        )
    ).all()
    return calendar_file(going, now, name=f"Convene: {member.display_name}'s events")


FEED_LOOKS_BACK = timedelta(days=30)


def _url(ctx: Ctx, path: str) -> str | None:
    return f"{ctx.config.public_url}{path}" if ctx.config.public_url else None


@command(
    "calendar",
    usage="calendar [reset]",
    summary="your calendar feed: the events you are going to, for Outlook or Google to subscribe to",
    examples=("calendar", "calendar reset"),
)
async def calendar(ctx: Ctx) -> Reply:
    ctx.no_more_words(1)
    reset = bool(ctx.args.words)
    if reset and ctx.args.words[0].text.lower() != "reset":
        raise ctx.fail(f"I don't understand “{ctx.args.words[0].text}” here.")
    if ctx.config.public_url is None:
        raise ctx.fail(
            "Convene's web address is not set (CONVENE_PUBLIC_URL), so it cannot serve calendar feeds: ask the "
            "steering group to set it. `event <id> ics` sends you an event's calendar file meanwhile."
        )
    me = ctx.me
    if reset or me.calendar_token is None:
        me.calendar_token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    url = _url(ctx, f"/calendar/feed/{me.calendar_token}.ics")
    lead = "Your calendar feed has a new address; the old one no longer works." if reset else "Your calendar feed:"
    return Reply(
        f"{lead} {url}\nSubscribe to it in Outlook (Add calendar → From internet) or Google Calendar (From URL): it "
        "lists the events you have a seat at. Keep the address to yourself; `calendar reset` makes a new one."
    )


# -- reminders -------------------------------------------------------------------------------------------------

DAY_BEFORE = timedelta(days=1)
HOUR_BEFORE = timedelta(hours=1)


async def send_reminders(session: AsyncSession, now: datetime) -> int:
    """Remind those holding a seat a day and an hour before each scheduled event (SPEC.md §5), by direct
    message; how many events were reminded of. Once each: an event's `reminded_day` and `reminded_hour` are set in
    the transaction that queues the messages, whoever runs it; when the hour's reminder is due the day's is not
    sent any more (Convene was down, or the event was made less than a day ahead)."""
    due = (
        await session.scalars(
            select(Event)
            .where(
                Event.status == "scheduled",
                Event.starts_at > now,
                Event.starts_at <= now + DAY_BEFORE,
                or_(
                    Event.reminded_day.is_(False),
                    and_(Event.reminded_hour.is_(False), Event.starts_at <= now + HOUR_BEFORE),
                ),
            )
            .order_by(Event.starts_at, Event.id)
            .with_for_update()
        )
    ).all()
    for event in due:
        hour = event.starts_at <= now + HOUR_BEFORE
        if hour and event.reminded_hour:
            continue
        event.reminded_day = True
        event.reminded_hour = event.reminded_hour or hour
        people = (
            await session.scalars(
                select(Member)
                .join(Rsvp, Rsvp.member_id == Member.id)
                .where(Rsvp.event_id == event.id, Rsvp.answer == "going", Rsvp.position.is_(None))
                .order_by(Member.id)
            )
        ).all()
        soon = "in an hour" if hour else "tomorrow"
        rows = [
            member_row(
                m,
                Reply(
                    f"Reminder: {event.title} is {soon}, {when_words(event, ZoneInfo(m.tz or DEFAULT_TZ))}."
                    + (f" Where: {event.place}." if event.place else "")
                    + (f" Online: {event.link}" if event.link else "")
                    + f" If you cannot go, `rsvp {event.id} no` gives your seat to someone else."
                ),
                key=f"event {event.id}: reminder {'hour' if hour else 'day'} {event.sequence} to {m.id}",
                due=now,
                now=now,
            )
            for m in people
        ]
        await queries.enqueue(session, rows)
    return len(due)


async def next_reminder(session: AsyncSession, after: datetime, until: datetime) -> datetime | None:
    """The first moment in (after, until] at which an event's reminder is due, for the console's clock."""
    events = (
        await session.scalars(
            select(Event).where(
                Event.status == "scheduled", Event.starts_at > after, Event.starts_at <= until + DAY_BEFORE
            )
        )
    ).all()
    moments = [
        moment
        for e in events
        for moment, sent in ((e.starts_at - DAY_BEFORE, e.reminded_day), (e.starts_at - HOUR_BEFORE, e.reminded_hour))
        if not sent and after < moment <= until
    ]
    return min(moments, default=None)


# -- changing an event -------------------------------------------------------------------------------------------


@command(
    "event edit",
    usage=(
        'event edit <id> [title:"…"] [when:"YYYY-MM-DD HH:MM"] [until:…] [where:…] [link:…] [seats:N|none] '
        "[programme:…] [for:…] [tz:…]"
    ),
    summary="change an event: those going, waiting or maybe are told, with the new calendar file",
    options=("title", "when", "until", "where", "link", "seats", "programme", "for", "tz"),
    examples=('event edit 12 when:"2027-02-09 14:00"', "event edit 12 seats:30"),
)
async def edit_event(ctx: Ctx) -> Reply:
    event, group = await _event(ctx, lock=True)
    ctx.no_more_words(1)
    if not await _may_run(ctx, event, group):
        raise ctx.fail(_ONLY.format(id=event.id, what="can change it"))
    if event.status == "cancelled":
        raise ctx.fail(f"Event {event.id} is cancelled: make a new one with `event new`.")
    if event.starts_at <= ctx.now:
        raise ctx.fail(f"Event {event.id} has started: it can no longer be changed.")
    if not ctx.args.options:
        raise ctx.fail('Say what to change, like `event edit 12 seats:30` or `event edit 12 when:"2027-02-09 14:00"`.')
    changed: list[str] = []
    tz = ctx.option("tz") or event.tz
    try:
        zone(tz)
    except UserError as err:
        raise ctx.fail(err.message, field="tz") from None
    starts, ends = _times(ctx, tz, event)
    seats_said = ctx.option("seats")
    if seats_said is not None:  # checked before anything changes, so that a refusal names the event as it is
        seats = None if seats_said.lower() == "none" else ctx.option_int("seats", "number of seats", high=SEATS_LIMIT)
        taken = await _taken(ctx.session, event)
        if seats is not None and seats < taken:
            raise ctx.fail(
                f"{counted(taken, 'person is', 'people are')} going to {event.title}: it cannot have fewer seats "
                f"than that. Those who can no longer come say `rsvp {event.id} no`.",
                field="seats",
            )
        if seats != event.seats:
            event.seats = seats
            changed.append("seats")
    if (starts, ends) != (event.starts_at, event.ends_at):
        event.starts_at, event.ends_at = starts, ends
        event.reminded_day = event.reminded_hour = False  # the reminders come again, for the new time
        changed.append("when")
    if tz != event.tz:
        event.tz = tz
        changed.append("time zone")
    title = _optional(ctx, "title", TITLE_LIMIT, "title")
    if title is not None and title != event.title:
        event.title = title
        changed.append("title")
    for option, attribute, limit, what in (
        ("where", "place", PLACE_LIMIT, "place"),
        ("programme", "programme", PROGRAMME_LIMIT, "programme"),
    ):
        value = _optional(ctx, option, limit, what)
        cleared = value is not None and value.lower() == "none"
        if value is not None and (None if cleared else value) != getattr(event, attribute):
            setattr(event, attribute, None if cleared else value)
            changed.append(option)
    said_link = ctx.option("link")
    link = None if said_link is not None and said_link.strip().lower() == "none" else _link(ctx)
    if said_link is not None and link != event.link:
        event.link = link
        changed.append("link")
    audience = ctx.choice("for", AUDIENCES)
    if audience is not None and audience != event.audience:
        event.audience = audience
        changed.append("who it is for")
    if not changed:
        _unchanged(event)
        return Reply(f"Event {event.id} already says that: nothing changed.")
    changed.sort(key=CHANGE_ORDER.index)
    event.sequence, event.updated_at = event.sequence + 1, ctx.now
    await ctx.session.flush()
    # more seats, or the time offered first to one stage over: those waiting take the free seats, in order
    promoted = await fill_seats(ctx.session, event, ctx.now, ctx.config.public_url)
    told = await _tell_of_change(ctx, event, changed, promoted) if changed != ["time zone"] else 0
    return Reply(
        f"Event {event.id} changed ({', '.join(changed)}): {when_words(event, ctx.zone)}. "
        f"{counted(told, 'person', 'people')} told"
        + (f"; {len(promoted)} given a seat from the waitlist." if promoted else ".")
    )


async def _tell_of_change(ctx: Ctx, event: Event, changed: list[str], promoted: list[Member]) -> int:
    """Tell those going, waiting or saying maybe (but not those just given a seat: they were told) what changed,
    with the new calendar file for those holding a seat; how many were told."""
    skip = {m.id for m in promoted}
    rows = (
        (
            await ctx.session.execute(
                select(Member, Rsvp.answer, Rsvp.position)
                .join(Rsvp, Rsvp.member_id == Member.id)
                .where(Rsvp.event_id == event.id, Rsvp.answer.in_(("going", "maybe")))
                .order_by(Member.id)
            )
        )
        .tuples()
        .all()
    )
    out = []
    for member, answer, position in rows:
        if member.id in skip:
            continue
        seat = answer == "going" and position is None
        reply = Reply(
            f"{event.title} has changed ({', '.join(changed)}): it is now "
            f"{when_words(event, ZoneInfo(member.tz or DEFAULT_TZ))}"
            + (f", at {event.place}" if event.place else "")
            + ". `event "
            + str(event.id)
            + "` shows it all.",
            files=(ics_file(event, ctx.now),) if seat else (),
        )
        key = f"event {event.id}: change {event.sequence} to {member.id}"
        out.append(member_row(member, reply, key=key, due=ctx.now, now=ctx.now))
    await queries.enqueue(ctx.session, out)
    return len(out)


# -- after the event ---------------------------------------------------------------------------------------------

FEEDBACK_AFTER = timedelta(hours=3)  # the feedback poll goes out this long after an event ends
FEEDBACK_LOOKS_BACK = timedelta(days=14)  # an event older than this gets none (Convene was down, or it is new)


@command(
    "attended",
    usage="attended <id> @person…",
    summary="after an event, mark who came: they get its feedback poll (by default, everyone with a seat)",
    examples=("attended 12 @bea @cai",),
)
async def attended(ctx: Ctx) -> Reply:
    event, group = await _event(ctx, lock=True)
    if not await _may_run(ctx, event, group):
        raise ctx.fail(_ONLY.format(id=event.id, what="mark who came"))
    if event.status == "cancelled":
        raise ctx.fail(f"Event {event.id} was cancelled: no one came to it.")
    if await ctx.session.scalar(select(select(Poll.id).where(Poll.event_id == event.id).exists())):
        raise ctx.fail(  # who may answer it was settled when it was sent: marking now would take it from some
            f"Event {event.id}'s feedback poll has gone out to those who came as it was known then: who came can "
            "no longer be changed."
        )
    if event.starts_at > ctx.now:
        raise ctx.fail(f"Event {event.id} has not started yet: mark who came once it has.")
    if len(ctx.args.words) < 2:
        raise ctx.fail(f"Name who came, like `attended {event.id} @bea @cai`.")
    people = [await ctx.person_from(word) for word in ctx.args.words[1:]]
    for person in people:
        row = await ctx.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.member_id == person.id))
        if row is None:  # came without answering: they came all the same, but took no seat
            row = Rsvp(event_id=event.id, member_id=person.id, answer="no", created_at=ctx.now, updated_at=ctx.now)
            ctx.session.add(row)
        row.attended = True  # the answer, the seat and the order of answers stay as they were
    names = ", ".join(p.display_name for p in people)
    return Reply(f"Marked as having come to {event.title}: {names}. They get its feedback poll.")


async def send_feedback_polls(session: AsyncSession, now: datetime) -> int:
    """Open the feedback poll of each event that ended `FEEDBACK_AFTER` ago and has none yet, sent to those who
    attended it (`storage.queries.attendee_ids`); how many. Once an event: the poll names the event, and the
    event row's lock is held while it is made."""
    ended = (
        await session.scalars(
            select(Event)
            .where(
                Event.status == "scheduled",
                Event.ends_at <= now - FEEDBACK_AFTER,
                Event.ends_at > now - FEEDBACK_LOOKS_BACK,
                ~select(Poll.id).where(Poll.event_id == Event.id).exists(),
            )
            .order_by(Event.ends_at, Event.id)
            .with_for_update()
        )
    ).all()
    for event in ended:
        ids = await queries.attendee_ids(session, event.id)
        people = (await session.scalars(select(Member).where(Member.id.in_(ids)).order_by(Member.id))).all()
        await open_feedback(session, event, people, now)
    return len(ended)


async def next_feedback(session: AsyncSession, after: datetime, until: datetime) -> datetime | None:
    """The first moment in (after, until] at which an event's feedback poll is due, for the console's clock."""
    ends = await session.scalar(
        select(func.min(Event.ends_at)).where(
            Event.status == "scheduled",
            Event.ends_at > after - FEEDBACK_AFTER,
            Event.ends_at <= until - FEEDBACK_AFTER,
            ~select(Poll.id).where(Poll.event_id == Event.id).exists(),
        )
    )
    return ends + FEEDBACK_AFTER if ends is not None else None


async def open_to_all(session: AsyncSession, now: datetime, public_url: str | None) -> int:
    """Give the free seats of the events whose time offered first to one career stage is over to those waiting,
    in order; how many were given a seat. Run by the scheduler: giving a seat twice is not possible (only free
    seats are given, under the event's lock)."""
    candidates = (
        await session.scalars(
            select(Event)
            .where(
                Event.status == "scheduled",
                Event.audience != "all",
                Event.seats.is_not(None),
                Event.starts_at > now,
                select(Rsvp.id).where(Rsvp.event_id == Event.id, Rsvp.position.is_not(None)).exists(),
            )
            .order_by(Event.id)
            .with_for_update()
        )
    ).all()
    given = 0
    for event in candidates:
        if not offered_first(event, now):
            given += len(await fill_seats(session, event, now, public_url))
    return given


async def next_opening(session: AsyncSession, after: datetime, until: datetime) -> datetime | None:
    """The first moment in (after, until] at which an event offered first to one stage opens to all."""
    events = (
        await session.scalars(
            select(Event).where(Event.status == "scheduled", Event.audience != "all", Event.seats.is_not(None))
        )
    ).all()
    return min((m for e in events if after < (m := first_until(e)) <= until), default=None)
