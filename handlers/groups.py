"""The directory of groups; creating and showing a group; what a group's buttons and open call are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Exists, func, or_, select

from handlers.command.context import Ctx
from handlers.command.forms import Field, Form
from handlers.command.grammar import Word, slugify, tokenize
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
from handlers.command.registry import command
from handlers.command.timing import until_words
from handlers.polls import review_lights
from storage import queries
from storage.models import (
    GROUP_KINDS,
    Call,
    CaseStudy,
    Group,
    GroupChannel,
    Member,
    Membership,
    Milestone,
    ProgressUpdate,
    VolunteerOffer,
)

KIND_NAMES = {"task": "task-and-finish group", "community": "community of practice"}
DEFAULT_TASK_SEATS = 12
MAX_CHAIRS = 2  # chairs a group has at most (SPEC.md §2)
CHANNEL_LIMIT = 80  # Slack's longest channel name, and what groups.channel holds


def runs_line(g: Group) -> str:
    """When the group runs, saying only the dates it has: `Runs: 2027-01-04 to 2027-12-17`, `Runs from
    2027-01-04, with no end date`, `Runs until 2027-12-17`."""
    if g.starts_on and g.ends_on:
        return f"Runs: {g.starts_on} to {g.ends_on}"
    return f"Runs from {g.starts_on}, with no end date" if g.starts_on else f"Runs until {g.ends_on}"


def seats_left(group: Group, taken: int) -> int | None:
    return None if group.seats is None else max(group.seats - taken, 0)


def calling(now: datetime) -> ColumnElement[bool]:
    """A call for volunteers still taking offers at `now`: open, and not past its closing moment."""
    return (Call.status == "open") & (Call.closes_at.is_(None) | (Call.closes_at > now))


def action_buttons(
    group: Group, *, calling: bool, seats: int | None = None, chairs: int = 0, member: bool = False
) -> tuple[Button, ...]:
    """The buttons someone can press for a group: join a community, or volunteer while a call takes offers
    (as chair only while the group has fewer than its chairs). None for a closed or full group, nor for who
    is in it already (`member`). `seats`: the seats left, None if the group has no limit."""
    if group.status == "closed" or member or seats == 0:
        return ()
    if group.kind == "community":
        return (Button("Join", "join", f"join {group.slug}", "primary"),)
    if not calling:
        return ()
    as_member = Button("Volunteer as member", "volunteer", f"volunteer {group.slug} as:member", "primary")
    as_chair = Button("Volunteer as chair", "volunteer", f"volunteer {group.slug} as:chair")
    return (as_member, as_chair) if chairs < MAX_CHAIRS else (as_member,)


def _offered(member_id: int, group_id: Any) -> Exists:
    """Whether the member has an offer waiting on the group: they are not asked to volunteer again."""
    return (
        select(VolunteerOffer.id)
        .where(
            VolunteerOffer.group_id == group_id,
            VolunteerOffer.member_id == member_id,
            VolunteerOffer.status == "offered",
        )
        .exists()
    )


@dataclass(frozen=True)
class Listed:
    """A group as the directory shows it to one person."""

    group: Group
    members: int
    chairs: int
    chair_names: str | None
    calling: bool  # a call for volunteers is taking offers
    closes_at: datetime | None
    mine: bool  # the person asking is in it, or has offered to serve on it
    study_title: str | None
    study_link: str | None


@command(
    "groups",
    usage="groups [task|community] [open|closed]",
    writes=False,
    summary="the directory of groups: kind, status, chairs, members, seats left and open calls; closed ones with "
    "their case studies",
    examples=("groups", "groups task open", "groups closed"),
)
async def directory(ctx: Ctx) -> Reply:
    kinds = {w.text.lower() for w in ctx.args.words}
    unknown = kinds - {"task", "community", "open", "closed"}
    if unknown:
        raise ctx.fail(f"I can list task or community groups, open or closed ones, but not “{sorted(unknown)[0]}”.")
    if {"open", "closed"} <= kinds:
        raise ctx.fail("Ask for open groups or closed ones, not both.")
    closed = "closed" in kinds
    kind = next((k for k in GROUP_KINDS if k in kinds), None)
    # One query: each group with its member and chair counts, its chairs' names, its call taking offers, whether
    # the person asking is in it, and its case study, each looked up by the group's own indexes.
    of_group = Membership.group_id == Group.id
    taking = (Call.group_id == Group.id) & calling(ctx.now)
    query = (
        select(
            Group,
            select(func.count()).where(of_group).scalar_subquery(),
            select(func.count()).where(of_group, Membership.role == "chair").scalar_subquery(),
            select(func.aggregate_strings(Member.display_name, ", "))
            .join(Membership, Membership.member_id == Member.id)
            .where(of_group, Membership.role == "chair")
            .scalar_subquery(),
            select(Call.id).where(taking).exists(),
            select(Call.closes_at).where(taking).scalar_subquery(),
            or_(
                select(Membership.id).where(of_group, Membership.member_id == ctx.me.id).exists(),
                _offered(ctx.me.id, Group.id),
            ),
            CaseStudy.title,
            CaseStudy.link,
        )
        .outerjoin(CaseStudy, CaseStudy.group_id == Group.id)
        .where((Group.status == "closed") if closed else (Group.status != "closed"))
        .order_by(Group.kind.desc(), Group.name)
    )
    rows = [Listed(*row) for row in await ctx.session.execute(query.where(Group.kind == kind) if kind else query)]
    if "open" in kinds:
        rows = [r for r in rows if r.calling or r.group.kind == "community"]
    if not rows:
        none = (
            "No closed groups yet."
            if closed
            else "No group is taking volunteers or members just now; `groups` lists them all."
            if "open" in kinds
            else "No groups match. The steering group creates them with `group new`."
        )
        return Reply(none)
    if closed:
        return _closed_directory(ctx, rows)
    lights = await review_lights(ctx.session, [r.group.id for r in rows])
    sections = []
    for r in rows:
        g, left = r.group, seats_left(r.group, r.members)
        fields = [
            ("Kind", KIND_NAMES[g.kind]),
            ("Status", g.status),
            ("Chairs", r.chair_names or "none yet"),
            ("Members", str(r.members)),
        ]
        if left is not None:
            fields.append(("Seats left", str(left)))
        if g.id in lights:
            fields.append(("Review", lights[g.id][0]))
        if r.calling:
            until = f"open until {until_words(r.closes_at, ctx.zone)}" if r.closes_at else "open"
            fields.append(("Call for volunteers", until))
        headline = f"*{g.name}* (`{g.slug}`)" + (f" — {g.theme}" if g.theme else "")
        buttons = action_buttons(g, calling=r.calling, seats=left, chairs=r.chairs, member=r.mine)
        sections.append(Section(headline, tuple(fields), buttons))
    text = "\n".join(
        f"• {r.group.name} ({r.group.slug}) — {KIND_NAMES[r.group.kind]}, {r.group.status}; members {r.members}"
        + (f", seats left {seats_left(r.group, r.members)}" if r.group.seats is not None else "")
        + ("; call for volunteers open" if r.calling else "")
        + (f"; review: {lights[r.group.id][0]}" if r.group.id in lights else "")
        for r in rows
    )
    return titled(f"Groups ({len(rows)}):", sections, text)


def _closed_directory(ctx: Ctx, rows: list[Listed]) -> Reply:
    """Closed groups, with the case studies they produced (the programme's output)."""
    lines = []
    for r in rows:
        g = r.group
        closed = f", closed on {ctx.local(g.closed_at):%Y-%m-%d}" if g.closed_at else ""
        study = f"case study: {r.study_title} — {r.study_link}" if r.study_title else "no case study recorded"
        lines.append(f"• {g.name} ({g.slug}) — {KIND_NAMES[g.kind]}{closed}; {study}")
    return titled(f"Closed groups ({len(rows)}):", [Section(line) for line in lines])


@command(
    "group",
    usage="group <group>",
    writes=False,
    group_word=True,
    summary="one group: about, chairs, members, milestones, latest progress and case study",
    examples=("group wellbeing",),
)
async def show(ctx: Ctx) -> Reply:
    ctx.no_more_words(1)
    g = ctx.group
    assert g is not None
    session = ctx.session
    rows = (
        await session.execute(
            select(Membership.role, Member.display_name)
            .join(Member, Member.id == Membership.member_id)
            .where(Membership.group_id == g.id)
            .order_by(Membership.role.desc(), Membership.since, Membership.id)
        )
    ).all()
    milestones = (
        await session.scalars(select(Milestone).where(Milestone.group_id == g.id).order_by(Milestone.number))
    ).all()
    # Its open call, latest progress update and case study: one row, each joined by the group's own index.
    latest = (
        select(ProgressUpdate.id)
        .where(ProgressUpdate.group_id == g.id)
        .order_by(ProgressUpdate.posted_at.desc(), ProgressUpdate.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    about = (
        await session.execute(
            select(
                Call.id, Call.closes_at, ProgressUpdate.posted_at, ProgressUpdate.text, CaseStudy.title, CaseStudy.link
            )
            .select_from(Group)
            .outerjoin(Call, (Call.group_id == Group.id) & calling(ctx.now))
            .outerjoin(ProgressUpdate, ProgressUpdate.id == latest)
            .outerjoin(CaseStudy, CaseStudy.group_id == Group.id)
            .where(Group.id == g.id)
        )
    ).one()
    call_id, closes_at, posted_at, progress, study_title, study_link = about
    lines = [f"{g.name} — {KIND_NAMES[g.kind]} ({g.status})"]
    if g.theme:
        lines.append(f"Theme: {g.theme}")
    if g.about:
        lines.append(g.about)
    lines.append(f"Chairs: {', '.join(name for role, name in rows if role == 'chair') or 'none yet'}")
    left = seats_left(g, len(rows))
    lines.append(f"Members: {len(rows)}" + (f" (seats left: {left})" if left is not None else ""))
    if g.channel:
        lines.append(f"Channel: {channel_ref(g.channel)}")
    elsewhere = await session.scalars(
        select(GroupChannel).where(GroupChannel.group_id == g.id).order_by(GroupChannel.id)
    )
    lines += [f"Also posts in: {c.name or c.channel} ({PLATFORM_NAMES.get(c.platform, c.platform)})" for c in elsewhere]
    if g.starts_on or g.ends_on:
        lines.append(runs_line(g))
    reviewed = (await review_lights(session, [g.id])).get(g.id)
    if reviewed is not None:
        lines.append(f"Review: {reviewed[0]} (closed {ctx.local(reviewed[1]):%Y-%m-%d})")
    if call_id is not None:
        lines.append("Call for volunteers: open" + (f" until {until_words(closes_at, ctx.zone)}" if closes_at else ""))
    if milestones:
        lines.append("Milestones:")
        lines += [
            f"  {m.number}. {m.title} — due {m.due_on}" + (f", done {m.done_on}" if m.done_on else "")
            for m in milestones
        ]
    if posted_at is not None:
        lines.append(f"Latest progress ({ctx.local(posted_at):%Y-%m-%d}): {progress}")
    if study_title is not None:
        lines.append(f"Case study: {study_title} — {study_link}")
    text = "\n".join(lines)
    mine = await queries.membership(ctx.session, g.id, ctx.me.id) is not None or bool(
        await ctx.session.scalar(select(_offered(ctx.me.id, g.id)))
    )
    buttons = action_buttons(
        g, calling=call_id is not None, seats=left, chairs=sum(role == "chair" for role, _ in rows), member=mine
    )
    return Reply(text, sections=(Section(text, buttons=buttons),))


def _channel(ctx: Ctx, raw: str | None, slug: str) -> str | None:
    """The group's home channel: as `channel:` names it, else `#slug` where channels are made by name (Slack,
    the console); none on Teams, whose channels a bot cannot make: `group channel` in one gives it one."""
    if raw is None:
        return f"#{slug}" if ctx.request.speaker.platform in CHANNELS_BY_NAME else None
    words = tokenize(raw).words
    if len(words) != 1 or words[0].channel is None:
        raise ctx.fail(f"channel: takes a channel, like #{slug}, not “{raw}”.", field="channel")
    word: Word = words[0]
    assert word.channel is not None
    if len(word.channel) > CHANNEL_LIMIT:
        raise ctx.fail(f"channel: a channel's name is at most {CHANNEL_LIMIT} characters.", field="channel")
    return word.channel


NEW_GROUP_FORM = Form(
    "New group",
    (
        Field("name", "Name", required=True, positional=True, max_length=80),
        Field(
            "kind",
            "Kind",
            "choice",
            required=True,
            choices=(("task", "Task-and-finish group"), ("community", "Community of practice")),
        ),
        Field("theme", "Theme", max_length=120),
        Field("seats", "Seats", "number", hint="Task groups: 12 unless you say otherwise."),
        Field("ends", "Ends on", "date", hint="Task groups: a year from today unless you say otherwise."),
        Field("channel", "Channel", "channel", hint="Leave empty and Convene sets up a channel for the group."),
        Field("about", "About", "long_text", max_length=2000),
    ),
    submit="Create",
)


@command(
    "group new",
    role="admin",
    form=NEW_GROUP_FORM,
    options=("kind", "theme", "seats", "ends", "channel", "about"),
    usage='group new "<name>" kind:task|community [theme:…] [seats:N] [ends:YYYY-MM-DD] [channel:#…] [about:…]',
    summary="create a task-and-finish group or a community of practice",
    examples=('group new "Digital Skills" kind:task theme:"Digital literacy" seats:10 ends:2027-12-01',),
)
async def create(ctx: Ctx) -> Reply:
    if not ctx.args.words:
        raise ctx.fail("Give the new group a name.", field="name")
    name = ctx.free_text(0, 80, "group name", field="name")
    slug = slugify(name)[:60].strip("-")
    if not slug:
        raise ctx.fail(f"“{name}” needs at least one letter or digit.", field="name")
    kind = ctx.choice("kind", GROUP_KINDS)
    if kind is None:
        raise ctx.fail("Say what kind of group it is: kind:task (task-and-finish) or kind:community.", field="kind")
    existing = await queries.group_named(ctx.session, name) or await queries.group_named(ctx.session, slug)
    if existing is not None:
        raise ctx.fail(f"There is already a group called {existing.name} (`{existing.slug}`).", field="name")
    seats = ctx.option_int("seats", "number of seats", high=500)
    ends = ctx.option_date("ends")
    if ends is not None and ends <= ctx.today:
        raise ctx.fail(f"ends: must be after today ({ctx.today}), not {ends}.", field="ends")
    theme = ctx.limited(ctx.option("theme") or "-", 120, "theme", field="theme") if ctx.option("theme") else None
    about = ctx.limited(ctx.option("about") or "-", 2000, "about text", field="about") if ctx.option("about") else None
    task = kind == "task"
    group = Group(
        slug=slug,
        name=name,
        kind=kind,
        theme=theme,
        about=about,
        platform=ctx.request.speaker.platform,  # its home: where it is created, and its channel named
        workspace=ctx.request.speaker.workspace,
        channel=_channel(ctx, ctx.option("channel"), slug),
        seats=seats or (DEFAULT_TASK_SEATS if task else None),
        status="forming" if task else "active",
        starts_on=ctx.today,
        ends_on=ends or (ctx.today + timedelta(days=365) if task else None),
        created_at=ctx.now,
    )
    ctx.session.add(group)
    await ctx.session.flush()
    if ctx.config.create_channels and group.channel:
        await ctx.post(
            channel=group.channel,
            key=f"group-created:group {group.id}",
            reply=Reply(
                f"This is the channel of {name}, a {KIND_NAMES[kind]}"
                + (f" on {theme}" if theme else "")
                + f". Convene posts its news here; `group {slug}` shows the group.",
                private=False,
            ),
        )
    nxt = f"Next: `call {slug}` opens a call for volunteers." if task else f"Members join with `join {slug}`."
    if group.channel is None:
        nxt = f"Give it a channel: type `group channel {slug}` in the channel that should carry its news. " + nxt
    return Reply(
        f"Created the {KIND_NAMES[kind]} {name} (`{slug}`)"
        + (f", channel {channel_ref(group.channel)}" if group.channel else "")
        + (f", {counted(group.seats, 'seat')}" if group.seats is not None else "")
        + (f", ending {group.ends_on}" if task else "")
        + f". {nxt}"
    )


@command(
    "group channel",
    role="admin",
    group_word=True,
    usage="group channel <group>  (typed in the channel, on Slack or Teams)",
    summary="post a group's news in this channel too: its channel on another platform",
    examples=("group channel wellbeing",),
)
async def group_channel(ctx: Ctx) -> Reply:
    """The channel the command is typed in becomes the group's channel on the speaker's platform: its home
    channel when that is the group's own platform, else one more (`GroupChannel`), so that calls, progress,
    prompts and its case study reach members on Slack and Teams alike."""
    g = ctx.group
    assert g is not None
    ctx.no_more_words(1)
    place, s = ctx.request.place, ctx.request.speaker
    if place.channel_id is None:
        raise ctx.fail(f"Type it in the channel that should carry {possessive(g.name)} news, not in a direct chat.")
    before: str | None
    if (s.platform, s.workspace) == (g.platform, g.workspace):
        before, g.channel = g.channel, place.channel_id
    else:
        found = await ctx.session.scalar(
            select(GroupChannel).where(
                GroupChannel.group_id == g.id,
                GroupChannel.platform == s.platform,
                GroupChannel.workspace == s.workspace,
            )
        )
        if found is None:
            found = GroupChannel(group_id=g.id, platform=s.platform, workspace=s.workspace, added_at=ctx.now)
            ctx.session.add(found)
        before = found.channel
        found.channel, found.name = place.channel_id, place.channel_name
    if before is not None and before != place.channel_id:  # one channel a platform: this one replaces it
        return Reply(
            f"{possessive(g.name)} news on {PLATFORM_NAMES.get(s.platform, s.platform)} moves here from "
            f"{channel_ref(before)}; posts made there before stay there.",
            private=False,
        )
    return Reply(
        f"{possessive(g.name)} news will be posted here too: its calls for volunteers, progress, prompts and case "
        "study.",
        private=False,
    )
