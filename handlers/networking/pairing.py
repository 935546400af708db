"""Cross-library coffee pairing: members opt in; each round introduces them in pairs (one trio when the count
is odd) by group DM, preferring someone from another library and another career stage, never someone they
met within the window; mid-round a check-in asks whether they met."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command.context import Ctx
from handlers.command.errors import NotAllowed
from handlers.command.grammar import Word, parse_int, zone
from handlers.command.messages import Button, Reply, counted, possessive, shown
from handlers.command.occurrences import Occasion, rule_of, runs, set_rule
from handlers.command.outbox import member_row, mention, outbox_row
from handlers.command.registry import command
from handlers.command.timing import (
    DAY_NAMES,
    DEFAULT_TZ,
    Rule,
    describe,
    first_anchor,
    first_words,
    parse_every,
    working_day_later,
)
from handlers.networking.matching import Person, match, placeable, recent_pairs
from handlers.networking.prompts import BUILT_IN
from storage import queries
from storage.models import (
    CHECKIN_ANSWERS,
    CheckIn,
    Group,
    Member,
    Membership,
    Outbox,
    Pair,
    PairingLeftOut,
    PairingOptIn,
    PairingRound,
    Schedule,
)

RUN_AGAIN_AFTER = timedelta(minutes=10)  # `pairing now` twice within this is a double press, not two rounds
ANSWER_WORDS = {"met": "you met", "planned": "you have a date planned", "not": "you didn't manage to meet"}


@dataclass(frozen=True)
class RoundResult:
    round_id: int
    people: int
    groups: int
    trios: int
    left_out: int

    def summary(self) -> str:
        """What the round did, for the steering group: `paired all 4 people in 2 pairs`, `paired 4 of 5 people in
        2 pairs; 1 had a round off and was told why`, `only one person is opted in, …`."""
        if self.people == 0:
            return "no one is opted in to pairing"
        if self.people == 1:
            return "only one person is opted in, so there was no one to pair them with; they were told"
        placed = self.people - self.left_out
        if self.groups == 0:
            return (
                f"no one could be paired: the {self.people} people opted in have all met each other recently; "
                "each was told"
            )
        pairs = self.groups - self.trios
        made = " and ".join(
            part for part in (counted(pairs, "pair") if pairs else "", "a trio" if self.trios else "") if part
        )
        who = f"all {self.people} people" if placed == self.people else f"{placed} of {self.people} people"
        out = (
            f"; {counted(self.left_out, 'person', 'people')} had a round off and "
            f"{'was' if self.left_out == 1 else 'were'} told why"
            if self.left_out
            else ""
        )
        return f"paired {who} in {made}{out}"


def names(people: list[Member]) -> str:
    """The people, mentioned, in a list: `A`, `A and B`, `A, B and C`."""
    shown = [mention(p) for p in people]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _introduce(person: Member) -> str:
    """A line on a person, saying only what their profile gives."""
    about = [x for x in (person.title, person.institution.name if person.institution else None) if x]
    if person.stage:
        about.append(f"{person.stage} career")
    line = f"• {mention(person)}" + (f" — {', '.join(about)}" if about else "")
    return line + (f"; interests: {person.interests}" if person.interests else "")


def day_month(moment: datetime) -> str:
    """`Wednesday 2 December`."""
    return f"{moment:%A} {moment.day} {moment:%B}"


def intro_reply(people: list[Member], prompt: str, checkin: datetime) -> Reply:
    """The introduction; `checkin` as the round's own clock shows it."""
    lines = [
        f"☕ Hello {names(people)}! You are paired for a coffee this round of Convene's cross-library networking.",
        *(_introduce(p) for p in people),
        f"A question to start with: {prompt}",
        f"Find a time that suits you all, in person or online. I'll check in around {day_month(checkin)}.",
    ]
    return Reply("\n".join(lines), private=False)


def checkin_key(pair_id: int, member_id: int) -> str:
    """The message key of a member's check-in, so that their answer can update it in place."""
    return f"pairing-checkin:pair {pair_id}:member {member_id}"


