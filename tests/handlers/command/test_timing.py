"""Rules and their trigger: local times hold across the clock changes, bank holidays are skipped."""

import itertools
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from handlers.command.errors import UserError
from handlers.command.timing import Rule, describe, first_anchor, is_bank_holiday, parse_cron, parse_every

LONDON = ZoneInfo("Europe/London")


def local(fires: list[datetime]) -> list[str]:
    return [f.astimezone(LONDON).strftime("%a %Y-%m-%d %H:%M %Z") for f in fires]


def test_weekly_prompt_keeps_its_local_time_across_the_march_change() -> None:
    # British Summer Time starts on Sunday 28 March 2027 at 01:00 UTC.
    rule = Rule("0 10 * * mon,sun")
    fires = list(rule.occurrences(datetime(2027, 3, 20, tzinfo=UTC), datetime(2027, 4, 6, tzinfo=UTC)))
    assert local(fires) == [
        "Sun 2027-03-21 10:00 GMT",
        "Mon 2027-03-22 10:00 GMT",
        "Sun 2027-03-28 10:00 BST",  # the day the clocks go forward: still 10:00 on the wall
        # Monday 29 March is Easter Monday, a bank holiday: skipped
        "Sun 2027-04-04 10:00 BST",
        "Mon 2027-04-05 10:00 BST",
    ]
    assert [f.hour for f in fires] == [10, 10, 9, 9, 9]  # in UTC: an hour earlier once summer time starts


def test_the_october_change_moves_nothing_by_an_hour() -> None:
    # British Summer Time ends on Sunday 31 October 2027 at 01:00 UTC.
    rule = Rule("30 9 * * *", skip_holidays=False)
    fires = list(rule.occurrences(datetime(2027, 10, 29, tzinfo=UTC), datetime(2027, 11, 2, tzinfo=UTC)))
    assert [f.astimezone(LONDON).strftime("%m-%d %H:%M") for f in fires] == [
        "10-29 09:30",
        "10-30 09:30",
        "10-31 09:30",
        "11-01 09:30",
    ]
    assert [f.astimezone(UTC).hour for f in fires] == [8, 8, 9, 9]
    gaps = {b - a for a, b in pairwise(fires)}
    assert gaps == {timedelta(hours=24), timedelta(hours=25)}  # the long day is the one with the extra hour


def test_a_bank_holiday_is_skipped_unless_the_schedule_says_otherwise() -> None:
    assert is_bank_holiday(date(2027, 5, 31))  # Spring bank holiday, England and Wales
    assert not is_bank_holiday(date(2027, 6, 7))
    mondays = Rule("0 10 * * mon")
    fires = list(mondays.occurrences(datetime(2027, 5, 20, tzinfo=UTC), datetime(2027, 6, 10, tzinfo=UTC)))
    assert [f.date() for f in fires] == [date(2027, 5, 24), date(2027, 6, 7)]
    regardless = Rule("0 10 * * mon", skip_holidays=False)
    fires = list(regardless.occurrences(datetime(2027, 5, 20, tzinfo=UTC), datetime(2027, 6, 10, tzinfo=UTC)))
    assert [f.date() for f in fires] == [date(2027, 5, 24), date(2027, 5, 31), date(2027, 6, 7)]


def test_the_apscheduler_trigger_gives_the_same_fire_times() -> None:
    rule = Rule("0 10 * * mon")
    trigger = rule.trigger()
    start = datetime(2027, 5, 25, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, start)
    assert first is not None and first.astimezone(UTC) == datetime(2027, 6, 7, 9, 0, tzinfo=UTC)  # 31 May skipped
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    assert second.astimezone(UTC) == datetime(2027, 6, 14, 9, 0, tzinfo=UTC)
    assert rule.fires_at(first.astimezone(UTC)) and not rule.fires_at(first.astimezone(UTC) + timedelta(minutes=1))


def test_every_two_weeks_counts_from_the_anchor_week() -> None:
    now = datetime(2027, 1, 13, 12, tzinfo=UTC)  # a Wednesday
    expr, weeks = parse_every("2w", default_day="tue")
    assert (expr, weeks) == ("0 10 * * tue", 2)
    rule = Rule(expr, weeks, first_anchor(expr, "Europe/London", now))
    fires = list(rule.occurrences(now, now + timedelta(weeks=6)))
    assert [f.date() for f in fires] == [date(2027, 1, 19), date(2027, 2, 2), date(2027, 2, 16)]


