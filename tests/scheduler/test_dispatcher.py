"""The dispatcher's pacing, rate limits, retries and leases, on a fake clock (no wall-clock timing here)."""

import asyncio
import heapq
import itertools
from datetime import datetime, timedelta

from sqlalchemy import select

from handlers.command.messages import Reply
from handlers.command.outbox import outbox_row
from scheduler.outbox import Delivery, DeliveryError, Dispatcher
from scheduler.pacing import Pacer
from storage import queries
from storage.db import Database
from storage.models import Outbox
from tests.conftest import START, Chat


class FakeTime:
    """Virtual time, and the matching wall clock for the dispatcher: a sleeper wakes once everything else has
    gone as far as it can, earliest wake-up first, with the clock moved on to its wake-up."""

    SETTLE = 0.002  # real seconds given to work in flight (a PostgreSQL round trip) before the clock moves

    def __init__(self) -> None:
        self.t = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._driver: asyncio.Future[None] | None = None

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.t + max(seconds, 0.0), next(self._order), woken))
        if self._driver is None or self._driver.done():
            self._driver = asyncio.ensure_future(self._drive())
        await woken

    async def _drive(self) -> None:
        while self._sleepers:
            for _ in range(20):
                await asyncio.sleep(0)
            await asyncio.sleep(self.SETTLE)
            wake, _, woken = heapq.heappop(self._sleepers)
            self.t = max(self.t, wake)
            woken.set_result(None)

    def now(self) -> datetime:
        return START + timedelta(seconds=self.t)


class Slack:
    """A messenger like Slack's: answers 429 with Retry-After for the first `storm` calls, and records
    when (on the fake clock) each message was accepted."""

    def __init__(self, time: FakeTime, storm: int = 0, retry_after: float = 2.0) -> None:
        self.time = time
        self.storm = storm
        self.retry_after = retry_after
        self.calls = 0
        self.accepted: list[tuple[float, str, str]] = []  # (time, channel, key)

    async def send(self, delivery: Delivery) -> str | None:
        self.calls += 1
        if self.calls <= self.storm:
            raise DeliveryError("ratelimited", retry_after=self.retry_after)
        self.accepted.append((self.time.t, delivery.target, delivery.key))
        return f"ts-{delivery.id}"


async def queue(db: Database, count: int, channels: int) -> None:
    rows = [
        outbox_row(
            key=f"fanout {i}",
            platform="slack",
            workspace="T1",
            target_kind="channel",
            target=f"C{i % channels}",
            label=f"C{i % channels}",
            reply=Reply(f"post {i}", private=False),
            due=START,
            now=START,
        )
        for i in range(count)
    ]
    async with db.write() as session:
        await queries.enqueue(session, rows)


def dispatcher(db: Database, time: FakeTime, slack: Slack, rate: float, **kw: object) -> Dispatcher:
    pacer = Pacer(rate, clock=time.monotonic, sleep=time.sleep)
    return Dispatcher(db, {"slack": slack}, time.now, pacers={"slack": pacer}, **kw)  # type: ignore[arg-type]


async def drain_until_empty(d: Dispatcher, time: FakeTime) -> None:
    for _ in range(1000):
        if await d.run_once() == 0:
            async with d.db.read() as session:
                left = await session.scalar(select(Outbox.id).where(Outbox.status.in_(("pending", "sending"))))
            if left is None:
                return
            await time.sleep(0.5)  # wait for a retry to fall due
    raise AssertionError("the outbox did not empty")


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


async def test_pacer_spaces_posts_per_channel_and_per_workspace() -> None:
    time = FakeTime()
    pacer = Pacer(4.0, clock=time.monotonic, sleep=time.sleep)
    sent = []
    for _ in range(3):
        await pacer.wait("T1", "C1")
        sent.append(time.t)
    assert min(gaps(sent)) >= 1.0  # one a second to a channel
    start = time.t
    for i in range(8):
        await pacer.wait("T1", f"D{i}")
    assert time.t - start >= 7 / 4  # four a second to the workspace
    pacer.hold("T1", 30)
    before = time.t
    await pacer.wait("T1", "D9")
    assert time.t - before >= 30
    await pacer.wait("T2", "C1")  # another workspace is not held
    assert time.t - before < 30.5


async def test_fan_out_is_paced_and_sent_once(db: Database) -> None:
    time = FakeTime()
    slack = Slack(time)
    await queue(db, 200, channels=20)
    d = dispatcher(db, time, slack, rate=10.0)
    await drain_until_empty(d, time)
    keys = [k for _, _, k in slack.accepted]
    assert sorted(keys) == sorted(f"fanout {i}" for i in range(200))
    times = [t for t, _, _ in slack.accepted]
    assert min(gaps(times)) >= 0.1 - 1e-9  # the workspace rate
    # 200 posts at 10 a second, spread over 20 channels: 19.9 s (real time is measured by bench/fanout.py).
    # Pacing each channel's posts one after another (about 200 s) or at half the rate (40 s) would fail here.
    assert 19.9 - 1e-9 <= times[-1] - times[0] <= 20.5
    for channel in {c for _, c, _ in slack.accepted}:
        assert min(gaps([t for t, c, _ in slack.accepted if c == channel])) >= 1.0 - 1e-9


