"""The console's clock: `:clock +2w` on a fresh database runs what the scheduler would have run, in order.

The console runs in this process on a pinned clock, so what is due depends on the dates below, never on the
day the suite runs."""

import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot import console
from bot.settings import Settings
from handlers.command.timing import working_day_later

# A Wednesday: two weeks and a day on hold Mondays 18 and 25 January (prompts at 10:00) and Tuesday 19 January
# (the first fortnightly pairing round, at 10:00), with its check-ins a week later; no bank holiday among them.
WEDNESDAY = datetime(2027, 1, 13, 9, 30, tzinfo=UTC)
pytestmark = pytest.mark.clock  # the console reads the wall clock (pinned here; CI checks the pin holds any day)


async def test_two_weeks_on_the_console_clock_show_prompts_and_a_pairing_round(db_url: str) -> None:
    out = io.StringIO()
    settings = Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]
    with time_machine.travel(WEDNESDAY, tick=False):
        await console.run(settings, [":clock +2w", "schedules", ":clock +1d"], out=out)
    text = out.getvalue()

    steps = re.findall(r"^\[\w{3} (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) Europe/London\]$", text, re.M)
    assert steps[0] == "2027-01-18 10:00" and steps == sorted(steps)  # in order
    prompts = re.findall(r"^→ #scholarly-libraries: 💬 Conversation prompt for Scholarly Libraries: (.+)$", text, re.M)
    assert len(prompts) == 2 and len(set(prompts)) == 2  # Mondays 18 and 25 January, none repeated
    assert "[Mon 2027-01-25 10:00 Europe/London]" in text
    intros = re.findall(r"^→ group DM ([\w ,]+): ☕ Hello", text, re.M)
    introduced = sorted(n for who in intros for n in re.split(r", | and ", who))
    assert introduced == ["Grace", "Leila", "Owen", "Priya", "Sam", "Tom"]  # the demo's six, each once
    assert text.index("[Tue 2027-01-19 10:00 Europe/London]") < text.index("☕ Hello")
    assert text.count("Did you meet") == 6  # the check-ins, a week into the round
    assert text.index("☕ Hello") < text.index("Did you meet")
    assert "Pairing rounds for everyone opted in — Tuesdays at 10:00" in text
    assert "Deliveries waiting: 0; failed: 0." in text
    assert text.count("☕ Hello") == len(intros)  # moving on a day repeats nothing
    assert "The clock is now 2027-01-28 09:30 UTC." in text


async def test_a_long_move_of_the_clock_runs_every_occurrence_on_its_day_in_order(db_url: str) -> None:
    out = io.StringIO()
    settings = Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]
    with time_machine.travel(WEDNESDAY, tick=False):
        await console.run(settings, [":clock +19w"], out=out)
    text = out.getvalue()
    days = re.findall(r"^\[Mon (\d{4}-\d{2}-\d{2}) 10:00 Europe/London\]\n→ #scholarly-libraries: 💬", text, re.M)
    # Every Monday from 18 January to 24 May 2027, but Easter Monday (29 March) and the early May bank holiday.
    assert days[0] == "2027-01-18" and days[-1] == "2027-05-24" and len(days) == 19 - 2
    assert "2027-03-29" not in days and "2027-05-03" not in days
    assert days == sorted(days) and "late by" not in text


def test_a_check_in_keeps_its_local_time_across_the_clock_change_and_falls_on_a_working_day() -> None:
    """A round on Thursday 25 March 2027 at 10:00 GMT checks in three days later: Sunday, then Easter Monday, so
    Tuesday 30 March, at 10:00 on the wall, now BST (09:00 UTC)."""
    round_at = datetime(2027, 3, 25, 10, 0, tzinfo=UTC)
    assert working_day_later(round_at, 3, ZoneInfo("Europe/London")) == datetime(2027, 3, 30, 9, 0, tzinfo=UTC)


async def test_the_demos_calls_close_on_their_date(db_url: str) -> None:
    """The sample consortium's calls close three weeks after it is made: the clock moved past that, they are
    closed, the steering group is told, and nobody can still offer."""
    out = io.StringIO()
    settings = Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]
    script = ["groups task", ":clock +3w", ":clock +2d", "groups task", ":as Tom", "volunteer diversity"]
    with time_machine.travel(WEDNESDAY, tick=False):
        await console.run(settings, script, out=out)
    before, after = out.getvalue().split(":clock +3w", 1)
    assert "call for volunteers open" in before
    assert "call for volunteers open" not in after.split("Tom> volunteer diversity")[0]
    assert "The call for volunteers for Diversity closed on its date (2027-02-03)" in after
    assert "Diversity has no open call for volunteers just now." in after
