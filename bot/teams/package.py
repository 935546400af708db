"""The Teams app package: the zip a Teams admin uploads (`convene teams-package`).

The package holds, at the root of the zip (Teams reads nothing from sub-folders), `manifest.json`, `color.png`
and `outline.png`. The manifest follows the Teams app manifest schema v1.29, shipped beside this module in
`schemas/` (the tests validate every package against it). Where the schema allows more than Microsoft's
guidance for the Teams client, Convene keeps to the stricter of the two; each limit below says where it comes
from:

- the schema (`schemas/MicrosoftTeams-1.29.schema.json`): `name.short` 30 characters, `name.full` 100,
  `description.short` 80, `description.full` 4000, `developer.name` 32, URLs 2048 and starting `http(s)://`,
  ids GUIDs, the accent colour `#RRGGBB`, one bot, at most 3 command lists;
- the bot command menu guidance ("Create a commands menu"; and the schema up to v1.19): at most 10 commands in
  each command list, a command's title at most 32 characters and its description at most 128 (v1.21 allows
  titles of 128 and descriptions of 4000, v1.25 on 12 commands; Convene keeps to the menu guidance);
- the Teams app icon guidelines: a full-bleed colour icon of 192×192 pixels whose logo keeps within the 120×120
  square in the centre (Teams masks the corners itself), and a 32×32 outline icon drawn in white only on a
  transparent background.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

import handlers  # noqa: F401  (registers every command, so that the registry is complete)
from bot.settings import Settings
from handlers.command.registry import REGISTRY, Registry

MANIFEST_VERSION = "1.29"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / f"MicrosoftTeams-{MANIFEST_VERSION}.schema.json"
DEFAULT_OUT = "convene-teams.zip"
COLOR_ICON, OUTLINE_ICON = "color.png", "outline.png"

# Icon guidelines (Teams Store and app bar).
COLOR_SIZE = 192  # the colour icon's side, full bleed
SAFE_AREA = 120  # the colour icon's logo keeps within this centred square
OUTLINE_SIZE = 32  # the outline icon's side: white on transparent
ACCENT = "#2C4A6E"  # Convene's colour (the Slack app's background colour too)
WHITE = (255, 255, 255)

# "Create a commands menu": per command list (one list for each scope).
MAX_COMMANDS = 10
MAX_TITLE = 32
MAX_DESCRIPTION = 128

# What the schema allows for the text fields Convene fills in.
MAX_NAME_SHORT = 30
MAX_NAME_FULL = 100
MAX_DESCRIPTION_SHORT = 80
MAX_DESCRIPTION_FULL = 4000
MAX_DEVELOPER_NAME = 32
MAX_URL = 2048

# The command menus. Everyone sees the menu, so it offers only commands everyone may use (role "all"): chairs
# and the steering group find theirs with `help`. In the personal chat it leads with what concerns the speaker
# (`home`, their dashboard); in a team's channel or a group chat, with the directory and who is in a group.
# Left out: `leave` and `withdraw` (undoing, rarely wanted from a menu) and `pairing status` (`pairing` shows it).
PERSONAL_COMMANDS = ("help", "home", "groups", "group", "volunteer", "join", "pairing", "suggest", "profile", "members")
CHANNEL_COMMANDS = ("help", "groups", "group", "members", "volunteer", "join", "pairing", "suggest", "profile", "home")
SCOPES = ("personal", "team", "groupChat")

GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")  # the schema's `guid`
SEMVER = re.compile(r"^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)$")  # the schema's `semver`
HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
HTTP_URL = re.compile(r"^[Hh][Tt][Tt][Pp][Ss]?://")  # the schema's `anyHttpUrl`

FULL_DESCRIPTION = (
    "Convene runs the library consortium's staff-development programme, Connecting Libraries, Developing Staff: "
    "task-and-finish groups and their calls for volunteers, communities of practice, cross-library coffee "
    "pairing and networking prompts, milestones, progress updates and case studies, and a suggestion box whose "
    "answers reach the sender, anonymous or not. Message Convene in its personal chat, or mention @Convene in a "
    "channel, and type help to see what you can do."
)


class PackageError(ValueError):
    """A problem with what the package was asked to hold, in the sentence the admin sees."""


@dataclass(frozen=True)
class AppDetails:
    """What the manifest says about the app. `app_id` is the bot's Microsoft App ID (a GUID; it is the Teams app's
    id too, so that a newer package updates the same app); `domain` is the public host name Convene is served
    from; `version` is `MAJOR.MINOR.PATCH`, raised for every upload that updates the app."""

    app_id: str
    domain: str
    version: str
    name: str = "Convene"
    full_name: str = "Convene: Connecting Libraries, Developing Staff"
    short_description: str = "The consortium's staff-development programme, in Teams."
    full_description: str = FULL_DESCRIPTION
    developer: str = "Convene"
    website_url: str | None = None  # default: https://<domain>/
    privacy_url: str | None = None  # default: the website
    terms_url: str | None = None  # default: the website


def check_app_id(value: str | None) -> str:
    """The Microsoft App ID, or PackageError saying what is wrong with it (missing, or not a GUID)."""
    if not value or not value.strip():
        raise PackageError(
            "No Microsoft App ID: give --app-id or set MICROSOFT_APP_ID to the bot's Microsoft App ID (Azure Bot → "
            "Settings → Configuration), a GUID like 00000000-0000-0000-0000-000000000000."
        )
    value = value.strip()
    if not GUID.match(value):
        raise PackageError(
            f"The Microsoft App ID {value!r} is not a GUID: it looks like 00000000-0000-0000-0000-000000000000 "
            "(32 hexadecimal digits in groups of 8-4-4-4-12). Copy it from Azure Bot → Settings → Configuration, "
            "or from the app registration's Overview (Application (client) ID)."
        )
    return value.lower()


def check_domain(value: str | None) -> str:
    """The public host name (`convene.example.org`), or PackageError saying what is wrong with it."""
    if not value or not value.strip():
        raise PackageError("No domain: give --domain with the public host name Convene is served from.")
    host = value.strip().rstrip(".").lower()
    if "://" in host or "/" in host or ":" in host:
        raise PackageError(
            f"The domain {value!r} should be a host name only, like convene.example.org: no https://, port or path."
        )
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(HOST_LABEL.match(label) for label in labels):
        raise PackageError(f"The domain {value!r} is not a host name like convene.example.org.")
    return host


def check_version(value: str | None) -> str:
    """The app's version (`MAJOR.MINOR.PATCH`), or PackageError saying what is wrong with it."""
    if not value or not SEMVER.match(value.strip()):
        raise PackageError(
            f"The version {value!r} is not MAJOR.MINOR.PATCH (like 1.0.0): Teams needs three numbers, and a higher "
            "one for each upload that updates the app."
        )
    return value.strip()


