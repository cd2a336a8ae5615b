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

- ``base``: the protocol and what the gateways share;
- ``simulated``: :class:`SimulatedGateway` (default): no SMS leaves the machine. It keeps its
  state in its own SQLite file (``<PRESENCE_DATA_DIR>/sms-simule.sqlite``), so that it survives
  a worker's restart and a test can count what it was asked and what it sent; it answers with
  realistic delays, throttling, failures and delivery reports, and can be told to fail on
  purpose (``controls``: what only tests and benchmarks call);
- ``http``: :class:`HttpGateway`, a JSON API (see the class for the expected format);
- ``smpp``: :class:`SmppGateway`, an SMSC over SMPP 3.4 (``smpplib``), delivery receipts as
  ``deliver_sm``;
- ``factory``: the gateway ``PRESENCE_SMS_GATEWAY`` names.

HTTP and SMPP gateways also keep a local log of the references they had accepted
(:class:`SentLog`, ``<PRESENCE_DATA_DIR>/sms-envoyes.sqlite``), so that a message accepted just
before a worker died is not submitted again even when the operator does not deduplicate.
"""

from etl.alerts.gateway.base import (
    DLR_REASONS,
    FINAL_DLR,
    Gateway,
    Pacer,
    Report,
    SendResult,
    SentLog,
    utcnow,
)
from etl.alerts.gateway.controls import INJECTABLE
from etl.alerts.gateway.factory import (
    describe,
    gateway_from_settings,
    sent_log_path,
    simulated_path,
)
from etl.alerts.gateway.http import HttpGateway, report_from_json
from etl.alerts.gateway.simulated import SimulatedGateway
from etl.alerts.gateway.smpp import (
    SmppGateway,
    parse_receipt,
    submit_parts,
    user_message_reference,
)

__all__ = ["Gateway", "SendResult", "Report", "SimulatedGateway", "HttpGateway",
           "SmppGateway", "SentLog", "Pacer", "gateway_from_settings", "describe",
           "simulated_path", "sent_log_path", "submit_parts", "parse_receipt",
           "report_from_json", "user_message_reference", "utcnow", "FINAL_DLR", "DLR_REASONS",
           "INJECTABLE"]
