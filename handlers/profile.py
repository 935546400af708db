"""A member's profile: institution, job title, career stage, interests and time zone."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.command.context import Ctx
from handlers.command.errors import UserError
from handlers.command.forms import Field, Form
from handlers.command.grammar import closest, zone
from handlers.command.messages import Reply, Section
from handlers.command.registry import command
from storage import queries
from storage.models import CAREER_STAGES, Institution, Member

FIELDS = ("institution", "title", "stage", "interests", "tz")


def describe(member: Member) -> tuple[tuple[str, str], ...]:
    missing = "not given"
    return (
        ("Name", member.display_name),
        ("Institution", member.institution.name if member.institution else missing),
        ("Job title", member.title or missing),
        ("Career stage", member.stage or missing),
        ("Interests", member.interests or missing),
        ("Time zone", member.tz),
    )


_INSTITUTION = queries.on_conflict(Institution.__table__, ("name",))


async def institution_named(ctx: Ctx, name: str) -> tuple[Institution, str]:
    """The institution of that name (created if new), and a hint when a new one looks like a known one."""
    name = ctx.limited(name, 120, "institution", field="institution")
    found = await ctx.session.scalar(select(Institution).where(func.lower(Institution.name) == name.lower()))
    if found is not None:
        return found, ""
    known = [i.name for i in await ctx.session.scalars(select(Institution))]
    # Two people naming the same new library at once: the second finds the first's row.
    await ctx.session.execute(_INSTITUTION[queries.dialect(ctx.session)], {"name": name})
    found = await ctx.session.scalar(select(Institution).where(Institution.name == name))
    assert found is not None
    guess = closest(name, known)
    return (
        found,
        f' (New institution “{name}”: did you mean {guess}? If so, set institution:"{guess}".)' if guess else "",
    )


PROFILE_FORM = Form(
    "Your profile",
    (
        Field("institution", "Institution", hint="Your member library.", max_length=120),
        Field("title", "Job title", max_length=120),
        Field(
            "stage",
            "Career stage",
            "choice",
            choices=(("early", "Early career"), ("mid", "Mid career"), ("senior", "Senior"), ("leader", "Leader")),
        ),
        Field("interests", "Interests", "long_text", max_length=500),
        Field("tz", "Time zone", hint="A name like Europe/London.", max_length=64),
    ),
)


async def current(ctx: Ctx) -> dict[str, str | None]:
    me = ctx.me
    return {
        "institution": me.institution.name if me.institution else None,
        "title": me.title,
        "stage": me.stage,
        "interests": me.interests,
        "tz": me.tz,
    }


@command(
    "profile",
    options=FIELDS,
    reads_when=lambda args: not args.options,  # `profile` alone shows it
    form=PROFILE_FORM,
    prefill=current,
    usage="profile [institution:…] [title:…] [stage:early|mid|senior|leader] [interests:…] [tz:Europe/London]",
    summary="show or set your profile",
    examples=('profile institution:"City Library" stage:early interests:"outreach, metadata"',),
)
async def profile(ctx: Ctx) -> Reply:
    ctx.no_more_words(0)
    me = ctx.me
    changed = [k for k in FIELDS if k in ctx.args.options]
    hint = ""
    if "institution" in changed:
        inst, hint = await institution_named(ctx, ctx.option("institution") or "")
        me.institution_id, me.institution = inst.id, inst
    if "title" in changed:
        me.title = ctx.limited(ctx.option("title") or "", 120, "job title", field="title")
    if "stage" in changed:
        me.stage = ctx.choice("stage", CAREER_STAGES)
    if "interests" in changed:
        me.interests = ctx.limited(ctx.option("interests") or "", 500, "interests", field="interests")
    if "tz" in changed:
        try:
            me.tz = zone(ctx.option("tz") or "").key
        except UserError as err:
            raise ctx.fail(err.message, field="tz") from None
    fields = describe(me)
    head = "Your profile is updated." + hint if changed else "Your profile:"
    text = head + "\n" + "\n".join(f"{k}: {v}" for k, v in fields)
    if not changed:
        text += "\nChange it with " + "`" + ctx.command.usage + "`"
    return Reply(text, sections=(Section(head, fields),))
