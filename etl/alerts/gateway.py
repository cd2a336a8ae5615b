"""SMS gateways: one protocol, three implementations (``PRESENCE_SMS_GATEWAY``).

A :class:`Gateway` takes one message at a time — ``send(client_ref, to, text)`` — and answers
with a :class:`SendResult`: accepted (with the gateway's message id), or refused, transiently
(throttling, a server error, a time-out: the worker tries again later) or for good (an invalid
number: the message fails with the reason). ``reports()`` returns the delivery reports
(:class:`Report`: the gateway's id, the client reference, a DLR state — ENROUTE, ACCEPTD,
DELIVRD, EXPIRED, DELETED, UNDELIV, REJECTD, UNKNOWN — and its time) received since the last
call; the worker pulls them.

The client reference is the outbox key (``<id_alerte>:<id_contact>``): a gateway that receives
the same reference twice drops the repeat and answers with the first message's id, as real
gateways do with a client reference. That, with the outbox, is why a crash, a restart, a retry
or a double validation never sends an SMS twice.

- :class:`SimulatedGateway` (default): no SMS leaves the machine. It keeps its state in its own
  SQLite file (``<PRESENCE_DATA_DIR>/sms-simule.sqlite``), so that it survives a worker's
  restart and a test can count what it was asked and what it sent; it answers with realistic
  delays, throttling, failures and delivery reports, and can be told to fail on purpose
  (:meth:`SimulatedGateway.inject`).
- :class:`HttpGateway`: a JSON API (see the class for the expected format).
- :class:`SmppGateway`: an SMSC over SMPP 3.4 (``smpplib``), delivery receipts as
  ``deliver_sm``.

HTTP and SMPP gateways also keep a local log of the references they had accepted
(:class:`SentLog`, ``<PRESENCE_DATA_DIR>/sms-envoyes.sqlite``), so that a message accepted just
before a worker died is not submitted again even when the operator does not deduplicate.
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import re
import sqlite3
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from etl.alerts.encoding import GSM7, analyse, gsm7_septets, split
from etl.sources.alerts import DLR_STATES, FINAL_FAILURES

#: the reports' final states; the others (ENROUTE, ACCEPTD) are intermediate
FINAL_DLR = ("DELIVRD", *FINAL_FAILURES, "UNKNOWN")
#: what each failed delivery means, in French (a report without its own reason)
DLR_REASONS = {
    "EXPIRED": "message expiré sans être remis (téléphone éteint ou hors couverture)",
    "DELETED": "message supprimé par l'opérateur",
    "UNDELIV": "message non remis (numéro injoignable ou inexistant)",
    "REJECTD": "message rejeté par l'opérateur",
    "UNKNOWN": "état final inconnu de l'opérateur",
}
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


@dataclass(frozen=True)
class SendResult:
    """The gateway's answer to one message."""

    accepted: bool
    gateway_id: str | None = None
    transient: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class Report:
    """One delivery report: the gateway's message id, the client reference it was sent with
    (when the gateway gives it back), the DLR state and its time (UTC, naive); ``reason``:
    the error the gateway gave; ``raw``: the report as received (kept if it is quarantined)."""

    gateway_id: str
    client_ref: str | None
    state: str
    at: datetime
    reason: str | None = None
    raw: str | None = None


@runtime_checkable
class Gateway(Protocol):
    def send(self, client_ref: str, to: str, text: str) -> SendResult: ...

    def reports(self) -> list[Report]: ...


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