def checkin_reply(pair_id: int, others: list[Member], answered: str | None = None) -> Reply:
    """The check-in: "did you meet?" with a button for each answer; once `answered`, it says so and keeps buttons
    for the other answers, to change it."""
    question = f"Did you meet {names(others)} for your coffee?"
    buttons = (
        Button("Yes, we met", "pairing", f"pairing met {pair_id} met", "primary"),
        Button("Planned", "pairing", f"pairing met {pair_id} planned"),
        Button("Not this time", "pairing", f"pairing met {pair_id} not"),
    )
    if answered is None:
        return Reply(question, buttons=buttons)
    return Reply(
        f"{question}\n✅ You said {ANSWER_WORDS[answered]}. Thank you! To change it:",
        buttons=tuple(b for b in buttons if not b.value.endswith(f" {answered}")),
    )


class RoundAlreadyRun(Exception):
    """A round of this occurrence was run already (by a request at the same moment, or by another process)."""


# A round, once an occurrence (a unique rule): the id of the one written, or None if another process wrote it.
_NEW_ROUND = queries.on_conflict(PairingRound.__table__, returning=PairingRound.__table__.c.id)


async def run_round(
    session: AsyncSession,
    *,
    platform: str,
    workspace: str,
    group_id: int | None,
    schedule_id: int | None,
    occurrence: str,
    now: datetime,
    checkin_after: timedelta,
    window_weeks: int,
    tz: str = DEFAULT_TZ,
) -> RoundResult:
    """Pair the opted-in, unsnoozed members of a community (the workspace and every place joined to it by a
    group's channels: `queries.community_places`) or of a group, on whichever platform each is, and write the
    introductions and check-ins to the outbox, keyed by the round's occurrence. Raises RoundAlreadyRun if a
    round of this occurrence is there already (nothing is written)."""
    today = now.astimezone(zone(tz)).date()
    places = await queries.community_places(session, (platform, workspace))
    here = or_(*((Member.platform == p) & (Member.workspace == w) for p, w in places))
    query = (
        select(Member.id, Member.institution_id, Member.stage)
        .join(PairingOptIn, PairingOptIn.member_id == Member.id)
        .where(
            PairingOptIn.active.is_(True),
            or_(PairingOptIn.snoozed_until.is_(None), PairingOptIn.snoozed_until <= today),
            queries.ACTIVE,
        )
        .order_by(Member.id)
    )
    if group_id is not None:  # a group's members, wherever they are
        query = query.join(Membership, Membership.member_id == Member.id).where(Membership.group_id == group_id)
    else:
        query = query.where(here)
    people = [Person(i, inst, stage) for i, inst, stage in (await session.execute(query)).tuples()]
    since = now - timedelta(weeks=window_weeks)
    history = (
        await session.execute(
            select(Pair.member_a, Pair.member_b, Pair.member_c)
            .join(PairingRound, PairingRound.id == Pair.round_id)
            .where(
                PairingRound.started_at > since,
                or_(*((PairingRound.platform == p) & (PairingRound.workspace == w) for p, w in places)),
            )
        )
    ).tuples()
    recent = recent_pairs(tuple(x for x in row if x is not None) for row in history)
    before = await _left_out_last(session, platform, workspace, group_id)
    result = match(people, recent, occurrence, left_out_before=before)
    checkin_at = working_day_later(now, checkin_after.days, zone(tz))
    round_id = await queries.insert_returning_id(
        session,
        _NEW_ROUND,
        occurrence=occurrence,
        schedule_id=schedule_id,
        group_id=group_id,
        platform=platform,
        workspace=workspace,
        started_at=now,
        checkin_at=checkin_at,
        people=len(people),
        left_out=len(result.unplaced),
    )
    if round_id is None:
        raise RoundAlreadyRun(occurrence)
    rng = random.Random(occurrence)
    pairs = [
        Pair(
            round_id=round_id,
            member_a=g[0],
            member_b=g[1],
            member_c=g[2] if len(g) > 2 else None,
            prompt=rng.choice(BUILT_IN)[1],
        )
        for g in result.groups
    ]
    session.add_all(pairs)
    await session.flush()
    everyone = await queries.members_for(session, [i for g in result.groups for i in g] + result.unplaced)
    rows = []
    for pair, group in zip(pairs, result.groups, strict=True):
        who = [everyone[i] for i in group]
        assert pair.prompt is not None
        intro = intro_reply(who, pair.prompt, checkin_at.astimezone(zone(tz)))
        key = f"pairing:{occurrence}:members {','.join(str(i) for i in group)}"
        if len({(p.platform, p.workspace) for p in who}) == 1:  # one platform: a group DM introduces them
            rows.append(
                outbox_row(
                    key=key,
                    platform=who[0].platform,
                    workspace=who[0].workspace,
                    target_kind="members",
                    target=",".join(p.user_id for p in who),
                    label=shown(names(who)),
                    reply=intro,
                    due=now,
                    now=now,
                )
            )
        else:  # on Slack and Teams: no group DM spans both, so each hears it on their own
            rows += [member_row(p, intro, key=f"{key}:to {p.id}", due=now, now=now) for p in who]
        for person in who:
            rows.append(
                member_row(
                    person,
                    checkin_reply(pair.id, [p for p in who if p.id != person.id]),
                    key=f"pairing-checkin:{occurrence}:pair {pair.id}:member {person.id}",
                    due=checkin_at,
                    now=now,
                    message_key=checkin_key(pair.id, person.id),
                )
            )
    can_meet = placeable(people, recent)
    for i in result.unplaced:
        session.add(PairingLeftOut(round_id=round_id, member_id=i))
        rows.append(
            member_row(
                everyone[i],
                Reply(f"No coffee for you this round: {_round_off(i, len(people), can_meet, window_weeks)}"),
                key=f"pairing:{occurrence}:unplaced member {i}",
                due=now,
                now=now,
            )
        )
    await queries.enqueue(session, rows)
    return RoundResult(round_id, len(people), len(pairs), sum(len(g) == 3 for g in result.groups), len(result.unplaced))


