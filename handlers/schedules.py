"""The steering group's views of what Convene does on its own: what is scheduled (`schedules`) and what was
delivered or failed (`deliveries`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command.context import Ctx
from handlers.command.messages import Reply, Section, channel_ref, counted, shown, titled
from handlers.command.occurrences import active_schedules, rule_of
from handlers.command.registry import command
from handlers.command.timing import describe
from storage.models import Group, Outbox, Schedule


async def describe_schedule(session: AsyncSession, schedule: Schedule) -> str:
    what = {
        "prompts": "Networking prompts",
        "pairing": "Pairing rounds",
        "reminders": "Deadline reminders",
        "polls": f"Recurring {schedule.scope}",  # scope `poll <template id>`
    }[schedule.kind]
    if schedule.group_id is not None:
        group = await session.get(Group, schedule.group_id)
        what += f" for {group.name}" if group else ""
        if schedule.kind == "prompts" and group is not None and group.channel:
            what += f" in {channel_ref(group.channel)}"
    elif schedule.kind == "pairing":
        what += " for everyone opted in"
    return what


@command(
    "schedules",
    role="admin",
    writes=False,
    usage="schedules",
    summary="what Convene will do next on its own: prompts, pairing rounds, reminders, recurring polls",
    examples=("schedules",),
)
async def list_schedules(ctx: Ctx) -> Reply:
    ctx.no_more_words(0)
    rows = await active_schedules(ctx.session)
    if not rows:
        return Reply(
            "Nothing is scheduled. Chairs set prompts with `prompts <group> every:…`; "
            "the steering group sets pairing rounds with `pairing every:2w`."
        )
    entries: list[tuple[datetime | None, str]] = []
    for s, ran in rows:
        rule = rule_of(s)
        nxt = rule.next_after(ctx.now)
        when = f"next {nxt.astimezone(rule.zone):%a %Y-%m-%d %H:%M} {rule.tz}" if nxt else "no further dates"
        line = f"{await describe_schedule(ctx.session, s)} — {describe(rule)}; {when}"
        if ran is not None:
            line += f"; last {ran.astimezone(rule.zone):%Y-%m-%d %H:%M}"
        entries.append((nxt, line))
    entries.sort(key=lambda e: (e[0] is None, e[0] or ctx.now))
    pending = await ctx.session.scalar(select(func.count()).where(Outbox.status.in_(("pending", "sending")))) or 0
    failed = await ctx.session.scalar(select(func.count()).where(Outbox.status == "failed")) or 0
    tail = f"Deliveries waiting: {pending}; failed: {failed}" + (" (see `deliveries failed`)." if failed else ".")
    text = "\n".join(f"• {line}" for _, line in entries) + "\n" + tail
    return titled("Scheduled, soonest first:", [*(Section(line) for _, line in entries), Section(tail)], text)


DELIVERY_LIMIT = 20
STATUS_WORDS = {"pending": "waiting", "sending": "being sent", "sent": "sent", "failed": "failed"}
WHAT_LENGTH = 80  # characters of a message's first line shown


def _delivered_to(row: Outbox) -> str:
    """Where a message went, as a person reads it: a channel, a person's DM, a group DM, an anonymous sender."""
    if row.target_kind == "channel":
        return channel_ref(row.target)
    if row.target_kind == "members":
        return f"group DM {row.target_label}"
    return f"DM {row.target_label}"


def _what(row: Outbox) -> str:
    """The message's first line, shortened: what a librarian recognises it by (never Convene's own keys)."""
    first = shown(str(row.payload.get("text", ""))).strip().split("\n", 1)[0]
    first = first if len(first) <= WHAT_LENGTH else first[: WHAT_LENGTH - 1] + "…"
    return f"update: {first}" if row.mode == "edit" else first


SENT_COUNTED = timedelta(days=7)


@command(
    "deliveries",
    role="admin",
    writes=False,
    usage="deliveries [failed]",
    summary="messages Convene sent on its own, and those that failed and why",
    examples=("deliveries", "deliveries failed"),
)
async def deliveries(ctx: Ctx) -> Reply:
    words = [w.text.lower() for w in ctx.args.words]
    if words not in ([], ["failed"]):
        raise ctx.fail(f"I don't understand “{ctx.args.words[0].text}” here.")
    # Counted by the (status, due) index: every row waiting or failed, and those sent in the last week (the
    # outbox keeps every message ever sent: counting them all would grow with history).
    week_ago = ctx.now - SENT_COUNTED
    recent = (Outbox.status.in_(("pending", "sending", "failed"))) | (
        (Outbox.status == "sent") & (Outbox.due_at >= week_ago)
    )
    counts = dict(
        (await ctx.session.execute(select(Outbox.status, func.count()).where(recent).group_by(Outbox.status)))
        .tuples()
        .all()
    )
    summary = (
        f"{counts.get('pending', 0)} pending, {counts.get('sending', 0)} sending, "
        f"{counts.get('sent', 0)} sent in the last {SENT_COUNTED.days} days, {counts.get('failed', 0)} failed"
    )
    query = select(Outbox).order_by(Outbox.id.desc()).limit(DELIVERY_LIMIT)
    if words:
        query = query.where(Outbox.status == "failed")
    rows = (await ctx.session.scalars(query)).all()
    if not rows:
        return Reply(f"Deliveries: {summary}." + (" None has failed." if words else ""))
    lines = []
    for r in rows:
        when = ctx.local(r.sent_at or r.due_at)
        line = f"{STATUS_WORDS[r.status]} · {_delivered_to(r)} · {when:%a %d %b %H:%M} · {_what(r)}"
        if r.status != "sent" and r.attempts:
            line += f" · {counted(r.attempts, 'attempt')}"
        if r.error and r.status != "sent":
            line += f" · error: {r.error[:200]}"
        lines.append(line)
    title = "Failed deliveries, latest written first" if words else "Latest deliveries, latest written first"
    return Reply(f"Deliveries: {summary}.\n{title}:\n" + "\n".join(f"• {line}" for line in lines))