class Pacer:
    """At most ``rate`` calls per second (None or 0: no limit): :meth:`wait` before each."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self, stop: threading.Event | None = None) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            # a pause (nothing to send) does not bank a burst beyond one slot
            self._next = slot + self.interval
        delay = slot - now
        if delay > 0:
            if stop is not None:
                stop.wait(delay)
            else:
                time.sleep(delay)


# --- SQLite helpers (the simulated gateway and the sent log) ------------------------------------

def _sqlite(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA busy_timeout=30000")
    deadline = time.monotonic() + 10
    while True:  # a new file opened by two processes at once: the switch may need a retry
        try:
            con.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    con.execute("PRAGMA synchronous=NORMAL")
    return con


@contextlib.contextmanager
def _immediate(con: sqlite3.Connection, lock: threading.Lock):
    """One write transaction (taken at once: processes sharing the file are serialised)."""
    with lock:
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


class SentLog:
    """The client references a gateway accepted, with the gateway's id, in a small SQLite file:
    a reference accepted before is answered from here, never submitted again."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._con = _sqlite(self.path)
        self._lock = threading.Lock()
        self._con.execute("CREATE TABLE IF NOT EXISTS accepted (client_ref TEXT PRIMARY KEY, "
                          "gateway_id TEXT NOT NULL, to_number TEXT, at REAL NOT NULL)")

    def get(self, client_ref: str) -> str | None:
        with self._lock:
            row = self._con.execute("SELECT gateway_id FROM accepted WHERE client_ref = ?",
                                    [client_ref]).fetchone()
        return None if row is None else row[0]

    def add(self, client_ref: str, gateway_id: str, to: str) -> None:
        with self._lock:
            self._con.execute("INSERT OR IGNORE INTO accepted VALUES (?, ?, ?, ?)",
                              [client_ref, gateway_id, to, time.time()])

    def close(self) -> None:
        self._con.close()


# --- the simulated gateway ---------------------------------------------------------------------

#: outcomes :meth:`SimulatedGateway.inject` accepts, for the next messages to one number
INJECTABLE = ("throttle", "error", "reject", "timeout", "ok", "DELIVRD", "EXPIRED", "UNDELIV",
              "REJECTD", "DELETED", "UNKNOWN")
_SIM_FAILURES = (("UNDELIV", 0.5), ("EXPIRED", 0.3), ("REJECTD", 0.2))


