"""Calls for volunteers, offers to serve, the steering group's decisions on them, and closing a group (which
closes its call, lets its offers lapse and stops its schedules).

A call is open until it is closed (`call <group> close`, the group's closing) or its closing date has passed:
it closes at the start of the day after its date, in the time zone of whoever set the date, and the daily
reminders run records it closed, edits its announcement and tells the steering group of the offers waiting.
While a call's group has no seat left it takes no offers, and it takes offers as chair only while the group
has fewer than its chairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, ScalarSelect, String, cast, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command.context import Ctx
from handlers.command.messages import (
    CHANNELS_BY_NAME,
    PLATFORM_NAMES,
    Button,
    Reply,
    Section,
    channel_ref,
    counted,
    possessive,
    titled,
)
from handlers.command.outbox import address, group_rows, member_row, mention, outbox_row, place_suffix
from handlers.command.registry import command
from handlers.command.timing import DEFAULT_TZ, closing_moment, until_words
from handlers.groups import MAX_CHAIRS, action_buttons, calling, seats_left
from handlers.polls import close_group_polls
from storage import queries
from storage.models import ROLES, Call, CaseStudy, Group, Member, Membership, Outbox, Schedule, VolunteerOffer


def _offers_as(role: str, group_id: int | ColumnElement[int]) -> ScalarSelect[int]:
    """Live and accepted offers to serve on the group as `role`."""
    return (
        select(func.count())
        .where(
            VolunteerOffer.group_id == group_id,
            VolunteerOffer.role == role,
            VolunteerOffer.status.in_(("offered", "accepted")),
        )
        .scalar_subquery()
    )


def _posted(column: Any, message_key: ColumnElement[str] | str) -> ScalarSelect[Any]:
    """A column of the outbox row that posted a message (by its `message_key`): where, on which platform."""
    return select(column).where(Outbox.message_key == message_key, Outbox.mode == "post").scalar_subquery()


def _tally_of(group_id: int | ColumnElement[int], message_key: ColumnElement[str] | str) -> tuple[Any, ...]:
    """What a call's announcement shows, and where it was posted, as columns of one query."""
    members = Membership.group_id == group_id
    return (
        _posted(Outbox.platform, message_key),
        _posted(Outbox.workspace, message_key),
        _posted(Outbox.target, message_key),
        select(func.count()).where(members).scalar_subquery(),
        select(func.count()).where(members, Membership.role == "chair").scalar_subquery(),
        _offers_as("member", group_id),
        _offers_as("chair", group_id),
    )


@dataclass(frozen=True)
class Tally:
    platform: str | None  # where the announcement was posted (None: not posted)
    workspace: str | None
    posted_in: str | None
    taken: int  # seats taken
    chairs: int  # chairs appointed
    as_member: int  # live and accepted offers
    as_chair: int

    def moved(self, *, to: str | None = None, away_from: str | None = None) -> Tally:
        """The tally with one offer more as `to`, and one fewer as `away_from`."""

        def step(role: str) -> int:
            return (role == to) - (role == away_from)

        return replace(self, as_member=self.as_member + step("member"), as_chair=self.as_chair + step("chair"))


@dataclass(frozen=True)
class CallState:
    """What a call's announcement shows of the call."""

    id: int
    open: bool
    closes_at: datetime | None

    @classmethod
    def of(cls, call: Call, now: datetime) -> CallState:
        return cls(call.id, is_open(call, now), call.closes_at)


def is_open(call: Call, now: datetime) -> bool:
    return call.status == "open" and (call.closes_at is None or call.closes_at > now)


async def _tally(session: AsyncSession, group: Group, call_id: int) -> Tally:
    row = (await session.execute(select(*_tally_of(group.id, f"call:{call_id}")))).one()
    return Tally(*row)


