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


# The types of the fields Bolt and Convene read, where they appear: Slack always sends these shapes.
TOP: dict[str, type | tuple[type, ...]] = {
    "type": str,
    "token": str,
    "api_app_id": str,
    "team_id": str,
    "user_id": str,
    "enterprise_id": str,
    "event_id": str,
    "trigger_id": str,
    "response_url": str,
    "callback_id": str,
    "action_ts": str,
    "is_enterprise_install": bool,
    "is_ext_shared_channel": bool,
    "user": dict,
    "team": dict,
    "channel": dict,
    "container": dict,
    "message": dict,
    "previous_message": dict,
    "view": dict,
    "state": dict,
    "event": dict,
    "enterprise": (dict, str),
    "actions": list,
    "authorizations": list,
    "response_urls": list,
}
ACCOUNT_EVENTS = ("user_change", "team_join")  # events whose `user` is the whole user object, not an id
NESTED_TEXTS = ("id", "type", "team_id", "user_id", "enterprise_id", "callback_id", "private_metadata")


def _typed(obj: dict[str, Any], where: str) -> str | None:
    """The first field of `obj` (or of the objects in it) whose type is not the one Slack sends."""
    for key, kind in TOP.items():
        if obj.get(key) is not None and not isinstance(obj[key], kind):
            return f"{where}{key} of the wrong type"
    for key in ("user", "team", "channel", "container", "message", "previous_message", "view", "event", "enterprise"):
        inner = obj.get(key)
        if isinstance(inner, dict):
            for text in NESTED_TEXTS:
                if inner.get(text) is not None and not isinstance(inner[text], str):
                    return f"{where}{key}.{text} of the wrong type"
            if key == "event":  # inside an event, user, channel and team are ids: strings
                for text in ("user", "channel", "team", "user_team"):
                    if text == "user" and inner.get("type") in ACCOUNT_EVENTS:  # these carry the user object
                        if not isinstance(inner.get("user"), dict) or not isinstance(inner["user"].get("id"), str):
                            return "event.user that is not a user object"
                    elif inner.get(text) is not None and not isinstance(inner[text], str):
                        return f"event.{text} of the wrong type"
                for message in ("message", "previous_message"):
                    if inner.get(message) is not None and not isinstance(inner[message], dict):
                        return f"event.{message} of the wrong type"
    for key in ("authorizations", "response_urls", "actions"):
        items = obj.get(key) or []
        if not all(isinstance(i, dict) for i in items):
            return f"{where}{key} that are not objects"
        for item in items:
            for text in (*NESTED_TEXTS, "response_url", "action_id", "block_id", "value"):
                if item.get(text) is not None and not isinstance(item[text], str):
                    return f"{where}{key} with a {text} of the wrong type"
    return None


def _event_problem(event: Any) -> str | None:
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return "an event body that is not an object with a type"
    if problem := _typed(event, ""):
        return problem
    if event["type"] == "url_verification":
        return None if isinstance(event.get("challenge"), str) else "a url_verification without a challenge"
    if event["type"] == "event_callback":
        if not isinstance(event.get("event"), dict) or not isinstance(event.get("event_id"), str):
            return "an event_callback without an event or an event_id"
        if not isinstance(event["event"].get("type"), str):
            return "an event without a type"
    return None


def _interaction_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return "a payload that is not an object with a type"
    if problem := _typed(payload, ""):
        return problem
    if not (payload.get("user") or {}).get("id"):
        return "an interaction without a user"
    actions = payload.get("actions")
    if payload["type"] == "block_actions":
        if not actions or not isinstance(actions[0].get("action_id"), str):
            return "block_actions without an action"
        chosen = actions[0].get("selected_option")
        if chosen is not None and not (isinstance(chosen, dict) and isinstance(chosen.get("value", ""), str)):
            return "an action whose selected option is not an option"
    view = payload.get("view")
    if view is not None or payload["type"] in ("view_submission", "view_closed"):
        if not isinstance(view, dict) or not isinstance(view.get("type"), str):
            return f"{payload['type']} without a view"
        state = view.get("state")
        submitted = payload["type"] == "view_submission"
        if submitted and not (isinstance(state, dict) and isinstance(state.get("values"), dict)):
            return "a view_submission without state values"
        if state is not None and not isinstance(state, dict):
            return "a view whose state is not an object"
        values = state.get("values", {}) if isinstance(state, dict) else {}
        if not isinstance(values, dict) or not all(
            isinstance(b, dict) and all(isinstance(e, dict) for e in b.values()) for b in values.values()
        ):
            return "a view whose state values are not objects"
    return None
