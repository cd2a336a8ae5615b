"""The SMS alerts' worker: ``python -m etl alerts worker [--once] [--interval S]`` (also started
by ``python -m dashboard``, ``PRESENCE_ALERTS_WORKER_SECONDS``).

Each round:

1. **claims** a small batch of due outbox rows — ``pending`` ones whose ``next_attempt_at`` has
   come, and ``sending`` ones claimed by a worker that died (its process is gone, or it claimed
   them more than ``claim_timeout`` ago) — with one conditional UPDATE (two workers never claim
   the same row); the first claim dates the message's submission (``sent_at``);
2. **sends** each one, at most ``rate`` messages per second, with the outbox key as the client
   reference, after checking it was not cancelled meanwhile (an opt-out): accepted → ``sent``
   with the gateway's id; refused for now (throttling, a server error, a time-out, any
   exception) → back to ``pending`` after an exponential back-off with jitter, ``failed`` after
   ``max_attempts``; refused for good → ``failed`` with the reason;
3. **pulls the delivery reports** and applies them: DELIVRD → ``delivered``; EXPIRED, DELETED,
   UNDELIV, REJECTD, UNKNOWN → ``failed`` with the reason; ENROUTE, ACCEPTD → the report only.
   A report for an unknown message id, older than the message's submission or than the last
   report applied, or in an unknown state goes to ``alert_dlr_quarantine`` with its French
   reason (one for a message not yet recorded as sent is applied later, once it is);
4. **finishes** the alerts whose every message is final: ``envoyee``, audited « envoi
   terminé ». A message accepted but without a final report after ``report_timeout`` (72 h,
   an SMS's usual validity) fails as « sans accusé de réception ».

Why nothing is sent twice: a message is in the outbox once (its unique key, written with the
validation); it is sent with that key as client reference, and the gateway drops a repeated
reference (``etl.alerts.gateway``). A worker killed between the gateway's acceptance and its
own record leaves the row ``sending``: the next worker claims it again and sends it again with
the same reference, which the gateway answers with the first message's id.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, delete, func, insert, or_, select, update

from etl.alerts.gateway import DLR_REASONS, FINAL_DLR, Gateway, Pacer, Report, SendResult
from etl.alerts.tables import FINAL_STATES
from etl.ops.store import (
    AUDIT_DETAIL_MAX,
    alert_dlr_quarantine,
    alert_outbox,
    alertes,
    audit_log,
    utcnow,
)
from etl.sources.alerts import DLR_STATES

log = logging.getLogger(__name__)

#: quarantine reasons (French)
UNKNOWN_MESSAGE = "accusé de réception d'un message inconnu (aucun envoi avec cet identifiant)"
BEFORE_SUBMISSION = "accusé de réception antérieur à l'envoi du message"
OUT_OF_ORDER = "accusé de réception plus ancien que le dernier reçu pour ce message"
AFTER_FINAL = "état intermédiaire reçu après l'état final du message"
UNKNOWN_STATE = "état d'accusé de réception inconnu"
OTHER_REFERENCE = "référence client différente de celle du message"
UNREADABLE = "accusé de réception illisible"
NO_REPORT = "sans accusé de réception final dans le délai de validité"
TOO_MANY_ATTEMPTS = "abandon après {n} essais : {reason}"
#: a remote gateway's clock may run a little ahead of ours
CLOCK_TOLERANCE = timedelta(seconds=60)
#: how long a quarantined « unknown message » report may still find its message
RECHECK = timedelta(hours=1)


def worker_id() -> str:
    """``host:pid:token`` (a restarted worker is another one; a dead one is recognised)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