def _announcement(group: Group, call: CallState, tally: Tally) -> Reply:
    left = seats_left(group, tally.taken)
    full = left == 0
    taking = call.open and not full
    status = "" if taking else " (this call is now closed)" if not call.open else " (all seats are taken)"
    headline = f"Call for volunteers: {group.name}{status}"
    closing = (  # a channel's readers are in many zones: the consortium's own, named
        f" Offers close at {until_words(call.closes_at, ZoneInfo(DEFAULT_TZ), label=True)}."
        if call.closes_at and taking
        else ""
    )
    body = (group.about or group.theme or "A task-and-finish group of the programme.") + closing
    chairs = (
        f"{tally.chairs} of {MAX_CHAIRS} appointed"
        if tally.chairs >= MAX_CHAIRS or not taking
        else f"up to {MAX_CHAIRS - tally.chairs} wanted ({tally.chairs} appointed)"
    )
    fields = (
        ("Seats left", str(left) if left is not None else "open"),
        ("Chairs", chairs),
        ("Offers so far", f"{tally.as_member} as member, {tally.as_chair} as chair"),
    )
    text = f"{headline}\n{body}\n" + "; ".join(f"{k}: {v}" for k, v in fields)
    buttons = action_buttons(group, calling=taking, seats=left, chairs=tally.chairs)
    return Reply(text, sections=(Section(f"*{headline}*\n{body}", fields, buttons),), private=False)


def _announcement_edit(group: Group, call: CallState, tally: Tally, cause: str, now: datetime) -> dict[str, Any] | None:
    """An outbox row that edits the call's announcement, where it was posted (whoever caused the edit, and on
    whichever platform), or None if it has not been posted."""
    if tally.posted_in is None or tally.platform is None or tally.workspace is None:
        return None
    return outbox_row(
        key=f"call {call.id}: {cause}",
        platform=tally.platform,
        workspace=tally.workspace,
        target_kind="channel",
        target=tally.posted_in,
        label=tally.posted_in,
        reply=_announcement(group, call, tally),
        due=now,
        now=now,
        message_key=f"call:{call.id}",
        mode="edit",
    )


async def _edit_announcement(
    session: AsyncSession, group: Group, call: CallState, tally: Tally, cause: str, now: datetime
) -> None:
    edit = _announcement_edit(group, call, tally, cause, now)
    if edit is None:
        return
    # its copies in the group's channels on other platforms (one indexed look-up; usually there are none)
    # where its copies were posted (a group's channel may have moved since: the edit goes where the post is)
    keys = {
        edit["message_key"] + place_suffix(p, w): (p, w)
        for p, w, _ in await queries.group_places(session, group)
        if (p, w) != (tally.platform, tally.workspace)
    }
    posted = (
        await session.execute(
            select(Outbox.message_key, Outbox.target).where(Outbox.message_key.in_(keys), Outbox.mode == "post")
        )
        if keys
        else None
    )
    copies = [(*keys[key], target) for key, target in posted.tuples()] if posted is not None else []
    home = (edit["platform"], edit["workspace"])
    reply = Reply.from_json(edit["payload"])
    rows = group_rows(
        group, copies, reply, key=edit["key"], due=now, now=now, message_key=edit["message_key"], home=home
    )
    await queries.enqueue(session, [edit, *({**row, "mode": "edit"} for row in rows)])


async def refresh_announcement(ctx: Ctx, group: Group, cause: str, call: Call | None = None) -> None:
    """Queue an edit of the call's posted announcement (the group's latest call unless given), so its counts and
    buttons stay true."""
    if call is None:
        call = await ctx.session.scalar(select(Call).where(Call.group_id == group.id).order_by(Call.id.desc()).limit(1))
        if call is None:
            return
    state = CallState.of(call, ctx.now)
    await _edit_announcement(ctx.session, group, state, await _tally(ctx.session, group, call.id), cause, ctx.now)


async def close_call(session: AsyncSession, group: Group, call: Call, now: datetime, cause: str) -> int:
    """Close a call now: recorded closed, its announcement edited to say so. The number of offers waiting for a
    decision."""
    call.status, call.closed_at = "closed", now
    await _edit_announcement(
        session, group, CallState(call.id, False, call.closes_at), await _tally(session, group, call.id), cause, now
    )
    waiting = await session.scalar(
        select(func.count()).where(VolunteerOffer.group_id == group.id, VolunteerOffer.status == "offered")
    )
    return int(waiting or 0)


