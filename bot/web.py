"""`convene serve`: the one aiohttp web app (platform routes join it in their own packages: Slack's
/slack/events, Teams' /api/messages), with the outbox dispatcher and the scheduler running beside it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import signal
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import text

from bot.app import Parts, build
from bot.settings import Settings
from handlers import events
from handlers.command.grammar import MAX_ID
from scheduler.outbox import Messenger

log = logging.getLogger("convene.web")
PARTS = web.AppKey("parts", Parts)


async def healthz(request: web.Request) -> web.Response:
    parts = request.app[PARTS]
    try:
        async with parts.db.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception as err:  # the database is the one thing Convene cannot answer without
        log.warning("health check: database unreachable: %s", err)
        return web.json_response({"status": "unhealthy", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok"})


_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # a calendar feed's token, as `calendar` makes it (URL-safe base64)
NOT_FOUND = "Not found."  # the same for every calendar address that leads nowhere: it tells nothing


def _ics(body: bytes, name: str) -> web.Response:
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, max-age=300"},
    )


async def event_ics(request: web.Request) -> web.Response:
    """/calendar/event/<id>.ics: one event's calendar file (SPEC.md §4; an event is no secret: its card is posted)."""
    parts = request.app[PARTS]
    raw = request.match_info["event_id"]
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise web.HTTPNotFound(text=NOT_FOUND)
    async with parts.db.read() as session:
        body = await events.event_calendar(session, int(raw), parts.clock())
    if body is None:
        raise web.HTTPNotFound(text=NOT_FOUND)
    return _ics(body, f"event-{raw}.ics")


async def feed_ics(request: web.Request) -> web.Response:
    """/calendar/feed/<token>.ics: a member's feed of the events they have a seat at; 404, saying nothing more, for
    a token that is not (or is no longer) anyone's."""
    parts = request.app[PARTS]
    token = request.match_info["token"]
    if not _TOKEN.fullmatch(token):
        raise web.HTTPNotFound(text=NOT_FOUND)
    async with parts.db.read() as session:
        body = await events.feed(session, token, parts.clock())
    if body is None:
        raise web.HTTPNotFound(text=NOT_FOUND)
    return _ics(body, "convene.ics")


def make_app(parts: Parts) -> web.Application:
    app = web.Application()
    app[PARTS] = parts
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/calendar/event/{event_id}.ics", event_ics)
    app.router.add_get("/calendar/feed/{token}.ics", feed_ics)
    if parts.slack is not None:
        parts.slack.mount(app)
    if parts.teams is not None:
        parts.teams.mount(app)

    async def dispatcher(app: web.Application) -> AsyncIterator[None]:
        await parts.scheduler.start()
        task = asyncio.create_task(parts.dispatcher.run_forever())
        yield
        parts.scheduler.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await parts.close()

    app.cleanup_ctx.append(dispatcher)
    return app


async def serve(settings: Settings, messengers: dict[str, Messenger] | None = None) -> None:
    parts = await build(settings, messengers or {})
    runner = web.AppRunner(make_app(parts))
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    # What start-up built (modules, mappers, compiled statements, Bolt) lives as long as the process. Left to
    # the collector, every full collection walks it all again: 70 ms with the loop held, seen as a stall of
    # every request in flight. Frozen, it is never walked.
    gc.collect()
    gc.freeze()
    log.info(
        "Convene is listening on http://%s:%s (%d start-up objects kept out of garbage collection)",
        settings.host,
        settings.port,
        gc.get_freeze_count(),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
        log.info("Convene is stopping")
    finally:
        await runner.cleanup()
