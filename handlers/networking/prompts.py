"""Networking prompts: a question posted to a group's channel on its schedule, inviting replies in the thread.

Each group draws from Convene's built-in prompts, the consortium's shared ones and its own, in a rotation that
repeats nothing until the whole set has been used; prompts added later join the current round of the rotation.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command.context import Ctx
from handlers.command.errors import NotAllowed
from handlers.command.grammar import Word
from handlers.command.messages import Reply, channel_ref, counted, possessive
from handlers.command.occurrences import Occasion, rule_of, runs, set_rule
from handlers.command.outbox import group_rows
from handlers.command.registry import command
from handlers.command.timing import describe, first_words
from storage import queries
from storage.models import Group, Prompt, PromptUse, Schedule

BUILT_IN: tuple[tuple[str, str], ...] = (
    ("b01", "What is one small change to a service at your library that made a big difference to its users?"),
    ("b02", "Which enquiry this month taught you something new, and what was it?"),
    ("b03", "If you could spend a day shadowing someone in another member library, whose job would you pick?"),
    ("b04", "What is a tool, template or checklist you rely on that others here might borrow?"),
    ("b05", "What did you learn early in your career that you still use every week?"),
    ("b06", "Which part of your collection deserves more attention than it gets, and why?"),
    ("b07", "How do you make a first-time visitor feel welcome, in person or online?"),
    ("b08", "What is a piece of professional reading (a paper, a post, a report) you would recommend this month?"),
    ("b09", "What would you try in your library if you had a free afternoon and no constraints?"),
    ("b10", "Share a partnership with a local group or another library that worked well. What made it work?"),
    ("b11", "What question do you wish more people asked the library?"),
    ("b12", "How do you look after your own wellbeing during the busiest weeks of the year?"),
    ("b13", "Which skill would you most like to learn from a colleague in another library?"),
    ("b14", "What is the most surprising use of your library's spaces you have seen?"),
    ("b15", "What is one thing about cataloguing, metadata or discovery you wish every library user knew?"),
    ("b16", "Tell us about a project that didn't go to plan. What would you do differently?"),
    ("b17", "How are you using data (footfall, loans, enquiries) to make decisions in your team?"),
    ("b18", "What advice would you give someone in their first year working in a library?"),
    ("b19", "Which event, exhibition or display drew the most interest lately, and why do you think it did?"),
    ("b20", "How does your library support open research or open access, and what is still hard?"),
)
PROMPT_LIMIT = 500


@dataclass(frozen=True)
class Candidate:
    ref: str
    text: str


async def prompt_set(session: AsyncSession, group_id: int) -> list[Candidate]:
    """The group's own prompts first, then the consortium's shared ones, then Convene's built-in set."""
    rows = (
        await session.scalars(
            select(Prompt)
            .where((Prompt.group_id == group_id) | Prompt.group_id.is_(None))
            .order_by(Prompt.group_id.is_(None), Prompt.id)
        )
    ).all()
    return [Candidate(f"p:{p.id}", p.text) for p in rows] + [Candidate(f"b:{k}", t) for k, t in BUILT_IN]


async def next_prompt(session: AsyncSession, group_id: int) -> Candidate:
    """The next prompt in the group's rotation: one used least so far, in an order shuffled for each pass
    through the set (the same order in every process, so the choice is reproducible)."""
    candidates = await prompt_set(session, group_id)
    used = Counter(
        dict(
            (
                await session.execute(
                    select(PromptUse.ref, func.count()).where(PromptUse.group_id == group_id).group_by(PromptUse.ref)
                )
            )
            .tuples()
            .all()
        )
    )
    fewest = min(used[c.ref] for c in candidates)
    fresh = [c for c in candidates if used[c.ref] == fewest]
    own = [c for c in fresh if c.ref.startswith("p:")]
    pool = own or fresh
    random.Random(f"{group_id}:{fewest}:{len(candidates)}").shuffle(pool)
    return pool[0]


def prompt_reply(group: Group, text: str) -> Reply:
    return Reply(
        f"💬 Conversation prompt for {group.name}: {text}\nReply in this thread to share your experience.",
        private=False,
    )


_PROMPT_USE = queries.on_conflict(PromptUse.__table__, ("group_id", "occurrence"))  # once an occurrence


@runs("prompts")
async def post_prompt(session: AsyncSession, occasion: Occasion) -> str:
    schedule = occasion.schedule
    group = await session.get(Group, schedule.group_id) if schedule.group_id is not None else None
    places = await queries.group_places(session, group) if group is not None else []
    if group is None or not places or group.status == "closed":
        return "no prompt: the group is closed or has no channel"
    chosen = await next_prompt(session, group.id)
    use = dict(group_id=group.id, ref=chosen.ref, occurrence=occasion.key, used_at=occasion.now)
    await session.execute(_PROMPT_USE[queries.dialect(session)], use)
    rows = group_rows(
        group,
        places,
        prompt_reply(group, chosen.text),
        key=f"prompt:{occasion.key}:channel {places[0][2]}",
        due=occasion.now,
        now=occasion.now,
    )
    await queries.enqueue(session, rows)
    return f"posted prompt {chosen.ref} to {counted(len(places), 'channel')} of {group.name}"


