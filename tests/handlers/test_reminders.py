"""Deadline reminders: a call closing (admins, the day before) and milestones due (chairs, a week before and
on the day), each sent once however often the day is run."""

from datetime import timedelta

from handlers.reminders import ensure_reminders
from scheduler import jobs
from tests.conftest import Chat


async def run_days(chat: Chat, days: int) -> list[tuple[str, str]]:
    """Step the clock a day at a time to 09:00 London (09:00 UTC in winter), running what is due."""
    seen = []
    for _ in range(days):
        chat.advance(days=1)
        for _ in range(2):  # twice: a repeated run sends nothing new
            await jobs.run_due(chat.core.db, chat.core.config, lambda: chat.now, grace=timedelta(hours=1))
            seen += [(d.target_label, d.reply.text) for d in await chat.deliver()]
    return seen


async def test_calls_closing_and_milestones_due_are_reminded_once(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Diversity" kind:task')
    await chat.say("Ada", "call diversity closes:2027-01-14")
    await chat.say("Bea", "volunteer diversity as:chair")
    await chat.say("Ada", "accept @bea diversity as:chair")
    await chat.say("Bea", 'milestone add diversity "Survey the libraries" due:2027-01-20')
    await chat.deliver()
    chat.now = chat.now.replace(hour=8, minute=0)
    await ensure_reminders(chat.core.db, chat.now)
    await ensure_reminders(chat.core.db, chat.now)  # twice: still one schedule
    chat.advance(hours=1, minutes=1, days=-1)
    seen = await run_days(chat, 10)  # 09:01 on 11 Jan … 20 Jan
    assert [who for who, _ in seen] == ["Ada", "Bea", "#announcements", "Ada", "Bea"]
    assert "The call for volunteers for Diversity closes tomorrow (2027-01-14)" in seen[0][1]
    assert "milestone 1, “Survey the libraries”, is due in a week (2027-01-20)" in seen[1][1]
    # On the 15th the call is closed, once: its announcement says so, and the steering group hears of it.
    assert "Call for volunteers: Diversity (this call is now closed)" in seen[2][1]
    assert "closed on its date (2027-01-14). No offer waits for a decision." in seen[3][1]
    assert "is due today" in seen[4][1]