def _dead(claimed_by: str | None, host: str) -> bool:
    """Whether the worker ``claimed_by`` ran on this host in a process that is gone."""
    try:
        their_host, pid, _token = (claimed_by or "").rsplit(":", 2)
        pid_ = int(pid)
    except ValueError:
        return False
    if their_host != host or pid_ == os.getpid() or pid_ <= 0:
        return False
    try:
        os.kill(pid_, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class RoundReport:
    """What one round did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # cancelled (an opt-out) between the claim and the send
    reports: int = 0
    quarantined: int = 0
    finished: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.claimed)

    def add(self, other: RoundReport) -> None:
        for name in ("claimed", "sent", "retried", "failed", "skipped", "reports",
                     "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.finished += other.finished

    def line(self) -> str:
        text = (f"{self.sent} SMS transmis, {self.retried} à réessayer, {self.failed} en échec, "
                f"{self.reports} accusés de réception ({self.quarantined} en quarantaine)")
        if self.finished:
            text += " ; envoi terminé : " + ", ".join(self.finished)
        return text


class Worker:
    """Sends the outbox through ``gateway`` (see the module's text). ``rate``: messages per
    second at most (None: no limit); ``batch``: rows claimed per round; ``backoff``: the first
    retry's delay, doubled at each attempt up to ``max_backoff``, with jitter."""

    def __init__(self, engine: Engine, gateway: Gateway, *, rate: float | None = 50.0,
                 batch: int = 50, max_attempts: int = 8,
                 backoff: timedelta = timedelta(seconds=5),
                 max_backoff: timedelta = timedelta(minutes=10),
                 claim_timeout: timedelta = timedelta(minutes=2),
                 report_timeout: timedelta = timedelta(hours=72),
                 ident: str | None = None, seed: int | None = None,
                 stop: threading.Event | None = None) -> None:
        self.engine, self.gateway = engine, gateway
        self.batch, self.max_attempts = batch, max_attempts
        self.backoff, self.max_backoff = backoff, max_backoff
        self.claim_timeout, self.report_timeout = claim_timeout, report_timeout
        self.ident = (ident or worker_id())[:64]
        self.host = socket.gethostname()[:30]
        self.stop = stop or threading.Event()
        self._pacer = Pacer(rate)
        self._rng = random.Random(seed)

    # -- 1. claim --------------------------------------------------------------------------

    def _dead_claims(self, con) -> list[str]:
        o = alert_outbox
        owners = [r[0] for r in con.execute(select(o.c.claimed_by).distinct().where(
            o.c.state == "sending", o.c.claimed_by.is_not(None), o.c.claimed_by != self.ident))]
        return [w for w in owners if _dead(w, self.host)]

    def claim(self) -> list[dict]:
        """Due rows, now ``sending`` and this worker's."""
        o = alert_outbox
        now = utcnow()
        with self.engine.connect() as con:
            con = con.execution_options(sqlite_immediate=True)
            with con.begin():
                dead = self._dead_claims(con)
                stale = o.c.claimed_at < now - self.claim_timeout
                if dead:
                    stale = or_(stale, o.c.claimed_by.in_(dead))
                due = or_(and_(o.c.state == "pending", o.c.next_attempt_at <= now),
                          and_(o.c.state == "sending", stale))
                ids = [r[0] for r in con.execute(select(o.c.id).where(due).order_by(
                    o.c.next_attempt_at, o.c.id).limit(self.batch))]
                if not ids:
                    return []
                con.execute(update(o).where(o.c.id.in_(ids), due).values(
                    state="sending", claimed_at=now, claimed_by=self.ident, updated_at=now,
                    sent_at=func.coalesce(o.c.sent_at, now)))
                rows = con.execute(select(o).where(
                    o.c.id.in_(ids), o.c.state == "sending", o.c.claimed_by == self.ident,
                    o.c.claimed_at == now).order_by(o.c.next_attempt_at, o.c.id)
                ).mappings().all()
        return [dict(r) for r in rows]

    def release(self, rows: list[dict]) -> None:
        """Claimed rows not sent (the worker stops): pending again, at once."""
        if not rows:
            return
        o = alert_outbox
        with self.engine.begin() as con:
            con.execute(update(o).where(
                o.c.id.in_([r["id"] for r in rows]), o.c.state == "sending",
                o.c.claimed_by == self.ident).values(
                state="pending", claimed_at=None, claimed_by=None, updated_at=utcnow()))

    # -- 2. send ---------------------------------------------------------------------------

    def _still_mine(self, row: dict) -> bool:
        o = alert_outbox
        with self.engine.connect() as con:
            found = con.execute(select(o.c.state, o.c.claimed_by).where(o.c.id == row["id"])
                                ).first()
        return found is not None and found[0] == "sending" and found[1] == self.ident

    def _delay(self, attempts: int) -> timedelta:
        base = min(self.max_backoff.total_seconds(),
                   self.backoff.total_seconds() * 2 ** max(0, attempts - 1))
        return timedelta(seconds=base * self._rng.uniform(0.5, 1.0))

    def _record(self, row: dict, result: SendResult, report: RoundReport) -> None:
        o = alert_outbox
        now = utcnow()
        mine = and_(o.c.id == row["id"], o.c.state == "sending", o.c.claimed_by == self.ident)
        attempts = int(row["attempts"]) + 1
        done = {"attempts": attempts, "claimed_at": None, "claimed_by": None, "updated_at": now}
        with self.engine.begin() as con:
            if result.accepted:
                changed = con.execute(update(o).where(mine).values(
                    state="sent", gateway_id=result.gateway_id, reason=None, **done)).rowcount
                if changed:
                    report.sent += 1
                else:  # cancelled while it was being sent: it left all the same
                    con.execute(update(o).where(
                        o.c.id == row["id"], o.c.state == "cancelled",
                        o.c.gateway_id.is_(None)).values(
                        gateway_id=result.gateway_id, updated_at=now,
                        reason=func.coalesce(o.c.reason, "annulé")
                        + " (message déjà transmis à l'opérateur)"))
                return
            reason = (result.reason or "refus de la passerelle")[:500]
            if result.transient and attempts < self.max_attempts:
                con.execute(update(o).where(mine).values(
                    state="pending", reason=reason,
                    next_attempt_at=now + self._delay(attempts), **done))
                report.retried += 1
                return
            if result.transient:
                reason = TOO_MANY_ATTEMPTS.format(n=attempts, reason=reason)
            con.execute(update(o).where(mine).values(state="failed", reason=reason[:500],
                                                     **done))
            report.failed += 1

    def send(self, rows: list[dict], report: RoundReport) -> None:
        """Send the claimed ``rows`` (those left when the worker is told to stop are
        released)."""
        for i, row in enumerate(rows):
            if self.stop.is_set():
                self.release(rows[i:])
                return
            self._pacer.wait(self.stop)
            if not self._still_mine(row):
                report.skipped += 1
                continue
            try:
                result = self.gateway.send(row["key"], row["telephone"], row["message"])
            except Exception as exc:  # noqa: BLE001 - a time-out, a lost connection…
                text = str(exc) or type(exc).__name__
                log.warning("gateway error for %s: %s", row["key"], text)
                result = SendResult(False, None, True, f"erreur de la passerelle : {text}"[:300])
            self._record(row, result, report)

    # -- 3. delivery reports ---------------------------------------------------------------

    def _quarantine(self, con, report: Report, reason: str, now: datetime) -> None:
        con.execute(insert(alert_dlr_quarantine).values(
            received_at=now, gateway_id=(report.gateway_id or None) and report.gateway_id[:64],
            client_ref=report.client_ref and report.client_ref[:140],
            state=(report.state or "")[:16], reported_at=report.at, reason=reason,
            raw=(report.raw or repr(report))[:2000]))

    def _apply(self, con, report: Report, now: datetime) -> str | None:
        """Apply one report inside ``con``'s transaction; the quarantine reason if not."""
        o = alert_outbox
        if not report.gateway_id:
            return report.reason or UNREADABLE
        if report.state not in DLR_STATES:
            return UNKNOWN_STATE
        row = con.execute(select(o).where(o.c.gateway_id == report.gateway_id)).mappings().first()
        if row is None:
            return UNKNOWN_MESSAGE
        if report.client_ref and report.client_ref != row["key"]:
            return OTHER_REFERENCE
        if row["sent_at"] is not None and report.at < row["sent_at"] - CLOCK_TOLERANCE:
            return BEFORE_SUBMISSION
        if row["dlr_at"] is not None and report.at < row["dlr_at"]:
            return OUT_OF_ORDER
        final = report.state in FINAL_DLR
        if row["state"] in ("delivered", "failed") and not final:
            return AFTER_FINAL
        values = {"dlr_state": report.state, "dlr_at": report.at, "updated_at": now}
        if row["state"] != "cancelled" and final:
            if report.state == "DELIVRD":
                values |= {"state": "delivered", "reason": None}
            else:
                values |= {"state": "failed",
                           "reason": (report.reason or DLR_REASONS[report.state])[:500]}
        con.execute(update(o).where(o.c.id == row["id"]).values(**values))
        return None

    def pull_reports(self, report: RoundReport) -> None:
        """The gateway's new reports, applied or quarantined in one transaction; quarantined
        « unknown message » reports whose message has been recorded since, applied."""
        try:
            incoming = self.gateway.reports()
        except Exception:  # noqa: BLE001 - read again next round
            log.exception("reading the delivery reports failed")
            incoming = []
        now = utcnow()
        with self.engine.connect() as con:
            con = con.execution_options(sqlite_immediate=True)
            with con.begin():
                self._recheck(con, now)  # older than the new ones
                for item in incoming:
                    reason = self._apply(con, item, now)
                    report.reports += 1
                    if reason is not None:
                        self._quarantine(con, item, reason, now)
                        report.quarantined += 1

    def _recheck(self, con, now: datetime) -> None:
        q, o = alert_dlr_quarantine, alert_outbox
        rows = con.execute(select(q).where(
            q.c.reason == UNKNOWN_MESSAGE, q.c.received_at > now - RECHECK,
            q.c.gateway_id.in_(select(o.c.gateway_id).where(o.c.gateway_id.is_not(None))))
            .order_by(q.c.reported_at, q.c.id)).mappings().all()
        for r in rows:
            item = Report(r["gateway_id"], r["client_ref"], r["state"], r["reported_at"],
                          None, r["raw"])
            reason = self._apply(con, item, now)
            if reason is None:
                con.execute(delete(q).where(q.c.id == r["id"]))
            elif reason != UNKNOWN_MESSAGE:
                con.execute(update(q).where(q.c.id == r["id"]).values(reason=reason))

    # -- 4. the end of an alert ------------------------------------------------------------

    def expire(self) -> int:
        """Messages accepted long ago without a final report: failed."""
        o = alert_outbox
        now = utcnow()
        with self.engine.begin() as con:
            return con.execute(update(o).where(
                o.c.state == "sent", o.c.sent_at < now - self.report_timeout).values(
                state="failed", reason=NO_REPORT, updated_at=now)).rowcount

    def finish(self) -> list[str]:
        """Alerts whose every message is final: ``envoyee``, audited « envoi terminé »."""
        o = alert_outbox
        open_rows = select(o.c.id).where(o.c.id_alerte == alertes.c.id_alerte,
                                         o.c.state.not_in(FINAL_STATES)).exists()
        done = []
        with self.engine.connect() as con:
            candidates = [r[0] for r in con.execute(select(alertes.c.id_alerte).where(
                alertes.c.statut == "validee", ~open_rows))]
        for ident in candidates:
            now = utcnow()
            with self.engine.connect() as con:
                con = con.execution_options(sqlite_immediate=True)
                with con.begin():
                    changed = con.execute(update(alertes).where(
                        alertes.c.id_alerte == ident, alertes.c.statut == "validee",
                        ~open_rows).values(statut="envoyee", finished_at=now,
                                           version=alertes.c.version + 1,
                                           updated_at=now)).rowcount
                    if changed != 1:
                        continue
                    counts = dict(con.execute(select(o.c.state, func.count()).where(
                        o.c.id_alerte == ident).group_by(o.c.state)).all())
                    total = sum(counts.values())
                    detail = (f"{ident} : envoi terminé : {counts.get('delivered', 0)} remis, "
                              f"{counts.get('failed', 0)} en échec, "
                              f"{counts.get('cancelled', 0)} annulé(s), sur {total} message(s)")
                    con.execute(insert(audit_log).values(
                        at=now, login=None, action="alerte_envoi_termine",
                        detail=detail[:AUDIT_DETAIL_MAX], address=None))
            done.append(ident)
        return done

    # -- rounds ----------------------------------------------------------------------------

    def run_once(self) -> RoundReport:
        """One round: a batch claimed and sent, the reports pulled, the alerts finished."""
        report = RoundReport()
        rows = self.claim()
        report.claimed = len(rows)
        self.send(rows, report)
        self.pull_reports(report)
        if not rows:
            self.expire()
        report.finished = self.finish()
        return report

    def drain(self) -> RoundReport:
        """Rounds until nothing is due now (``--once``)."""
        total = RoundReport()
        while not self.stop.is_set():
            r = self.run_once()
            total.add(r)
            if not r.busy:
                break
        return total

    def run(self, interval: float, parent: int | None = None,
            report: Callable[[str], None] | None = None) -> None:
        """Rounds until :attr:`stop` is set (or the process ``parent`` has ended); an idle
        round waits ``interval`` seconds; a failed one is logged, and the next one tries
        again."""
        while not self.stop.is_set() and (parent is None or os.getppid() == parent):
            try:
                r = self.run_once()
            except Exception:  # noqa: BLE001 - the worker outlives one bad round
                log.exception("alerts worker round failed; next in %.0f s", interval)
                r = RoundReport()
            if report is not None and (r.sent or r.failed or r.finished or r.quarantined):
                report(r.line())
            if not r.busy:
                self.stop.wait(interval)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            close = getattr(self.gateway, "close", None)
            if close is not None:
                close()
