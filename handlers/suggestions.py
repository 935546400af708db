"""The suggestion box: members write to the steering group, whose answers reach the sender, even an
anonymous one, without anyone learning who sent it."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.command.context import Ctx
from handlers.command.grammar import parse_int
from handlers.command.messages import Reply, Section
from handlers.command.registry import command
from storage import queries
from storage.models import SUGGESTION_STATUSES, Suggestion, SuggestionReply

LIMIT = 2000


@command(
    "suggest",
    usage='suggest "<text>" [anon]',
    summary="send a comment or suggestion to the steering group",
    examples=('suggest "A session on copyright for early-career staff" anon',),
)
async def suggest(ctx: Ctx) -> Reply:
    words = list(ctx.args.words)
    anonymous = bool(words) and not words[-1].quoted and words[-1].text.lower() in ("anon", "anonymous")
    if anonymous:
        words.pop()
    text = ctx.limited(" ".join(w.text for w in words), LIMIT, "suggestion")
    suggestion = Suggestion(sender_id=ctx.me.id, anonymous=anonymous, text=text, status="new", created_at=ctx.now)
    ctx.session.add(suggestion)
    await ctx.session.flush()
    sender = "someone who asked to stay anonymous" if anonymous else ctx.me.display_name
    notice = Reply(
        f'New suggestion #{suggestion.id} from {sender}: “{text}”\nAnswer with `suggestion {suggestion.id} reply "…"`.'
    )
    for admin in await queries.steering_group(ctx.session, ctx.config.admins):
        await ctx.tell(admin, notice, key=f"suggestion {suggestion.id}: to admin {admin.id}")
    how = " anonymously" if anonymous else ""
    return Reply(
        f"Thank you! Your suggestion #{suggestion.id} went to the steering group{how}. "
        "Their answer will reach you here."
    )


@command(
    "suggestions",
    role="admin",
    writes=False,
    usage=f"suggestions [{'|'.join(SUGGESTION_STATUSES)}]",
    summary="read the suggestions box",
    examples=("suggestions", "suggestions new"),
)
async def inbox(ctx: Ctx) -> Reply:
    ctx.no_more_words(1)
    query = select(Suggestion).order_by(Suggestion.id.desc())
    if ctx.args.words:
        status = ctx.args.words[0].text.lower()
        if status not in SUGGESTION_STATUSES:
            raise ctx.fail(f"“{status}” is not a status; use one of {', '.join(SUGGESTION_STATUSES)}.")
        query = query.where(Suggestion.status == status)
    rows = (await ctx.session.scalars(query.limit(100))).all()
    if not rows:
        return Reply("No suggestions" + (" with that status." if ctx.args.words else " yet."))
    replies = dict(
        (
            await ctx.session.execute(
                select(SuggestionReply.suggestion_id, func.count())
                .where(SuggestionReply.suggestion_id.in_([s.id for s in rows]))
                .group_by(SuggestionReply.suggestion_id)
            )
        )
        .tuples()
        .all()
    )
    sections = []
    for s in rows:
        sender = "anonymous" if s.anonymous else (s.sender.display_name if s.sender else "a former member")
        head = f"#{s.id} [{s.status}] from {sender}, {s.created_at:%Y-%m-%d}"
        answered = f" — {replies[s.id]} repl{'y' if replies[s.id] == 1 else 'ies'}" if s.id in replies else ""
        sections.append(Section(f"{head}{answered}\n“{s.text}”"))
    return Reply("Suggestions:\n" + "\n".join(s.text for s in sections), sections=tuple(sections))


@command(
    "suggestion",
    role="admin",
    options=("status",),
    usage='suggestion <id> reply "<text>" | status:<status>',
    summary="answer a suggestion or change its status; the sender is told",
    examples=('suggestion 4 reply "Thank you, we will plan it for spring"', "suggestion 4 status:planned"),
)
async def answer(ctx: Ctx) -> Reply:
    number = parse_int(ctx.word(0, "suggestion (its number)").text.lstrip("#"), "suggestion number", high=10**9)
    suggestion = await ctx.session.get(Suggestion, number)
    if suggestion is None:
        raise ctx.fail(f"There is no suggestion #{number}; `suggestions` lists them.")
    status = ctx.choice("status", SUGGESTION_STATUSES)
    words = ctx.args.words[1:]
    text: str | None = None
    if words:
        if words[0].text.lower() != "reply":
            raise ctx.fail(f"I don't understand “{words[0].text}” here.")
        text = ctx.limited(" ".join(w.text for w in words[1:]), LIMIT, "reply")
    if text is None and status is None:
        raise ctx.fail(f'Say what to do with suggestion #{number}: reply "…" or status:….')
    lines = []
    if text is not None:
        reply = SuggestionReply(suggestion_id=number, author_id=ctx.me.id, text=text, created_at=ctx.now)
        ctx.session.add(reply)
        await ctx.session.flush()
        lines.append(f"The steering group replied to your suggestion #{number}: “{text}”")
        if status is None and suggestion.status == "new":
            status = "acknowledged"
    if status is not None and status != suggestion.status:
        suggestion.status = status
        lines.append(f"Your suggestion #{number} is now {status}.")
    if suggestion.sender is not None and lines:
        quoted = suggestion.text if len(suggestion.text) <= 200 else suggestion.text[:197] + "…"
        await ctx.tell(
            suggestion.sender,
            Reply("\n".join(lines) + f"\n(You suggested: “{quoted}”)"),
            key=f"suggestion {number}: answer {ctx.now.isoformat()} {len(lines)}",
        )
    told = " The sender has been told." if suggestion.sender is not None and lines else ""
    return Reply(f"Suggestion #{number}: " + (" ".join(lines) if lines else "no change.") + told)