def default_version() -> str:
    """Convene's own version if it is MAJOR.MINOR.PATCH, else 1.0.0."""
    try:
        mine = metadata.version("convene")
    except metadata.PackageNotFoundError:
        return "1.0.0"
    return mine if SEMVER.match(mine) else "1.0.0"


def shorten(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else cut at the last word that fits, with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-")
    return cut + "…"


def command_entry(name: str, registry: Registry = REGISTRY) -> dict[str, str]:
    """One command of a menu: its title (the command's name, which Teams puts in the message box) and its
    description (the registry's summary, with its usage when both fit in 128 characters). Raises PackageError if
    the registry has no such command, or its name is longer than a menu title may be."""
    cmd = registry.get(name)
    if cmd is None:
        raise PackageError(f"The command menu names {name!r}, which is not a command.")
    if len(cmd.name) > MAX_TITLE:
        raise PackageError(f"The command name {cmd.name!r} is longer than a menu title may be ({MAX_TITLE}).")
    summary = cmd.summary[:1].upper() + cmd.summary[1:]
    with_usage = f"{summary}: {cmd.usage}" if cmd.usage != cmd.name else summary
    description = with_usage if len(with_usage) <= MAX_DESCRIPTION else shorten(summary, MAX_DESCRIPTION)
    return {"title": cmd.name, "description": description}


def command_list(names: Sequence[str], scopes: Iterable[str], registry: Registry = REGISTRY) -> dict[str, Any]:
    """A command list for the manifest, for these scopes; PackageError if it names more than 10 commands."""
    if len(names) > MAX_COMMANDS:
        raise PackageError(f"A command menu holds at most {MAX_COMMANDS} commands, not {len(names)}.")
    return {"scopes": list(scopes), "commands": [command_entry(n, registry) for n in names]}


def _checked_text(label: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise PackageError(f"The {label} is empty.")
    if len(value) > limit:
        raise PackageError(f"The {label} is {len(value)} characters long; Teams allows at most {limit}.")
    return value


def _checked_url(label: str, value: str) -> str:
    if not HTTP_URL.match(value) or len(value) > MAX_URL:
        raise PackageError(f"The {label} {value!r} is not an http(s):// address of at most {MAX_URL} characters.")
    return value


def manifest(details: AppDetails, registry: Registry = REGISTRY) -> dict[str, Any]:
    """The app manifest (`manifest.json`) for these details, its values checked against the limits above;
    PackageError names the first one that is wrong."""
    app_id = check_app_id(details.app_id)
    domain = check_domain(details.domain)
    website = _checked_url("website address", details.website_url or f"https://{domain}/")
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": check_version(details.version),
        "id": app_id,
        "developer": {
            "name": _checked_text("developer name", details.developer, MAX_DEVELOPER_NAME),
            "websiteUrl": website,
            "privacyUrl": _checked_url("privacy address", details.privacy_url or website),
            "termsOfUseUrl": _checked_url("terms of use address", details.terms_url or website),
        },
        "name": {
            "short": _checked_text("app name", details.name, MAX_NAME_SHORT),
            "full": _checked_text("full app name", details.full_name, MAX_NAME_FULL),
        },
        "description": {
            "short": _checked_text("short description", details.short_description, MAX_DESCRIPTION_SHORT),
            "full": _checked_text("full description", details.full_description, MAX_DESCRIPTION_FULL),
        },
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_id,
                "scopes": list(SCOPES),
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    command_list(PERSONAL_COMMANDS, ["personal"], registry),
                    command_list(CHANNEL_COMMANDS, ["team", "groupChat"], registry),
                ],
            }
        ],
        "validDomains": [domain],
    }