async def close_due_calls(session: AsyncSession, now: datetime, steering: Sequence[Member]) -> int:
    """Close every call whose closing date has passed (once: a closed call is not closed again), and tell the
    steering group of the offers each leaves waiting. The number closed."""
    due = (
        await session.execute(
            select(Call, Group)
            .join(Group, Group.id == Call.group_id)
            .where(Call.status == "open", Call.closes_at.is_not(None), Call.closes_at <= now)
            .order_by(Call.id)
        )
    ).tuples()
    closed = 0
    for call, group in due.all():
        waiting = await close_call(session, group, call, now, "closed on its date")
        closed += 1
        news = Reply(
            f"The call for volunteers for {group.name} closed on its date ({call.closes_on}). "
            + _waiting(waiting, group)
        )
        await queries.enqueue(
            session,
            [
                member_row(admin, news, key=f"call {call.id}: closed, to {address(admin)}", due=now, now=now)
                for admin in steering
            ],
        )
    return closed


def _waiting(offers: int, group: Group) -> str:
    if offers == 0:
        return "No offer waits for a decision."
    return f"{offers} offer{'s wait' if offers != 1 else ' waits'} for a decision: `volunteers {group.slug}`."


def _require_task(ctx: Ctx, group: Group) -> None:
    if group.kind != "task":
        raise ctx.fail(f"{group.name} is a community of practice: anyone can join with `join {group.slug}`.")
    if group.status == "closed":
        raise ctx.fail(f"{group.name} is closed.")


@command(
    "call",
    role="admin",
    options=("closes",),
    group_word=True,
    usage="call <group> [closes:YYYY-MM-DD]  ·  call <group> close",
    summary="open a call for volunteers (announced with buttons to volunteer), change its closing date, or close it",
    examples=("call diversity closes:2027-01-31", "call diversity close"),
)
async def call_for_volunteers(ctx: Ctx) -> Reply:
    g = ctx.group
    assert g is not None
    _require_task(ctx, g)
    words = [w.text.lower() for w in ctx.args.words[1:]]
    if words not in ([], ["close"]):
        raise ctx.fail(f"I don't understand “{ctx.args.words[1].text}” here.")
    closes = ctx.option_date("closes")
    if closes is not None and closes <= ctx.today:
        raise ctx.fail(f"closes: must be after today ({ctx.today}), not {closes}.", field="closes")
    existing = await ctx.session.scalar(select(Call).where(Call.group_id == g.id, Call.status == "open"))
    if existing is not None and not is_open(existing, ctx.now):  # past its date, not yet recorded closed
        await close_call(ctx.session, g, existing, ctx.now, "closed on its date")
        existing = None
    if words == ["close"]:
        if closes is not None:
            raise ctx.fail("Say either close or closes:DATE, not both.")
        if existing is None:
            raise ctx.fail(f"{g.name} has no call for volunteers open.")
        waiting = await close_call(ctx.session, g, existing, ctx.now, "closed")
        return Reply(f"Closed the call for volunteers for {g.name}; its announcement says so. " + _waiting(waiting, g))
    if existing is not None:
        if closes is None:
            until = f" until the end of {existing.closes_on}" if existing.closes_on else ""
            raise ctx.fail(
                f"{g.name} already has a call for volunteers open{until}: `call {g.slug} closes:YYYY-MM-DD` "
                f"changes its closing date, `call {g.slug} close` closes it."
            )
        existing.closes_on, existing.closes_at = closes, closing_moment(closes, ctx.me.tz)
        await refresh_announcement(ctx, g, f"closes {closes}", existing)
        return Reply(f"The call for volunteers for {g.name} now closes at the end of {closes}.")
    call = Call(
        group_id=g.id,
        status="open",
        closes_on=closes,
        closes_at=closing_moment(closes, ctx.me.tz) if closes else None,
        opened_by=ctx.me.id,
        opened_at=ctx.now,
    )
    ctx.session.add(call)
    await ctx.session.flush()
    speaker = ctx.request.speaker
    here = (speaker.platform, speaker.workspace)
    places = await queries.group_places(ctx.session, g)
    announce = ctx.config.announce_channel if speaker.platform in CHANNELS_BY_NAME else None  # Slack's
    where = ctx.request.place.channel_id or announce or next((c for p, w, c in places if (p, w) == here), None)
    elsewhere = [place for place in places if place[:2] != here]
    if where is None and not elsewhere:
        raise ctx.fail(f"{g.name} has no channel to announce the call in: run `call` in a channel.")
    announcement = _announcement(g, CallState.of(call, ctx.now), await _tally(ctx.session, g, call.id))
    if where is not None:
        await ctx.post(
            channel=where, reply=announcement, key=f"call {call.id}: announce", message_key=f"call:{call.id}"
        )
    rows = group_rows(
        g,
        elsewhere,
        announcement,
        key=f"call {call.id}: announce",
        due=ctx.now,
        now=ctx.now,
        message_key=f"call:{call.id}",
        home=here if where is not None else elsewhere[0][:2],  # that post is the one the tally follows
    )
    await queries.enqueue(ctx.session, rows)
    return Reply(
        f"Opened a call for volunteers for {g.name}"
        + (f", closing at the end of {closes}" if closes else "")
        + f"; it is announced in {_announced_in(where, elsewhere)}."
    )


