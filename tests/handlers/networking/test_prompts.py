"""Networking prompts: who may set them, the schedule, the rotation, and posting to the group's channel."""

from datetime import timedelta

from handlers.networking.prompts import BUILT_IN
from scheduler import jobs
from tests.conftest import Chat


async def community(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Readers" kind:community channel:#readers')
    await chat.say("Ada", 'group new "Makers" kind:community')
    await chat.say("Bea", "join readers")


async def run_due(chat: Chat) -> list[str]:
    await jobs.run_due(chat.core.db, chat.core.config, lambda: chat.now, grace=timedelta(hours=1))
    return [d.reply.text for d in await chat.deliver()]


async def test_a_chair_schedules_prompts_and_they_post_on_time(chat: Chat) -> None:
    await community(chat)
    refused = await chat.say("Bea", 'prompts readers every:"monday 10:00"')
    assert "Only the chairs of Readers (and the steering group) can use `prompts` for it." in refused.text
    reply = await chat.say("Ada", 'prompts readers every:"monday 10:00"')
    # START is Monday 2027-01-11 09:30 UTC (09:30 in London): the first prompt is this morning at 10:00
    assert "Mondays at 10:00 (Europe/London), not on bank holidays" in reply.text
    assert "The first is on Monday 2027-01-11 at 10:00" in reply.text
    assert await run_due(chat) == []
    chat.advance(minutes=31)
    posted = await run_due(chat)
    assert len(posted) == 1 and posted[0].startswith("💬 Conversation prompt for Readers:")
    assert "Reply in this thread" in posted[0]
    assert chat.recorder.sent[-1].target == "#readers"
    assert await run_due(chat) == []  # the same occurrence again: nothing
    shown = await chat.say("Ada", "prompts readers")
    assert "1 posted so far, from a set of 20" in shown.text and "Next: Monday 2027-01-18 10:00" in shown.text
    assert "Prompts for Readers are off" in (await chat.say("Ada", "prompts readers off")).text
    chat.advance(weeks=1)
    assert await run_due(chat) == []


async def test_rotation_uses_every_prompt_before_repeating_and_own_prompts_first(chat: Chat) -> None:
    await community(chat)
    await chat.say("Ada", "prompts readers every:day")
    chat.advance(minutes=30)  # 10:00: the first, and then one each day
    own = "What book changed how you work?"
    assert "Added to Readers' prompts" in (await chat.say("Ada", f'prompt add "{own}" group:readers')).text
    assert "already in the set" in (await chat.say("Ada", f'prompt add "{own}" group:readers')).text
    seen: list[str] = []
    for _ in range(len(BUILT_IN) + 1):
        seen += await run_due(chat)
        chat.advance(days=1)
    texts = [t.split(": ", 1)[1].split("\n")[0] for t in seen]
    assert texts[0] == own  # the group's own prompt comes first
    assert len(texts) == len(BUILT_IN) + 1 and len(set(texts)) == len(texts)  # no repeat until all are used
    assert set(texts) == {own} | {t for _, t in BUILT_IN}
    more = await run_due(chat)
    assert len(more) == 1 and more[0].split(": ", 1)[1].split("\n")[0] in set(texts)  # the next pass begins


async def test_prompt_add_permissions(chat: Chat) -> None:
    await community(chat)
    assert (
        "Only the steering group can add prompts for every group" in (await chat.say("Bea", 'prompt add "Hello?"')).text
    )
    refused = await chat.say("Bea", 'prompt add "Hello?" group:readers')
    assert "Only the chairs of Readers (and the steering group) can use `prompt add` for it." in refused.text
    assert "Usage:" in refused.text
    assert "Added to the prompts every group draws from" in (await chat.say("Ada", 'prompt add "Hello?"')).text
    assert "The prompt is empty" in (await chat.say("Ada", 'prompt add ""')).text


async def test_cron_and_bad_rules(chat: Chat) -> None:
    await community(chat)
    reply = await chat.say("Ada", 'prompts makers cron:"30 9 * * tue,thu" tz:Europe/Dublin holidays:post')
    assert "Tuesdays and Thursdays at 09:30 (Europe/Dublin)." in reply.text and "bank holidays" not in reply.text
    reply = await chat.say("Ada", 'prompts makers cron:"0 9 1 * *"')
    assert "monthly on the 1st at 09:00 (Europe/London), not on bank holidays" in reply.text
    assert "the minute field takes 0-59" in (await chat.say("Ada", 'prompts makers cron:"99 9 * * tue"')).text
    assert "not a time zone" in (await chat.say("Ada", "prompts makers every:monday tz:Mars/Olympus")).text
    assert "either every: or cron:" in (await chat.say("Ada", 'prompts makers every:monday cron:"0 9 * * *"')).text
    assert "Usage: `prompts <group>" in (await chat.say("Ada", "prompts makers every:fortnightly")).text


async def test_zone_and_holidays_without_a_rule_say_how_to_change_it(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Makers" kind:community')
    await chat.say("Ada", 'prompts makers every:"monday 10:00"')
    changed = await chat.say("Ada", "prompts makers holidays:post")
    assert (
        changed.failed
        and 'holidays: goes with the schedule\'s rule: `prompts makers every:"monday 10:00" holidays:post`'
        in changed.text
    )
    off = await chat.say("Ada", 'prompts makers every:"monday 10:00" off')
    assert off.failed and "takes nothing else" in off.text
    assert "Mondays at 10:00" in (await chat.say("Ada", "prompts makers")).text  # still on


async def test_a_schedule_is_in_the_speakers_own_zone_unless_tz_says(chat: Chat) -> None:
    await chat.say("Ada", 'group new "Makers" kind:community')
    await chat.say("Ada", "profile tz:Pacific/Auckland")
    reply = await chat.say("Ada", 'prompts makers every:"monday 10:00"')
    assert "Mondays at 10:00 (Pacific/Auckland)" in reply.text
    reply = await chat.say("Ada", 'prompts makers every:"monday 10:00" tz:Europe/London')
    assert "Mondays at 10:00 (Europe/London)" in reply.text
