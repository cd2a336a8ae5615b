"""What tests and benchmarks ask of the simulated operator
(:class:`~etl.alerts.gateway.simulated.SimulatedGateway` mixes these in): faults and reports on
purpose, kept in its SQLite file so that a worker in another process meets them, and counts of
what it was asked and what it sent. No real gateway has them: nothing but a test or a benchmark
calls them."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime

from etl.alerts.gateway.base import immediate, utc_from_timestamp, utcnow

#: outcomes :meth:`SimulatedGateway.inject` accepts, for the next messages to one number
INJECTABLE = ("throttle", "error", "reject", "timeout", "ok", "DELIVRD", "EXPIRED", "UNDELIV",
              "REJECTD", "DELETED", "UNKNOWN")


class SimulatedControls:
    """The controls, on the simulated gateway's SQLite connection and lock."""

    _con: sqlite3.Connection
    _lock: threading.Lock

    def inject(self, to: str, *outcomes: str) -> None:
        """The next messages to ``to`` meet these outcomes, in order, one per call of
        ``send`` (a repeat of a reference consumes none): ``throttle`` / ``error`` (refused,
        transient), ``reject`` (refused for good), ``timeout`` (accepted, then TimeoutError),
        ``ok`` (accepted as usual), or a final DLR state (accepted, then reported so)."""
        bad = [o for o in outcomes if o not in INJECTABLE]
        if bad:
            raise ValueError(f"unknown outcomes {bad}")
        with immediate(self._con, self._lock) as con:
            con.executemany("INSERT INTO script (to_number, outcome, used) VALUES (?, ?, 0)",
                            [[to, o] for o in outcomes])

    def inject_report(self, gateway_id: str, state: str, at: datetime | None = None,
                      client_ref: str | None = None, reason: str | None = None) -> None:
        """A delivery report given by the next :meth:`reports` (``at``: UTC, naive)."""
        moment = (at or utcnow()).replace(tzinfo=UTC).timestamp()
        with immediate(self._con, self._lock) as con:
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

    def messages(self) -> list[dict]:
        """Every message sent: gateway_id, client_ref, to, text, parts, accepted_at (UTC),
        final_state."""
        with self._lock:
            rows = self._con.execute("SELECT gateway_id, client_ref, to_number, text, parts, "
                                     "accepted_at, final_state FROM messages ORDER BY "
                                     "accepted_at").fetchall()
        return [{"gateway_id": r[0], "client_ref": r[1], "to": r[2], "text": r[3],
                 "parts": r[4], "accepted_at": utc_from_timestamp(r[5]), "final_state": r[6]}
                for r in rows]
