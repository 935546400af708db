"""The suggestion box: members write to the steering group, whose answers reach the sender, even an
anonymous one, without anyone learning who sent it."""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select

from handlers.command.context import Ctx
from handlers.command.forms import Field, Form, quote
from handlers.command.grammar import Word, parse_int
from handlers.command.messages import Button, Reply, Section, titled
from handlers.command.outbox import ANONYMOUS, REDACTED, REDACTED_TEXT, SEALED, address, mention
from handlers.command.registry import command
from handlers.command.sealing import Address, Sealer
from storage import queries
from storage.db import Database
from storage.models import SUGGESTION_STATUSES, Outbox, Suggestion, SuggestionReply

LIMIT = 2000
log = logging.getLogger("convene.suggestions")


ANONYMOUS_WORDS = {"anon", "anonymous", "anonymously"}
NAMED_WORDS = {"named"}
# Text that seems to ask not to be named, sent without choosing: Convene asks before sending it named.
SEEMS_ANONYMOUS = re.compile(
    r"\banon\w*|\bconfidential\w*|\bin confidence\b|\b(?:do not|don'?t|please don'?t) (?:name|identify) me\b"
    r"|\bwithout my name\b|\bkeep my name\b|\bnot (?:be )?named\b",
    re.IGNORECASE,
)
SUGGEST_FORM = Form(
    "A suggestion",
    (
        Field("text", "Your suggestion or comment", "long_text", required=True, positional=True, max_length=LIMIT),
        Field("anon", "Send it anonymously", "flag", hint="Nobody will know it is from you; answers still reach you."),
    ),
    submit="Send",
)


def _choice(word: Word) -> str | None:
    """`anon` or `named` if the word chooses how to send (punctuation around it aside), else None."""
    if word.quoted:
        return None
    plain = word.text.lower().strip(".,;:!?()[]\"'")
    return "anon" if plain in ANONYMOUS_WORDS else "named" if plain in NAMED_WORDS else None


def _text_and_choice(ctx: Ctx) -> tuple[str, set[str]]:
    """The suggestion and how to send it. With the text in quotes, every other word is a choice (`anon`,
    `named`) and nothing else; without quotes, choices are the words at either end."""
    words = list(ctx.args.words)
    if any(w.quoted for w in words):
        extra = [w for w in words if not w.quoted and _choice(w) is None]
        if extra:
            raise ctx.fail(
                f"I don't understand “{extra[0].text}” here: put your whole suggestion in quotes, and add anon to "
                "send it anonymously."
            )
        return " ".join(w.text for w in words if w.quoted), {c for w in words if (c := _choice(w))}
    chosen: set[str] = set()
    while words and (c := _choice(words[-1])):
        chosen.add(c)
        words.pop()
    while words and (c := _choice(words[0])):
        chosen.add(c)
        words.pop(0)
    return " ".join(w.text for w in words), chosen


@command(
    "suggest",
    usage='suggest "<text>" [anon]',
    form=SUGGEST_FORM,
    summary="send a comment or suggestion to the steering group, with your name or anonymously",
    examples=('suggest "A session on copyright for early-career staff" anon',),
)
async def suggest(ctx: Ctx) -> Reply:
    said, chosen = _text_and_choice(ctx)
    if chosen == {"anon", "named"}:
        raise ctx.fail("Say either anon (the steering group will not know it is you) or named, not both.")
    text = ctx.limited(said, LIMIT, "suggestion", field="text")
    anonymous = "anon" in chosen
    if not chosen and SEEMS_ANONYMOUS.search(text):
        return _ask_how(text)
    sealed = ctx.config.sealer.seal(Address(ctx.me.platform, ctx.me.workspace, ctx.me.user_id)) if anonymous else None
    suggestion = Suggestion(
        sender_id=None if anonymous else ctx.me.id,
        anonymous=anonymous,
        sealed_to=sealed,
        text=text,
        status="new",
        created_at=ctx.now,
    )
    ctx.session.add(suggestion)
    await ctx.session.flush()
    head = f"New anonymous suggestion #{suggestion.id}" if anonymous else f"New suggestion #{suggestion.id} from "
    notice = Reply(
        (head if anonymous else head + mention(ctx.me))
        + f': “{text}”\nAnswer with `suggestion {suggestion.id} reply "…"`.'
    )
    for admin in await queries.steering_group(ctx.session, ctx.config.admins):
        await ctx.tell(admin, notice, key=f"suggestion {suggestion.id}: to admin {address(admin)}")
    how = " anonymously: nobody, the steering group included, can tell it is from you" if anonymous else ""
    return Reply(
        f"Thank you! Your suggestion #{suggestion.id} went to the steering group{how}. "
        "Their answer will reach you here."
    )


