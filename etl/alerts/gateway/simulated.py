"""The simulated operator (``PRESENCE_SMS_GATEWAY=simulated``, the default): no SMS leaves the
machine. It keeps its state in its own SQLite file (``<PRESENCE_DATA_DIR>/sms-simule.sqlite``),
so that it survives a worker's restart and a test can count what it was asked and what it sent;
it answers with realistic delays, throttling, failures and delivery reports, and can be told to
fail on purpose (:mod:`etl.alerts.gateway.controls`)."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from etl.alerts.encoding import analyse
from etl.alerts.gateway.base import (
    DLR_REASONS,
    E164,
    FINAL_DLR,
    Report,
    SendResult,
    immediate,
    open_sqlite,
    utc_from_timestamp,
)
from etl.alerts.gateway.controls import SimulatedControls
from etl.sources.phones import receives_sms

_SIM_FAILURES = (("UNDELIV", 0.5), ("EXPIRED", 0.3), ("REJECTD", 0.2))
#: what the operator reports for a number no SMS reaches (a landline, a premium-rate number)
NOT_MOBILE = "message non remis : numéro fixe ou spécial, il ne reçoit pas de SMS"


class SimulatedGateway(SimulatedControls):
    """An operator in a SQLite file (see the module's text).

    Each ``send`` is recorded in ``asked`` (every call, repeats included); an accepted message
    in ``messages`` (one per client reference: a repeat returns the first id and is counted as
    a repeat, never sent twice). Answers: ``throttle_rate`` of the calls are refused for
    throttling (transient); a number that is not E.164 is refused for good; the others are
    accepted, then reported ENROUTE after ``enroute_delay`` seconds and, after a delay drawn
    between ``min_delay`` and ``max_delay``, DELIVRD — or, for ``failure_rate`` of them,
    UNDELIV, EXPIRED or REJECTD with a reason. A number that cannot receive an SMS (a landline,
    ``etl.sources.phones.receives_sms``) is accepted then reported UNDELIV (:data:`NOT_MOBILE`),
    as real operators do, never « remis ». ``timeout_rate`` of the accepted calls time out
    after accepting (the message is sent, the caller gets TimeoutError).

    Hooks for tests and benchmarks (:class:`~etl.alerts.gateway.controls.SimulatedControls`):
    outcomes scripted for the next messages to a number, kept in the file so that a worker in
    another process meets them, reports nobody asked for, the counts; and ``before_send(
    client_ref, to)`` and ``after_accept(client_ref, gateway_id)`` (callables run inside
    ``send``: e.g. one that blocks, to kill a worker mid-send)."""

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
        self._con = open_sqlite(self.path)
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
        with immediate(self._con, self._lock) as con:
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
            reason = DLR_REASONS.get(final)
            if not receives_sms(to):  # whatever was scripted: an SMS never reaches it
                final, reason = "UNDELIV", NOT_MOBILE
            n = con.execute("SELECT count(*) FROM messages").fetchone()[0] + 1
            gateway_id = f"SIM{n:09d}"
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
        with immediate(self._con, self._lock) as con:
            rows = con.execute("SELECT id, gateway_id, client_ref, state, at, reason FROM "
                               "reports WHERE taken = 0 AND at <= ? ORDER BY at, id LIMIT 5000",
                               [now]).fetchall()
            con.executemany("UPDATE reports SET taken = 1 WHERE id = ?", [[r[0]] for r in rows])
        return [Report(r[1], r[2], r[3], utc_from_timestamp(r[4]), r[5]) for r in rows]

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
