"""`convene serve` serves each event's calendar file and each member's feed over real HTTP: the addresses that
`event <id>` and `calendar` give open in a calendar; an address that leads nowhere is a bare 404 that says
nothing of whether it ever led anywhere."""

from __future__ import annotations

import json
import re

import icalendar

from tests.bot.serving import serving
from tests.fakes.slack_api import FakeSlack, slack_api  # noqa: F401  (the fixture)

ADMIN, BEA = "U0ADA", "U0BEA"
PUBLIC = "https://convene.example.org"


async def test_calendar_files_and_feeds_are_served_and_strangers_get_a_bare_404(
    db_url: str,
    slack_api: FakeSlack,  # noqa: F811
) -> None:
    slack_api.person(ADMIN, "Ada")
    slack_api.person(BEA, "Bea")
    settings = {"CONVENE_PUBLIC_URL": PUBLIC}
    async with serving(db_url, slack_api, admins=f"slack:{ADMIN}", settings=settings) as served:
        for who, said in [
            (ADMIN, 'event new "Far meet" when:"2099-03-01 10:00" seats:5'),  # in #general, where it is typed
            (BEA, "rsvp 1 going"),
        ]:
            status, body, _ = await served.command(who, said)
            assert status == 200, body
        status, body, _ = await served.command(BEA, "calendar")
        said = json.loads(body)["text"]
        [feed_url] = re.findall(rf"{PUBLIC}(/calendar/feed/\S+\.ics)", said)
        async with served.http.get(served.url + feed_url) as answer:
            assert answer.status == 200 and answer.content_type == "text/calendar"
            [event] = icalendar.Calendar.from_ical(await answer.read()).walk("VEVENT")
        assert event["SUMMARY"] == "Far meet" and re.fullmatch(r"event-1-\d+@convene", event["UID"])
        async with served.http.get(f"{served.url}/calendar/event/1.ics") as answer:
            assert answer.status == 200
            assert icalendar.Calendar.from_ical(await answer.read()).walk("VEVENT")[0]["SUMMARY"] == "Far meet"
        for nowhere in (
            "/calendar/feed/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics",  # shaped like a token, no one's
            "/calendar/feed/x.ics",
            "/calendar/event/999.ics",
            "/calendar/event/99999999999999999999.ics",
        ):
            async with served.http.get(served.url + nowhere) as answer:
                assert (answer.status, await answer.text()) == (404, "Not found."), nowhere
        status, body, _ = await served.command(BEA, "calendar reset")
        async with served.http.get(served.url + feed_url) as answer:
            assert (answer.status, await answer.text()) == (404, "Not found.")  # the old address is gone
