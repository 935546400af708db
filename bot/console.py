"""The console: Convene in a terminal, one command a line, as it would follow `/convene`.

`:as NAME` changes who is speaking, a number presses that button of the newest message the speaker can see (a
reply to them, a message delivered to them or to a channel; SPEC.md §4), `:clock +3d` moves the console's clock,
`:quit` leaves. Messages to others are printed as they are delivered.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.app import Parts, build, core_config, utc_now
from bot.settings import Settings
from handlers import admin, demo
from handlers.command.messages import Action, Button, Place, Reply, Request, Speaker, shown
from handlers.reminders import ensure_reminders
from scheduler import jobs
from scheduler.outbox import Delivery

PLATFORM = "console"
WORKSPACE = "console"
CLOCK_STEP = re.compile(r"\+(\d+)([mhdw])")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
LONDON = ZoneInfo("Europe/London")
MAX_CLOCK_STOPS = 1_000  # moments one :clock step stops at, at most
MAX_CLOCK_STEP = timedelta(days=5 * 365)
HELP = (
    ":as NAME  speak as someone else · a number presses that button · :clock +3d  move the clock "
    "(m, h, d, w) · :quit  leave"
)


def render(reply: Reply) -> tuple[str, list[Button]]:
    """The reply as plain text, and its buttons numbered in the order shown."""
    buttons = reply.all_buttons()
    lines = [shown(reply.text)]
    if reply.image:
        lines.append(f"[image: {reply.image.alt} — {reply.image.url}]")
    if buttons:
        tags = [_target(b) or tag for b, tag in zip(buttons, _section_tags(reply), strict=True)]
        lines.append(
            "  ".join(
                f"[{i}] {shown(b.label)}" + (f" ({t})" if t else "")
                for i, (b, t) in enumerate(zip(buttons, tags, strict=True), 1)
            )
        )
    return "\n".join(lines), buttons


def _target(button: Button) -> str:
    """What a button acts on, shown beside its label when several buttons share one."""
    words = button.value.split()
    return words[1] if len(words) > 1 and button.action_id in ("join", "volunteer") else ""


def _section_tags(reply: Reply) -> list[str]:
    """For each button, when buttons of several sections share labels (three offers' Accept and Decline), the
    start of its section's first line, which names what it acts on; else nothing."""
    if sum(1 for s in reply.sections if s.buttons) < 2:
        return [""] * len(reply.all_buttons())
    tags = []
    for section in reply.sections:
        first = shown(section.text).split("\n", 1)[0].replace("*", "")
        tag = first.split(" — ", 1)[0].split(" (", 1)[0].strip()
        tags += [tag if len(tag) <= 40 else tag[:39] + "…"] * len(section.buttons)
    return tags + [""] * len(reply.buttons)


class Seen:
    """The messages with buttons that have been shown, newest last, each with who can see it: its buttons are
    pressed by number by the person who is speaking when it is the newest they can see."""

    def __init__(self) -> None:
        self._shown: list[tuple[frozenset[str] | None, list[Button]]] = []  # None: a channel, seen by everyone

    def show(self, audience: frozenset[str] | None, buttons: list[Button]) -> None:
        self._shown.append((audience, buttons))
        del self._shown[:-100]

    def buttons_for(self, user_id: str) -> list[Button]:
        for audience, buttons in reversed(self._shown):
            if audience is None or user_id in audience:
                return buttons
        return []


class ConsoleMessenger:
    """Prints each delivery; the files a message carries (a chart) are saved under `files_dir`, each named after
    its delivery so that none overwrites another, and the path is printed."""

    def __init__(self, out: TextIO, files_dir: Path = Path("convene-files")) -> None:
        self.out = out
        self.files_dir = files_dir
        self.header: str | None = None  # printed before the next delivery (the clock, when it moves)
        self.seen = Seen()

    async def send(self, delivery: Delivery) -> str | None:
        if self.header is not None:
            print(self.header, file=self.out, flush=True)
            self.header = None
        kinds = {"channel": delivery.target, "members": f"group DM {delivery.target_label}"}
        where = kinds.get(delivery.target_kind, f"DM {delivery.target_label}")
        edited = " (updated)" if delivery.edit_ref else ""
        text, buttons = render(delivery.reply)
        print(f"→ {where}{edited}: {text}", file=self.out, flush=True)
        for file in delivery.reply.files if not delivery.edit_ref else ():
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path = (self.files_dir / f"{delivery.id}-{Path(file.name).name}").resolve()
            path.write_bytes(file.data)
            print(f"  [{file.title}: saved to {path}]", file=self.out, flush=True)
        audience = None if delivery.target_kind == "channel" else frozenset(delivery.target.split(","))
        self.seen.show(audience, buttons)
        return f"console-{delivery.id}"


class Console:
    def __init__(self, parts: Parts, out: TextIO, speaker: str, messenger: ConsoleMessenger | None = None) -> None:
        self.parts = parts
        self.messenger = messenger or ConsoleMessenger(out)
        self.out = out
        self.offset = timedelta()
        self.speaker = speaker

    def now(self) -> datetime:
        return utc_now() + self.offset

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def line(self, raw: str) -> bool:
        """Handle one line; False when the console should stop."""
        text = raw.strip()
        if not text:
            return True
        if text in (":quit", ":q", ":exit"):
            return False
        if text.startswith(":as"):
            name = text[3:].strip().lstrip("@")
            if not re.fullmatch(r"[\w.-]{1,40}", name):
                self.say("Usage: :as NAME (letters, digits, . or -)")
            else:
                self.speaker = name
                self.say(f"You are now {name}.")
            return True
        if text.startswith(":clock"):
            await self._move_clock(text[6:].strip())
        elif text.startswith(":"):
            self.say(HELP)
            return True
        elif text.isdigit():
            await self._press(int(text))
        else:
            await self._ask(Request(self._speaker(), Place(), self.now(), text=text))
        await jobs.edit_cards(self.parts.db, self.now)  # as the scheduler does every second
        await self.parts.dispatcher.drain()
        return True

    def _speaker(self) -> Speaker:
        return Speaker(PLATFORM, WORKSPACE, self.speaker.lower(), self.speaker)

    async def _move_clock(self, arg: str) -> None:
        """Move the clock on, stopping at each moment the scheduler would have acted, in order: each
        occurrence runs and its posts print as they would have been sent."""
        m = CLOCK_STEP.fullmatch(arg)
        if not m:
            self.say(f"The clock is at {self.now():%Y-%m-%d %H:%M} UTC. Usage: :clock +3d (m, h, d or w)")
            return
        step = timedelta(**{UNITS[m.group(2)]: min(int(m.group(1)), 10**7)})  # 10**7 weeks still fits a timedelta
        if step > MAX_CLOCK_STEP:
            self.say(f"The clock moves at most {MAX_CLOCK_STEP.days // 365} years at a time. Usage: :clock +3d")
            return
        target = self.now() + step
        parts = self.parts
        await ensure_reminders(parts.db, self.now())
        for _ in range(MAX_CLOCK_STOPS):
            moment = await jobs.next_moment(parts.db, self.now(), target)
            if moment is None:
                break
            self._set_clock(moment)
            self.messenger.header = f"[{moment.astimezone(LONDON):%a %Y-%m-%d %H:%M} {LONDON.key}]"
            await jobs.run_due(parts.db, parts.core.config, self.now, grace=None)
            await parts.dispatcher.drain()
        self.messenger.header = None
        self._set_clock(target)
        await jobs.run_due(parts.db, parts.core.config, self.now, grace=None)
        self.say(f"The clock is now {self.now():%Y-%m-%d %H:%M} UTC.")

    def _set_clock(self, moment: datetime) -> None:
        self.offset = moment - utc_now()

    async def _press(self, number: int) -> None:
        buttons = self.messenger.seen.buttons_for(self._speaker().user_id)
        if not 1 <= number <= len(buttons):
            self.say(
                f"There is no button {number} on the newest message you can see: it has {len(buttons)}."
                if buttons
                else "The newest message you can see has no buttons to press."
            )
            return
        button = buttons[number - 1]
        await self._ask(Request(self._speaker(), Place(), self.now(), action=Action(button.action_id, button.value)))

    async def _ask(self, request: Request) -> None:
        core = self.parts.core
        member_id = await core.member_id(request)
        if await admin.grant_first_admin(self.parts.db, member_id, request.now, self.parts.core.config.admins):
            self.say(f"({self.speaker} is the first to speak here, so is an admin: the steering group.)")
        text, buttons = render(await core.handle(request))
        self.messenger.seen.show(frozenset({request.speaker.user_id}), buttons)
        self.say(text)


async def run(
    settings: Settings,
    lines: Iterable[str] | None,
    *,
    out: TextIO = sys.stdout,
    speaker: str = "Ada",
    seed_demo: bool = True,
) -> int:
    messenger = ConsoleMessenger(out, Path(settings.convene_console_files))
    console: Console | None = None

    def clock() -> datetime:
        return console.now() if console else datetime.now(UTC)

    config = core_config(settings, announce_channel=settings.convene_announce_channel or "#announcements")
    quiet = None if "convene_log_level" in settings.model_fields_set else "WARNING"
    parts = await build(settings, {PLATFORM: messenger}, clock=clock, config=config, log_level=quiet)
    console = Console(parts, out, speaker, messenger)
    try:
        if seed_demo and await demo.seed(parts.db, console.now()):
            console.say("A sample consortium is ready to explore: try `groups`, then `help`.")
        if lines is None:
            console.say(f"Convene console — you are {speaker}. {HELP}")
        for raw in _typed(console) if lines is None else lines:
            if lines is not None and raw.strip():
                console.say(f"{console.speaker}> {raw.strip()}")
            if not await console.line(raw):
                break
        await parts.dispatcher.drain()
    finally:
        await parts.close()
    return 0


def _typed(console: Console) -> Iterator[str]:
    while True:
        try:
            yield input(f"{console.speaker}> ")
        except EOFError:
            return