def _announced_in(where: str | None, elsewhere: list[tuple[str, str, str]]) -> str:
    said = [channel_ref(where)] if where else []
    said += [f"its channel on {PLATFORM_NAMES.get(platform, platform)}" for platform, _, _ in elsewhere]
    return " and ".join(said)


# An offer, unless one like it is live (a unique rule): the id of the one written, or None.
_NEW_OFFER = queries.on_conflict(VolunteerOffer.__table__, returning=VolunteerOffer.__table__.c.id)


@command(
    "volunteer",
    options=("as", "note"),
    group_word=True,
    usage="volunteer <group> [as:member|chair] [note:…]",
    summary="offer to serve on a task-and-finish group",
    examples=('volunteer wellbeing as:chair note:"I ran …"',),
)
async def volunteer(ctx: Ctx) -> Reply:
    ctx.no_more_words(1)
    g = ctx.group
    assert g is not None
    _require_task(ctx, g)
    role = ctx.choice("as", ROLES, "member")
    assert role is not None
    note = ctx.limited(ctx.option("note") or "", 500, "note") if ctx.option("note") is not None else None
    # All that an offer needs to know, in one query: the group's open call, whether the speaker is a member
    # already, their live offer, and the tally the call's announcement shows before this offer.
    is_member = select(Membership.id).where(Membership.group_id == g.id, Membership.member_id == ctx.me.id)
    offer_state = (
        select(
            Call.id,
            Call.closes_at,
            is_member.exists(),
            VolunteerOffer.id,
            VolunteerOffer.role,
            *_tally_of(g.id, literal("call:") + cast(Call.id, String)),
        )
        .outerjoin(
            VolunteerOffer,
            (VolunteerOffer.group_id == Call.group_id)
            & (VolunteerOffer.member_id == ctx.me.id)
            & (VolunteerOffer.status == "offered"),
        )
        .where(Call.group_id == g.id, calling(ctx.now))
    )
    state = (await ctx.session.execute(offer_state)).one_or_none()
    if state is None:
        raise ctx.fail(f"{g.name} has no open call for volunteers just now.")
    call_id, closes_at, is_member, live_id, live_role, *tally = state
    call = CallState(call_id, True, closes_at)
    before = Tally(*tally)
    if is_member:
        raise ctx.fail(f"You are already a member of {g.name}.")
    if seats_left(g, before.taken) == 0:
        raise ctx.fail(f"{g.name} has no seats left: all {g.seats} are taken.")
    if role == "chair" and before.chairs >= MAX_CHAIRS:
        raise ctx.fail(f"{g.name} has its {MAX_CHAIRS} chairs; offer to serve as a member: `volunteer {g.slug}`.")
    if live_id is not None:
        if live_role == role:
            raise ctx.fail(
                f"You have already offered to serve on {g.name} as {role}; `withdraw {g.slug}` takes the offer back."
            )
        changed = {"role": role, "note": note} if note else {"role": role}
        await ctx.session.execute(update(VolunteerOffer).where(VolunteerOffer.id == live_id).values(changed))
        after = before.moved(to=role, away_from=live_role)
        await _edit_announcement(ctx.session, g, call, after, f"offer {live_id} now {role}", ctx.now)
        return Reply(f"Changed your offer for {g.name}: you now offer to serve as {role}.")
    offer_id = await queries.insert_returning_id(
        ctx.session,
        _NEW_OFFER,
        group_id=g.id,
        member_id=ctx.me.id,
        role=role,
        note=note,
        status="offered",
        created_at=ctx.now,
    )
    if offer_id is None:  # another request from the same person got there first
        raise ctx.fail(f"You have already offered to serve on {g.name}; `withdraw {g.slug}` takes it back.")
    await _edit_announcement(ctx.session, g, call, before.moved(to=role), f"offer {offer_id}", ctx.now)
    return Reply(
        f"Thank you! You have offered to serve on {g.name} as {role}. "
        "The steering group will let you know their decision."
    )