async def test_a_burst_to_one_channel_does_not_hold_back_a_message_due_elsewhere(db: Database) -> None:
    time = FakeTime()
    slack = Slack(time)
    await queue(db, 30, channels=1)  # thirty posts to one channel: Slack takes one a second there
    direct = outbox_row(
        key="a direct message",
        platform="slack",
        workspace="T1",
        target_kind="member",
        target="U1",
        label="U1",
        reply=Reply("Your seat is confirmed."),
        due=START + timedelta(seconds=1),
        now=START,
    )
    async with db.write() as session:
        await queries.enqueue(session, [direct])
    await drain_until_empty(dispatcher(db, time, slack, rate=10.0), time)
    when = {key: t for t, _, key in slack.accepted}
    # taken a couple of seconds' worth at a time, the burst lets the message due a second in go out within three
    # (claiming all thirty at once held it back for the half minute the burst takes)
    assert when["a direct message"] <= 3.0, when["a direct message"]
    burst = [t for t, channel, _ in slack.accepted if channel == "C0"]
    assert len(burst) == 30 and min(gaps(burst)) >= 1.0 - 1e-9 and burst[-1] - burst[0] <= 30.5
    assert [k for _, c, k in slack.accepted if c == "C0"] == [f"fanout {i}" for i in range(30)]  # in order


async def test_a_second_dispatcher_takes_nothing_of_a_channel_the_first_is_sending_to(db: Database) -> None:
    time = FakeTime()
    slack = Slack(time)
    await queue(db, 6, channels=1)
    first, second = dispatcher(db, time, slack, rate=10.0), dispatcher(db, time, slack, rate=10.0)
    taken = await first.claim()
    assert [r.key for r in taken] == ["fanout 0", "fanout 1"]  # two seconds of a channel's posts (CLAIM_AHEAD)
    assert await second.claim() == []  # the channel's next posts wait for those before them: order holds


async def test_a_post_that_must_wait_keeps_its_channels_posts_behind_it(db: Database) -> None:
    time = FakeTime()
    slack = Slack(time, storm=1, retry_after=2.0)  # the first post is refused once: "retry after 2 s"
    await queue(db, 4, channels=1)
    await drain_until_empty(dispatcher(db, time, slack, rate=10.0), time)
    assert [k for _, _, k in slack.accepted] == [f"fanout {i}" for i in range(4)]
    async with db.read() as session:
        attempts = (await session.scalars(select(Outbox.attempts).order_by(Outbox.id))).all()
    assert attempts == [1, 1, 1, 1]  # a refusal to wait, and the wait behind it, are not failed attempts


async def test_a_429_storm_delays_but_every_message_is_delivered_once(db: Database) -> None:
    time = FakeTime()
    slack = Slack(time, storm=60, retry_after=3.0)
    await queue(db, 100, channels=10)
    d = dispatcher(db, time, slack, rate=20.0, max_attempts=3)
    await drain_until_empty(d, time)
    keys = [k for _, _, k in slack.accepted]
    assert len(keys) == 100 and len(set(keys)) == 100  # once each, none failed despite 60 refusals
    assert slack.calls == 160
    async with db.read() as session:
        statuses = set((await session.scalars(select(Outbox.status))).all())
    assert statuses == {"sent"}
    times = [t for t, _, _ in slack.accepted]
    assert times[0] >= 3.0  # nothing went before the first Retry-After had passed
    assert min(gaps(times)) >= 0.05 - 1e-9


async def test_failures_retry_with_backoff_then_fail_visibly(chat: Chat) -> None:
    class Broken:
        async def send(self, delivery: Delivery) -> str | None:
            raise ConnectionError("Slack is down")

    await queue(chat.core.db, 1, channels=1)
    d = Dispatcher(chat.core.db, {"slack": Broken()}, lambda: chat.now, max_attempts=3)
    dues = []
    for _ in range(5):
        await d.run_once()
        async with chat.core.db.read() as session:
            row = await session.scalar(select(Outbox))
        assert row is not None
        dues.append((row.status, row.attempts, row.due_at - chat.now))
        chat.advance(minutes=1)
    assert dues[0] == ("pending", 1, timedelta(seconds=5))
    assert dues[1] == ("pending", 2, timedelta(seconds=10))
    assert dues[2][:2] == ("failed", 3)
    assert dues[4][:2] == ("failed", 3)  # failed rows are not tried again
    shown = await chat.say("Ada", "deliveries failed")
    assert "1 failed" in shown.text and "error: ConnectionError: Slack is down" in shown.text
    assert "• failed · C0 · Mon 11 Jan 09:31 · post 0 · 3 attempts" in shown.text  # what a librarian reads
    assert "fanout 0" not in shown.text  # not Convene's own key
    assert "Only the steering group" in (await chat.say("Bea", "deliveries failed")).text