class SimulatedGateway:
    """An operator in a SQLite file (see the module's text).

    Each ``send`` is recorded in ``asked`` (every call, repeats included); an accepted message
    in ``messages`` (one per client reference: a repeat returns the first id and is counted as
    a repeat, never sent twice). Answers: ``throttle_rate`` of the calls are refused for
    throttling (transient); a number that is not E.164 is refused for good; the others are
    accepted, then reported ENROUTE after ``enroute_delay`` seconds and, after a delay drawn
    between ``min_delay`` and ``max_delay``, DELIVRD — or, for ``failure_rate`` of them,
    UNDELIV, EXPIRED or REJECTD with a reason. ``timeout_rate`` of the accepted calls time out
    after accepting (the message is sent, the caller gets TimeoutError).

    Hooks for tests: :meth:`inject` (outcomes for the next messages to a number, kept in the
    file, so that a worker in another process meets them), :meth:`inject_report` (a report
    nobody asked for), ``before_send(client_ref, to)`` and ``after_accept(client_ref,
    gateway_id)`` (callables run inside ``send``: e.g. one that blocks, to kill a worker
    mid-send)."""

    def __init__(self, path: Path | str, seed: int | None = None, failure_rate: float = 0.03,
                 timeout_rate: float = 0.0, throttle_rate: float = 0.005,
                 min_delay: float = 1.0, max_delay: float = 6.0, enroute_delay: float = 0.3
                 ) -> None:
        for name, rate in (("failure_rate", failure_rate), ("timeout_rate", timeout_rate),
                           ("throttle_rate", throttle_rate)):
            if not 0 <= rate <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if not 0 <= min_delay <= max_delay:
            raise ValueError("0 <= min_delay <= max_delay")
        self.path = Path(path)
        self.failure_rate, self.timeout_rate, self.throttle_rate = (
            failure_rate, timeout_rate, throttle_rate)
        self.min_delay, self.max_delay, self.enroute_delay = min_delay, max_delay, enroute_delay
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.before_send: Callable[[str, str], None] | None = None
        self.after_accept: Callable[[str, str], None] | None = None
        self._con = _sqlite(self.path)
        self._con.executescript("""
            CREATE TABLE IF NOT EXISTS asked (
                id INTEGER PRIMARY KEY, client_ref TEXT NOT NULL, to_number TEXT NOT NULL,
                text TEXT NOT NULL, at REAL NOT NULL, outcome TEXT NOT NULL, gateway_id TEXT);
            CREATE INDEX IF NOT EXISTS ix_asked_ref ON asked (client_ref);
            CREATE TABLE IF NOT EXISTS messages (
                gateway_id TEXT PRIMARY KEY, client_ref TEXT NOT NULL UNIQUE,
                to_number TEXT NOT NULL, text TEXT NOT NULL, parts INTEGER NOT NULL,
                accepted_at REAL NOT NULL, final_state TEXT NOT NULL, final_reason TEXT);
            CREATE INDEX IF NOT EXISTS ix_messages_to ON messages (to_number);
            CREATE TABLE IF NOT EXISTS reports (
                id INTEGER PRIMARY KEY, gateway_id TEXT NOT NULL, client_ref TEXT,
                state TEXT NOT NULL, at REAL NOT NULL, reason TEXT, taken INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_reports_due ON reports (taken, at);
            CREATE TABLE IF NOT EXISTS script (
                id INTEGER PRIMARY KEY, to_number TEXT NOT NULL, outcome TEXT NOT NULL,
                used INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS ix_script_to ON script (to_number, used);
        """)

    # -- the protocol --

    def send(self, client_ref: str, to: str, text: str) -> SendResult:
        if self.before_send is not None:
            self.before_send(client_ref, to)
        now = time.time()
        timeout = False
        with _immediate(self._con, self._lock) as con:
            first = con.execute("SELECT gateway_id FROM messages WHERE client_ref = ?",
                                [client_ref]).fetchone()
            if first is not None:  # a repeat: dropped, the first message's id
                self._ask(con, client_ref, to, text, now, "repetition", first[0])
                return SendResult(True, first[0])
            outcome = self._scripted(con, to) or self._draw()
            if outcome == "throttle":
                self._ask(con, client_ref, to, text, now, "limite_debit", None)
                return SendResult(False, None, True, "débit limité par l'opérateur "
                                  "(throttling) : nouvel essai plus tard")
            if outcome == "error":
                self._ask(con, client_ref, to, text, now, "erreur_temporaire", None)
                return SendResult(False, None, True, "erreur temporaire de la passerelle "
                                  "(503)")
            if outcome == "reject" or not E164.match(to or ""):
                self._ask(con, client_ref, to, text, now, "refus", None)
                return SendResult(False, None, False, "numéro refusé par l'opérateur "
                                  "(destinataire invalide)")
            timeout = outcome == "timeout" or (
                outcome is None and self.timeout_rate and self._rng.random() < self.timeout_rate)
            final = outcome if outcome in FINAL_DLR else self._final_state()
            n = con.execute("SELECT count(*) FROM messages").fetchone()[0] + 1
            gateway_id = f"SIM{n:09d}"
            reason = DLR_REASONS.get(final)
            con.execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [gateway_id, client_ref, to, text, max(1, analyse(text).parts), now,
                         final, reason])
            enroute = now + self.enroute_delay * (0.5 + self._rng.random())
            done = now + self._rng.uniform(self.min_delay, self.max_delay)
            done = max(done, enroute)
            con.executemany("INSERT INTO reports (gateway_id, client_ref, state, at, reason, "
                            "taken) VALUES (?, ?, ?, ?, ?, 0)",
                            [[gateway_id, client_ref, "ENROUTE", enroute, None],
                             [gateway_id, client_ref, final, done, reason]])
            self._ask(con, client_ref, to, text, now, "accepte", gateway_id)
        if self.after_accept is not None:
            self.after_accept(client_ref, gateway_id)
        if timeout:
            raise TimeoutError("la passerelle n'a pas répondu à temps (message accepté)")
        return SendResult(True, gateway_id)

    def reports(self) -> list[Report]:
        now = time.time()
        with _immediate(self._con, self._lock) as con:
            rows = con.execute("SELECT id, gateway_id, client_ref, state, at, reason FROM "
                               "reports WHERE taken = 0 AND at <= ? ORDER BY at, id LIMIT 5000",
                               [now]).fetchall()
            con.executemany("UPDATE reports SET taken = 1 WHERE id = ?", [[r[0]] for r in rows])
        return [Report(r[1], r[2], r[3], _utc(r[4]), r[5]) for r in rows]

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._con.close()

    # -- internals --

    def _ask(self, con, client_ref, to, text, at, outcome, gateway_id) -> None:
        con.execute("INSERT INTO asked (client_ref, to_number, text, at, outcome, gateway_id) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [client_ref, to, text, at, outcome, gateway_id])

    def _scripted(self, con, to: str) -> str | None:
        row = con.execute("SELECT id, outcome FROM script WHERE to_number = ? AND used = 0 "
                          "ORDER BY id LIMIT 1", [to]).fetchone()
        if row is None:
            return None
        con.execute("UPDATE script SET used = 1 WHERE id = ?", [row[0]])
        return row[1]

    def _draw(self) -> str | None:
        return "throttle" if self._rng.random() < self.throttle_rate else None

    def _final_state(self) -> str:
        if self._rng.random() >= self.failure_rate:
            return "DELIVRD"
        pick, acc = self._rng.random(), 0.0
        for state, share in _SIM_FAILURES:
            acc += share
            if pick < acc:
                return state
        return _SIM_FAILURES[-1][0]

    # -- test hooks and counts --

    def inject(self, to: str, *outcomes: str) -> None:
        """The next messages to ``to`` meet these outcomes, in order, one per call of
        ``send`` (a repeat of a reference consumes none): ``throttle`` / ``error`` (refused,
        transient), ``reject`` (refused for good), ``timeout`` (accepted, then TimeoutError),
        ``ok`` (accepted as usual), or a final DLR state (accepted, then reported so)."""
        bad = [o for o in outcomes if o not in INJECTABLE]
        if bad:
            raise ValueError(f"unknown outcomes {bad}")
        with _immediate(self._con, self._lock) as con:
            con.executemany("INSERT INTO script (to_number, outcome, used) VALUES (?, ?, 0)",
                            [[to, o] for o in outcomes])

    def inject_report(self, gateway_id: str, state: str, at: datetime | None = None,
                      client_ref: str | None = None, reason: str | None = None) -> None:
        """A delivery report given by the next :meth:`reports` (``at``: UTC, naive)."""
        moment = (at or utcnow()).replace(tzinfo=UTC).timestamp()
        with _immediate(self._con, self._lock) as con:
            con.execute("INSERT INTO reports (gateway_id, client_ref, state, at, reason, taken) "
                        "VALUES (?, ?, ?, ?, ?, 0)",
                        [gateway_id, client_ref, state, min(moment, time.time()), reason])

    def sent_count(self, to: str | None = None) -> int:
        """Messages sent (accepted once per client reference), to ``to`` or in all."""
        sql, args = "SELECT count(*) FROM messages", []
        if to is not None:
            sql, args = sql + " WHERE to_number = ?", [to]
        with self._lock:
            return int(self._con.execute(sql, args).fetchone()[0])

    def asked_count(self, client_ref: str | None = None) -> int:
        """Calls of ``send`` (repeats and refusals included), for ``client_ref`` or in all."""
        sql, args = "SELECT count(*) FROM asked", []
        if client_ref is not None:
            sql, args = sql + " WHERE client_ref = ?", [client_ref]
        with self._lock:
            return int(self._con.execute(sql, args).fetchone()[0])

    def repeat_count(self) -> int:
        """Calls dropped as repeats of a reference already sent."""
        with self._lock:
            return int(self._con.execute("SELECT count(*) FROM asked WHERE outcome = "
                                         "'repetition'").fetchone()[0])

    def pending_reports(self) -> int:
        """Reports not yet taken (due or not)."""
        with self._lock:
            return int(self._con.execute("SELECT count(*) FROM reports WHERE taken = 0"
                                         ).fetchone()[0])

    def messages(self) -> list[dict]:
        """Every message sent: gateway_id, client_ref, to, text, parts, accepted_at (UTC),
        final_state."""
        with self._lock:
            rows = self._con.execute("SELECT gateway_id, client_ref, to_number, text, parts, "
                                     "accepted_at, final_state FROM messages ORDER BY "
                                     "accepted_at").fetchall()
        return [{"gateway_id": r[0], "client_ref": r[1], "to": r[2], "text": r[3],
                 "parts": r[4], "accepted_at": _utc(r[5]), "final_state": r[6]} for r in rows]


# --- HTTP ----------------------------------------------------------------------------------------

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


# --- SMPP ----------------------------------------------------------------------------------------

#: SMPP message_state (TLV 0x0427) → DLR state
SMPP_STATES = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV",
               6: "ACCEPTD", 7: "UNKNOWN", 8: "REJECTD"}