async def _live_offer(ctx: Ctx, group: Group, member: Member) -> VolunteerOffer | None:
    return await ctx.session.scalar(
        select(VolunteerOffer).where(
            VolunteerOffer.group_id == group.id,
            VolunteerOffer.member_id == member.id,
            VolunteerOffer.status == "offered",
        )
    )


@command(
    "withdraw",
    group_word=True,
    usage="withdraw <group>",
    summary="take back your offer to serve",
    examples=("withdraw wellbeing",),
)
async def withdraw(ctx: Ctx) -> Reply:
    ctx.no_more_words(1)
    g = ctx.group
    assert g is not None
    offer = await _live_offer(ctx, g, ctx.me)
    if offer is None:
        raise ctx.fail(f"You have no open offer to serve on {g.name}.")
    offer.status, offer.decided_at = "withdrawn", ctx.now
    await refresh_announcement(ctx, g, f"offer {offer.id} withdrawn")
    return Reply(f"Your offer to serve on {g.name} is withdrawn.")


@command(
    "volunteers",
    role="chair",
    group_word=True,
    writes=False,
    usage="volunteers <group>",
    summary="the offers to serve on a group, with buttons to accept or decline",
    examples=("volunteers diversity",),
)
async def offers(ctx: Ctx) -> Reply:
    ctx.no_more_words(1)
    g = ctx.group
    assert g is not None
    rows = (
        await ctx.session.scalars(
            select(VolunteerOffer)
            .where(VolunteerOffer.group_id == g.id)
            .order_by(VolunteerOffer.created_at, VolunteerOffer.id)
        )
    ).all()
    if not rows:
        return Reply(f"No one has offered to serve on {g.name} yet.")
    # one line a person: their live or accepted offer if they have one, else their latest (not their history)
    standing = {"offered": 2, "accepted": 2, "declined": 1, "withdrawn": 0}
    latest: dict[int, VolunteerOffer] = {}
    for o in rows:
        mine = latest.get(o.member_id)
        if mine is None or (standing[o.status], o.id) >= (standing[mine.status], mine.id):
            latest[o.member_id] = o
    sections = []
    lines = []
    for o in (o for o in rows if latest[o.member_id] is o):
        who = o.member.display_name
        inst = f" ({o.member.institution.name})" if o.member.institution else ""
        line = f"{who}{inst} — as {o.role}, {o.status}" + (f": “{o.note}”" if o.note else "")
        lines.append(f"• {line}")
        buttons: tuple[Button, ...] = ()
        if o.status == "offered" and ctx.is_admin:
            as_chair = " as:chair" if o.role == "chair" else ""
            buttons = (
                Button("Accept", "accept", f"accept <member:{o.member_id}> {g.slug}{as_chair}", "primary"),
                Button("Decline", "decline", f"decline <member:{o.member_id}> {g.slug}", "danger"),
            )
        sections.append(Section(line, buttons=buttons))
    return titled(f"Offers to serve on {g.name}:", sections, "\n".join(lines))


async def _decision(ctx: Ctx) -> tuple[Member, Group, VolunteerOffer]:
    person = await ctx.person_from(ctx.word(0, "person"))
    group = await ctx.group_from(ctx.word(1, "group"))
    ctx.no_more_words(2)
    offer = await _live_offer(ctx, group, person)
    if offer is None:
        raise ctx.fail(f"{person.display_name} has no open offer to serve on {group.name}.")
    return person, group, offer


