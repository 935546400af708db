"""A sample consortium to explore Convene with: a handful of libraries and people, two task-and-finish groups
with open calls, a community of practice, and a networking event with few seats left."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command.timing import DEFAULT_TZ, closing_moment, first_anchor, wall_clock_instant
from storage.db import Database
from storage.models import (
    Call,
    Event,
    Group,
    Institution,
    Member,
    Membership,
    Milestone,
    PairingOptIn,
    ProgressUpdate,
    Rsvp,
    Schedule,
)

LIBRARIES = (
    "Northgate University Library",
    "City of Easton Libraries",
    "St Hilda's College Library",
    "Westmoor Public Library",
    "Royal Institute Library",
)
PEOPLE = (  # name, library, title, stage, interests
    ("Priya", 0, "Head of Research Services", "leader", "open research, mentoring"),
    ("Tom", 1, "Library Assistant", "early", "outreach, reading groups"),
    ("Grace", 2, "Archivist", "mid", "special collections, digitisation"),
    ("Sam", 3, "Branch Manager", "senior", "community engagement"),
    ("Leila", 4, "Metadata Librarian", "mid", "linked data, cataloguing"),
    ("Owen", 0, "Graduate Trainee", "early", "information literacy"),
)
GROUPS = (  # name, kind, theme, about, seats
    (
        "Diversity",
        "task",
        "Diversity and inclusion in library workforces",
        "Reviews best practice in inclusive recruitment and produces a case study for member libraries.",
        10,
    ),
    (
        "Wellbeing",
        "task",
        "Staff wellbeing",
        "Looks at what helps library staff thrive, from workload to peer support, and writes it up as a case study.",
        12,
    ),
    (
        "Scholarly Libraries",
        "community",
        "Academic and research libraries",
        "An open community for staff of scholarly libraries to share practice and ask for help.",
        None,
    ),
)


async def seed(db: Database, now: datetime, *, platform: str = "console", workspace: str = "console") -> bool:
    """Add the sample consortium to an empty database: one that has no member, library, group or schedule yet.
    False, and nothing written, if anything is there (the demo's people would meet people of the same name)."""
    async with db.write() as session:
        for model in (Member, Institution, Group, Schedule):
            if await session.scalar(select(exists().select_from(model))):
                return False
        libraries = [Institution(name=n) for n in LIBRARIES]
        session.add_all(libraries)
        await session.flush()
        people = [
            Member(
                platform=platform,
                workspace=workspace,
                user_id=name.lower(),
                display_name=name,
                institution_id=libraries[lib].id,
                title=title,
                stage=stage,
                interests=interests,
                tz="Europe/London",
                created_at=now,
            )
            for name, lib, title, stage, interests in PEOPLE
        ]
        session.add_all(people)
        groups = []
        for name, kind, theme, about, seats in GROUPS:
            slug = name.lower().replace(" ", "-")
            groups.append(
                Group(
                    slug=slug,
                    name=name,
                    kind=kind,
                    theme=theme,
                    about=about,
                    platform=platform,
                    workspace=workspace,
                    channel=f"#{slug}",
                    seats=seats,
                    status="forming" if kind == "task" else "active",
                    starts_on=now.date(),
                    ends_on=(now + timedelta(days=365)).date() if kind == "task" else None,
                    created_at=now,
                )
            )
        session.add_all(groups)
        await session.flush()
        diversity, wellbeing, scholarly = groups
        closes = (now + timedelta(days=21)).date()
        for group in (diversity, wellbeing):
            session.add(
                Call(
                    group_id=group.id,
                    status="open",
                    closes_on=closes,
                    closes_at=closing_moment(closes, DEFAULT_TZ),
                    opened_at=now,
                )
            )
        session.add_all(
            [
                Membership(group_id=scholarly.id, member_id=people[0].id, role="chair", since=now),
                Membership(group_id=scholarly.id, member_id=people[4].id, role="member", since=now),
                Membership(group_id=scholarly.id, member_id=people[5].id, role="member", since=now),
                Milestone(
                    group_id=scholarly.id,
                    number=1,
                    title="Share a reading list on open access",
                    due_on=(now + timedelta(days=30)).date(),
                ),
                ProgressUpdate(
                    group_id=scholarly.id,
                    author_id=people[0].id,
                    posted_at=now,
                    text="First meet-up held: twelve people from four libraries came.",
                ),
            ]
        )
        _networking(session, scholarly, people, now)
        await _event(session, scholarly, people, now)
        return True


async def _event(session: AsyncSession, scholarly: Group, people: list[Member], now: datetime) -> None:
    """A meet-up for the community a fortnight on at 14:00 London time, three seats, two of them taken: one
    `rsvp 1 going` fills it, and the next waits."""
    zone = ZoneInfo(DEFAULT_TZ)
    day = (now.astimezone(zone) + timedelta(days=14)).date()
    starts = wall_clock_instant(datetime.combine(day, time(14, 0)), zone)
    event = Event(
        title="Open access reading circle",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1, minutes=30),
        tz=DEFAULT_TZ,
        place="Northgate University Library, Seminar Room 2",
        seats=3,
        group_id=scholarly.id,
        programme="cpd25",
        audience="all",
        organiser_id=people[0].id,
        platform=scholarly.platform,
        workspace=scholarly.workspace,
        status="scheduled",
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    await session.flush()
    session.add_all(
        Rsvp(event_id=event.id, member_id=person.id, answer="going", created_at=now, updated_at=now)
        for person in (people[4], people[5])
    )


def _networking(session: AsyncSession, scholarly: Group, people: list[Member], now: datetime) -> None:
    """Monday prompts for the community, and everyone opted in to fortnightly Tuesday pairing rounds."""
    for kind, scope, group_id, rule, cron, weeks in (
        ("prompts", f"group {scholarly.id}", scholarly.id, 'every:"monday 10:00"', "0 10 * * mon", 1),
        (
            "pairing",
            f"workspace {scholarly.platform}:{scholarly.workspace}",
            None,
            "every:2w day:tue",
            "0 10 * * tue",
            2,
        ),
    ):
        session.add(
            Schedule(
                kind=kind,
                scope=scope,
                group_id=group_id,
                platform=scholarly.platform,
                workspace=scholarly.workspace,
                rule=rule,
                cron=cron,
                every_weeks=weeks,
                anchor=first_anchor(cron, DEFAULT_TZ, now),
                tz=DEFAULT_TZ,
                skip_holidays=True,
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
    session.add_all(PairingOptIn(member_id=p.id, active=True, since=now, updated_at=now) for p in people)
