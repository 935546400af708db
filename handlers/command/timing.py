"""When a schedule fires: its rule (a cron expression in a time zone, every N weeks, bank holidays skipped),
read from the words people type, and evaluated by an APScheduler trigger.

Fire times are derived only from the rule, its time zone and the bank holidays, never from a job store, so
two processes computing the same schedule name the same occurrences.

The cron expression is matched against wall-clock time in the rule's zone (SPEC.md §5): APScheduler's cron
trigger runs on naive wall-clock times (in UTC, which has no clock changes), and each wall-clock time it gives
is then placed in the zone. A wall-clock time that happens twice in autumn fires once, at its first
occurrence; one that does not happen in spring fires at the next minute that does (02:00 for 01:30 in
London on the spring change day).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from handlers.command.errors import UserError

DEFAULT_TZ = "Europe/London"
DEFAULT_TIME = "10:00"
RULE_LIMIT = 80  # characters of an every: or cron: rule (schedules.rule holds it with its option's name)
SEARCH_LIMIT = 5_000  # wall-clock candidates looked at for one fire time: a rule that never fires stops here
GAP_LIMIT_MINUTES = 180  # the longest stretch of wall-clock time a clock change skips (two hours, anywhere)
_DAYS = {
    "mon": "mon",
    "monday": "mon",
    "tue": "tue",
    "tues": "tue",
    "tuesday": "tue",
    "wed": "wed",
    "wednesday": "wed",
    "thu": "thu",
    "thur": "thu",
    "thurs": "thu",
    "thursday": "thu",
    "fri": "fri",
    "friday": "fri",
    "sat": "sat",
    "saturday": "sat",
    "sun": "sun",
    "sunday": "sun",
}
_DAY_SETS = {"weekday": "mon-fri", "weekdays": "mon-fri", "day": "*", "daily": "*", "week": "mon", "weekly": "mon"}
_WEEKS = re.compile(r"(\d+)w")
# which of a month's days of one name (APScheduler's day-of-month expressions `1st mon` … `last fri`, which standard
# cron cannot say); kept in the crontab's day field as `1st-mon`, one word, since a crontab splits on spaces
_POSITIONS = {
    "first": "1st",
    "1st": "1st",
    "second": "2nd",
    "2nd": "2nd",
    "third": "3rd",
    "3rd": "3rd",
    "fourth": "4th",
    "4th": "4th",
    "last": "last",
}
_MONTH_WORDS = frozenset({"month", "monthly"})
_FILLER = frozenset({"of", "the", "each", "every", "in"})  # every:"first monday of the month"
POSITIONED = re.compile(r"(1st|2nd|3rd|4th|last)-(mon|tue|wed|thu|fri|sat|sun)")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays (England's list, which Wales shares)."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(day: date) -> bool:
    return day in bank_holidays(day.year)


@dataclass(frozen=True)
class Rule:
    cron: str  # five crontab fields, evaluated in `tz`
    every_weeks: int = 1
    anchor: date | None = None  # the week counting starts from (its Monday) when every_weeks > 1
    tz: str = DEFAULT_TZ
    skip_holidays: bool = True

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def trigger(self) -> RuleTrigger:
        return RuleTrigger(self)

    def accepts(self, fire: datetime) -> bool:
        """Whether a time the cron expression gives is an occurrence: in a counted week, not a bank holiday."""
        local = fire.astimezone(self.zone).date()
        if self.skip_holidays and is_bank_holiday(local):
            return False
        if self.every_weeks > 1 and self.anchor is not None:
            weeks = (local - monday(self.anchor)).days // 7
            return weeks % self.every_weeks == 0
        return True

    def occurrences(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Fire times in (after, until], in UTC, in order (each strictly later than the one before)."""
        trigger = self.trigger()
        fire = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
        while fire is not None and fire <= until:
            yield fire.astimezone(UTC)
            fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))

    def next_after(self, moment: datetime) -> datetime | None:
        fire = self.trigger().get_next_fire_time(None, moment + timedelta(microseconds=1))
        return fire.astimezone(UTC) if fire is not None else None

    def fires_at(self, moment: datetime) -> bool:
        """Whether `moment` is one of the rule's fire times. Looked for from before any clock change's gap: a
        wall-clock time that spring skips fires at the first minute after the gap, which is later on the wall
        than the time the rule names (SPEC.md §5)."""
        since = moment - timedelta(minutes=GAP_LIMIT_MINUTES + 1)
        return moment in set(self.occurrences(since, moment))


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def working_day_later(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The same wall-clock time `days` days after `moment` in `zone`, moved on past a weekend or an England and
    Wales bank holiday; in UTC. (Adding days in UTC would move a local time by an hour across a clock change.)"""
    local = moment.astimezone(zone)
    day = local.date() + timedelta(days=days)
    while day.weekday() >= 5 or is_bank_holiday(day):
        day += timedelta(days=1)
    return wall_clock_instant(datetime.combine(day, local.time().replace(tzinfo=None)), zone)


def closing_moment(day: date, tz: str) -> datetime:
    """When something that closes "at the end of `day`" closes (a call's `closes:`): the start of the next day in
    the zone `tz`, as an aware UTC datetime."""
    return wall_clock_instant(datetime.combine(day + timedelta(days=1), datetime.min.time()), ZoneInfo(tz))


def until_words(moment: datetime, zone: ZoneInfo, *, label: bool = False) -> str:
    """When something closes, as a reader in `zone` says it: `the end of 2026-12-01` when it closes at their
    midnight, else `2026-11-30 11:00` (with the zone's name when `label`, for a post many people read)."""
    local = moment.astimezone(zone)
    if local.time() == datetime.min.time():
        return f"the end of {local.date() - timedelta(days=1)}"
    return f"{local:%Y-%m-%d %H:%M}" + (f" ({zone.key} time)" if label else "")


def wall_clock_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The moment (in UTC) at which clocks in `zone` show the naive time `wall`: its first occurrence if autumn
    shows it twice, or the first minute after it that clocks show if spring skips it."""
    for step in range(GAP_LIMIT_MINUTES + 1):
        shown = wall + timedelta(minutes=step)
        moment = shown.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if moment.astimezone(zone).replace(tzinfo=None) == shown:  # clocks do show it
            return moment if step == 0 else moment.replace(second=0, microsecond=0)
    raise ValueError(f"{wall} is not shown by clocks in {zone.key} within {GAP_LIMIT_MINUTES} minutes")


def wall_clock_trigger(cron: str) -> BaseTrigger:
    """The crontab's times as naive wall-clock times (evaluated as UTC). As standard cron means it, a rule that
    restricts both the day of the month and the day of the week fires on either (`0 9 1-7 * mon`: the first
    seven days of each month, and every Monday); APScheduler's CronTrigger alone would want both. A day field
    like `1st-mon` (from every:"first monday") is APScheduler's `1st mon`: the month's first Monday."""
    minute, hour, dom, month, dow = cron.split()
    if POSITIONED.fullmatch(dom):  # `1st-mon`: written by every:"first monday", never by cron:
        return CronTrigger(minute=minute, hour=hour, day=dom.replace("-", " "), month=month, timezone=UTC)
    if dom == "*" or dow == "*":
        return CronTrigger.from_crontab(cron, timezone=UTC)
    return OrTrigger(
        [
            CronTrigger.from_crontab(f"{minute} {hour} {dom} {month} *", timezone=UTC),
            CronTrigger.from_crontab(f"{minute} {hour} * {month} {dow}", timezone=UTC),
        ]
    )


class RuleTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """An APScheduler trigger for a rule: the cron expression matched on wall-clock time in the rule's zone
    (see the module), skipping fire times the rule does not accept (bank holidays, weeks not counted)."""

    __slots__ = ("rule", "wall_clock")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.wall_clock = wall_clock_trigger(rule.cron)

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """The first fire time at or after `now` (aware), in UTC; None if the rule never fires again (within
        `SEARCH_LIMIT` wall-clock candidates, about ten years of daily ones)."""
        zone = self.rule.zone
        wall = now.astimezone(zone).replace(tzinfo=None)
        for _ in range(SEARCH_LIMIT):
            candidate = self.wall_clock.get_next_fire_time(None, wall.replace(tzinfo=UTC))
            if candidate is None:
                return None
            wall = candidate.replace(tzinfo=None)
            fire = wall_clock_instant(wall, zone)
            if fire >= now and self.rule.accepts(fire):
                return fire
            wall += timedelta(microseconds=1)  # on, in wall-clock time: every pass moves forward
        return None

    def __str__(self) -> str:
        return f"rule[{self.rule.cron} every {self.rule.every_weeks}w {self.rule.tz}]"


# -- the words people type -------------------------------------------------------------------------------------


def _time_fields(text: str) -> tuple[int, int]:
    m = _TIME.fullmatch(text)
    if m is None:
        raise UserError(f"“{text}” is not a time of day like 10:00.")
    return int(m.group(1)), int(m.group(2))


DAY_NAMES = frozenset(_DAYS)  # the day words `every:` and `day:` take: mon, monday, tue, …


def parse_every(text: str, *, default_day: str | None = None) -> tuple[str, int]:
    """`monday 10:00`, `weekdays 9:30`, `tue,thu`, `2w`, `2w tue 14:00`, `month`, `first monday 10:00`,
    `last fri 16:00` → (crontab, every_weeks). A month's day (`first monday`; `month` alone is the first Monday)
    is written `1st-mon` in the crontab's day field (`wall_clock_trigger`). Raises UserError for empty or
    over-long text (`RULE_LIMIT`) and for words it does not know."""
    if not text.strip():
        raise UserError('Say when, like every:"monday 10:00", every:weekdays, every:2w or every:month.')
    if len(text) > RULE_LIMIT:
        raise UserError(f"every: is too long: {len(text)} characters, the limit is {RULE_LIMIT}.")
    words = text.lower().replace(",", " , ").split()
    days: list[str] = []
    hour, minute = _time_fields(DEFAULT_TIME)
    weeks = 1
    position: str | None = None
    monthly = False
    for word in words:
        if word == "," or word in _FILLER:
            continue
        if m := _WEEKS.fullmatch(word):
            weeks = int(m.group(1))
            if not 1 <= weeks <= 12:
                raise UserError("Every how many weeks? Between 1w and 12w.")
        elif word in _POSITIONS:
            position = _POSITIONS[word]
        elif word in _MONTH_WORDS:
            monthly = True
        elif word in _DAYS:
            days.append(_DAYS[word])
        elif word in _DAY_SETS:
            days.append(_DAY_SETS[word])
        elif _TIME.fullmatch(word):
            hour, minute = _time_fields(word)
        else:
            raise UserError(
                f'I don\'t understand “{word}” in every:. Say a day and a time, like every:"monday 10:00", '
                'every:weekdays, every:2w, every:month or every:"first monday 10:00".'
            )
    if position is not None or monthly:
        if weeks != 1:
            raise UserError("every: counts either weeks (2w) or a day of the month (first monday), not both.")
        if len(days) > 1 or any(d not in DAY_WORDS for d in days):
            raise UserError(f'every:"{text}": a day of the month is one day of the week, like "first monday".')
        return f"{minute} {hour} {position or '1st'}-{days[0] if days else 'mon'} * *", 1
    if not days:
        days = [default_day or "mon"]
    dow = "*" if "*" in days else standard_weekdays(",".join(days), text)
    return f"{minute} {hour} * * {dow}", weeks


WEEK = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # standard cron's order: Sunday is 0 (and 7)
MONDAY_FIRST = (*WEEK[1:], WEEK[0])
DAY_WORDS = {
    "mon": "Mondays",
    "tue": "Tuesdays",
    "wed": "Wednesdays",
    "thu": "Thursdays",
    "fri": "Fridays",
    "sat": "Saturdays",
    "sun": "Sundays",
}


def _weekday(token: str, text: str) -> int:
    """A day of the week as standard cron writes it (0-7, Sunday being 0 and 7, or a name), as 0-6."""
    word = token.lower()[:3]
    if word in WEEK:
        return WEEK.index(word)
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token) % 7
    raise UserError(f"cron:“{text}”: “{token}” is not a day of the week (0-7, Sunday being 0 and 7, or mon…sun).")


def standard_weekdays(field: str, text: str) -> str:
    """Standard cron's day-of-week field (Sunday = 0 and 7; lists, ranges, steps) as APScheduler reads it (which
    counts Monday as 0): the days by name, Monday first, or `*` for every day."""
    days: set[int] = set()
    for part in field.split(","):
        spread, _, step_text = part.partition("/")
        if step_text and not (step_text.isdigit() and int(step_text) > 0):
            raise UserError(f"cron:“{text}”: “/{step_text}” is not a step (a whole number of days).")
        step = int(step_text) if step_text else 1
        if spread == "*":
            low, high = 0, 6
        elif "-" in spread:
            first, _, last = spread.partition("-")
            low, high = _weekday(first, text), _weekday(last, text)
            if last.strip() == "7" or last.lower().startswith("sun"):  # a range may end on Sunday written as 7
                high = 7
            if high < low:
                raise UserError(f"cron:“{text}”: the days {spread} run backwards; write them in order, like 1-5.")
        else:
            low = high = _weekday(spread, text)
            high = low if not step_text else 6
        days.update(d % 7 for d in range(low, high + 1, step))
    if days == set(range(7)):
        return "*"
    return ",".join(day for day in MONDAY_FIRST if WEEK.index(day) in days)


def parse_cron(text: str, tz: str) -> str:
    """Five crontab fields as standard cron means them (the day of the week counted from Sunday = 0, and 7),
    checked, in the form the trigger evaluates (days by name). Raises UserError for anything else, or for text
    longer than `RULE_LIMIT`."""
    if len(text) > RULE_LIMIT:
        raise UserError(f"cron: is too long: {len(text)} characters, the limit is {RULE_LIMIT}.")
    fields = text.split()
    if len(fields) != 5:
        raise UserError(
            f'cron: takes five fields (minute hour day month weekday), like cron:"0 10 * * mon", not “{text}”.'
        )
    fields[4] = standard_weekdays(fields[4], text)
    for (name, low, high), value in zip(CRON_FIELDS, fields[:4], strict=True):
        try:
            CronTrigger(**{name: value}, timezone=UTC)
        except ValueError:
            raise UserError(
                f"cron:“{text}”: the {name.replace('_', ' ')} field takes {low}-{high} (lists, ranges and steps of "
                f"them, or *), not “{value}”."
            ) from None
    cron = " ".join(fields)
    if wall_clock_trigger(cron).get_next_fire_time(None, datetime(2000, 1, 1, tzinfo=UTC)) is None:
        raise UserError(f"cron:“{text}” names a day that never comes (like 31 February): it would never run.")
    return cron


CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12))  # standard cron's ranges


def _days_in_words(dow: str) -> str | None:
    try:
        dow = standard_weekdays(dow, dow)  # names and ranges of names, as every: writes them, made a list
    except UserError:
        return None
    if dow == "*":
        return "every day"
    days = dow.split(",")
    if not all(d in DAY_WORDS for d in days):
        return None
    if set(days) == {"mon", "tue", "wed", "thu", "fri"}:
        return "weekdays"
    if set(days) == {"sat", "sun"}:
        return "weekends"
    words = [DAY_WORDS[d] for d in days]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _times_in_words(minute: str, hour: str) -> str | None:
    if minute.isdigit() and hour.isdigit():
        return f"at {int(hour):02d}:{int(minute):02d}"
    if minute.isdigit() and all(h.isdigit() for h in hour.split(",")):
        times = [f"{int(h):02d}:{int(minute):02d}" for h in hour.split(",")]
        return "at " + ", ".join(times[:-1]) + " and " + times[-1]
    if minute.isdigit() and hour == "*":
        return f"every hour at :{int(minute):02d}"
    if minute.startswith("*/") and minute[2:].isdigit() and hour == "*":
        return f"every {int(minute[2:])} minutes"
    if minute.startswith("*/") and minute[2:].isdigit() and hour.isdigit():
        return f"every {int(minute[2:])} minutes from {int(hour):02d}:00 to {int(hour):02d}:59"
    if minute == "*" and hour.isdigit():
        return f"every minute from {int(hour):02d}:00 to {int(hour):02d}:59"
    return None


def ordinal(n: int) -> str:
    """`1st`, `2nd`, `11th`, `23rd`."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


_NTH = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth"}  # and "last"


def describe(rule: Rule) -> str:
    """The rule in words, as a person would say it: `weekdays at 09:00 (Europe/London), every 2 weeks, not on
    bank holidays`. A cron expression words cannot say plainly is quoted as it is, with its days in words."""
    minute, hour, dom, month, dow = rule.cron.split()
    days, times = _days_in_words(dow), _times_in_words(minute, hour)
    if dom == "*" and month == "*" and days is not None and times is not None:
        if times.startswith("every"):
            text = times if days == "every day" else f"{days}, {times}"
        else:
            text = f"{days} {times}"
    elif (positioned := POSITIONED.fullmatch(dom)) and month == "*" and dow == "*" and times is not None:
        which, day = positioned.groups()
        text = f"the {_NTH.get(which, which)} {DAY_WORDS[day][:-1]} of each month {times}"
    elif month == "*" and dow == "*" and times is not None and all(d.isdigit() for d in dom.split(",")):
        text = f"monthly on the {_listed([ordinal(int(d)) for d in dom.split(',')])} {times}"
    else:
        text = f"cron “{minute} {hour} {dom} {month} {dow}”"
    text += f" ({rule.tz})"
    if rule.every_weeks > 1:
        text += f", every {rule.every_weeks} weeks"
    if rule.skip_holidays:
        text += ", not on bank holidays"
    return text


def first_anchor(cron: str, tz: str, now: datetime, *, skip_holidays: bool = True) -> date:
    """The week an every-N-weeks rule counts from: the week of its first fire time after now (not a bank
    holiday, when the rule skips them, so that the first occurrence is not lost to one)."""
    fire = Rule(cron, 1, None, tz, skip_holidays).next_after(now)
    return monday((fire or now).astimezone(ZoneInfo(tz)).date())


def first_words(rule: Rule, now: datetime) -> str:
    """` The first is on Monday 2026-12-07 at 10:00 (Europe/London).`: the rule's first fire time after `now`, in
    its own zone, as a sentence to add to a reply; empty when it never fires."""
    nxt = rule.next_after(now)
    return f" The first is on {nxt.astimezone(rule.zone):%A %Y-%m-%d at %H:%M} ({rule.tz})." if nxt else ""


def occurrence_stamp(fire: datetime) -> str:
    return fire.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
