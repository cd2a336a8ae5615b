"""The HTTP gateway (``PRESENCE_SMS_GATEWAY=http``): a JSON API, see :class:`HttpGateway` for
the expected format."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from etl.alerts.gateway.base import Pacer, Report, SendResult, SentLog, utcnow


def _parse_time(value) -> datetime | None:
    """An ISO 8601 time (with Z or an offset, or naive: UTC) as naive UTC."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def report_from_json(item) -> Report:
    """One report of the HTTP gateway's list; an unreadable one becomes a report with an empty
    id, kept whole in ``raw`` (the worker quarantines it)."""
    raw = json.dumps(item, ensure_ascii=False, default=str)[:2000]
    if not isinstance(item, dict):
        return Report("", None, "UNKNOWN", utcnow(), "accusé de réception illisible", raw)
    gid = item.get("id", item.get("gateway_id"))
    state = item.get("state")
    at = _parse_time(item.get("at"))
    ref = item.get("client_ref")
    reason = item.get("reason")
    if not isinstance(gid, str | int) or not isinstance(state, str) or at is None:
        return Report("", ref if isinstance(ref, str) else None, "UNKNOWN", utcnow(),
                      "accusé de réception illisible", raw)
    return Report(str(gid)[:64], ref[:140] if isinstance(ref, str) else None,
                  state.strip().upper()[:16], at,
                  reason[:500] if isinstance(reason, str) else None, raw)


class HttpGateway:
    """An HTTP SMS API.

    Sending: ``POST <url>`` with HTTP basic authentication and the JSON body
    ``{"to": "+33639980001", "text": "…", "client_ref": "<id_alerte>:<id_contact>",
    "from": "<sender>"}``. The gateway must drop a repeated ``client_ref`` (answering with the
    first message's id). Answers: 2xx with ``{"id": "<message id>"}`` → accepted; 408, 425,
    429 and 5xx → refused for now (retried with back-off); any other 4xx → refused for good,
    the body's ``error`` or ``message`` (or its text) as the reason. A connection error or a
    time-out is transient (the same reference is sent again: the gateway drops it if it had
    arrived).

    Delivery reports: ``GET <url>/reports`` (``?after=<cursor>`` once a cursor was given),
    answering ``{"reports": [{"id": "<message id>", "client_ref": "…", "state": "DELIVRD",
    "at": "2026-12-05T10:00:03Z", "reason": "…"}, …], "cursor": "<opaque>"}`` (or just the
    list): the reports not yet returned, each once. ``state`` is a DLR state (ENROUTE,
    ACCEPTD, DELIVRD, EXPIRED, DELETED, UNDELIV, REJECTD, UNKNOWN); ``at`` ISO 8601 (UTC when
    without offset)."""

    MAX_BODY = 1 << 20

    def __init__(self, url: str, user: str, password: str, rate_per_second: float = 50.0,
                 timeout: float = 10.0, sender: str | None = None,
                 sent_log: Path | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("l'URL de la passerelle SMS doit commencer par http:// ou https://")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.sender = sender
        self._auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        self._pacer = Pacer(rate_per_second)
        self._cursor: str | None = None
        self._log = SentLog(sent_log) if sent_log else None

    def _request(self, method: str, url: str, body: dict | None = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = Request(url, data=data, method=method, headers={
            "Authorization": self._auth, "Accept": "application/json",
            **({"Content-Type": "application/json; charset=utf-8"} if data else {})})
        try:
            with urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - http(s) checked
                return resp.status, resp.read(self.MAX_BODY)
        except HTTPError as exc:
            with exc:
                return exc.code, exc.read(self.MAX_BODY)

    @staticmethod
    def _reason(status: int, payload: bytes) -> str:
        try:
            doc = json.loads(payload)
            text = doc.get("error") or doc.get("message") if isinstance(doc, dict) else None
        except ValueError:
            text = None
        text = text if isinstance(text, str) else payload.decode("utf-8", "replace")
        return f"HTTP {status} : {text.strip()[:200]}".rstrip(" :")

    def send(self, client_ref: str, to: str, text: str) -> SendResult:
        if self._log is not None and (known := self._log.get(client_ref)):
            return SendResult(True, known)
        self._pacer.wait()
        body = {"to": to, "text": text, "client_ref": client_ref}
        if self.sender:
            body["from"] = self.sender
        try:
            status, payload = self._request("POST", self.url, body)
        except (URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return SendResult(False, None, True, f"passerelle injoignable : {reason}"[:300])
        if 200 <= status < 300:
            try:
                doc = json.loads(payload or b"{}")
            except ValueError:
                doc = {}
            gid = doc.get("id", doc.get("message_id")) if isinstance(doc, dict) else None
            gateway_id = str(gid)[:64] if gid not in (None, "") else client_ref[:64]
            if self._log is not None:
                self._log.add(client_ref, gateway_id, to)
            return SendResult(True, gateway_id)
        transient = status in (408, 425, 429) or status >= 500
        return SendResult(False, None, transient, self._reason(status, payload))

    def reports(self) -> list[Report]:
        url = self.url + "/reports"
        if self._cursor:
            url += "?" + urlencode({"after": self._cursor})
        try:
            status, payload = self._request("GET", url)
        except (URLError, TimeoutError, OSError):
            return []  # read again next round
        if not 200 <= status < 300:
            return []
        try:
            doc = json.loads(payload or b"[]")
        except ValueError:
            return []
        items = doc.get("reports", []) if isinstance(doc, dict) else doc
        if isinstance(doc, dict) and isinstance(doc.get("cursor"), str | int):
            self._cursor = str(doc["cursor"])
        if not isinstance(items, list):
            return []
        return [report_from_json(item) for item in items]

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