_RECEIPT = re.compile(
    r"id:(?P<id>\S+).*?(?:done date:(?P<done>\d{10,12}))?\s*stat:(?P<stat>[A-Z]{7})"
    r"(?:\s+err:(?P<err>\S+))?", re.IGNORECASE | re.DOTALL)
#: submit_sm_resp statuses worth a retry: system error, queue full, throttled, submit failed
#: for now
SMPP_TRANSIENT = (0x08, 0x14, 0x58, 0x45, 0x64)
SMPP_DELIVERY_RECEIPT = 0x04  # esm_class of a deliver_sm carrying a receipt


def user_message_reference(client_ref: str) -> int:
    """The 16-bit ``user_message_reference`` a client reference travels as (SMPP has no free
    text client reference; the SMSC's logs show it)."""
    return zlib.crc32(client_ref.encode("utf-8")) & 0xFFFF


def submit_parts(to: str, text: str, source_addr: str, client_ref: str) -> list[dict]:
    """The ``submit_sm`` parameters of each part of ``text`` (GSM-7 septets, data coding 0, or
    UCS-2, data coding 8; a message longer than one SMS in parts with a concatenation header —
    UDH, 8-bit reference — never splitting a character), delivery receipt requested."""
    from smpplib import consts

    count = analyse(text)
    chunks = split(text) or [""]
    if count.encoding == GSM7:
        encoded, coding = [gsm7_septets(c) for c in chunks], consts.SMPP_ENCODING_DEFAULT
    else:
        encoded, coding = [c.encode("utf-16-be") for c in chunks], consts.SMPP_ENCODING_ISO10646
    alnum = not source_addr.lstrip("+").isdigit()
    common = {
        "source_addr_ton": consts.SMPP_TON_ALNUM if alnum else consts.SMPP_TON_INTL,
        "source_addr_npi": 0 if alnum else consts.SMPP_NPI_ISDN,
        "source_addr": source_addr.lstrip("+")[:20],
        "dest_addr_ton": consts.SMPP_TON_INTL, "dest_addr_npi": consts.SMPP_NPI_ISDN,
        "destination_addr": to.lstrip("+"), "data_coding": coding,
        "registered_delivery": 1,
        "user_message_reference": user_message_reference(client_ref),
    }
    if len(encoded) == 1:
        return [{**common, "esm_class": consts.SMPP_MSGTYPE_DEFAULT,
                 "short_message": encoded[0]}]
    ref = user_message_reference(client_ref) & 0xFF
    return [{**common, "esm_class": consts.SMPP_GSMFEAT_UDHI,
             "short_message": struct.pack(">BBBBBB", 5, 0, 3, ref, len(encoded), i) + part}
            for i, part in enumerate(encoded, start=1)]