def test_time_zones_other_than_london() -> None:
    rule = Rule("0 9 * * mon", tz="America/New_York", skip_holidays=False)
    fires = list(rule.occurrences(datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 3, 20, tzinfo=UTC)))
    # New York's clocks change on 14 March: 9:00 local stays 9:00 local
    assert [f.hour for f in fires] == [14, 14, 13]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("monday 10:00", ("0 10 * * mon", 1)),
        ("weekdays 9:30", ("30 9 * * mon,tue,wed,thu,fri", 1)),
        ("tue, thu 14:15", ("15 14 * * tue,thu", 1)),
        ("day 08:00", ("0 8 * * *", 1)),
        ("2w tue", ("0 10 * * tue", 2)),
    ],
)
def test_every_phrases(text: str, expected: tuple[str, int]) -> None:
    assert parse_every(text) == expected


@pytest.mark.parametrize("text", ["monday 25:00", "someday", "13w", "friday at noon"])
def test_bad_every_phrases_name_the_problem(text: str) -> None:
    with pytest.raises(UserError):
        parse_every(text)


def test_cron_is_checked_and_described() -> None:
    assert parse_cron("0 10 * * mon", "Europe/London") == "0 10 * * mon"
    with pytest.raises(UserError, match="five fields"):
        parse_cron("0 10 * *", "Europe/London")
    assert describe(Rule("0 10 * * mon", 2)) == "Mondays at 10:00 (Europe/London), every 2 weeks, not on bank holidays"
    assert (
        describe(Rule("30 8 1,15 * *", skip_holidays=False)) == "monthly on the 1st and 15th at 08:30 (Europe/London)"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0 25 * * mon", "the hour field takes 0-23 (lists, ranges and steps of them, or *), not “25”"),
        ("60 9 * * *", "the minute field takes 0-59"),
        ("0 9 32 * *", "the day field takes 1-31"),
        ("0 9 1 13 *", "the month field takes 1-12"),
        ("0 9 31 2 *", "names a day that never comes (like 31 February): it would never run"),
    ],
)
def test_a_bad_cron_says_which_field_is_wrong_in_our_words(text: str, problem: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_cron(text, "Europe/London")
    assert problem in caught.value.message and "Error validating" not in caught.value.message


def test_day_of_month_and_weekday_together_mean_either_as_in_standard_cron() -> None:
    """`0 9 1-7 * 1`: the first seven days of each month, and every Monday (cron(8)'s rule), not only the Mondays
    among the first seven days."""
    rule = Rule(parse_cron("0 9 1-7 * 1", "UTC"), tz="UTC", skip_holidays=False)
    fires = list(rule.occurrences(datetime(2026, 11, 29, tzinfo=UTC), datetime(2026, 12, 15, tzinfo=UTC)))
    days = [f.day for f in fires]
    assert days == [30, 1, 2, 3, 4, 5, 6, 7, 14]  # Monday 30 November, 1-7 December, Monday 14 December


# Every shape a schedule can take, through the hour each clock change of 2027 moves. Taking at most LIMIT fire
# times bounds the test whatever the trigger does: a trigger that yielded one instant for ever fills the slice.
CHANGES = {  # zone: (the spring change day, the autumn change day), in 2027
    "Europe/London": (date(2027, 3, 28), date(2027, 10, 31)),
    "America/New_York": (date(2027, 3, 14), date(2027, 11, 7)),
}
SHAPES = [
    parse_every("day 01:30")[0],
    parse_every("day 02:30")[0],
    parse_every("day 00:30")[0],
    parse_every("sunday 01:30")[0],
    parse_every("weekdays 01:00")[0],
    "0 * * * *",
    "*/15 * * * *",
    "30 1,2 * * *",
    "0 0-3 * * *",
    "* 1 * * *",
]
LIMIT = 2_000


@pytest.mark.parametrize("zone", sorted(CHANGES))
@pytest.mark.parametrize("cron", SHAPES)
def test_every_schedule_shape_crosses_both_clock_changes_once_per_wall_clock_time(zone: str, cron: str) -> None:
    rule = Rule(cron, tz=zone, skip_holidays=False)
    tz = ZoneInfo(zone)
    for change in CHANGES[zone]:
        start = datetime.combine(change - timedelta(days=1), datetime.min.time(), tz)
        end = start + timedelta(days=3)
        fires = list(itertools.islice(rule.occurrences(start, end), LIMIT))
        assert len(fires) < LIMIT, f"{cron} in {zone}: the trigger did not move on"
        assert all(a < b for a, b in pairwise(fires)), "fire times strictly later, each after the one before"
        walls = [f.astimezone(tz).replace(tzinfo=None, fold=0) for f in fires]
        # A wall-clock time fires once, even in the hour autumn repeats; a daily shape fires at most once a day.
        assert len(walls) == len(set(walls)), [str(w) for w in walls if walls.count(w) > 1]
        if cron.split()[1].isdigit() and cron.split()[0].isdigit():
            days = [w.date() for w in walls]
            assert len(days) == len(set(days)), f"{cron} in {zone} fired twice on one day"
        assert fires == sorted(set(fires))


def test_a_time_the_spring_change_skips_fires_at_the_next_minute_clocks_show() -> None:
    fires = list(
        Rule("30 1 * * *", skip_holidays=False).occurrences(
            datetime(2027, 3, 27, tzinfo=UTC), datetime(2027, 3, 29, 3, tzinfo=UTC)
        )
    )
    assert local(fires) == ["Sat 2027-03-27 01:30 GMT", "Sun 2027-03-28 02:00 BST", "Mon 2027-03-29 01:30 BST"]
    # and each is recognised as a fire time when its occurrence runs (it was once taken for a changed rule)
    assert all(Rule("30 1 * * *", skip_holidays=False).fires_at(f) for f in fires)
    assert not Rule("30 1 * * *", skip_holidays=False).fires_at(fires[1] + timedelta(minutes=1))


def test_a_time_the_autumn_change_repeats_fires_at_its_first_showing_only() -> None:
    fires = list(
        Rule("30 1 * * *", skip_holidays=False).occurrences(
            datetime(2027, 10, 30, tzinfo=UTC), datetime(2027, 11, 1, 3, tzinfo=UTC)
        )
    )
    assert local(fires) == ["Sat 2027-10-30 01:30 BST", "Sun 2027-10-31 01:30 BST", "Mon 2027-11-01 01:30 GMT"]
    # asked from within the repeated hour, the next is the next day's
    assert Rule("30 1 * * *", skip_holidays=False).next_after(datetime(2027, 10, 31, 1, 10, tzinfo=UTC)) == datetime(
        2027, 11, 1, 1, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("cron", "words", "first"),
    [
        ("0 9 * * 1-5", "weekdays at 09:00", "Mon 2027-01-11 09:00 GMT"),
        ("0 9 * * 0", "Sundays at 09:00", "Sun 2027-01-17 09:00 GMT"),
        ("0 9 * * 7", "Sundays at 09:00", "Sun 2027-01-17 09:00 GMT"),
        ("0 9 * * 6,0", "weekends at 09:00", "Sat 2027-01-16 09:00 GMT"),
        ("0 9 * * 5-7", "Fridays, Saturdays and Sundays at 09:00", "Fri 2027-01-15 09:00 GMT"),
        ("30 8 * * */2", "Tuesdays, Thursdays, Saturdays and Sundays at 08:30", "Tue 2027-01-12 08:30 GMT"),
        ("0 9,14 * * 1", "Mondays at 09:00 and 14:00", "Mon 2027-01-11 09:00 GMT"),
        ("*/30 * * * 3", "Wednesdays, every 30 minutes", "Wed 2027-01-13 00:00 GMT"),
    ],
)
def test_cron_means_what_standard_cron_means_and_is_said_in_words(cron: str, words: str, first: str) -> None:
    """Sunday is 0 and 7 (SPEC.md §5); APScheduler itself counts Monday as 0."""
    rule = Rule(parse_cron(cron, "Europe/London"), skip_holidays=False)
    assert describe(rule) == f"{words} (Europe/London)"
    fire = rule.next_after(datetime(2027, 1, 11, 0, 0, tzinfo=UTC) - timedelta(minutes=1))
    assert fire is not None and local([fire]) == [first]


def test_days_of_the_week_standard_cron_does_not_have_are_refused() -> None:
    for bad in ("0 9 * * 8", "0 9 * * 5-1", "0 9 * * funday", "0 9 * * */0"):
        with pytest.raises(UserError, match="cron:"):
            parse_cron(bad, "Europe/London")