def _ask_how(text: str) -> Reply:
    """Nothing sent yet: the text seems to ask not to be named, but anonymity was not chosen."""
    anonymous, named = f"suggest {quote(text)} anon", f"suggest {quote(text)} named"
    return Reply(
        "Your suggestion seems to ask not to be named, but it was not marked anonymous, so it has not been sent. "
        "Send it anonymously (the steering group will not know it is from you), or with your name? "
        "You can also add anon or named at the end of the command.",
        buttons=(
            Button("Send anonymously", "suggest", anonymous, "primary"),
            Button("Send with my name", "suggest", named),
        ),
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
        sender = "anonymous" if s.anonymous else s.sender.display_name if s.sender else "a former member"
        head = f"#{s.id} [{s.status}] from {sender}, {ctx.local(s.created_at):%Y-%m-%d}"
        answered = f" — {replies[s.id]} repl{'y' if replies[s.id] == 1 else 'ies'}" if s.id in replies else ""
        sections.append(Section(f"{head}{answered}\n“{s.text}”"))
    return titled(f"Suggestions ({len(sections)} shown):", sections)


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
        text = ctx.free_text(2, LIMIT, "reply")
    if text is None and status is None:
        raise ctx.fail(f'Say what to do with suggestion #{number}: reply "…" or status:….')
    lines, done = [], []  # what the sender reads; what the steering group is told was done
    if text is not None:
        reply = SuggestionReply(suggestion_id=number, author_id=ctx.me.id, text=text, created_at=ctx.now)
        ctx.session.add(reply)
        await ctx.session.flush()
        lines.append(f"The steering group replied to your suggestion #{number}: “{text}”")
        done.append(f"replied “{text}”")
        if status is None and suggestion.status == "new":
            status = "acknowledged"
    if status is not None and status != suggestion.status:
        suggestion.status = status
        lines.append(f"Your suggestion #{number} is now {status}.")
        done.append(f"now {status}")
    reachable = suggestion.sender is not None or suggestion.sealed_to is not None
    if reachable and lines:
        quoted = suggestion.text if len(suggestion.text) <= 200 else suggestion.text[:197] + "…"
        news = Reply("\n".join(lines) + f"\n(You suggested: “{quoted}”)")
        key = f"suggestion {number}: answer {ctx.now.isoformat()} {len(lines)}"
        if suggestion.sender is not None:
            await ctx.tell(suggestion.sender, news, key=key)
        elif suggestion.sealed_to is not None:
            await ctx.tell_sealed(suggestion.sealed_to, news, key=key)
    told = " The sender has been told." if reachable and lines else ""
    return Reply(f"Suggestion #{number}: " + ("; ".join(done) + "." if done else "no change.") + told)


async def seal_senders(db: Database, sealer: Sealer) -> int:
    """Seal what a database from before sealed addresses kept of anonymous senders (idempotent; at start-up): each
    anonymous suggestion's sender becomes a sealed address, a reply still waiting to be sent to one goes to the
    sealed address instead, and one already sent keeps neither address nor text. The number of suggestions
    sealed."""
    async with db.write() as session:
        named = (
            await session.scalars(
                select(Suggestion).where(Suggestion.anonymous.is_(True), Suggestion.sender_id.is_not(None))
            )
        ).all()
        for suggestion in named:
            sender = suggestion.sender
            assert sender is not None
            suggestion.sealed_to = sealer.seal(Address(sender.platform, sender.workspace, sender.user_id))
            suggestion.sender_id, suggestion.sender = None, None
            answers = (
                await session.scalars(
                    select(Outbox).where(
                        Outbox.key.like(f"suggestion {suggestion.id}: answer %"), Outbox.target_kind != SEALED
                    )
                )
            ).all()
            for row in answers:
                row.platform = row.workspace = row.target_kind = SEALED
                row.target_label = ANONYMOUS
                if row.status in ("pending", "sending"):
                    row.target = suggestion.sealed_to
                else:
                    row.target, row.payload = REDACTED, Reply(REDACTED_TEXT).to_json()
    if named:
        log.info("sealed the senders of %d anonymous suggestions kept from before", len(named))
    return len(named)
