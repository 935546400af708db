"""Convene's tables, split by domain; all of them are named here, so that importing this package puts every
table on `Base.metadata` (what migrations and tests compare against)."""

from storage.models.base import Base, UTCDateTime
from storage.models.deliveries import OUTBOX_STATUSES, Outbox, Received
from storage.models.events import AUDIENCES, EVENT_STATUSES, RSVP_ANSWERS, Event, Rsvp
from storage.models.groups import (
    GROUP_KINDS,
    GROUP_STATUSES,
    OFFER_STATUSES,
    ROLES,
    Call,
    CaseStudy,
    Group,
    GroupChannel,
    Membership,
    Milestone,
    ProgressUpdate,
    VolunteerOffer,
)
from storage.models.networking import (
    CHECKIN_ANSWERS,
    CheckIn,
    Pair,
    PairingLeftOut,
    PairingOptIn,
    PairingRound,
    Prompt,
    PromptUse,
)
from storage.models.people import CAREER_STAGES, Admin, Institution, LinkCode, Member
from storage.models.polls import POLL_KINDS, POLL_STATUSES, Poll, Vote
from storage.models.scheduling import RUN_STATUSES, SCHEDULE_KINDS, Schedule, ScheduleRun
from storage.models.slack import bots, installations, oauth_states
from storage.models.suggestions import SUGGESTION_STATUSES, Suggestion, SuggestionReply
from storage.models.teams import TEAMS_CONVERSATION_KINDS, TeamsConversation, TeamsUser

__all__ = [
    "AUDIENCES",
    "CAREER_STAGES",
    "CHECKIN_ANSWERS",
    "EVENT_STATUSES",
    "GROUP_KINDS",
    "GROUP_STATUSES",
    "OFFER_STATUSES",
    "OUTBOX_STATUSES",
    "POLL_KINDS",
    "POLL_STATUSES",
    "ROLES",
    "RSVP_ANSWERS",
    "RUN_STATUSES",
    "SCHEDULE_KINDS",
    "SUGGESTION_STATUSES",
    "TEAMS_CONVERSATION_KINDS",
    "Admin",
    "Base",
    "Call",
    "CaseStudy",
    "CheckIn",
    "Event",
    "Group",
    "GroupChannel",
    "Institution",
    "LinkCode",
    "Member",
    "Membership",
    "Milestone",
    "Outbox",
    "Pair",
    "PairingLeftOut",
    "PairingOptIn",
    "PairingRound",
    "Poll",
    "ProgressUpdate",
    "Prompt",
    "PromptUse",
    "Received",
    "Rsvp",
    "Schedule",
    "ScheduleRun",
    "Suggestion",
    "SuggestionReply",
    "TeamsConversation",
    "TeamsUser",
    "UTCDateTime",
    "VolunteerOffer",
    "Vote",
    "bots",
    "installations",
    "oauth_states",
]