@command(
    "accept",
    role="admin",
    options=("as",),
    usage="accept <person> <group> [as:chair]",
    summary="accept an offer to serve; the volunteer is told",
    examples=("accept @alice diversity as:chair",),
)
async def accept(ctx: Ctx) -> Reply:
    """An offer accepted, as the role offered or `as:`; or, with `as:chair`, a member of the group made its chair
    (how a group that lost its chair gets one, communities included: SPEC §3)."""
    person = await ctx.person_from(ctx.word(0, "person"))
    group = await ctx.group_from(ctx.word(1, "group"))
    ctx.no_more_words(2)
    offer = await _live_offer(ctx, group, person)
    if offer is None:
        membership = await queries.membership(ctx.session, group.id, person.id)
        if membership is not None and ctx.choice("as", ROLES) == "chair":
            return await _make_chair(ctx, person, group, membership)
        hint = f" To make them its chair: `accept {person.display_name} {group.slug} as:chair`." if membership else ""
        raise ctx.fail(f"{person.display_name} has no open offer to serve on {group.name}.{hint}")
    role = ctx.choice("as", ROLES, offer.role)
    assert role is not None
    if group.status == "closed":
        raise ctx.fail(f"{group.name} is closed: it takes no new members.")
    rows = await queries.memberships(ctx.session, group.id)
    if group.seats is not None and len(rows) >= group.seats:
        raise ctx.fail(f"{group.name} has no seats left: all {group.seats} are taken.")
    if role == "chair" and sum(m.role == "chair" for m in rows) >= MAX_CHAIRS:
        raise ctx.fail(f"{group.name} already has {MAX_CHAIRS} chairs; accept {person.display_name} as a member.")
    ctx.session.add(Membership(group_id=group.id, member_id=person.id, role=role, since=ctx.now))
    offer.status, offer.decided_at, offer.decided_by = "accepted", ctx.now, ctx.me.id
    if group.status == "forming":
        group.status = "active"
    where = (person.platform, person.workspace)  # the group's channel where the person is (Slack or Teams)
    theirs = next((c for p, w, c in await queries.group_places(ctx.session, group) if (p, w) == where), None)
    channel = f" Its channel is {channel_ref(theirs)}." if theirs else ""
    await ctx.tell(
        person,
        Reply(f"Welcome aboard! The steering group accepted your offer to serve on {group.name} as {role}.{channel}"),
        key=f"offer {offer.id}: accepted",
    )
    if ctx.config.create_channels and group.channel:
        await ctx.post_to_group(
            group,
            invitee=person,
            key=f"offer {offer.id}: welcome",
            reply=Reply(
                f"Welcome {mention(person)}, who joins {group.name} as {role}!",
                private=False,
                invite=(person.user_id,),
            ),
        )
    await refresh_announcement(ctx, group, f"offer {offer.id} accepted")
    left = seats_left(group, len(rows) + 1)
    return Reply(
        f"Accepted {person.display_name} into {group.name} as {role}; they have been told."
        + (f" Seats left: {left}." if left is not None else "")
    )


async def _make_chair(ctx: Ctx, person: Member, group: Group, membership: Membership) -> Reply:
    if group.status == "closed":
        raise ctx.fail(f"{group.name} is closed: it takes no new chairs.")
    if membership.role == "chair":
        raise ctx.fail(f"{person.display_name} already chairs {group.name}.")
    chairs = await ctx.session.scalar(
        select(func.count()).where(Membership.group_id == group.id, Membership.role == "chair")
    )
    if (chairs or 0) >= MAX_CHAIRS:
        raise ctx.fail(f"{group.name} already has {MAX_CHAIRS} chairs.")
    membership.role = "chair"
    await ctx.tell(
        person,
        Reply(f"The steering group has made you a chair of {group.name}. Thank you for taking it on!"),
        key=f"membership {membership.id}: made chair at {ctx.now.isoformat()}",
    )
    await refresh_announcement(ctx, group, f"membership {membership.id} made chair")
    return Reply(f"{person.display_name} now chairs {group.name}; they have been told.")


