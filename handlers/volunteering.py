"""Calls for volunteers, offers to serve, and the steering group's decisions on them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, String, cast, func, literal, select, update

from handlers.command.context import Ctx
from handlers.command.messages import Button, Reply, Section
from handlers.command.registry import command
from handlers.groups import action_buttons, open_call, seats_left
from storage import queries
from storage.models import ROLES, Call, Group, Member, Membership, Outbox, VolunteerOffer

MAX_CHAIRS = 2


def _offers_as(role: str, group_id: int) -> ScalarSelect[int]:
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


def _posted_in(message_key: ColumnElement[str] | str) -> ScalarSelect[str]:
    """The channel a message was posted in, by its outbox `message_key`."""
    return select(Outbox.target).where(Outbox.message_key == message_key, Outbox.mode == "post").scalar_subquery()


def _taken(group_id: int) -> ScalarSelect[int]:
    return select(func.count()).where(Membership.group_id == group_id).scalar_subquery()


def _tally_of(group_id: int, message_key: ColumnElement[str] | str) -> tuple[ScalarSelect[Any], ...]:
    """What a call's announcement shows, and where it was posted, as columns of one query."""
    return (_posted_in(message_key), _taken(group_id), _offers_as("member", group_id), _offers_as("chair", group_id))


@dataclass(frozen=True)
class Tally:
    posted_in: str | None  # the channel of the posted announcement, if it has been posted
    taken: int  # seats taken
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
    status: str
    closes_on: date | None

    @classmethod
    def of(cls, call: Call) -> CallState:
        return cls(call.id, call.status, call.closes_on)


async def _tally(ctx: Ctx, group: Group, call: CallState) -> Tally:
    row = (await ctx.session.execute(select(*_tally_of(group.id, f"call:{call.id}")))).one()
    return Tally(*row)


def _announcement(group: Group, call: CallState, tally: Tally) -> Reply:
    left = seats_left(group, tally.taken)
    closing = f" Offers close on {call.closes_on}." if call.closes_on else ""
    status = "" if call.status == "open" else " (this call is now closed)"
    headline = f"Call for volunteers: {group.name}{status}"
    body = (group.about or group.theme or "A task-and-finish group of the programme.") + closing
    fields = (
        ("Seats left", str(left) if left is not None else "open"),
        ("Chairs wanted", f"up to {MAX_CHAIRS}"),
        ("Offers so far", f"{tally.as_member} as member, {tally.as_chair} as chair"),
    )
    text = f"{headline}\n{body}\n" + "; ".join(f"{k}: {v}" for k, v in fields)
    buttons = action_buttons(group, call.status == "open")
    return Reply(text, sections=(Section(f"*{headline}*\n{body}", fields, buttons),), private=False)


async def _edit_announcement(ctx: Ctx, group: Group, call: CallState, tally: Tally, cause: str) -> None:
    if tally.posted_in is None:
        return
    await ctx.post(
        channel=tally.posted_in,
        reply=_announcement(group, call, tally),
        key=f"call {call.id}: {cause}",
        message_key=f"call:{call.id}",
        edit=True,
    )


