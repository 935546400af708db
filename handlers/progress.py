"""A group's plan and its results: milestones, progress updates and the case study."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from handlers.command.context import Ctx
from handlers.command.grammar import parse_int
from handlers.command.messages import Reply, channel_ref
from handlers.command.outbox import mention
from handlers.command.registry import command
from storage.models import CaseStudy, Milestone, ProgressUpdate


@command(
    "milestone add",
    role="chair",
    group_word=True,
    options=("due",),
    usage='milestone add <group> "<title>" due:YYYY-MM-DD',
    summary="add a milestone to a group's plan",
    examples=('milestone add diversity "Literature review" due:2027-03-01',),
)
async def add_milestone(ctx: Ctx) -> Reply:
    g = ctx.group
    assert g is not None
    title = ctx.free_text(1, 200, "milestone title")
    due = ctx.option_date("due")
    if due is None:
        raise ctx.fail("Give the milestone a due date with due:YYYY-MM-DD.")
    if due < ctx.today:
        raise ctx.fail(f"due: must be today ({ctx.today}) or later, not {due}.", field="due")
    number = (await ctx.session.scalar(select(func.max(Milestone.number)).where(Milestone.group_id == g.id)) or 0) + 1
    ctx.session.add(Milestone(group_id=g.id, number=number, title=title, due_on=due))
    return Reply(
        f"Added milestone {number} to {g.name}: {title}, due {due}. "
        f"Mark it done with `milestone done {g.slug} {number}`."
    )


@command(
    "milestone done",
    role="chair",
    group_word=True,
    usage="milestone done <group> <n>",
    summary="mark a milestone done",
    examples=("milestone done diversity 1",),
)
async def finish_milestone(ctx: Ctx) -> Reply:
    g = ctx.group
    assert g is not None
    ctx.no_more_words(2)
    number = parse_int(ctx.word(1, "milestone number").text, "milestone number")
    milestone = await ctx.session.scalar(
        select(Milestone).where(Milestone.group_id == g.id, Milestone.number == number)
    )
    if milestone is None:
        raise ctx.fail(f"{g.name} has no milestone {number}; `group {g.slug}` lists them.")
    if milestone.done_on is not None:
        raise ctx.fail(f"Milestone {number} of {g.name} was already done on {milestone.done_on}.")
    milestone.done_on = ctx.today
    return Reply(f"Milestone {number} of {g.name} ({milestone.title}) is done. Well done!")


@command(
    "casestudy",
    role="chair",
    closed_ok=True,  # a group's output may be recorded after it closes
    group_word=True,
    usage='casestudy <group> "<title>" <link>',
    summary="record the group's published case study",
    examples=('casestudy diversity "Inclusive recruitment" https://example.org/case-study',),
)
async def record_case_study(ctx: Ctx) -> Reply:
    g = ctx.group
    assert g is not None
    if len(ctx.args.words) < 3:
        raise ctx.fail("Give the case study's title in quotes, then its link.")
    ctx.no_more_words(3)
    title = ctx.limited(ctx.args.words[1].text, 200, "case study title")
    link = ctx.limited(ctx.args.words[2].text, 500, "link")
    if not re.match(r"https?://\S+\.\S+", link):
        raise ctx.fail(f"“{link}” is not a link: give the address where the case study is published (https://…).")
    study = await ctx.session.scalar(select(CaseStudy).where(CaseStudy.group_id == g.id))
    verb = "Updated" if study else "Recorded"
    if study is None:
        study = CaseStudy(group_id=g.id, title=title, link=link, published_on=ctx.today, recorded_by=ctx.me.id)
        ctx.session.add(study)
    else:
        study.title, study.link, study.recorded_by = title, link, ctx.me.id
    await ctx.session.flush()
    await ctx.post_to_group(
        g,
        key=f"casestudy {study.id}: {verb.lower()} {ctx.now.isoformat()}",
        reply=Reply(f"{g.name} has published its case study: {title} — {link}", private=False),
    )
    return Reply(f"{verb} the case study of {g.name}: {title} — {link}")


@command(
    "progress",
    role="chair",
    group_word=True,
    usage='progress <group> "<text>"',
    summary="post a progress update to the group and into the next digest",
    examples=('progress wellbeing "Survey sent to all member libraries"',),
)
async def post_progress(ctx: Ctx) -> Reply:
    g = ctx.group
    assert g is not None
    text = ctx.free_text(1, 2000, "progress update")
    update = ProgressUpdate(group_id=g.id, author_id=ctx.me.id, text=text, posted_at=ctx.now)
    ctx.session.add(update)
    await ctx.session.flush()
    await ctx.post_to_group(
        g,
        key=f"progress {update.id}",
        reply=Reply(f"Progress from {g.name} ({mention(ctx.me)}): {text}", private=False),
    )
    return Reply(
        f"Posted your progress update to {g.name}"
        + (f" in {channel_ref(g.channel)}" if g.channel else "")
        + "; it will be in the next digest."
    )