# The symbol: three people (circles) joined to one another, a consortium meeting. Points are in a unit square.
NODES = ((0.5, 0.2), (0.18, 0.76), (0.82, 0.76))
NODE_RADIUS = 0.17
SUPERSAMPLE = 8  # drawn this many times larger, then reduced, for smooth edges


def _symbol_mask(side: int, inset: float, *, hollow: bool, stroke: float) -> Image.Image:
    """A greyscale mask of the symbol on a `side`×`side` square, kept `inset` pixels from each edge; `stroke` is
    the width of the lines (and of the rings, when `hollow`) in pixels."""
    big = side * SUPERSAMPLE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    span = (side - 2 * inset) * SUPERSAMPLE
    offset = inset * SUPERSAMPLE
    width = round(stroke * SUPERSAMPLE)

    def at(x: float, y: float) -> tuple[float, float]:
        return offset + x * span, offset + y * span

    def disc(x: float, y: float, r: float, fill: int) -> None:
        cx, cy = at(x, y)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)

    radius = NODE_RADIUS * span
    for i, a in enumerate(NODES):
        for b in NODES[i + 1 :]:
            draw.line((at(*a), at(*b)), fill=255, width=width)
    for x, y in NODES:
        disc(x, y, radius, 255)
        if hollow:
            disc(x, y, radius - width, 0)
    return mask.resize((side, side), Image.Resampling.BOX)  # each pixel the mean of its block: no ringing