def _round_off(member_id: int, people: int, can_meet: set[int], window_weeks: int) -> str:
    """Why someone was left out of a round, truthfully."""
    if people == 1:
        return (
            "you are the only person opted in to pairing, so there was no one to pair you with. "
            "You'll be paired as soon as someone else opts in."
        )
    if member_id not in can_meet:
        return (
            f"you have met everyone else opted in within the last {counted(window_weeks, 'week')}, so there was no "
            "one new for you. You're in the next round as usual."
        )
    return (
        "I couldn't place everyone with someone they haven't met recently, so some had to sit out. "
        "You'll be placed first in the next round."
    )


async def _left_out_last(session: AsyncSession, platform: str, workspace: str, group_id: int | None) -> list[int]:
    """Those the latest round of this scope (the workspace's rounds, or a group's) left out."""
    last = await session.scalar(
        select(func.max(PairingRound.id)).where(
            PairingRound.platform == platform,
            PairingRound.workspace == workspace,
            PairingRound.group_id.is_(None) if group_id is None else PairingRound.group_id == group_id,
        )
    )
    if last is None:
        return []
    return list(await session.scalars(select(PairingLeftOut.member_id).where(PairingLeftOut.round_id == last)))


def checkin_delay(every_weeks: int) -> timedelta:
    """Mid-round: half the round's length, at least two days."""
    return timedelta(days=max(2, every_weeks * 7 // 2))


@runs("pairing")
async def scheduled_round(session: AsyncSession, occasion: Occasion) -> str:
    s = occasion.schedule
    result = await run_round(
        session,
        platform=s.platform,
        workspace=s.workspace,
        group_id=s.group_id,
        schedule_id=s.id,
        occurrence=occasion.key,
        now=occasion.now,
        checkin_after=checkin_delay(s.every_weeks),
        window_weeks=occasion.config.pairing_window_weeks,
        tz=s.tz,
    )
    return result.summary()


# -- commands ------------------------------------------------------------------------------------------------


async def _optin(ctx: Ctx) -> PairingOptIn | None:
    return await ctx.session.get(PairingOptIn, ctx.me.id)


def _scope(ctx: Ctx, group: Group | None) -> str:
    return f"group {group.id}" if group else f"workspace {ctx.me.platform}:{ctx.me.workspace}"


@command(
    "pairing",
    options=("until", "every", "day", "group", "tz", "holidays"),
    usage="pairing on|off|snooze until:YYYY-MM-DD  ·  pairing every:2w [day:tue] [group:…] (admin)",
    summary="opt in to cross-library coffee pairing, pause it, or see your pairing",
    examples=("pairing on", "pairing snooze until:2027-03-01", "pairing every:2w day:tue"),
)
async def pairing(ctx: Ctx) -> Reply:
    if ctx.option("every") is not None:
        return await _set_rounds(ctx)
    word = ctx.word(0, "of on, off or snooze").text.lower()
    if word == "met":
        return await _checkin(ctx)
    ctx.no_more_words(1)
    optin = await _optin(ctx)
    if word == "on":
        if optin is None:
            ctx.session.add(PairingOptIn(member_id=ctx.me.id, active=True, since=ctx.now, updated_at=ctx.now))
        elif optin.active and optin.snoozed_until is None:
            raise ctx.fail("You are already opted in to pairing.")
        else:
            optin.active, optin.snoozed_until, optin.updated_at = True, None, ctx.now
        missing = [w for w, v in (("institution", ctx.me.institution_id), ("stage", ctx.me.stage)) if v is None]
        hint = (
            f" Add your {' and '.join(missing)} with `profile` so I can pair you across libraries and career stages."
            if missing
            else ""
        )
        return Reply(f"You're in! You'll be paired with someone from another library each round.{hint}")
    if word == "off":
        if optin is None or not optin.active:
            raise ctx.fail("You are not opted in to pairing.")
        optin.active, optin.updated_at = False, ctx.now
        return Reply("You're out of pairing. `pairing on` brings you back any time.")
    if word == "snooze":
        until = ctx.option_date("until")
        if until is None:
            raise ctx.fail("Say until when, like `pairing snooze until:2027-03-01`.")
        if until <= ctx.today:
            raise ctx.fail(f"until: must be after today ({ctx.today}), not {until}.")
        if optin is None or not optin.active:
            raise ctx.fail("You are not opted in to pairing; `pairing on` opts you in.")
        optin.snoozed_until, optin.updated_at = until, ctx.now
        return Reply(f"Pairing is paused for you: no rounds before {until}. `pairing on` resumes it now.")
    raise ctx.fail(f"I don't understand “{word}” here.")


async def _checkin(ctx: Ctx) -> Reply:
    pair_id = parse_int(ctx.word(1, "pair").text, "pair number", high=2**31 - 1)
    answer = ctx.word(2, "answer").text.lower()
    ctx.no_more_words(3)
    if answer not in CHECKIN_ANSWERS:
        raise ctx.fail(f"Answer met, planned or not, not “{answer}”.")
    pair = await ctx.session.get(Pair, pair_id)
    if pair is None or ctx.me.id not in (pair.member_a, pair.member_b, pair.member_c):
        raise ctx.fail("That pairing is not yours.")
    found = await ctx.session.scalar(select(CheckIn).where(CheckIn.pair_id == pair_id, CheckIn.member_id == ctx.me.id))
    if found is None:
        ctx.session.add(CheckIn(pair_id=pair_id, member_id=ctx.me.id, answer=answer, answered_at=ctx.now))
    else:
        found.answer, found.answered_at = answer, ctx.now
    await _show_answer(ctx, pair, answer)
    return Reply(f"Thanks! I've noted that {ANSWER_WORDS[answer]}.")


async def _show_answer(ctx: Ctx, pair: Pair, answer: str) -> None:
    """The member's check-in message, updated in place to show their answer: the post itself while it waits to be
    sent, else an edit of it (the outbox sends only the newest of several edits)."""
    key = checkin_key(pair.id, ctx.me.id)
    post = await ctx.session.scalar(select(Outbox).where(Outbox.message_key == key, Outbox.mode == "post"))
    if post is None or post.status == "failed":
        return
    ids = [i for i in (pair.member_a, pair.member_b, pair.member_c) if i is not None and i != ctx.me.id]
    others = await queries.members_for(ctx.session, ids)
    reply = checkin_reply(pair.id, [others[i] for i in ids if i in others], answered=answer)
    if post.status == "pending":
        post.payload = reply.to_json()
        return
    row = member_row(
        ctx.me,
        reply,
        key=f"{key}:{answer} at {ctx.now.isoformat()}",
        due=ctx.now,
        now=ctx.now,
        message_key=key,
        mode="edit",
    )
    await queries.enqueue(ctx.session, [row])


async def checkin_counts(session: AsyncSession, round_id: int) -> Counter[str]:
    """A round's check-in answers, counted: `met`, `planned`, `not`, and `pairs` for the round's pairs."""
    answers = (
        select(CheckIn.answer, func.count())
        .join(Pair, Pair.id == CheckIn.pair_id)
        .where(Pair.round_id == round_id)
        .group_by(CheckIn.answer)
    )
    counts: Counter[str] = Counter(dict((await session.execute(answers)).tuples().all()))
    counts["pairs"] = await session.scalar(select(func.count()).where(Pair.round_id == round_id)) or 0
    return counts


@command(
    "pairing status",
    writes=False,
    usage="pairing status",
    summary="whether you are opted in to pairing, your latest pairing and when the next round is",
    examples=("pairing status",),
)
async def status(ctx: Ctx) -> Reply:
    ctx.no_more_words(0)
    optin = await _optin(ctx)
    if optin is None or not optin.active:
        lines = ["You are not opted in to pairing. `pairing on` opts you in."]
    elif optin.snoozed_until is not None and optin.snoozed_until > ctx.today:
        lines = [f"You are opted in to pairing, paused until {optin.snoozed_until}."]
    else:
        lines = ["You are opted in to pairing."]
    # The member's pairs, found by each member column's index (never by walking the rounds); a pair is written
    # when its round runs, so the latest has the greatest id.
    me = ctx.me.id
    theirs = union_all(
        select(Pair.id).where(Pair.member_a == me),
        select(Pair.id).where(Pair.member_b == me),
        select(Pair.id).where(Pair.member_c == me),
    ).subquery()
    latest = await ctx.session.scalar(select(func.max(theirs.c.id)))
    mine = await ctx.session.get(Pair, latest) if latest is not None else None
    if mine is not None:
        ids = [i for i in (mine.member_a, mine.member_b, mine.member_c) if i is not None and i != ctx.me.id]
        others = await queries.members_for(ctx.session, ids)
        lines.append(f"Your latest pairing: with {names([others[i] for i in ids if i in others])}.")
    schedules = (
        await ctx.session.scalars(select(Schedule).where(Schedule.kind == "pairing", Schedule.active.is_(True)))
    ).all()
    for s in schedules:
        rule = rule_of(s)
        nxt = rule.next_after(ctx.now)
        if nxt is not None and (s.group_id is None or ctx.is_admin):
            group = await ctx.session.get(Group, s.group_id) if s.group_id else None
            label = f" ({group.name})" if group else ""
            lines.append(f"Next round{label}: {ctx.local(nxt):%A %Y-%m-%d %H:%M} ({ctx.zone.key}).")  # the reader's
    if ctx.is_admin:
        opted = await ctx.session.scalar(select(func.count()).where(PairingOptIn.active.is_(True))) or 0
        last = await ctx.session.scalar(select(PairingRound).order_by(PairingRound.started_at.desc()).limit(1))
        lines.append(f"Opted in: {opted}.")
        if last is not None:
            counts = await checkin_counts(ctx.session, last.id)
            lines.append(
                f"Last round {ctx.local(last.started_at):%Y-%m-%d}: {counted(last.people, 'person', 'people')}, "
                f"{counted(counts['pairs'], 'pair')}; "
                f"check-ins: {counts['met']} met, {counts['planned']} planned, {counts['not']} did not meet."
            )
    return Reply("\n".join(lines))


async def _group_option(ctx: Ctx) -> Group | None:
    named = ctx.option("group")
    return await ctx.group_from(Word(named)) if named is not None else None


def _admin_only(ctx: Ctx, what: str) -> None:
    if not ctx.is_admin:
        raise NotAllowed(f"Only the steering group (Convene's admins) can {what}.")


async def _set_rounds(ctx: Ctx) -> Reply:
    _admin_only(ctx, "set pairing rounds")
    ctx.no_more_words(0)
    group = await _group_option(ctx)
    scope = _scope(ctx, group)
    every = ctx.option("every") or ""
    schedule = await ctx.session.scalar(select(Schedule).where(Schedule.kind == "pairing", Schedule.scope == scope))
    where = group.name if group else "everyone opted in"
    if every.lower() == "off":
        if schedule is None or not schedule.active:
            raise ctx.fail(f"There are no pairing rounds scheduled for {where}.")
        schedule.active, schedule.updated_at = False, ctx.now
        return Reply(f"Pairing rounds for {where} are off.")
    day = ctx.option("day")
    if day is not None and day.lower() not in DAY_NAMES:
        raise ctx.fail(f"day: takes a day of the week, like day:tue, not “{day}”.", field="day")
    expr, weeks = parse_every(every + (f" {day}" if day else ""))
    tz = ctx.option("tz") or ctx.me.tz or DEFAULT_TZ  # SPEC §3: times typed are in the speaker's zone
    zone(tz)
    holidays = ctx.choice("holidays", ("skip", "post"), "skip")
    rule = Rule(expr, weeks, first_anchor(expr, tz, ctx.now, skip_holidays=holidays == "skip"), tz, holidays == "skip")
    if schedule is None:
        schedule = Schedule(
            kind="pairing",
            scope=scope,
            group_id=group.id if group else None,
            platform=ctx.me.platform,
            workspace=ctx.me.workspace,
            created_by=ctx.me.id,
            created_at=ctx.now,
        )
        ctx.session.add(schedule)
    set_rule(schedule, rule, f"every:{every}" + (f" day:{day}" if day else ""), ctx.now)
    return Reply(f"Pairing rounds for {where}: {describe(rule)}.{first_words(rule, ctx.now)}")


@command(
    "pairing now",
    role="admin",
    options=("group",),
    usage="pairing now [group:…]",
    summary="run a pairing round now",
    examples=("pairing now",),
)
async def pairing_now(ctx: Ctx) -> Reply:
    ctx.no_more_words(0)
    group = await _group_option(ctx)
    scope = _scope(ctx, group)
    platform = group.platform if group else ctx.me.platform
    workspace = group.workspace if group else ctx.me.workspace
    where = group.name if group else "everyone opted in"
    places = await queries.community_places(ctx.session, (platform, workspace))  # one community's rounds
    recent = await ctx.session.scalar(
        select(PairingRound)
        .where(
            PairingRound.started_at > ctx.now - RUN_AGAIN_AFTER,
            or_(*((PairingRound.platform == p) & (PairingRound.workspace == w) for p, w in places)),
            PairingRound.group_id.is_(None) if group is None else PairingRound.group_id == group.id,
        )
        .order_by(PairingRound.started_at.desc())
        .limit(1)
    )
    if recent is not None:
        raise ctx.fail(_just_run(ctx, recent, where))
    try:
        result = await run_round(
            ctx.session,
            platform=platform,
            workspace=workspace,
            group_id=group.id if group else None,
            schedule_id=None,
            occurrence=f"now {scope}:{ctx.now:%Y-%m-%dT%H:%M}",
            now=ctx.now,
            checkin_after=checkin_delay(1),
            window_weeks=ctx.config.pairing_window_weeks,
        )
    except RoundAlreadyRun:  # pressed twice at once: the other press's round is the one
        raise ctx.fail(f"A pairing round for {where} was just run, a moment ago; it is not run twice.") from None
    if result.people == 0:
        if group is not None:
            raise ctx.fail(
                f"None of {possessive(group.name)} members is opted in to pairing (or none is free this round): "
                "members opt in with `pairing on`."
            )
        raise ctx.fail("No one is opted in to pairing yet: members opt in with `pairing on`.")
    introduced = " Each pair gets a group DM introducing them." if result.groups else ""
    return Reply(f"Pairing round done: {result.summary()}.{introduced}{await _next_scheduled(ctx, scope)}")


async def _next_scheduled(ctx: Ctx, scope: str) -> str:
    """A warning when the scope's scheduled round comes within a week of a round run by hand: people would be
    introduced twice in a few days, and a check-in would ask about a pairing already replaced."""
    schedule = await ctx.session.scalar(
        select(Schedule).where(Schedule.kind == "pairing", Schedule.scope == scope, Schedule.active.is_(True))
    )
    nxt = rule_of(schedule).next_after(ctx.now) if schedule is not None else None
    if nxt is None or nxt - ctx.now > timedelta(days=7):
        return ""
    return (
        f" Note: the scheduled round comes soon, on {day_month(ctx.local(nxt))}, and will pair people again; "
        "`pairing every:off` stops it if this one is to stand."
    )


def _just_run(ctx: Ctx, recent: PairingRound, where: str) -> str:
    return (
        f"A pairing round for {where} was just run, at {ctx.local(recent.started_at):%H:%M:%S} "
        f"({counted(recent.people, 'person', 'people')}): "
        f"it is not run twice. `pairing now` runs another after {RUN_AGAIN_AFTER.seconds // 60} minutes."
    )
