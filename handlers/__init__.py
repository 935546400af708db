"""What Convene does: the command machinery (`handlers.command`) and, beside it, one module or package per
capability. Importing this package imports every capability, and so registers its commands and its scheduled
runners; the list below is the one place that says what Convene can do."""

from handlers import (  # noqa: F401  (each registers its commands on import)
    admin,
    events,
    groups,
    help,
    home,
    linking,
    members,
    polls,
    profile,
    progress,
    reminders,
    schedules,
    suggestions,
    volunteering,
)
from handlers.networking import pairing, prompts  # noqa: F401
