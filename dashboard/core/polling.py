"""Background refreshes: the callbacks a page's ``dcc.Interval`` runs on its own (the alert
page's 2-second refresh) are no sign of a user at the screen, so they never extend a session's
idle timer (issue #21 item 6). The server decides from a list the pages register in code
(:func:`register`), never from a flag the browser sends: a callback request is a refresh only
when every input that changed is a registered interval's ``n_intervals``. A forged body can
only spare its own session the extension."""

from __future__ import annotations

import json

import flask

from dashboard.core.security import CALLBACK_PATH

#: "<component id>.n_intervals" of the registered intervals
_POLLING_PROPS: set[str] = set()
#: a refresh's body is small: a larger one is not read here (it is a user's request)
BODY_MAX = 64 * 1024


def register(interval_id: str) -> str:
    """Declare ``interval_id`` (a ``dcc.Interval``'s id) a background refresh; returns it."""
    _POLLING_PROPS.add(f"{interval_id}.n_intervals")
    return interval_id


def is_polling(request: flask.Request) -> bool:
    """Whether ``request`` is a callback run by registered intervals alone."""
    if request.method != "POST" or not request.path.endswith(CALLBACK_PATH):
        return False
    length = request.content_length
    if length is None or length > BODY_MAX:
        return False
    raw = request.get_data(cache=True)
    # most callbacks are a user's: no registered interval named, no second parse of the body
    if not any(prop.encode() in raw for prop in _POLLING_PROPS):
        return False
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    changed = body.get("changedPropIds") if isinstance(body, dict) else None
    return (isinstance(changed, list) and bool(changed)
            and all(isinstance(p, str) and p in _POLLING_PROPS for p in changed))
