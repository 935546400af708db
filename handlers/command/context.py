"""What a command sees while it runs: the transaction, the speaker, their arguments and helpers that turn
words into groups, people, dates and outbox rows, each with an error the member can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.command.errors import UserError
from handlers.command.grammar import MAX_ID, Args, TooFarAhead, Word, closest, parse_date, parse_int, zone
from handlers.command.messages import CHANNELS_BY_NAME, Reply, Request
from handlers.command.outbox import group_rows, member_row, outbox_row, sealed_row
from handlers.command.registry import Command
from handlers.command.sealing import Sealer
from handlers.command.timing import DEFAULT_TZ, Rule, first_anchor, parse_cron, parse_every
from storage import queries
from storage.models import Group, Member

MAX_USER_ID = 64  # the longest platform user id a member row holds (members.user_id)


@dataclass(frozen=True)
class CoreConfig:
    # The steering group by configuration (CONVENE_ADMINS): "platform:workspace:user_id", or "platform:user_id"
    # where Convene serves one workspace of that platform (the runtime checks that at start-up).
    admins: frozenset[str] = frozenset()
    command: str = "/convene"
    announce_channel: str | None = None  # where calls for volunteers are posted when asked for in private
    # Set up group channels (Slack): say hello in a new group's channel (Slack creates it then) and bring
    # accepted volunteers and joiners into it.
    create_channels: bool = False
    pairing_window_weeks: int = 12  # no pair repeats within this many weeks
    # Where people reach `convene serve` from outside (CONVENE_PUBLIC_URL, like https://convene.example.org):
    # the calendar links and feeds are made with it; None when it is not set.
    public_url: str | None = None
    # The server's key for sealed addresses; the runtime gives the one kept beside the database (bot.app).
    sealer: Sealer = field(default_factory=lambda: Sealer(Sealer.new_key()))

    def names_admin(self, platform: str, workspace: str, user_id: str) -> bool:
        """Whether the configuration puts this identity in the steering group: named with its workspace, or in
        the short form without one."""
        return f"{platform}:{workspace}:{user_id}" in self.admins or f"{platform}:{user_id}" in self.admins


@dataclass
class Ctx:
    session: AsyncSession  # the command's unit of work: one transaction, read-only unless `writes`
    writes: bool  # the command, with these arguments, may change something (`Command.writes_with`)
    request: Request
    me: Member
    is_admin: bool
    config: CoreConfig
    command: Command
    args: Args
    group: Group | None = None
    _chairs: set[int] | None = field(default=None, repr=False)

    @property
    def now(self) -> datetime:
        return self.request.now

    @property
    def zone(self) -> ZoneInfo:
        """The speaker's time zone (their profile's; `Europe/London` if it names none Convene knows)."""
        try:
            return ZoneInfo(self.me.tz)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            return ZoneInfo(DEFAULT_TZ)

    @property
    def today(self) -> date:
        """The speaker's today, in their own time zone (SPEC.md §5): every date they type or read is theirs."""
        return self.now.astimezone(self.zone).date()

    def local(self, moment: datetime) -> datetime:
        """A moment as the speaker's clock shows it."""
        return moment.astimezone(self.zone)

    def fail(self, message: str, *, field: str | None = None) -> UserError:
        return UserError(message, usage=self.command.usage, field=field)

    async def chaired(self) -> set[int]:
        if self._chairs is None:
            self._chairs = await queries.chaired_group_ids(self.session, self.me.id)
        return self._chairs

    async def may_chair(self, group: Group) -> bool:
        return self.is_admin or group.id in await self.chaired()

    # -- words -------------------------------------------------------------------------------------------

    def word(self, index: int, what: str) -> Word:
        if index >= len(self.args.words):
            raise self.fail(f"Say which {what}.")
        return self.args.words[index]

    def no_more_words(self, count: int) -> None:
        extra = self.args.words[count:]
        if extra:
            raise self.fail(f"I don't understand “{extra[0].text}” here.")

    def option(self, name: str) -> str | None:
        return self.args.options.get(name)

    def option_date(self, name: str) -> date | None:
        """The option `name:` as a date (YYYY-MM-DD), None when not given; raises CommandFailed naming the
        option when it is not a date."""
        value = self.option(name)
        try:
            return parse_date(value) if value is not None else None
        except TooFarAhead as err:
            raise self.fail(f"{name}: {err.message}", field=name) from None
        except UserError:
            raise self.fail(
                f"{name}: takes a date written YYYY-MM-DD, for example 2027-03-31, not “{value}”.", field=name
            ) from None

    def option_int(self, name: str, what: str, *, low: int = 1, high: int = 10_000) -> int | None:
        value = self.option(name)
        try:
            return parse_int(value, what, low=low, high=high) if value is not None else None
        except UserError as err:
            raise self.fail(err.message, field=name) from None

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.option(name)
        if value is None:
            return default
        if value.lower() not in allowed:
            raise self.fail(f"{name}: must be one of {', '.join(allowed)}, not “{value}”.", field=name)
        return value.lower()

    def schedule_rule(self) -> tuple[Rule, str] | None:
        """The rule that `every:` or `cron:` gives, with `tz:` (the speaker's zone by default: SPEC.md §3) and
        `holidays:skip|post` (skip by default: §5), and the rule as typed (`every:"monday 10:00"`, for
        `schedules.rule`); None when neither is given. Raises CommandFailed for both given, or for a rule or
        zone that does not read."""
        every, cron = self.option("every"), self.option("cron")
        if every is None and cron is None:
            return None
        if every is not None and cron is not None:
            raise self.fail("Give either every: or cron:, not both.")
        tz = self.option("tz") or self.me.tz or DEFAULT_TZ
        try:
            zone(tz)
        except UserError as err:
            raise self.fail(err.message, field="tz") from None
        try:
            expr, weeks = parse_every(every) if every is not None else (parse_cron(cron or "", tz), 1)
        except UserError as err:
            raise self.fail(err.message, field="every" if every is not None else "cron") from None
        skip = self.choice("holidays", ("skip", "post"), "skip") == "skip"
        rule = Rule(expr, weeks, first_anchor(expr, tz, self.now, skip_holidays=skip), tz, skip)
        # as typed (cron: in standard cron; `rule.cron` as the trigger reads it)
        typed = f'every:"{every}"' if every is not None else f'cron:"{" ".join((cron or "").split())}"'
        return rule, typed

    async def group_or_channel(self, noun: str) -> tuple[Group | None, str | None]:
        """Where a chair's or the steering group's post (a poll, an event: `noun`) goes: the open group `group:`
        names, which the speaker must chair (SPEC.md §1: chairs post for their group), or else, for an admin, the
        channel the command is typed in (or the announcements channel). Raises CommandFailed for neither."""
        named = self.option("group")
        if named is not None:
            try:
                group = await self.group_from(Word(named))
            except UserError as err:
                raise self.fail(err.message, field="group") from None
            if not await self.may_chair(group):
                raise self.fail(
                    f"Only the chairs of {group.name} (and the steering group) can use `{self.command.name}` for it.",
                    field="group",
                )
            if group.status == "closed":
                raise self.fail(f"{group.name} is closed.", field="group")
            return group, None
        channel = self.request.place.channel_id
        if channel is None and self.me.platform in CHANNELS_BY_NAME:
            channel = self.config.announce_channel
        if not self.is_admin:
            raise self.fail(
                f"Say which of your groups the {noun} is for, with group:… (chairs make {noun}s for their groups)."
            )
        if channel is None:
            raise self.fail(f"Say which group the {noun} is for, with group:…, or make it in a channel.", field="group")
        return None, channel

    def free_text(self, start: int, limit: int, what: str, *, field: str | None = None) -> str:
        """The words from `start` on as one text (a title typed without quotes is welcome), at most `limit`
        characters. Raises CommandFailed for nothing given, text too long, or quoted text with other words beside
        it (`"Survey" extra`: which did they mean?)."""
        words = self.args.words[start:]
        if len(words) > 1 and any(w.quoted for w in words):
            stray = next((w for w in words if not w.quoted), None)
            if stray is None:  # every word quoted: two texts, or a quote doubled inside one ("a""b")
                raise self.fail(
                    f"That is {len(words)} quoted texts, “{words[0].text}” and “{words[1].text}”"
                    + (" and more" if len(words) > 2 else "")
                    + f": put the whole {what} in one pair of quotes.",
                    field=field,
                )
            raise self.fail(
                f"“{stray.text}” is outside the quotes of the {what}: put the whole {what} in one pair of quotes.",
                field=field,
            )
        return self.limited(" ".join(w.text for w in words), limit, what, field=field)

    def limited(self, text: str, limit: int, what: str, *, field: str | None = None) -> str:
        text = text.strip()
        if not text:
            raise self.fail(f"The {what} is empty.", field=field)
        if len(text) > limit:
            raise self.fail(f"The {what} is too long: {len(text)} characters, the limit is {limit}.", field=field)
        return text

    # -- things named by words -----------------------------------------------------------------------------

    async def take_group(self) -> Group:
        """The group named by the first words: its slug, its quoted name, or its name in plain words
        (`group rare books`), longest match first. Those words become one. In a command that writes, the
        group's row is locked until the command's transaction ends (`group_from`)."""
        words = self.args.words
        plain = 0
        while plain < min(len(words), 6) and not words[plain].quoted and not words[plain].is_person:
            plain += 1
        for count in range(plain, 1, -1):
            name = " ".join(w.text for w in words[:count])
            group = await self._group_named(name)
            if group is not None:
                self.args.words = [Word(name), *words[count:]]
                return self._at_work(group)
        return await self.group_from(self.word(0, "group"))

    async def group_from(self, word: Word) -> Group:
        """The group the word names, or an error that says which groups there are. In a command that writes,
        its row is locked until the transaction ends, so what the command checks of it (open or closed, seats
        taken) holds until it commits, whatever runs beside it."""
        group = await self._group_named(word.text)
        if group is not None:
            return self._at_work(group)
        groups = await queries.all_groups(self.session)
        names = [g.name for g in groups] + [g.slug for g in groups]
        guess = closest(word.text, names)
        match = next((g for g in groups if guess in (g.name, g.slug)), None) if guess else None
        hint = f" Did you mean {match.name} (`{match.slug}`)?" if match else " Type `groups` to see them all."
        raise self.fail(f"There is no group called “{word.text}”.{hint}")

    def _at_work(self, group: Group) -> Group:
        """The group, unless the command would change a closed group: a closed group takes no new work (its
        page, members and case study can still be read, and its case study recorded)."""
        if group.status == "closed" and self.writes and not self.command.closed_ok:
            raise self.fail(
                f"{group.name} is closed: it takes no new work. Its page and case study stay: `group {group.slug}`."
            )
        return group

    async def _group_named(self, name: str) -> Group | None:
        return await queries.group_named(self.session, name, lock=self.writes)

    async def person_from(self, word: Word, *, create: bool = False) -> Member:
        """The member a word names: a mention (`<@U1>`, or `@name` in the console) or a member reference from a
        button (`<member:7>`), within the speaker's own workspace only. With `create`, someone the platform
        knows but Convene has not met yet becomes a member (only a command that writes may ask that)."""
        session, me = self.session, self.request.speaker  # mentions name people on the speaker's own platform
        if word.member_id is not None:
            found = await session.get(Member, word.member_id) if word.member_id <= MAX_ID else None
            if found is not None:  # a button made before a link names the account; the member is who it speaks as
                found = await queries.speaking_as(session, found)
            if found is None or not await self._in_community(found):
                raise self.fail("That person is not known to Convene in this workspace.")
            return found
        if word.mention is None:
            raise self.fail(f"“{word.text}” is not a person: mention them, like @name.")
        if len(word.mention) > MAX_USER_ID:
            raise self.fail(f"“{word.text[:40]}…” is not a person I know: mention them, like @name.")
        found = await queries.member_by_identity(session, me.platform, me.workspace, word.mention)
        if found is None and me.platform == "console":
            found = await queries.member_by_identity(session, me.platform, me.workspace, word.mention.lower())
        if found is not None:
            return await queries.speaking_as(session, found)
        known = self.request.mentions.get(word.mention)
        if not create or (known is None and me.platform != "console"):
            raise self.fail(f"I don't know {word.text} yet: they need to use Convene once first.")
        assert self.writes, "only a command that writes may add a member"
        user_id = word.mention.lower() if me.platform == "console" else word.mention
        return await queries.ensure_member(
            session,
            platform=me.platform,
            workspace=me.workspace,
            user_id=user_id,
            display_name=known.display_name if known else word.mention,
            tz=known.tz if known else None,
            now=self.now,
        )

    async def _in_community(self, member: Member) -> bool:
        """Whether a member named by id (a button's `<member:N>`) is one this speaker may act on: in the speaker's
        workspace, or in one joined to it by a group's channels (`queries.one_community`); SPEC §6."""
        s = self.request.speaker
        there = (member.platform, member.workspace)
        return there == (self.me.platform, self.me.workspace) or await queries.one_community(
            self.session, (s.platform, s.workspace), there
        )

    # -- messages to others, through the outbox --------------------------------------------------------------

    async def post(
        self,
        *,
        channel: str,
        reply: Reply,
        key: str,
        message_key: str | None = None,
        edit: bool = False,
        due: datetime | None = None,
    ) -> None:
        me = self.request.speaker  # in the channel the request came from, or one named, on the speaker's platform
        row = outbox_row(
            key=key,
            platform=me.platform,
            workspace=me.workspace,
            target_kind="channel",
            target=channel,
            label=channel,
            reply=reply,
            due=due or self.now,
            now=self.now,
            message_key=message_key,
            mode="edit" if edit else "post",
        )
        await queries.enqueue(self.session, [row])

    async def post_to_group(self, group: Group, *, reply: Reply, key: str, invitee: Member | None = None) -> None:
        """Post `reply` in every channel of the group, on each channel's own platform (`group_rows`)."""
        places = await queries.group_places(self.session, group)
        rows = group_rows(group, places, reply, key=key, due=self.now, now=self.now, invitee=invitee)
        await queries.enqueue(self.session, rows)

    async def tell(self, member: Member, reply: Reply, *, key: str, due: datetime | None = None) -> None:
        await queries.enqueue(self.session, [member_row(member, reply, key=key, due=due or self.now, now=self.now)])

    async def tell_sealed(self, sealed: str, reply: Reply, *, key: str) -> None:
        """A direct message to whoever a sealed address (`handlers.command.sealing`) belongs to: the outbox opens
        it only to send, and keeps neither the address nor the message once sent."""
        await queries.enqueue(self.session, [sealed_row(sealed, reply, key=key, now=self.now)])
