"""What a signed HTTP request from Slack must look like before Bolt is given it.

A correct signature proves who sent a request, not that its body is well formed. Bolt parses the
body while building its request object and indexes into it while matching listeners; a body
that is not JSON, or JSON of the wrong shape, raises there and would be answered 500. So the
HTTP endpoint asks `body_problem` first and answers 400 with the reason. The parsing mirrors
`slack_bolt.request.internals.parse_body`: JSON when the content type says so or the body starts
with "{", otherwise a form whose `payload` field, when present, is JSON.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["body_problem"]

# Interactive payload types and the fields Bolt's matchers read from them, with their shapes.
_LIST_OF_OBJECTS = ("actions",)
_OBJECTS = ("view", "user", "channel", "team", "container", "message")


def _parsed(body: str, content_type: str) -> tuple[Any, bool]:
    """The body as Bolt would parse it, and whether it came from JSON; raises ValueError."""
    if content_type == "application/json" or body.startswith("{"):
        return json.loads(body), True
    fields = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in body and "payload" in fields:
        return json.loads(fields["payload"]), True
    return fields, False


def body_problem(body: str, content_type: str) -> str | None:
    """Why Bolt could not handle this request body, or None when it has the expected shape."""
    if not body.strip():
        return "the request body is empty"
    try:
        parsed, from_json = _parsed(body, content_type.split(";")[0].strip().lower())
    except json.JSONDecodeError as err:
        return f"the request body is not valid JSON ({err.msg} at character {err.pos})"
    if not isinstance(parsed, dict):
        return f"the request body is JSON but not an object (got {type(parsed).__name__})"
    if from_json and "type" in parsed and not isinstance(parsed["type"], str):
        return "the payload's type is not a string"
    for name in _LIST_OF_OBJECTS:
        value = parsed.get(name)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, dict) for v in value)
        ):
            return f"the payload's {name} is not a list of objects"
    for name in _OBJECTS:
        value = parsed.get(name)
        if value is not None and not isinstance(value, dict):
            return f"the payload's {name} is not an object"
    event = parsed.get("event")
    if event is not None and not isinstance(event, dict):
        return "the payload's event is not an object"
    return None
