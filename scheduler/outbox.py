"""The outbox dispatcher: claims due rows, sends them through the platform's messenger, marks them sent.

A claim is a lease: rows move to `sending` with `lease_until` set, in one short transaction
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two dispatchers never claim the same row). If a process dies
between sending and marking, the lease runs out and the row is sent again: at worst a message in flight
at the crash repeats; none is lost.

Sending is paced (`scheduler.pacing.Pacer`): rows of one batch go out in order per channel, channels side by
side, within the workspace's rate. A claim takes from each channel only what its pacer lets go within
`CLAIM_AHEAD` (the oldest first), so that a burst to one channel (Slack allows one post a second there) is sent a
few at a time and never holds back, behind it, the posts and direct messages due elsewhere meanwhile. A row
whose lease has run out before its turn is left for the next claim,
so a slow batch can never be sent twice by two dispatchers. A "retry after" from the platform holds the
workspace and puts the row back without counting it as a failed attempt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Update, and_, func, or_, select, update
from sqlalchemy.orm import aliased

from handlers.command.messages import Reply, counted
from handlers.command.outbox import REDACTED, REDACTED_TEXT, SEALED
from handlers.command.sealing import SealBroken, Sealer
from scheduler.pacing import Pacer
from storage import queries
from storage.db import Database
from storage.models import Outbox

log = logging.getLogger("convene.outbox")
# Where a row goes (a channel, or a person's DM): the unit of pacing and of order.
CHANNEL = (Outbox.platform, Outbox.workspace, Outbox.target_kind, Outbox.target)
CLAIM_AHEAD = 2.0  # seconds of one channel's paced posts a claim takes: the rest wait for the next claim
NEVER_SENT = "the message to update was never sent"
DEACTIVATED = "Not sent: the person's account is deactivated."


# An edit waiting to be sent while a newer edit of the same message, due by now, waits or is under way is out of
# date: all such are settled in one statement before each claim, rather than each claimed, loaded and found out
# (thirty presses on a call's buttons send one edit, not thirty). An edit due later holds back none due now.
_newer = aliased(Outbox)


def _supersede(now: datetime) -> Update:
    newer_edit = (
        select(_newer.id)
        .where(
            _newer.message_key == Outbox.message_key,
            _newer.mode == "edit",
            _newer.id > Outbox.id,
            _newer.status.in_(("pending", "sending")),
            _newer.due_at <= now,  # one due later does not hold back this one: edits go out once a tick
        )
        .exists()
    )
    return (
        update(Outbox)
        .where(Outbox.mode == "edit", Outbox.status == "pending", newer_edit)
        .values(status="sent", sent_at=now, sent_ref="superseded", error=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Delivery:
    id: int
    key: str
    platform: str
    workspace: str
    target_kind: str  # "channel", "member", or "members" (a group DM: user ids joined by ",")
    target: str
    target_label: str
    reply: Reply
    message_key: str | None = None
    edit_ref: str | None = None  # for an edit: the platform's reference of the message to change
    # A row whose lease ran out while it was being sent: whether the platform got it is unknown, so a messenger
    # that can look (Slack's message metadata) looks for it before sending again. `since`: when it was due.
    recovering: bool = False
    since: datetime | None = None


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class Messenger(Protocol):
    async def send(self, delivery: Delivery) -> str | None:
        """Send or edit the message; return the platform's reference to it (Slack's `ts`), if any."""


Clock = Callable[[], datetime]


class Dispatcher:
    def __init__(
        self,
        db: Database,
        messengers: Mapping[str, Messenger],
        clock: Clock,
        *,
        batch: int = 50,
        lease: timedelta = timedelta(minutes=2),
        max_attempts: int = 8,
        base_backoff: timedelta = timedelta(seconds=5),
        pacers: Mapping[str, Pacer] | None = None,
        sealer: Sealer | None = None,
    ) -> None:
        self.db = db
        self.sealer = sealer  # opens sealed addresses (handlers.command.sealing), only to send
        self._recovering: set[int] = set()  # rows claimed after a lease ran out (see Delivery.recovering)
        self.messengers = messengers
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.pacers = dict(pacers or {})  # by platform; a platform without one is sent unpaced
        for pacer in self.pacers.values():  # claim no more than can be sent well within the lease
            self.batch = max(1, min(self.batch, int(pacer.rate * lease.total_seconds() / 2)))
        # and no more of one channel than its pacer lets go within CLAIM_AHEAD (the slowest platform's pace)
        slowest = max((p.channel_interval for p in self.pacers.values()), default=0.0)
        self.per_channel = max(1, int(CLAIM_AHEAD / slowest)) if slowest else self.batch

    async def claim(self) -> list[Outbox]:
        """Lease the due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two dispatchers never claim one row;
        SQLite's write transactions run one at a time). The rows come back detached, as leased."""
        now = self.clock()
        async with self.db.write() as session:
            await session.execute(_supersede(now))
            due = or_(
                and_(Outbox.status == "pending", Outbox.due_at <= now),
                and_(Outbox.status == "sending", Outbox.lease_until < now),
            )
            # a channel's turns: its rows in flight (claimed by this or another dispatcher) first, then those due
            in_flight = and_(Outbox.status == "sending", Outbox.lease_until >= now)
            turn = func.row_number().over(partition_by=CHANNEL, order_by=(Outbox.due_at, Outbox.id))
            ranked = select(Outbox.id, turn.label("turn")).where(or_(due, in_flight)).subquery()
            first = select(ranked.c.id).where(ranked.c.turn <= self.per_channel)
            rows = list(
                await session.scalars(
                    select(Outbox)
                    .where(due, Outbox.id.in_(first))  # `due` again: checked on the row as locked
                    .order_by(Outbox.due_at, Outbox.id)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            )
            for row in rows:
                if row.status == "sending":  # its lease ran out: the send before may or may not have arrived
                    self._recovering.add(row.id)
                row.status, row.lease_until, row.attempts = "sending", now + self.lease, row.attempts + 1
        return rows

    async def run_once(self) -> int:
        """Send what is due now; the number of rows settled (sent, failed or put back for later)."""
        rows = await self.claim()
        lanes: dict[str, list[Outbox]] = {}
        for row in rows:
            if row.platform in self.pacers:
                lanes.setdefault(_channel_key(row), []).append(row)
            else:
                await self._deliver(row)
        if lanes:  # a task group: cancelled, or with a lane failing, every lane is cancelled and awaited
            async with asyncio.TaskGroup() as group:
                for lane in lanes.values():
                    group.create_task(self._lane(self.pacers[lane[0].platform], lane))
        return len(rows)

    async def _lane(self, pacer: Pacer, rows: list[Outbox]) -> None:
        """One channel's rows, in order, each when the pacer lets it go. A row put back for later (rate limited,
        or to be tried again) takes the rest of the lane back with it: a channel's posts keep their order."""
        for i, row in enumerate(rows):
            await pacer.wait(_workspace_key(row), _channel_key(row))
            if row.lease_until is not None and self.clock() >= row.lease_until:
                log.warning("outbox row %s: lease ran out before its turn; leaving it for the next claim", row.id)
                continue
            await self._deliver(row)
            if row.status == "pending":
                await self._behind(row, rows[i + 1 :])
                return

    async def _behind(self, row: Outbox, claimed: list[Outbox]) -> None:
        """Make the rest of `row`'s channel wait behind it, now that it was put back until `row.due_at`: the lane's
        claimed rows go back unsent (not counted as an attempt), and every row of the channel due before then is
        due then, so that the next claims take them in their order, after it."""
        async with self.db.write() as session:
            if claimed:
                await session.execute(
                    update(Outbox)
                    .where(Outbox.id.in_([r.id for r in claimed]))
                    .values(status="pending", lease_until=None, attempts=Outbox.attempts - 1)
                )
            same_channel = [column == getattr(row, column.key) for column in CHANNEL]
            waiting = (Outbox.status == "pending") & (Outbox.due_at < row.due_at)
            await session.execute(update(Outbox).where(*same_channel, waiting).values(due_at=row.due_at))

    async def drain(self, *, rounds: int = 100) -> int:
        total = 0
        for _ in range(rounds):
            done = await self.run_once()
            total += done
            if done == 0:
                break
        return total

    async def run_forever(self, interval: float = 1.0) -> None:
        while True:
            try:
                if await self.run_once() == 0:
                    await asyncio.sleep(interval)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox dispatcher round failed; trying again")
                await asyncio.sleep(interval)

    async def _deliver(self, row: Outbox) -> None:
        recovering = row.id in self._recovering
        self._recovering.discard(row.id)
        edit_ref = None
        if row.mode == "edit":
            newer, original, never = await self._edit_state(row)
            if newer:
                await self._settle(row, status="sent", ref="superseded")
                return
            if never:  # the message to edit failed for good (or was never written): there is nothing to change
                await self._settle(row, status="failed", error=NEVER_SENT)
                return
            if original is None:  # the message to edit is not sent yet: wait for it
                await self._settle(
                    row, status="pending", due=self.clock() + self.base_backoff, attempts=row.attempts - 1
                )
                return
            edit_ref = original
        delivery = Delivery(
            row.id,
            row.key,
            row.platform,
            row.workspace,
            row.target_kind,
            row.target,
            row.target_label,
            Reply.from_json(row.payload),
            row.message_key,
            edit_ref,
            recovering=recovering,
            since=row.due_at,
        )
        if row.target_kind == SEALED:  # opened here, in memory, for this one send
            try:
                if self.sealer is None:
                    raise SealBroken("no key to open sealed addresses")
                address = self.sealer.open(row.target)
            except SealBroken as err:
                await self._settle(row, status="failed", error=str(err))
                return
            delivery = replace(delivery, platform=address.platform, workspace=address.workspace)
            delivery = replace(delivery, target_kind="member", target=address.user_id)
        if delivery.target_kind == "member" and await self._deactivated(delivery):
            await self._settle(row, status="failed", error=DEACTIVATED)
            return
        messenger = self.messengers.get(delivery.platform)
        if messenger is None:
            await self._settle(row, status="failed", error=f"no messenger for platform {delivery.platform!r}")
            return
        try:
            ref = await messenger.send(delivery)
        except DeliveryError as err:
            await self._failed(row, str(err), permanent=err.permanent, retry_after=err.retry_after)
        except Exception as err:  # a messenger bug or a network fault: retry, then give up visibly
            log.exception("sending outbox row %s failed", row.id)
            await self._failed(row, f"{type(err).__name__}: {err}", permanent=False, retry_after=None)
        else:
            await self._settle(row, status="sent", ref=ref)

    async def _deactivated(self, delivery: Delivery) -> bool:
        async with self.db.read() as session:
            return await queries.deactivated(session, delivery.platform, delivery.workspace, delivery.target)

    async def _edit_state(self, row: Outbox) -> tuple[bool, str | None, bool]:
        """Whether a newer edit of the row's message is due (or was sent); the platform's reference of the message once
        its post was sent; and whether it never will be (its post failed for good, or there is none)."""
        newer = (
            select(Outbox.id)
            .where(
                Outbox.message_key == row.message_key,
                Outbox.mode == "edit",
                Outbox.id > row.id,
                Outbox.due_at <= self.clock(),
            )
            .exists()
        )
        post = select(Outbox.status, Outbox.sent_ref).where(
            Outbox.message_key == row.message_key, Outbox.mode == "post"
        )
        async with self.db.read() as session:
            found = bool(await session.scalar(select(newer)))
            posts = (await session.execute(post)).tuples().all()
        ref = next((r for status, r in posts if status == "sent"), None)
        never = not posts or all(status == "failed" for status, _ in posts)
        return found, ref, never

    async def _failed(self, row: Outbox, error: str, *, permanent: bool, retry_after: float | None) -> None:
        if retry_after is not None and not permanent:  # rate limited: wait as asked; not a failed attempt
            pacer = self.pacers.get(row.platform)
            if pacer is not None:
                pacer.hold(_workspace_key(row), retry_after)
            log.info("outbox row %s: rate limited, retrying in %.1f s", row.id, retry_after)
            await self._settle(
                row,
                status="pending",
                error=error,
                due=self.clock() + timedelta(seconds=retry_after),
                attempts=row.attempts - 1,
            )
            return
        if permanent or row.attempts >= self.max_attempts:
            log.warning(
                "outbox row %s (%s) failed for good after %s: %s",
                row.id,
                row.key,
                counted(row.attempts, "attempt"),
                error,
            )
            await self._settle(row, status="failed", error=error)
            return
        wait = self.base_backoff * 2 ** (row.attempts - 1)
        await self._settle(row, status="pending", error=error, due=self.clock() + wait)

    async def _settle(
        self,
        row: Outbox,
        *,
        status: str,
        ref: str | None = None,
        error: str | None = None,
        due: datetime | None = None,
        attempts: int | None = None,
    ) -> None:
        sent = status == "sent"
        values: dict[str, Any] = {
            "status": status,
            "lease_until": None,
            "sent_at": self.clock() if sent else row.sent_at,
            "sent_ref": ref if sent else row.sent_ref,
            "error": None if sent else (error if error is not None else row.error),
            "due_at": due if due is not None else row.due_at,
            "attempts": attempts if attempts is not None else row.attempts,
        }
        if row.target_kind == SEALED and status in ("sent", "failed"):  # done with: nothing left to link
            values.update(target=REDACTED, payload=Reply(REDACTED_TEXT).to_json())
        async with self.db.write() as session:
            await session.execute(update(Outbox).where(Outbox.id == row.id).values(values))
        row.status, row.due_at = status, values["due_at"]  # the claimed copy, as settled (`_lane` reads it)


def _workspace_key(row: Outbox) -> str:
    return f"{row.platform}:{row.workspace}"


def _channel_key(row: Outbox) -> str:
    return ":".join(getattr(row, column.key) for column in CHANNEL)
