"""One person, two platforms: `link` shows a one-time code on one platform, typed on the other within ten
minutes; from then on both accounts are one member for groups, offers, pairing, the steering group and reports
(SPEC §3). `unlink` separates them again."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from handlers.command.context import Ctx
from handlers.command.messages import PLATFORM_NAMES, Reply
from handlers.command.registry import command
from storage import queries
from storage.models import LinkCode, Member

CODE_DIGITS = (
    9  # 10^9 codes: guessing one in its ten minutes, even at a hundred tries a second, is a 1-in-16,000 chance
)
CODE_LIFE = timedelta(minutes=10)
DIGITS = "0123456789"  # a code's digits: ASCII only, as it was shown


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _shown(code: str) -> str:
    return f"{code[:3]}-{code[3:6]}-{code[6:]}"


def _account(member: Member) -> str:
    return f"{PLATFORM_NAMES.get(member.platform, member.platform)} ({member.display_name})"


@command(
    "link",
    usage="link  ·  link <code>",
    summary="make your accounts on Slack and Teams one member: `link` shows a code to type on the other",
    examples=("link", "link 482-913-375"),
)
async def link(ctx: Ctx) -> Reply:
    if not ctx.args.words:
        return await _new_code(ctx)
    typed = " ".join(w.text for w in ctx.args.words)  # `482 913 375` as well as `482-913-375`
    code = "".join(ch for ch in typed if ch in DIGITS)
    if len(code) != CODE_DIGITS or len(typed) > 20 or any(ch not in DIGITS + "- " for ch in typed):
        raise ctx.fail(f"A link code has {CODE_DIGITS} digits 0-9, like 482-913-375, not “{typed[:20]}”.")
    found = await ctx.session.scalar(
        select(LinkCode).where(LinkCode.code_hash == _hash(code), LinkCode.expires_at > ctx.now)
    )
    if found is None:
        raise ctx.fail(
            "That is not a code I gave, or its ten minutes are over: type `link` on your other account for a new one."
        )
    owner = await ctx.session.get(Member, found.member_id)
    assert owner is not None  # the code's row goes with its member
    into = await queries.speaking_as(ctx.session, owner)
    here = await _own_row(ctx)
    if into.id == ctx.me.id:
        raise ctx.fail("That code is this account's own: type it to Convene on your other platform.")
    if here.linked_to is not None:  # linking an alias would carry its whole member along
        raise ctx.fail(f"This account is linked to {_account(ctx.me)} already: `unlink` it first.")
    if owner.platform == here.platform:
        raise ctx.fail(
            f"That code comes from another account on {PLATFORM_NAMES.get(here.platform, here.platform)}: `link` "
            "joins one person's accounts on Slack and Microsoft Teams."
        )
    await ctx.session.delete(found)
    said = (
        f"Linked: this account, {_account(here)}, and {_account(into)} are now one member. Your groups, offers and "
        "pairing are shared, and messages reach you on your other account. A place in the steering group named in "
        "Convene's configuration stays with the account it names. `unlink` separates them."
    )
    await queries.merge_member(ctx.session, ctx.me, into)
    return Reply(said)


async def _own_row(ctx: Ctx) -> Member:
    s = ctx.request.speaker
    own = await queries.member_by_identity(ctx.session, s.platform, s.workspace, s.user_id)
    assert own is not None  # the speaker is saved before any command runs
    return own


async def _new_code(ctx: Ctx) -> Reply:
    await ctx.session.execute(delete(LinkCode).where(LinkCode.member_id == ctx.me.id))
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    ctx.session.add(LinkCode(member_id=ctx.me.id, code_hash=_hash(code), expires_at=ctx.now + CODE_LIFE))
    own = await _own_row(ctx)
    others = (await ctx.session.scalars(select(Member).where(Member.linked_to == ctx.me.id).order_by(Member.id))).all()
    accounts = [m for m in [ctx.me, *others] if m.id != own.id]  # this account's others, wherever they are
    linked = (" Linked already: " + ", ".join(_account(m) for m in accounts) + ".") if accounts else ""
    return Reply(
        f"Your link code is {_shown(code)}. Within ten minutes, type `link {_shown(code)}` to Convene on your other "
        f"platform (Slack or Microsoft Teams): the two accounts then become one member.{linked}"
    )


@command(
    "unlink",
    usage="unlink",
    summary="separate accounts linked with `link`",
    examples=("unlink",),
)
async def unlink(ctx: Ctx) -> Reply:
    ctx.no_more_words(0)
    own = await _own_row(ctx)
    if own.linked_to is not None:
        own.linked_to = None
        return Reply(
            f"This account is separate again. Groups, offers and pairing stay with {_account(ctx.me)}; "
            "here you start afresh."
        )
    others = (await ctx.session.scalars(select(Member).where(Member.linked_to == own.id))).all()
    if not others:
        raise ctx.fail("This account is not linked to another: `link` links it.")
    for other in others:
        other.linked_to = None
    return Reply(
        f"Separated: {', '.join(_account(m) for m in others)}. Groups, offers and pairing stay with this account."
    )