def parse_receipt(short_message: bytes | str | None, receipted_message_id: str | None = None,
                  message_state: int | None = None, received: datetime | None = None
                  ) -> Report | None:
    """A delivery receipt (``deliver_sm`` with esm_class 0x04) as a report: the id and state
    from the TLVs when present, else from the text « id:… sub:… dlvrd:… submit date:…
    done date:YYMMDDhhmm[ss] stat:DELIVRD err:… text:… »; its time, the done date (taken as
    UTC), else ``received``. None when it is no receipt."""
    if isinstance(short_message, bytes):
        short_message = short_message.decode("latin-1")
    match = _RECEIPT.search(short_message or "")
    gid = receipted_message_id or (match.group("id") if match else None)
    state = SMPP_STATES.get(message_state or 0) or (
        match.group("stat").upper() if match else None)
    if not gid or not state:
        return None
    at = received or utcnow()
    if match and match.group("done"):
        done = match.group("done")
        with contextlib.suppress(ValueError):
            at = datetime.strptime(done, "%y%m%d%H%M%S" if len(done) == 12 else "%y%m%d%H%M")
    err = match.group("err") if match else None
    reason = None if state in ("DELIVRD", "ENROUTE", "ACCEPTD") or not err else (
        f"{DLR_REASONS.get(state, state)} (code {err})")
    return Report(str(gid)[:64], None, state if state in DLR_STATES else "UNKNOWN", at,
                  reason, (short_message or "")[:500])


