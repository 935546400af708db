"""The console's clock: `:clock +2w` on a fresh database runs what the scheduler would have run, in order."""

import re
from datetime import UTC, datetime, timedelta

from handlers.timing import Rule, first_anchor
from tests.test_console import run_console


def test_two_weeks_on_the_console_clock_show_prompts_and_a_pairing_round(db_url: str) -> None:
    start = datetime.now(UTC)
    out = run_console(db_url, ":clock +2w\nschedules\n:clock +1d\n").stdout
    # What the demo's schedules owe in these two weeks of the real calendar (a bank holiday is skipped).
    end = start + timedelta(weeks=2)
    mondays = len(list(Rule("0 10 * * mon").occurrences(start, end)))
    rounds = len(
        list(Rule("0 10 * * tue", 2, first_anchor("0 10 * * tue", "Europe/London", start)).occurrences(start, end))
    )
    assert mondays >= 1 and rounds == 1  # true of any fortnight but Christmas and New Year on the same weekday

    steps = re.findall(r"^\[\w{3} (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) Europe/London\]$", out, re.M)
    assert steps and steps == sorted(steps)  # in order
    prompts = re.findall(r"^→ #scholarly-libraries: 💬 Conversation prompt for Scholarly Libraries: (.+)$", out, re.M)
    assert len(prompts) == mondays and len(set(prompts)) == len(prompts)  # none repeated
    intros = re.findall(r"^→ group DM ([\w ,]+): ☕ Hello", out, re.M)
    introduced = sorted(n for who in intros for n in re.split(r", | and ", who))
    assert introduced == ["Grace", "Leila", "Owen", "Priya", "Sam", "Tom"]  # the demo's six, each once
    assert out.count("Did you meet") == 6  # the check-ins, a week into the round
    assert out.index("☕ Hello") < out.index("Did you meet")
    assert "Pairing rounds for everyone opted in — Tuesdays at 10:00" in out
    assert "Deliveries waiting: 0; failed: 0." in out
    assert out.count("☕ Hello") == len(intros)  # moving on a day repeats nothing