def color_icon() -> Image.Image:
    """The 192×192 colour icon (RGB): the symbol in white on Convene's colour, full bleed, within the centred
    120×120 safe area."""
    image = Image.new("RGB", (COLOR_SIZE, COLOR_SIZE), ACCENT)
    mask = _symbol_mask(COLOR_SIZE, (COLOR_SIZE - SAFE_AREA) / 2, hollow=False, stroke=9)
    image.paste(Image.new("RGB", image.size, WHITE), mask=mask)
    return image


def outline_icon() -> Image.Image:
    """The 32×32 outline icon (RGBA): the symbol as white rings and lines; every pixel is white, and only its
    alpha varies (0 outside the outline)."""
    image = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (*WHITE, 0))
    image.putalpha(_symbol_mask(OUTLINE_SIZE, 2, hollow=True, stroke=2))
    return image


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def write_package(details: AppDetails, out: Path, registry: Registry = REGISTRY) -> Path:
    """Write the package to `out` (its folder made if missing) and return the path. The zip holds manifest.json,
    color.png and outline.png at its root, with fixed timestamps, so the same details make the same bytes.
    Raises PackageError, before writing anything, if a detail is wrong."""
    files = {
        "manifest.json": (json.dumps(manifest(details, registry), indent=2, ensure_ascii=False) + "\n").encode(),
        COLOR_ICON: _png(color_icon()),
        OUTLINE_ICON: _png(outline_icon()),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `convene teams-package`."""
    p.add_argument("--out", default=DEFAULT_OUT, help=f"where to write the zip (default: {DEFAULT_OUT})")
    p.add_argument("--app-id", help="the bot's Microsoft App ID, a GUID (default: MICROSOFT_APP_ID)")
    p.add_argument("--domain", help="the public host name Convene is served from, like convene.example.org")
    p.add_argument(
        "--version",
        dest="app_version",
        help="the app's version, MAJOR.MINOR.PATCH, higher for each update (default: Convene's version)",
    )
    p.add_argument("--name", default=AppDetails.name, help=f"the app's short name (at most {MAX_NAME_SHORT})")
    p.add_argument("--full-name", default=AppDetails.full_name, help=f"its full name (at most {MAX_NAME_FULL})")
    p.add_argument(
        "--description",
        default=AppDetails.short_description,
        help=f"its short description (at most {MAX_DESCRIPTION_SHORT})",
    )
    p.add_argument("--developer", default=AppDetails.developer, help=f"who provides it (at most {MAX_DEVELOPER_NAME})")
    p.add_argument("--website", help="the developer's website (default: https://DOMAIN/)")
    p.add_argument("--privacy-url", help="the privacy statement (default: the website)")
    p.add_argument("--terms-url", help="the terms of use (default: the website)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """`convene teams-package`: write the package and say where; 2, with the problem on stderr, if a detail is
    wrong (no or a malformed app id, domain or version, a text too long). The app id is `--app-id`, else the
    setting MICROSOFT_APP_ID."""
    details = AppDetails(
        app_id=args.app_id or settings.microsoft_app_id or "",
        domain=args.domain or "",
        version=args.app_version or default_version(),
        name=args.name,
        full_name=args.full_name,
        short_description=args.description,
        developer=args.developer,
        website_url=args.website,
        privacy_url=args.privacy_url,
        terms_url=args.terms_url,
    )
    try:
        out = write_package(details, Path(args.out))
    except PackageError as err:
        print(f"convene: {err}", file=sys.stderr)
        return 2
    print(
        f"Wrote {out}: the Teams app {details.name} {details.version} for bot {check_app_id(details.app_id)} "
        f"at {check_domain(details.domain)}. Upload it in the Teams admin center (Teams apps → Manage apps → "
        "Upload new app); see docs/teams.md."
    )
    return 0