async def test_a_row_whose_lease_ran_out_while_waiting_is_left_for_the_next_claim(db: Database) -> None:
    time = FakeTime()
    slack = Slack(time)
    await queue(db, 3, channels=1)  # one channel: a second apart; a claim takes two (CLAIM_AHEAD)
    d = dispatcher(db, time, slack, rate=10.0, lease=timedelta(seconds=0.5))
    await d.run_once()
    assert [k for _, _, k in slack.accepted] == ["fanout 0"]  # the second's lease ran out before its turn
    async with db.read() as session:
        second = await session.scalar(select(Outbox).where(Outbox.key == "fanout 1"))
    assert second is not None and second.status == "sending"
    for _ in range(2):
        await time.sleep(1)
        await d.run_once()
    assert [k for _, _, k in slack.accepted] == ["fanout 0", "fanout 1", "fanout 2"]


async def test_edits_replaced_by_a_newer_one_are_settled_without_waiting_their_turn(db: Database) -> None:
    time = FakeTime()
    slack = Slack(time)
    post = dict(key="call 1: announce", message_key="call:1", reply=Reply("Offers so far: 0", private=False))
    edits = [
        dict(key=f"call 1: offer {n}", message_key="call:1", mode="edit", reply=Reply(f"Offers so far: {n}"))
        for n in range(1, 11)
    ]
    common = dict(
        platform="slack", workspace="T1", target_kind="channel", target="C1", label="C1", due=START, now=START
    )
    async with db.write() as session:
        await queries.enqueue(session, [outbox_row(**common, **post)])  # type: ignore[arg-type]
    d = dispatcher(db, time, slack, rate=10.0)
    await drain_until_empty(d, time)
    async with db.write() as session:
        await queries.enqueue(session, [outbox_row(**common, **edit) for edit in edits])  # type: ignore[arg-type]
    began = time.t
    await drain_until_empty(d, time)

    assert [k for _, _, k in slack.accepted] == ["call 1: announce", "call 1: offer 10"]  # only the newest edit
    assert time.t - began <= 1.0  # one turn of the channel, not ten
    async with db.read() as session:
        refs = (await session.scalars(select(Outbox.sent_ref).where(Outbox.mode == "edit").order_by(Outbox.id))).all()
    assert refs[:9] == ["superseded"] * 9 and refs[9] is not None and refs[9].startswith("ts-")


async def test_a_claim_takes_only_the_newest_edit_of_a_message_and_settles_the_rest(db: Database) -> None:
    time = FakeTime()
    common = dict(
        platform="slack", workspace="T1", target_kind="channel", target="C1", label="C1", due=START, now=START
    )
    rows = [
        outbox_row(**common, key=f"call 1: offer {n}", message_key="call:1", mode="edit", reply=Reply(f"{n}"))  # type: ignore[arg-type]
        for n in range(1, 31)
    ] + [outbox_row(**common, key="call 2: offer 1", message_key="call:2", mode="edit", reply=Reply("1"))]  # type: ignore[arg-type]
    async with db.write() as session:
        await queries.enqueue(session, rows)

    claimed = await dispatcher(db, time, Slack(time), rate=10.0).claim()

    assert sorted(row.key for row in claimed) == ["call 1: offer 30", "call 2: offer 1"]
    async with db.read() as session:
        statuses = (await session.execute(select(Outbox.key, Outbox.status, Outbox.sent_ref))).all()
    settled = {key for key, status, ref in statuses if status == "sent" and ref == "superseded"}
    assert settled == {f"call 1: offer {n}" for n in range(1, 30)}


async def test_an_edit_due_later_does_not_hold_back_one_due_now(db: Database) -> None:
    """A card's edits queued a tick apart: the one due now goes out, the later one waits its turn (were it to
    supersede the first, a steady stream of votes would keep the card from ever being edited)."""
    time = FakeTime()
    common = dict(platform="slack", workspace="T1", target_kind="channel", target="C1", label="C1", now=START)
    later = START + timedelta(seconds=2)
    rows = [
        outbox_row(**common, key="poll 1: tally 3", message_key="poll:1", mode="edit", reply=Reply("3"), due=START),  # type: ignore[arg-type]
        outbox_row(**common, key="poll 1: tally 5", message_key="poll:1", mode="edit", reply=Reply("5"), due=later),  # type: ignore[arg-type]
    ]
    async with db.write() as session:
        await queries.enqueue(session, rows)

    claimed = await dispatcher(db, time, Slack(time), rate=10.0).claim()

    assert [row.key for row in claimed] == ["poll 1: tally 3"]
    async with db.read() as session:
        waiting = await session.scalar(select(Outbox.status).where(Outbox.key == "poll 1: tally 5"))
    assert waiting == "pending"