async def refresh_announcement(ctx: Ctx, group: Group, cause: str, call: Call | None = None) -> None:
    """Queue an edit of the call's posted announcement (the group's latest call unless given), so its counts and
    buttons stay true."""
    if call is None:
        call = await ctx.session.scalar(select(Call).where(Call.group_id == group.id).order_by(Call.id.desc()).limit(1))
        if call is None:
            return
    state = CallState.of(call)
    await _edit_announcement(ctx, group, state, await _tally(ctx, group, state), cause)


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
    usage="call <group> [closes:YYYY-MM-DD]",
    summary="open a call for volunteers, announced with buttons to volunteer",
    examples=("call diversity closes:2027-01-31",),
)
async def open_call_for(ctx: Ctx) -> Reply:
    ctx.no_more_words(1)
    g = ctx.group
    assert g is not None
    _require_task(ctx, g)
    closes = ctx.option_date("closes")
    if closes is not None and closes <= ctx.today:
        raise ctx.fail(f"closes: must be after today ({ctx.today}), not {closes}.")
    existing = await open_call(ctx, g)
    if existing is not None:
        until = f" until {existing.closes_on}" if existing.closes_on else ""
        raise ctx.fail(f"{g.name} already has a call for volunteers open{until}.")
    call = Call(group_id=g.id, status="open", closes_on=closes, opened_by=ctx.me.id, opened_at=ctx.now)
    ctx.session.add(call)
    await ctx.session.flush()
    where = ctx.request.place.channel_id or ctx.config.announce_channel or g.channel
    if where is None:
        raise ctx.fail(f"{g.name} has no channel to announce the call in: run `call` in a channel.")
    state = CallState.of(call)
    await ctx.post(
        channel=where,
        reply=_announcement(g, state, await _tally(ctx, g, state)),
        key=f"call {call.id}: announce",
        message_key=f"call:{call.id}",
    )
    return Reply(
        f"Opened a call for volunteers for {g.name}"
        + (f", closing {closes}" if closes else "")
        + f"; it is announced in {ctx.request.place.channel_name or where}."
    )


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
            Call.status,
            Call.closes_on,
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
        .where(Call.group_id == g.id, Call.status == "open")
    )
    state = (await ctx.session.execute(offer_state)).one_or_none()
    if state is None:
        raise ctx.fail(f"{g.name} has no open call for volunteers just now.")
    call_id, status, closes_on, is_member, live_id, live_role, *tally = state
    call = CallState(call_id, status, closes_on)
    before = Tally(*tally)
    if is_member:
        raise ctx.fail(f"You are already a member of {g.name}.")
    if live_id is not None:
        if live_role == role:
            raise ctx.fail(
                f"You have already offered to serve on {g.name} as {role}; `withdraw {g.slug}` takes the offer back."
            )
        changed = {"role": role, "note": note} if note else {"role": role}
        await ctx.session.execute(update(VolunteerOffer).where(VolunteerOffer.id == live_id).values(changed))
        await _edit_announcement(
            ctx, g, call, before.moved(to=role, away_from=live_role), f"offer {live_id} now {role}"
        )
        return Reply(f"Changed your offer for {g.name}: you now offer to serve as {role}.")
    offer_id = await queries.insert_returning_id(
        ctx.session,
        VolunteerOffer,
        group_id=g.id,
        member_id=ctx.me.id,
        role=role,
        note=note,
        status="offered",
        created_at=ctx.now,
    )
    if offer_id is None:  # another request from the same person got there first
        raise ctx.fail(f"You have already offered to serve on {g.name}; `withdraw {g.slug}` takes it back.")
    await _edit_announcement(ctx, g, call, before.moved(to=role), f"offer {offer_id}")
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
    sections = []
    lines = []
    for o in rows:
        who = o.member.display_name
        inst = o.member.institution.name if o.member.institution else "institution not given"
        line = f"{who} ({inst}) — as {o.role}, {o.status}" + (f": “{o.note}”" if o.note else "")
        lines.append(f"• {line}")
        buttons: tuple[Button, ...] = ()
        if o.status == "offered" and ctx.is_admin:
            as_chair = " as:chair" if o.role == "chair" else ""
            buttons = (
                Button("Accept", "accept", f"accept <member:{o.member_id}> {g.slug}{as_chair}", "primary"),
                Button("Decline", "decline", f"decline <member:{o.member_id}> {g.slug}", "danger"),
            )
        sections.append(Section(line, buttons=buttons))
    return Reply(f"Offers to serve on {g.name}:\n" + "\n".join(lines), sections=tuple(sections))


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
    person, group, offer = await _decision(ctx)
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
    channel = f" Its channel is {group.channel}." if group.channel else ""
    await ctx.tell(
        person,
        Reply(f"Welcome aboard! The steering group accepted your offer to serve on {group.name} as {role}.{channel}"),
        key=f"offer {offer.id}: accepted",
    )
    if ctx.config.create_channels and group.channel:
        await ctx.post(
            channel=group.channel,
            key=f"offer {offer.id}: welcome",
            reply=Reply(
                f"Welcome {person.display_name}, who joins {group.name} as {role}!",
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
    return Reply(f"Declined {person.display_name}'s offer to serve on {group.name}; they have been told.")
