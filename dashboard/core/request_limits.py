"""Callback bodies bounded before anything parses them (#21): a JSON body nested deeper than
:data:`MAX_JSON_DEPTH` made Python's parser, or Dash after it, raise RecursionError (a 500).
The nesting is measured on the raw bytes, strings left out, before Flask or Dash read the
JSON; a deeper body is a French 400, logged and audited as an odd request."""

from __future__ import annotations

import logging
import re

import flask
import numpy as np

from dashboard.core.security import CALLBACK_PATH, audit_refusal, text_response

log = logging.getLogger(__name__)

#: the deepest nesting of arrays and objects a callback body may have (Dash's deepest, a
#: layout's children sent back as a State, stays far below)
MAX_JSON_DEPTH = 200
TOO_DEEP = "Requête invalide : données trop imbriquées."
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN, _CLOSE = np.frombuffer(b"[{", np.uint8), np.frombuffer(b"]}", np.uint8)


def json_depth(body: bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in a JSON text (strings ignored); a text that is
    not JSON gets a number all the same (its parser refuses it later)."""
    codes = np.frombuffer(_STRINGS.sub(b"", body), np.uint8)
    steps = np.isin(codes, _OPEN).astype(np.int32) - np.isin(codes, _CLOSE).astype(np.int32)
    return int(np.cumsum(steps).max()) if len(steps) else 0


def init_request_limits(server: flask.Flask) -> None:
    @server.before_request
    def _bounded_json():
        request = flask.request
        if request.path != CALLBACK_PATH or request.method != "POST":
            return None
        depth = json_depth(request.get_data(cache=True))
        if depth > MAX_JSON_DEPTH:
            log.warning("callback refused (400): JSON nested %d deep", depth)
            audit_refusal("requete_invalide", f"JSON imbriqué sur {depth} niveaux")
            return text_response(TOO_DEEP, 400)
        return None