@command(
    "decline",
    role="admin",
    usage="decline <person> <group>",
    summary="decline an offer to serve; the volunteer is told",
    examples=("decline @bob diversity",),
)
async def decline(ctx: Ctx) -> Reply:
    person, group, offer = await _decision(ctx)
    offer.status, offer.decided_at, offer.decided_by = "declined", ctx.now, ctx.me.id
    await ctx.tell(
        person,
        Reply(
            f"Thank you for offering to serve on {group.name}. This time the steering group "
            "could not take up your offer; please do offer again for a future group."
        ),
        key=f"offer {offer.id}: declined",
    )
    await refresh_announcement(ctx, group, f"offer {offer.id} declined")
    return Reply(f"Declined {possessive(person.display_name)} offer to serve on {group.name}; they have been told.")


@command(
    "group close",
    role="admin",
    closed_ok=True,  # it says so itself
    options=("link", "title"),
    group_word=True,
    usage="group close <group> [link:<case study link>] [title:…] [anyway]",
    summary="close a group: its call closes, offers waiting lapse, its schedules stop (a task group records its "
    "case study first)",
    examples=("group close diversity link:https://example.org/diversity-case-study",),
)
async def close_group(ctx: Ctx) -> Reply:
    g = ctx.group
    assert g is not None
    extra = [w.text.lower() for w in ctx.args.words[1:]]
    if extra not in ([], ["anyway"]):
        raise ctx.fail(f"I don't understand “{ctx.args.words[1].text}” here.")
    if g.status == "closed":
        raise ctx.fail(f"{g.name} is already closed.")
    study = await ctx.session.scalar(select(CaseStudy).where(CaseStudy.group_id == g.id))
    link = ctx.option("link")
    if g.kind == "task" and study is None:
        if link:
            ctx.session.add(
                CaseStudy(
                    group_id=g.id,
                    title=ctx.limited(ctx.option("title") or f"{g.name} case study", 200, "title"),
                    link=ctx.limited(link, 500, "link"),
                    published_on=ctx.today,
                    recorded_by=ctx.me.id,
                )
            )
        elif extra != ["anyway"]:
            raise ctx.fail(
                f"{g.name} has no case study yet. Give its link to record it as you close: "
                f"`group close {g.slug} link:<link>`, or close without one: `group close {g.slug} anyway`."
            )
    g.status, g.closed_at = "closed", ctx.now
    call = await ctx.session.scalar(select(Call).where(Call.group_id == g.id, Call.status == "open"))
    if call is not None:
        await close_call(ctx.session, g, call, ctx.now, "group closed")
    lapsed = (
        await ctx.session.scalars(
            select(VolunteerOffer).where(VolunteerOffer.group_id == g.id, VolunteerOffer.status == "offered")
        )
    ).all()
    for offer in lapsed:
        offer.status, offer.decided_at, offer.decided_by = "declined", ctx.now, ctx.me.id
        await ctx.tell(
            offer.member,
            Reply(f"{g.name} has closed, so your offer to serve on it lapsed. Thank you for offering."),
            key=f"offer {offer.id}: lapsed",
        )
    stopped = (
        await ctx.session.execute(
            update(Schedule).where(Schedule.group_id == g.id, Schedule.active.is_(True)).values(active=False)
        )
    ).rowcount  # type: ignore[attr-defined]
    polls_closed = await close_group_polls(ctx.session, g.id, ctx.now, ctx.config.admins)
    await ctx.post_to_group(
        g,
        key=f"group-closed:group {g.id}",
        reply=Reply(f"{g.name} is now closed. Thank you, everyone who took part!", private=False),
    )
    members = await ctx.session.scalar(select(func.count()).where(Membership.group_id == g.id)) or 0
    also = [
        "its open call for volunteers is closed" if call else None,
        f"{counted(len(lapsed), 'offer')} waiting lapsed (the volunteers are told)" if lapsed else None,
        f"its schedules ({stopped}) are off" if stopped else None,
        f"its open polls ({polls_closed}) are closed, their results posted" if polls_closed else None,
    ]
    done = "; ".join(a for a in also if a)
    return Reply(
        f"Closed {g.name}, with {members} member{'' if members == 1 else 's'}."
        + (f" {done[0].upper()}{done[1:]}." if done else "")
    )
