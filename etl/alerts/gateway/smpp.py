"""The SMPP gateway (``PRESENCE_SMS_GATEWAY=smpp``): an SMSC over SMPP 3.4 (``smpplib``),
delivery receipts as ``deliver_sm``."""

from __future__ import annotations

import contextlib
import re
import struct
import time
import zlib
from datetime import datetime
from pathlib import Path

from etl.alerts.encoding import GSM7, analyse, gsm7_septets, split
from etl.alerts.gateway.base import (
    DLR_REASONS,
    E164,
    FINAL_DLR,
    Pacer,
    Report,
    SendResult,
    SentLog,
    utcnow,
)
from etl.sources.alerts import DLR_STATES

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
