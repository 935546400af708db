"""What comes in over HTTP before Bolt sees it: a request that is not signed by Slack, or that is signed but not
shaped as Slack shapes what it sends, is refused here with 401 or 400 and one log line, never a 5xx or a
traceback (SPEC.md §6). Slack's own shapes: the Events API's JSON body, a slash command's form fields, and an
interaction's `payload` form field (block_actions, view_submission, view_closed, shortcuts), as the Slack API
reference describes them."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from slack_sdk.signature import SignatureVerifier

Refusal = tuple[int, str]  # HTTP status, and the reason to log (never the request's content)


def refusal(raw: bytes, headers: Mapping[str, str], verifier: SignatureVerifier) -> Refusal | None:
    """Why this request to /slack/events is refused, or None if Bolt may have it."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit() or not signature:
        return 401, "not signed (no signature, or a timestamp that is not a number)"
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return 400, "a body that is not UTF-8"
    if not verifier.is_valid(body, timestamp, signature):
        return 401, "a signature that does not match, or a stale timestamp"
    problem = _shape_problem(body, headers.get("Content-Type", ""))
    return (400, problem) if problem is not None else None


def _shape_problem(body: str, content_type: str) -> str | None:
    if content_type.startswith("application/json"):
        try:
            event = json.loads(body)
        except ValueError:
            return "a JSON body that does not parse"
        return _event_problem(event)
    form = urllib.parse.parse_qs(body, keep_blank_values=True)
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][0])
        except ValueError:
            return "a payload that does not parse"
        return _interaction_problem(payload)
    if "command" in form:
        missing = [k for k in ("team_id", "user_id", "command") if not form.get(k, [""])[0]]
        return f"a slash command without {', '.join(missing)}" if missing else None
    if "ssl_check" in form:
        return None
    return "neither an event, a slash command nor an interaction"


def _event_problem(event: Any) -> str | None:
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return "an event body that is not an object with a type"
    if event["type"] == "url_verification":
        return None if isinstance(event.get("challenge"), str) else "a url_verification without a challenge"
    if event["type"] == "event_callback":
        if not isinstance(event.get("event"), dict) or not isinstance(event.get("event_id"), str):
            return "an event_callback without an event or an event_id"
        if not isinstance(event["event"].get("type"), str):
            return "an event without a type"
    return None


OBJECTS = ("user", "team", "channel", "container", "message", "enterprise", "view", "state")  # objects when there
TEXTS = ("type", "trigger_id", "response_url", "callback_id", "action_ts")  # strings when there


def _interaction_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return "a payload that is not an object with a type"
    for key in OBJECTS:
        if payload.get(key) is not None and not isinstance(payload[key], dict):
            return f"an interaction whose {key} is not an object"
    for key in TEXTS:
        if payload.get(key) is not None and not isinstance(payload[key], str):
            return f"an interaction whose {key} is not a string"
    user = payload.get("user") or {}
    if not isinstance(user.get("id"), str) or not user["id"]:
        return "an interaction without a user"
    for key in ("id", "username", "team_id"):
        if user.get(key) is not None and not isinstance(user[key], str):
            return f"an interaction whose user {key} is not a string"
    team = payload.get("team") or {}
    if team.get("id") is not None and not isinstance(team["id"], str):
        return "an interaction whose team id is not a string"
    actions = payload.get("actions")
    if actions is not None or payload["type"] == "block_actions":
        if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
            return "actions that are not a list of objects"
        first = actions[0]
        if not isinstance(first.get("action_id"), str):
            return "an action without an action_id"
        for key in ("value", "block_id"):
            if first.get(key) is not None and not isinstance(first[key], str):
                return f"an action whose {key} is not a string"
        chosen = first.get("selected_option")
        if chosen is not None and not (isinstance(chosen, dict) and isinstance(chosen.get("value", ""), str)):
            return "an action whose selected option is not an option"
    view = payload.get("view")
    if view is not None or payload["type"] in ("view_submission", "view_closed"):
        if not isinstance(view, dict):
            return f"{payload['type']} without a view"
        for key in ("type", "callback_id", "private_metadata", "id"):
            if view.get(key) is not None and not isinstance(view[key], str):
                return f"a view whose {key} is not a string"
        state = view.get("state")
        if payload["type"] == "view_submission" and not (
            isinstance(state, dict) and isinstance(state.get("values"), dict)
        ):
            return "a view_submission without state values"
        values = state.get("values", {}) if isinstance(state, dict) else {}
        if not isinstance(values, dict) or not all(
            isinstance(b, dict) and all(isinstance(e, dict) for e in b.values()) for b in values.values()
        ):
            return "a view whose state values are not objects"
    return None