class SmppGateway:
    """An SMSC over SMPP 3.4 (``smpplib``), bound as transceiver on first use (and again after
    a lost connection). Each message is one ``submit_sm`` per part (:func:`submit_parts`), the
    client reference as ``user_message_reference`` (16 bits: SMPP has no free-text client
    reference, hence the local :class:`SentLog`); the first part's ``message_id`` is the
    message's id. Receipts arrive as ``deliver_sm`` (answered at once), read while waiting for
    a ``submit_sm_resp`` or by :meth:`reports`; a message in several parts is reported once all
    its parts are final (a failed part fails the message)."""

    def __init__(self, host: str, port: int, system_id: str, password: str, source_addr: str,
                 timeout: float = 10.0, rate_per_second: float | None = None,
                 sent_log: Path | None = None, client_factory=None) -> None:
        self.host, self.port = host, int(port)
        self.system_id, self.password, self.source_addr = system_id, password, source_addr
        self.timeout = timeout
        self._pacer = Pacer(rate_per_second)
        self._log = SentLog(sent_log) if sent_log else None
        self._client = None
        self._factory = client_factory
        self._received: list[Report] = []
        self._part_of: dict[str, str] = {}  # part's message id → the message's (first part's)
        self._parts: dict[str, dict[str, Report | None]] = {}

    # -- connection --

    def _connect(self):
        if self._client is not None:
            return self._client
        import smpplib.client

        factory = self._factory or (lambda: smpplib.client.Client(
            self.host, self.port, timeout=self.timeout, allow_unknown_opt_params=True))
        client = factory()
        client.connect()
        client.bind_transceiver(system_id=self.system_id, password=self.password)
        self._client = client
        return client

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.disconnect()

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.unbind()
        self._drop()
        if self._log is not None:
            self._log.close()

    # -- incoming PDUs --

    def _handle(self, client, pdu) -> None:
        """A PDU that is not the response awaited: a receipt, an enquire_link…"""
        from smpplib import smpp

        if pdu.command == "deliver_sm":
            if (getattr(pdu, "esm_class", 0) or 0) & SMPP_DELIVERY_RECEIPT:
                rid = getattr(pdu, "receipted_message_id", None)
                report = parse_receipt(getattr(pdu, "short_message", None),
                                       rid.decode() if isinstance(rid, bytes) else rid,
                                       getattr(pdu, "message_state", None))
                if report is not None:
                    self._receipt(report)
            resp = smpp.make_pdu("deliver_sm_resp", client=client)
            resp.sequence = pdu.sequence
            client.send_pdu(resp)
        elif pdu.command == "enquire_link":
            resp = smpp.make_pdu("enquire_link_resp", client=client)
            resp.sequence = pdu.sequence
            client.send_pdu(resp)

    def _receipt(self, report: Report) -> None:
        """A part's receipt: the message's report once every part is final."""
        gid = self._part_of.get(report.gateway_id)
        if gid is None:  # not sent by this process (a restart): as it came
            self._received.append(report)
            return
        parts = self._parts[gid]
        if report.state not in FINAL_DLR:
            if report.gateway_id == gid:
                self._received.append(report)
            return
        parts[report.gateway_id] = report
        if all(parts.values()):
            failed = [r for r in parts.values() if r.state != "DELIVRD"]
            last = max(parts.values(), key=lambda r: r.at)
            worst = failed[0] if failed else last
            self._received.append(Report(gid, None, worst.state, last.at, worst.reason,
                                         worst.raw))
            for part in parts:
                self._part_of.pop(part, None)
            del self._parts[gid]

    def _await(self, client, sequence: int):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            pdu = client.read_pdu()
            if pdu.command in ("submit_sm_resp", "generic_nack") and pdu.sequence == sequence:
                return pdu
            self._handle(client, pdu)
        raise TimeoutError("pas de réponse de l'opérateur SMPP")

    # -- the protocol --

    def send(self, client_ref: str, to: str, text: str) -> SendResult:
        from smpplib import consts, exceptions

        if self._log is not None and (known := self._log.get(client_ref)):
            return SendResult(True, known)
        if not E164.match(to or ""):
            return SendResult(False, None, False, "numéro invalide (format E.164 attendu)")
        self._pacer.wait()
        ids: list[str] = []
        try:
            client = self._connect()
            for params in submit_parts(to, text, self.source_addr, client_ref):
                sent = client.send_message(**params)
                resp = self._await(client, sent.sequence)
                status = int(getattr(resp, "status", 0) or 0)
                if status != consts.SMPP_ESME_ROK:
                    why = consts.DESCRIPTIONS.get(status, "erreur inconnue")
                    return SendResult(False, None, status in SMPP_TRANSIENT,
                                      f"refus SMPP 0x{status:02X} : {why}")
                mid = resp.message_id
                ids.append(mid.decode() if isinstance(mid, bytes) else str(mid))
        except (exceptions.ConnectionError, exceptions.PDUError, OSError, TimeoutError) as exc:
            self._drop()
            if not ids:  # else the first parts are out: the message counts as accepted
                return SendResult(False, None, True,
                                  f"opérateur SMPP injoignable : {exc}"[:300])
        gateway_id = ids[0][:64]
        self._parts[gateway_id] = {i: None for i in ids}
        for i in ids:
            self._part_of[i] = gateway_id
        if self._log is not None:
            self._log.add(client_ref, gateway_id, to)
        return SendResult(True, gateway_id)

    def reports(self) -> list[Report]:
        import select

        from smpplib import exceptions

        if self._client is not None:
            try:
                sock = self._client._socket  # noqa: SLF001 - smpplib exposes no poll with a timeout
                while sock is not None and select.select([sock], [], [], 0)[0]:
                    self._handle(self._client, self._client.read_pdu())
            except (exceptions.ConnectionError, exceptions.PDUError, OSError):
                self._drop()
        out, self._received = self._received, []
        return out