@command(
    "prompt add",
    role="chair",
    options=("group",),
    usage='prompt add "<text>" [group:…]',
    summary="add a networking prompt to a group's set (or, for the steering group, to everyone's)",
    examples=('prompt add "What is on your reading list this term?" group:wellbeing',),
)
async def add_prompt(ctx: Ctx) -> Reply:
    if not ctx.args.words:
        raise ctx.fail("Give the prompt's text, in quotes.")
    text = ctx.free_text(0, PROMPT_LIMIT, "prompt")
    named = ctx.option("group")
    group = None
    if named is not None:
        group = await ctx.group_from(Word(named))
        if not await ctx.may_chair(group):
            raise NotAllowed(f"Only the chairs of {group.name} (and the steering group) can use `prompt add` for it.")
    elif not ctx.is_admin:
        raise NotAllowed("Only the steering group can add prompts for every group; name yours with group:<group>.")
    exists = await ctx.session.scalar(
        select(Prompt.id).where(
            func.lower(Prompt.text) == text.lower(),
            Prompt.group_id.is_(None) if group is None else Prompt.group_id == group.id,
        )
    )
    if exists is not None or any(t.lower() == text.lower() for _, t in BUILT_IN):
        raise ctx.fail("That prompt is already in the set.")
    ctx.session.add(Prompt(group_id=group.id if group else None, text=text, added_by=ctx.me.id, added_at=ctx.now))
    where = f"{possessive(group.name)} prompts" if group else "the prompts every group draws from"
    return Reply(f"Added to {where}: “{text}”. It comes up before any prompt is repeated.")


@command(
    "prompts",
    role="chair",
    group_word=True,
    options=("every", "cron", "tz", "holidays"),
    reads_when=lambda args: not args.options and not (args.words and args.words[-1].text.lower() == "off"),
    usage='prompts <group> every:"monday 10:00"|cron:"…"|off [tz:…] [holidays:skip|post]',
    summary="post networking prompts to a group's channel on a schedule",
    examples=('prompts wellbeing every:"monday 10:00"', 'prompts wellbeing cron:"30 9 * * tue,thu"'),
)
async def set_prompts(ctx: Ctx) -> Reply:
    group = ctx.group
    assert group is not None
    words = [w.text.lower() for w in ctx.args.words[1:]]
    scope = f"group {group.id}"
    schedule = await ctx.session.scalar(select(Schedule).where(Schedule.kind == "prompts", Schedule.scope == scope))
    if words == ["off"]:
        if ctx.args.options:
            extra = next(iter(ctx.args.options))
            raise ctx.fail(f"`prompts {group.slug} off` takes nothing else, not {extra}:.", field=extra)
        if schedule is None or not schedule.active:
            raise ctx.fail(f"{group.name} has no prompts scheduled.")
        schedule.active, schedule.updated_at = False, ctx.now
        return Reply(f"Prompts for {group.name} are off. `prompts {group.slug} every:…` turns them on again.")
    ctx.no_more_words(1)
    ruled = ctx.schedule_rule()
    if ruled is None:
        for name in ("tz", "holidays"):
            value = ctx.option(name)
            if value is not None:  # a change to a schedule is made by giving its rule again
                said = schedule.rule if schedule is not None and schedule.active else 'every:"monday 10:00"'
                raise ctx.fail(
                    f"{name}: goes with the schedule's rule: `prompts {group.slug} {said} {name}:{value}`.", field=name
                )
        return await _show(ctx, group, schedule)
    if group.channel is None:
        raise ctx.fail(f"{group.name} has no channel to post prompts in.")
    rule, typed = ruled
    if schedule is None:
        schedule = Schedule(
            kind="prompts",
            scope=scope,
            group_id=group.id,
            platform=group.platform,
            workspace=group.workspace,
            created_by=ctx.me.id,
            created_at=ctx.now,
        )
        ctx.session.add(schedule)
    set_rule(schedule, rule, typed, ctx.now)
    when = first_words(rule, ctx.now)
    return Reply(f"Prompts for {group.name} will be posted to {channel_ref(group.channel)}: {describe(rule)}.{when}")


async def _show(ctx: Ctx, group: Group, schedule: Schedule | None) -> Reply:
    total = len(await prompt_set(ctx.session, group.id))
    used = await ctx.session.scalar(select(func.count()).where(PromptUse.group_id == group.id)) or 0
    if schedule is None or not schedule.active:
        return Reply(
            f"{group.name} has no prompts scheduled ({counted(total, 'prompt')} in its set). "
            f'Set them with `prompts {group.slug} every:"monday 10:00"`.'
        )
    rule = rule_of(schedule)
    nxt = rule.next_after(ctx.now)
    when = f" Next: {nxt.astimezone(rule.zone):%A %Y-%m-%d %H:%M} ({rule.tz})." if nxt else ""
    return Reply(
        f"Prompts for {group.name} in {channel_ref(group.channel or '')}: {describe(rule)}.{when} "
        f"{used} posted so far, from a set of {total}."
    )
