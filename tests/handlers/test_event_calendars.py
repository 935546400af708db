"""Events' calendar files and each member's feed (RFC 5545, read back with the icalendar package): a stable UID,
SEQUENCE one more at each change, the start right in UTC on either side of a clock change, METHOD:CANCEL and
STATUS:CANCELLED when cancelled, and a feed of exactly the events the member holds a seat at."""

import dataclasses
import re
from datetime import UTC, timedelta

import icalendar
from sqlalchemy import select

from handlers.events import feed
from storage.models import Member
from tests.conftest import Chat
from tests.handlers.test_events import community


def parsed(data: bytes) -> tuple[icalendar.Calendar, list[icalendar.Event]]:
    calendar = icalendar.Calendar.from_ical(data)
    return calendar, list(calendar.walk("VEVENT"))


async def test_the_calendar_file_has_the_start_in_utc_across_the_clock_change(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", 'event new "Before" when:"2027-03-26 14:00" group:wellbeing')  # GMT
    await chat.say("Ada", 'event new "After" when:"2027-03-30 14:00" until:16:00 where:"Leeds" group:wellbeing')  # BST
    await chat.deliver()
    for event_id, utc in ((1, "2027-03-26T14:00:00+00:00"), (2, "2027-03-30T13:00:00+00:00")):
        asked = await chat.say("Bea", f"event {event_id} ics")
        assert asked.text.endswith("is on its way to you in a direct message."), asked.text
        [sent] = [d for d in await chat.deliver() if d.reply.files]
        [file] = sent.reply.files
        assert sent.target == "bea" and file.mime == "text/calendar" and file.name == f"event-{event_id}.ics"
        calendar, [event] = parsed(file.data)
        assert calendar["METHOD"] == "PUBLISH" and re.fullmatch(rf"event-{event_id}-\d+@convene", event["UID"])
        start = event.decoded("DTSTART")
        assert str(start.tzinfo) == "Europe/London" and start.astimezone(UTC).isoformat() == utc
        assert event["SEQUENCE"] == 0 and event["STATUS"] == "CONFIRMED"
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    _, [after] = parsed(sent.reply.files[0].data)
    assert after.decoded("DTEND").astimezone(UTC).isoformat() == "2027-03-30T15:00:00+00:00"
    assert after["LOCATION"] == "Leeds" and after["SUMMARY"] == "After"


async def test_cancelling_bumps_the_sequence_and_marks_the_file_cancelled(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", 'event new "Meet" when:"2027-02-02 14:00" group:wellbeing')
    await chat.say("Bea", "event 1 ics")
    [before] = [d for d in await chat.deliver() if d.reply.files]
    uid = parsed(before.reply.files[0].data)[1][0]["UID"]
    await chat.say("Bea", "rsvp 1 going")
    await chat.say("Ada", "event cancel 1")
    [told] = [d for d in await chat.deliver() if d.reply.files]  # the cancel notice carries the cancelled file
    assert told.target == "bea" and parsed(told.reply.files[0].data)[0]["METHOD"] == "CANCEL"
    await chat.say("Bea", "event 1 ics")
    [sent] = [d for d in await chat.deliver() if d.reply.files]
    calendar, [event] = parsed(sent.reply.files[0].data)
    assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 1
    assert event["UID"] == uid  # the same event, to the calendars that have it


async def test_a_promotion_carries_the_calendar_file_and_the_feed_lists_only_seats_held(chat: Chat) -> None:
    await community(chat, "Bea", "Cai")
    await chat.say("Ada", 'event new "Small" when:"2027-02-02 14:00" seats:1 group:wellbeing')
    await chat.say("Ada", 'event new "Open" when:"2027-02-03 14:00" group:wellbeing')
    await chat.say("Ada", 'event new "Skipped" when:"2027-02-04 14:00" group:wellbeing')
    await chat.say("Bea", "rsvp 1 going")
    await chat.say("Cai", "rsvp 1 going")  # waits
    for event_id in (2, 3):
        await chat.say("Cai", f"rsvp {event_id} going")
    await chat.say("Cai", "rsvp 3 no")
    chat.core.config = dataclasses.replace(chat.core.config, public_url="https://convene.example.org")
    made = await chat.say("Cai", "calendar")
    assert made.text.startswith("Your calendar feed: https://convene.example.org/calendar/feed/"), made.text
    async with chat.core.db.read() as session:
        cai = await session.scalar(select(Member).where(Member.user_id == "cai"))
        assert cai is not None and cai.calendar_token is not None
        token = cai.calendar_token
        data = await feed(session, token, chat.now)
        assert await feed(session, "no-such-token-at-all", chat.now) is None
    assert data is not None
    assert [e["SUMMARY"] for e in parsed(data)[1]] == ["Open"]  # not the one Cai waits for, not the one declined
    await chat.deliver()
    await chat.say("Bea", "rsvp 1 no")
    [promotion] = [d for d in await chat.deliver() if d.reply.text.startswith("A seat came free")]
    assert "Calendar file: https://convene.example.org/calendar/event/1.ics" in promotion.reply.text
    assert parsed(promotion.reply.files[0].data)[1][0]["SUMMARY"] == "Small"
    async with chat.core.db.read() as session:
        data = await feed(session, token, chat.now)
    assert data is not None and [e["SUMMARY"] for e in parsed(data)[1]] == ["Small", "Open"]
    reset = await chat.say("Cai", "calendar reset")
    assert reset.text.startswith("Your calendar feed has a new address; the old one no longer works.")
    async with chat.core.db.read() as session:
        assert await feed(session, token, chat.now) is None


async def test_without_a_public_address_calendar_says_what_is_missing(chat: Chat) -> None:
    reply = await chat.say("Bea", "calendar")
    assert reply.failed and "CONVENE_PUBLIC_URL" in reply.text and "Usage: `calendar [reset]`" in reply.text


async def test_autumns_repeated_hour_is_written_so_that_the_event_keeps_its_length(chat: Chat) -> None:
    """01:30 on 2027-10-31 comes twice in London: the first is meant (BST); an hour later is 01:30 GMT. Words name
    which; the file writes such times in UTC, so that no calendar reads a zero-length event."""
    await community(chat, "Bea")
    made = await chat.say("Ada", 'event new "Night owls" when:"2027-10-31 01:30" group:wellbeing')
    assert "Sunday 2027-10-31 01:30 BST-01:30 GMT (Europe/London time)" in made.text, made.text
    await chat.say("Bea", "event 1 ics")
    [sent] = [d for d in await chat.deliver() if d.reply.files]
    _, [event] = parsed(sent.reply.files[0].data)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=1)
    assert event.decoded("DTSTART").isoformat() == "2027-10-31T00:30:00+00:00"


async def test_a_time_the_spring_change_skips_is_refused_for_an_event(chat: Chat) -> None:
    await community(chat)
    refused = await chat.say("Ada", 'event new "Ghost" when:"2027-03-28 01:30" group:wellbeing')
    assert refused.failed and "when: 01:30 does not happen in Europe/London on 2027-03-28" in refused.text


async def test_a_calendar_far_ahead_carries_the_zones_rules_for_its_year(chat: Chat) -> None:
    await community(chat, "Bea")
    await chat.say("Ada", 'event new "Far" when:"2040-07-01 09:00" group:wellbeing')
    await chat.say("Bea", "event 1 ics")
    [sent] = [d for d in await chat.deliver() if d.reply.files]
    text = sent.reply.files[0].data.decode()
    assert "2040" in text.split("BEGIN:VEVENT")[0]  # the VTIMEZONE reaches the event's year