# --- from the settings -----------------------------------------------------------------------

def simulated_path(settings) -> Path:
    return Path(settings.data_dir) / "sms-simule.sqlite"


def sent_log_path(settings) -> Path:
    return Path(settings.data_dir) / "sms-envoyes.sqlite"


def gateway_from_settings(settings) -> Gateway:
    """The gateway ``PRESENCE_SMS_GATEWAY`` names, configured from the settings
    (``etl.settings.SettingsError``, in French, when one it needs is missing)."""
    from etl.settings import SettingsError

    kind = getattr(settings, "sms_gateway", "simulated")
    rate = float(getattr(settings, "sms_rate", 50) or 50)
    if kind == "simulated":
        return SimulatedGateway(simulated_path(settings))
    if kind == "http":
        if not settings.sms_url:
            raise SettingsError("PRESENCE_SMS_URL est obligatoire avec "
                                "PRESENCE_SMS_GATEWAY=http.")
        try:
            return HttpGateway(settings.sms_url, settings.sms_user, settings.sms_password,
                               rate, sender=settings.sms_source,
                               sent_log=sent_log_path(settings))
        except ValueError as exc:
            raise SettingsError(f"PRESENCE_SMS_URL : {exc}.") from exc
    if kind == "smpp":
        if not settings.sms_host:
            raise SettingsError("PRESENCE_SMS_HOST est obligatoire avec "
                                "PRESENCE_SMS_GATEWAY=smpp.")
        return SmppGateway(settings.sms_host, settings.sms_port, settings.sms_user,
                           settings.sms_password, settings.sms_source, rate_per_second=rate,
                           sent_log=sent_log_path(settings))
    raise SettingsError(f"PRESENCE_SMS_GATEWAY inconnu : {kind}")


def describe(gateway) -> str:
    """The gateway in a few French words, for the worker's first line."""
    if isinstance(gateway, SimulatedGateway):
        return f"passerelle simulée ({gateway.path})"
    if isinstance(gateway, HttpGateway):
        return f"passerelle HTTP ({gateway.url})"
    if isinstance(gateway, SmppGateway):
        return f"passerelle SMPP ({gateway.host}:{gateway.port})"
    return type(gateway).__name__


__all__ = ["Gateway", "SendResult", "Report", "SimulatedGateway", "HttpGateway",
           "SmppGateway", "SentLog", "Pacer", "gateway_from_settings", "submit_parts",
           "parse_receipt", "report_from_json", "user_message_reference", "FINAL_DLR",
           "DLR_REASONS"]
