"""One person's view of the programme at a glance (Slack shows it as the App Home tab): their groups, the open
polls in them, their open offers, the open calls, and for the steering group the suggestions inbox and the groups
that need them."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.command.context import Ctx
from handlers.command.messages import Button, Reply, Section
from handlers.command.registry import command
from handlers.command.timing import until_words
from handlers.groups import KIND_NAMES, action_buttons, calling, seats_left
from handlers.polls import LIGHTS, NO_ANSWERS, open_polls_for, review_lights
from storage.models import Call, Group, Membership, Suggestion, VolunteerOffer

INBOX_SHOWN = 5


@command(
    "home",
    usage="home",
    writes=False,
    summary="your groups, their open polls, your open offers and the open calls at a glance",
    examples=("home",),
)
async def home(ctx: Ctx) -> Reply:
    ctx.no_more_words(0)
    session, me = ctx.session, ctx.me
    sections: list[Section] = [Section(f"*Hello, {me.display_name}!* Here is the programme as it concerns you.")]

    mine = (
        await session.execute(
            select(Group, Membership.role)
            .join(Membership, Membership.group_id == Group.id)
            .where(Membership.member_id == me.id, Group.status != "closed")
            .order_by(Group.name)
        )
    ).all()
    if mine:
        lines = [
            f"• *{g.name}* (`{g.slug}`), {KIND_NAMES[g.kind]}" + (" — you chair it" if role == "chair" else "")
            for g, role in mine
        ]
        sections.append(Section("*Your groups*\n" + "\n".join(lines)))
    else:
        sections.append(Section("*Your groups*\nNone yet: join a community or volunteer for a group below."))

    sections += await open_polls_for(ctx)

    offers = (
        await session.execute(
            select(VolunteerOffer, Group)
            .join(Group, Group.id == VolunteerOffer.group_id)
            .where(VolunteerOffer.member_id == me.id, VolunteerOffer.status == "offered")
            .order_by(VolunteerOffer.created_at)
        )
    ).all()
    if offers:
        sections.append(Section("*Your open offers to serve*"))
        for offer, g in offers:
            sections.append(
                Section(
                    f"{g.name}: as {offer.role}, waiting for the steering group's decision",
                    buttons=(Button("Withdraw", "withdraw", f"withdraw {g.slug}"),),
                )
            )

    in_group = {g.id for g, _ in mine} | {g.id for _, g in offers}
    taken = select(func.count()).where(Membership.group_id == Group.id).scalar_subquery()
    chairs = select(func.count()).where(Membership.group_id == Group.id, Membership.role == "chair").scalar_subquery()
    calls = (
        await session.execute(
            select(Call, Group, taken, chairs)
            .join(Group, Group.id == Call.group_id)
            .where(calling(ctx.now))
            .order_by(Group.name)
        )
    ).all()
    open_calls = [(c, g, t, n) for c, g, t, n in calls if g.id not in in_group and seats_left(g, t) != 0]
    if open_calls:
        sections.append(Section("*Open calls for volunteers*"))
        for call, g, t, n in open_calls:
            until = f", offers close at {until_words(call.closes_at, ctx.zone)}" if call.closes_at else ""
            buttons = action_buttons(g, calling=True, seats=seats_left(g, t), chairs=n)
            sections.append(Section(f"*{g.name}*{until}", buttons=buttons))
    else:
        sections.append(Section("*Open calls for volunteers*\nNone just now."))

    if ctx.is_admin:
        sections += await _steering(ctx)
    text = "\n".join(s.text for s in sections)
    return Reply(text, sections=tuple(sections))


async def _steering(ctx: Ctx) -> list[Section]:
    session = ctx.session
    new = (
        await session.scalars(
            select(Suggestion).where(Suggestion.status == "new").order_by(Suggestion.id.desc()).limit(INBOX_SHOWN)
        )
    ).all()
    waiting = await session.scalar(select(func.count()).where(Suggestion.status == "new")) or 0
    sections = [Section(f"*Suggestions inbox* — {waiting} new")]
    for s in new:
        sender = "anonymous" if s.anonymous else (s.sender.display_name if s.sender else "a former member")
        sections.append(Section(f"#{s.id} from {sender}: “{_short(s.text)}”"))
    if waiting:
        sections.append(Section("", buttons=(Button("Read all", "suggestions", "suggestions new"),)))

    groups = (await session.scalars(select(Group).where(Group.status != "closed").order_by(Group.name))).all()
    ids = [g.id for g in groups]
    chairs = set(
        await session.scalars(
            select(Membership.group_id).where(Membership.group_id.in_(ids), Membership.role == "chair").distinct()
        )
    )
    open_calls = set(await session.scalars(select(Call.group_id).where(calling(ctx.now))))
    members = set(await session.scalars(select(Membership.group_id).where(Membership.group_id.in_(ids)).distinct()))
    attention = []
    for g in groups:
        if g.kind == "task" and g.ends_on is not None and g.ends_on < ctx.today:
            attention.append((g, f"was due to end on {g.ends_on}: close it with `group close {g.slug}`"))
        elif g.id not in chairs and g.id not in open_calls:
            if g.kind == "task":
                attention.append((g, f"has no chair and no open call: `call {g.slug}`"))
            else:
                attention.append((g, "has no facilitator"))
        elif g.kind == "task" and g.id not in members and g.id not in open_calls:
            attention.append((g, f"has no members and no open call: `call {g.slug}`"))
    lights = await review_lights(session, ids)
    for g in groups:
        found = lights.get(g.id)
        if found is not None and found[0] in (*LIGHTS[1:], NO_ANSWERS):
            why = f"review closed {ctx.local(found[1]):%Y-%m-%d}: {found[0]}"
            attention.append((g, f"— {why}; `review {g.slug} now` asks again"))
    if attention:
        lines = "\n".join(f"• *{g.name}* {why}" for g, why in attention)
        sections.append(Section(f"*Groups needing attention*\n{lines}"))
    else:
        sections.append(Section("*Groups needing attention*\nNone: every group has what it needs."))
    return sections


def _short(text: str, limit: int = 150) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
