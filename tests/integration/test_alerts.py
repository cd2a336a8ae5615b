"""SMS alerts end to end on the small fixture warehouse and a simulated operator: creation
inside the user's scope and limits, four eyes, the outbox written with the validation, the
worker (retries with back-off, permanent failures, delivery reports, quarantine), the opt-out
honoured at once — and each recipient receiving exactly one SMS after a worker killed
mid-send, a double validation, two workers at once, or a gateway that times out after
accepting. Conditions are polled with a deadline, never waited for with a fixed sleep."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from etl.alerts import contacts, workflow
from etl.alerts.gateway import DLR_REASONS, SimulatedGateway
from etl.alerts.worker import (
    BEFORE_SUBMISSION,
    UNKNOWN_MESSAGE,
    UNKNOWN_STATE,
    RoundReport,
    Worker,
)
from etl.ops import records, store
from etl.ops.store import alert_dlr_quarantine, alert_outbox, alertes, audit_log
from etl.settings import PROJECT_ROOT
from etl.sources.loader import known_codes
from etl.warehouse import parts
from tests.support.dashboard_fixture import add_operational_data, build_small_warehouse
from tests.support.postgres import postgres_url  # noqa: F401 - the session's cluster

#: brigade B35047's communes, and those of Ille-et-Vilaine (the fixture's)
BRIGADE = {"35047", "35066"}
DEP35 = {"35238", "35115", "35047", "35066", "35253", "35142"}
#: the fixture's imported contacts (elu_contacts) of Bruz and Chartres-de-Bretagne
BRUZ, CHARTRES = "+33639980000", "+33639980001"
LIMITS = workflow.RateLimit(per_user=50, per_departement=500)
FAITS = "2026-11-30 22:15"


@pytest.fixture(scope="module")
def warehouse_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("alertes")
    path = build_small_warehouse(folder / "warehouse.duckdb")
    return add_operational_data(path)


@pytest.fixture(scope="module")
def wh(warehouse_path):
    con = parts.connect(warehouse_path)
    yield con
    con.close()


@pytest.fixture(scope="module")
def known(wh):
    return known_codes(wh)


@pytest.fixture()
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'operations.sqlite'}"


@pytest.fixture()
def engine(url):
    eng = store.get_engine(url)
    yield eng
    store._engines.pop(url).dispose()


@pytest.fixture()
def gateway(tmp_path):
    gw = SimulatedGateway(tmp_path / "sms-simule.sqlite", seed=7, failure_rate=0.0,
                          throttle_rate=0.0, min_delay=0.02, max_delay=0.08,
                          enroute_delay=0.01)
    yield gw
    gw.close()


def wait_for(condition, seconds: float = 30.0):
    """Poll ``condition`` until it holds (its value returned) or the deadline passes."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def worker(engine, gateway, **options) -> Worker:
    return Worker(engine, gateway, **({"rate": None, "backoff": timedelta(milliseconds=50),
                                       "seed": 1} | options))


#: the published warehouse every creation counts its recipients in (:func:`published`)
PUBLISHED: list = []


@pytest.fixture(autouse=True)
def published(wh):
    """The fixture's warehouse, where :func:`create` counts the recipients (its contacts)."""
    PUBLISHED[:] = [wh]
    yield wh
    PUBLISHED.clear()


def create(engine, key: str, *, login: str = "bta.bruz", role: str = "brigade",
           communes=("35047", "35066"), allowed=BRIGADE, wh=None, **values):
    fields = {"departement": "35", "unite": "B35047", "categorie": "cambriolages",
              "message": workflow.TEMPLATES["cambriolages"], "faits_le": FAITS} | values
    return workflow.create(engine, login=login, role=role,
                           communes=list(communes) if isinstance(communes, tuple) else communes,
                           allowed_communes=allowed, idempotency_key=key,
                           address="10.0.0.1", limits=fields.pop("limits", LIMITS),
                           con=wh if wh is not None else PUBLISHED[0], **fields)


def validated(engine, wh, key: str, **values) -> str:
    result = create(engine, key, **values)
    assert result.ok, result.errors
    done = workflow.validate(engine, wh, result.id_alerte, login="cdt.35",
                             role="commandant", departement="35")
    assert done.ok and not done.replayed
    return result.id_alerte


def add_contacts(engine, known, n: int, commune: str = "35047") -> list[str]:
    """``n`` contacts entered in the store (opt-in), their numbers."""
    phones = []
    for i in range(n):
        phone = f"+336399820{i:02d}"
        result = records.submit(engine, "contacts", {
            "code_commune": commune, "fonction": "conseiller_municipal", "telephone": phone,
            "opt_in": True, "date_opt_in": "2025-06-01", "canal_opt_in": "courriel"},
            "bta.bruz", lambda _v: True, f"contact-{commune}-{i}", known)
        assert result.ok, result.errors
        phones.append(phone)
    return phones


def outbox(engine, ident: str) -> list[dict]:
    with engine.connect() as con:
        return [dict(r) for r in con.execute(select(alert_outbox).where(
            alert_outbox.c.id_alerte == ident).order_by(alert_outbox.c.id)).mappings()]


def actions(engine) -> list[tuple]:
    with engine.connect() as con:
        return [tuple(r) for r in con.execute(select(
            audit_log.c.action, audit_log.c.login, audit_log.c.detail).order_by(
            audit_log.c.id))]


def until_sent(engine, w: Worker, ident: str, seconds: float = 30.0) -> dict:
    """Worker rounds until the alert is ``envoyee``; its progress."""
    def done():
        w.run_once()
        return workflow.get(engine, ident)["statut"] == "envoyee"
    wait_for(done, seconds)
    return workflow.progress(engine, ident)


# --- creation --------------------------------------------------------------------------------

def test_an_alert_is_created_to_validate_with_its_audit(engine, wh):
    result = create(engine, "form-1", wh=wh)
    assert result.ok and result.statut == "a_valider" and result.recipients == 2
    assert result.id_alerte == "AL-2026-S000001"
    alert = workflow.get(engine, result.id_alerte)
    assert alert["statut"] == "a_valider" and alert["communes_liste"] == ["35047", "35066"]
    assert (alert["encoding"], alert["parts"], alert["author_role"]) == ("GSM-7", 1, "brigade")
    assert alert["faits_le"] == datetime(2026, 11, 30, 22, 15)
    # the same form display again: the first alert, nothing written
    again = create(engine, "form-1", message="Autre texte")
    assert again.ok and again.replayed and again.id_alerte == result.id_alerte
    assert len(workflow.list_alerts(engine)) == 1
    # someone else's form key: not theirs to learn
    other = create(engine, "form-1", login="cdt.35", role="commandant", allowed=DEP35)
    assert not other.ok and other.errors == {"*": workflow.BAD_KEY}
    [(action, login, detail)] = actions(engine)
    assert (action, login) == ("alerte_creation", "bta.bruz")
    assert detail.startswith("AL-2026-S000001 : cambriolages, 2 commune(s), 1 SMS GSM-7")
    # a commandant's alert waits for validation too
    own = create(engine, "form-2", login="cdt.35", role="commandant", allowed=DEP35,
                 communes=["35253"])
    assert own.ok and own.statut == "a_valider"


@pytest.mark.parametrize(("values", "field", "reason"), [
    ({"message": "   "}, "message", workflow.EMPTY_MESSAGE),
    ({"message": None}, "message", workflow.EMPTY_MESSAGE),
    ({"message": "a" * (153 * 6 + 1)}, "message",
     "message trop long : 7 SMS par destinataire (6 au plus, GSM-7)"),
    ({"message": "ê" * 403}, "message",
     "message trop long : 7 SMS par destinataire (6 au plus, UCS-2)"),
    ({"message": "a\x00b"}, "message", workflow.ODD_MESSAGE),
    ({"categorie": "incendie"}, "categorie", workflow.UNKNOWN_CATEGORY),
    ({"communes": []}, "communes", workflow.NO_COMMUNE),
    ({"communes": ["35047"] * 2001}, "communes", workflow.TOO_MANY_COMMUNES),
    ({"communes": 42}, "communes", workflow.BAD_COMMUNES),
    ({"communes": " | "}, "communes", workflow.NO_COMMUNE),
    ({"faits_le": None}, "faits_le", workflow.NO_FACTS_DATE),
    ({"faits_le": "2099-01-01 10:00"}, "faits_le", workflow.FUTURE_FACTS),
    ({"faits_le": "hier soir"}, "faits_le", workflow.BAD_FACTS_DATE),
])
def test_bad_alerts_are_refused_with_a_french_reason(engine, values, field, reason):
    result = create(engine, "bad", **values)
    assert not result.ok and result.errors[field] == reason
    assert workflow.list_alerts(engine).empty and actions(engine) == []


def test_a_brigade_cannot_target_communes_outside_its_area(engine):
    with pytest.raises(PermissionError, match="périmètre"):
        create(engine, "forged", communes=["35047", "56003"])
    with pytest.raises(PermissionError, match="périmètre"):
        create(engine, "forged", communes=["35047", "35066' OR 1=1 --"])
    assert workflow.list_alerts(engine).empty
    assert [(a, login) for a, login, _d in actions(engine)] == [
        ("acces_refuse", "bta.bruz")] * 2
    assert "56003" in actions(engine)[0][2]
    with pytest.raises(PermissionError, match="rôle"):
        create(engine, "prefet", login="prefet.35", role="prefet")


def test_creations_are_limited_per_user_and_per_departement(engine):
    limits = workflow.RateLimit(per_user=2, per_departement=3)
    assert create(engine, "a1", limits=limits).ok
    assert create(engine, "a2", limits=limits).ok
    refused = create(engine, "a3", limits=limits)
    assert not refused.ok
    assert refused.errors["*"].startswith("trop d'alertes créées (2 en une heure au plus par "
                                          "utilisateur) : réessayez dans ")
    assert refused.errors["*"].endswith(("59 min", "60 min", "1 h 00"))
    # another user of the département: alerts waiting do not use the département's quota
    # (issue #21: it counts alerts sent), sent ones do
    assert create(engine, "b1", login="bta.bruz2", limits=limits).ok
    assert create(engine, "b2", login="bta.bruz3", limits=limits).ok
    with engine.begin() as con:
        con.execute(update(alertes).values(statut="validee", validated_at=store.utcnow()))
    by_dep = create(engine, "b3", login="bta.bruz4", limits=limits)
    assert not by_dep.ok and "pour le département" in by_dep.errors["*"]
    assert [a for a, _l, _d in actions(engine)].count("alerte_limite_atteinte") == 2
    # an hour later the user may again
    with engine.begin() as con:
        con.execute(update(alertes).values(created_at=alertes.c.created_at
                                           - timedelta(minutes=61),
                                           validated_at=alertes.c.validated_at
                                           - timedelta(minutes=61)))
    assert create(engine, "a4", limits=limits).ok


def test_an_alert_nobody_would_receive_is_refused_with_its_reason_and_audited(engine, wh,
                                                                             known):
    """Rennes (police zone) has no élu's contact: an alert to it would go to nobody (issue
    #19: « Aucun destinataire », yet AL-2026-S000002 went to validation)."""
    refused = create(engine, "nobody", login="cdt.35", role="commandant", allowed=DEP35,
                     communes=["35238"], unite="G35")
    assert not refused.ok and refused.errors == {"communes": workflow.NO_RECIPIENT}
    assert refused.errors["communes"].startswith("aucun destinataire")
    assert workflow.list_alerts(engine).empty
    [(action, login, detail)] = actions(engine)
    assert (action, login) == ("alerte_sans_destinataire", "cdt.35")
    assert "aucun destinataire" in detail and "35238" in detail
    # a landline in the store is no recipient either (an SMS never reaches it)
    assert records.submit(engine, "contacts", {
        "code_commune": "35238", "fonction": "maire", "telephone": "06 39 98 30 01",
        "opt_in": True, "date_opt_in": "2025-06-01", "canal_opt_in": "courriel"},
        "cdt.35", lambda _v: True, "landline", known).ok
    with engine.begin() as con:  # a landline, as a store made before the rule could hold
        con.execute(update(store.record_tables["contacts"]).values(telephone="+33261910001"))
    assert contacts.recipients(engine, wh, ["35238"]).empty
    assert not create(engine, "nobody-2", login="cdt.35", role="commandant", allowed=DEP35,
                      communes=["35238"], unite="G35").ok


def test_a_validation_finding_no_recipient_any_more_is_refused_and_audited(engine, wh, known):
    """Written for Bruz alone, whose only élu opted out before the validation: nothing to
    send; the validator is told why, the refusal audited in the alert's trail, nothing in the
    outbox, and the alert still waits (to be refused or cancelled)."""
    ident = create(engine, "bruz", communes=["35047"]).id_alerte
    assert contacts.opt_out(engine, "CT-35047-1", "bta.bruz", lambda _v: True, known,
                            con=wh).ok
    result = workflow.validate(engine, wh, ident, login="cdt.35", role="commandant",
                               departement="35")
    assert not result.ok and result.errors == {"*": workflow.NO_RECIPIENT_NOW}
    assert result.errors["*"].startswith("aucun destinataire à ce jour")
    assert workflow.get(engine, ident)["statut"] == "a_valider" and outbox(engine, ident) == []
    step = workflow.trail(engine, ident)[-1]
    assert (step["action"], step["login"], step["etape"]) == (
        "alerte_sans_destinataire", "cdt.35", "validation impossible")
    assert workflow.refuse(engine, ident, login="cdt.35", role="commandant", departement="35",
                           reason="Plus de destinataire").ok


# --- four eyes -------------------------------------------------------------------------------

def test_four_eyes(engine, wh):
    mine = create(engine, "own", login="cdt.35", role="commandant", allowed=DEP35).id_alerte
    theirs = create(engine, "theirs").id_alerte
    with pytest.raises(PermissionError, match="votre propre alerte"):
        workflow.validate(engine, wh, mine, login="cdt.35", role="commandant",
                          departement="35")
    with pytest.raises(PermissionError, match="commandant du département"):
        workflow.validate(engine, wh, theirs, login="cdt.56", role="commandant",
                          departement="56")
    with pytest.raises(PermissionError, match="commandant du département"):
        workflow.validate(engine, wh, theirs, login="bta.autre", role="brigade",
                          departement="35")
    with pytest.raises(PermissionError, match="votre propre alerte"):  # the author himself
        workflow.validate(engine, wh, theirs, login="bta.bruz", role="brigade",
                          departement="35")
    refused = [(login, detail) for action, login, detail in actions(engine)
               if action == "acces_refuse"]
    assert [login for login, _d in refused] == ["cdt.35", "cdt.56", "bta.autre", "bta.bruz"]
    assert refused[0][1].startswith(f"{mine} : validation de sa propre alerte")
    assert all(workflow.get(engine, i)["statut"] == "a_valider" for i in (mine, theirs))
    assert outbox(engine, mine) == outbox(engine, theirs) == []
    # another commandant of the département, and an administrator, may
    assert workflow.validate(engine, wh, mine, login="cdt.35bis", role="commandant",
                             departement="35").ok
    assert workflow.validate(engine, wh, theirs, login="admin", role="admin",
                             departement=None).ok
    steps = [s["etape"] for s in workflow.trail(engine, mine)]
    assert steps == ["création", "accès refusé", "validation"]


def test_validation_writes_the_outbox_before_any_sending(engine, wh, gateway):
    ident = validated(engine, wh, "v1")
    rows = outbox(engine, ident)
    assert [(r["key"], r["telephone"], r["state"], r["attempts"]) for r in rows] == [
        (f"{ident}:CT-35047-1", BRUZ, "pending", 0),
        (f"{ident}:CT-35066-1", CHARTRES, "pending", 0)]
    assert gateway.asked_count() == 0
    alert = workflow.get(engine, ident)
    assert (alert["statut"], alert["validated_by"], alert["recipients"]) == (
        "validee", "cdt.35", 2)
    progress = until_sent(engine, worker(engine, gateway), ident)
    assert (progress["total"], progress["delivered"], progress["done"]) == (2, 2, True)
    assert [s["etape"] for s in workflow.trail(engine, ident)] == [
        "création", "validation", "envoi terminé"]
    shown = workflow.deliveries(engine, ident, show_numbers=True)
    hidden = workflow.deliveries(engine, ident, show_numbers=False)
    assert shown["telephone"].tolist() == ["+33 6 39 98 00 00", "+33 6 39 98 00 01"]
    assert hidden["telephone"].tolist() == ["+33 6 •• •• •• 00", "+33 6 •• •• •• 01"]
    assert hidden["etat"].tolist() == ["Remis", "Remis"]
    assert hidden["dlr_state"].tolist() == ["DELIVRD", "DELIVRD"]


def test_refusal_and_cancellation(engine, wh):
    first = create(engine, "r1").id_alerte
    no_reason = workflow.refuse(engine, first, login="cdt.35", role="commandant",
                                departement="35", reason="  ")
    assert no_reason.errors == {"reason": workflow.NO_REASON}
    done = workflow.refuse(engine, first, login="cdt.35", role="commandant",
                           departement="35", reason="Texte à préciser")
    assert done.ok and done.statut == "refusee"
    assert workflow.get(engine, first)["refused_reason"] == "Texte à préciser"
    late = workflow.validate(engine, wh, first, login="cdt.35", role="commandant",
                             departement="35")
    assert not late.ok and late.errors == {"*": "alerte déjà refusée"}
    second = create(engine, "r2").id_alerte
    with pytest.raises(PermissionError, match="auteur"):
        workflow.cancel(engine, second, login="cdt.35")
    assert workflow.cancel(engine, second, login="bta.bruz").statut == "annulee"
    assert workflow.cancel(engine, second, login="bta.bruz").replayed
    assert outbox(engine, first) == outbox(engine, second) == []
    listed = workflow.list_alerts(engine, departement="35")
    assert listed["statut"].tolist() == ["annulee", "refusee"]
    assert workflow.list_alerts(engine, statut="refusee")["id_alerte"].tolist() == [first]
    assert workflow.list_alerts(engine, unite="B00000").empty


# --- never twice -------------------------------------------------------------------------------

def test_a_double_validation_writes_one_outbox(engine, wh, known, gateway):
    phones = [BRUZ, CHARTRES, *add_contacts(engine, known, 4)]
    ident = create(engine, "double").id_alerte
    barrier = threading.Barrier(3)
    results = []

    def validate(login):
        cur = wh.cursor()
        barrier.wait()
        results.append(workflow.validate(engine, cur, ident, login=login, role="commandant",
                                         departement="35"))
        cur.close()
    threads = [threading.Thread(target=validate, args=(f"cdt.{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.ok for r in results) and sorted(r.replayed for r in results) == [
        False, True, True]
    # a second click later: nothing new either
    assert workflow.validate(engine, wh, ident, login="cdt.9", role="commandant",
                             departement="35").replayed
    assert len(outbox(engine, ident)) == 6
    assert [a for a, _l, _d in actions(engine)].count("alerte_validation") == 1
    until_sent(engine, worker(engine, gateway), ident)
    assert [gateway.sent_count(p) for p in phones] == [1] * 6


def test_two_workers_at_once_send_each_message_once(engine, wh, known, gateway, tmp_path):
    phones = [BRUZ, CHARTRES, *add_contacts(engine, known, 30)]
    ident = validated(engine, wh, "two")
    other = SimulatedGateway(gateway.path, seed=8, failure_rate=0.0, throttle_rate=0.0,
                             min_delay=0.02, max_delay=0.08, enroute_delay=0.01)  # same file
    workers = [worker(engine, gateway, batch=5), worker(engine, other, batch=5)]

    def run(w):
        for _ in range(40):
            if not w.run_once().busy:
                return
    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    until_sent(engine, workers[0], ident)
    assert [gateway.sent_count(p) for p in phones] == [1] * 32
    assert gateway.repeat_count() == 0 and gateway.asked_count() == 32
    other.close()


#: a worker in its own process, blocked inside the gateway call for one message
KILLED_WORKER = """
    import sys, time
    from pathlib import Path
    from etl.alerts.gateway import SimulatedGateway
    from etl.alerts.worker import Worker
    from etl.ops.store import get_engine
    url, path, target, stage = sys.argv[1:5]
    gateway = SimulatedGateway(Path(path), seed=1, failure_rate=0, throttle_rate=0,
                               min_delay=0.01, max_delay=0.05, enroute_delay=0.01)
    def block(ref, _other):
        if ref == target:
            print("blocked", flush=True)
            time.sleep(3600)
    if stage == "before_send":
        gateway.before_send = block
    else:
        gateway.after_accept = block
    Worker(get_engine(url), gateway, rate=None, batch=10).drain()
    print("ended", flush=True)
"""


@pytest.mark.parametrize("stage", ["before_send", "after_accept"])
def test_a_worker_killed_mid_send_and_restarted_sends_each_sms_once(engine, wh, known, url,
                                                                     gateway, stage):
    phones = [BRUZ, CHARTRES, *add_contacts(engine, known, 3)]
    ident = validated(engine, wh, "kill")
    keys = [r["key"] for r in outbox(engine, ident)]
    target, target_phone = keys[1], outbox(engine, ident)[1]["telephone"]
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(KILLED_WORKER), url,
                             str(gateway.path), target, stage], cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line.rstrip("\n"))
            if seen[-1] == "blocked":
                break
        else:
            raise AssertionError("the worker ended first:\n" + "\n".join(seen))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    rows = {r["key"]: r for r in outbox(engine, ident)}
    assert rows[keys[0]]["state"] == "sent"
    # the killed worker's message: claimed, its gateway id never recorded
    assert rows[target]["state"] == "sending" and rows[target]["gateway_id"] is None
    assert gateway.sent_count(target_phone) == (1 if stage == "after_accept" else 0)
    # a new worker reclaims the dead one's rows at once (its process is gone) and finishes
    progress = until_sent(engine, worker(engine, gateway), ident)
    assert progress["delivered"] == 5
    assert [gateway.sent_count(p) for p in phones] == [1] * 5
    assert gateway.asked_count(target) == (2 if stage == "after_accept" else 1)
    assert gateway.repeat_count() == (1 if stage == "after_accept" else 0)
    assert all(gateway.asked_count(k) == 1 for k in keys if k != target)


def test_a_gateway_timing_out_after_accepting_sends_once(engine, wh, gateway):
    gateway.inject(CHARTRES, "timeout")
    ident = validated(engine, wh, "timeout")
    w = worker(engine, gateway)
    first = w.run_once()
    assert (first.sent, first.retried) == (1, 1)
    row = outbox(engine, ident)[1]
    assert row["state"] == "pending" and row["attempts"] == 1
    assert "la passerelle n'a pas répondu" in row["reason"]
    progress = until_sent(engine, w, ident)
    assert progress["delivered"] == 2
    assert gateway.sent_count(BRUZ) == gateway.sent_count(CHARTRES) == 1
    assert gateway.asked_count(row["key"]) == 2 and gateway.repeat_count() == 1
    assert outbox(engine, ident)[1]["attempts"] == 2


def test_rows_claimed_long_ago_by_a_lost_worker_are_claimed_again(engine, wh, gateway):
    ident = validated(engine, wh, "lost")
    with engine.begin() as con:  # a worker of another machine, silent for 3 minutes
        con.execute(update(alert_outbox).values(
            state="sending", claimed_by="autre-serveur:123:abcd",
            claimed_at=store.utcnow() - timedelta(minutes=3)))
    assert worker(engine, gateway, claim_timeout=timedelta(minutes=5)).claim() == []
    claimed = worker(engine, gateway, claim_timeout=timedelta(minutes=2)).claim()
    assert sorted(r["key"] for r in claimed) == sorted(r["key"] for r in outbox(engine, ident))


# --- retries, failures, reports ----------------------------------------------------------------

def test_transient_failures_are_retried_with_back_off_then_sent(engine, wh, gateway):
    gateway.inject(CHARTRES, "throttle", "error")
    ident = validated(engine, wh, "retry")
    w = worker(engine, gateway, backoff=timedelta(milliseconds=200))
    before = store.utcnow()
    w.run_once()
    row = outbox(engine, ident)[1]
    assert (row["state"], row["attempts"]) == ("pending", 1) and "throttling" in row["reason"]
    first_delay = row["next_attempt_at"] - before
    assert timedelta(milliseconds=100) <= first_delay <= timedelta(seconds=1)
    wait_for(lambda: w.run_once() and outbox(engine, ident)[1]["attempts"] == 2)
    row = outbox(engine, ident)[1]
    assert row["state"] == "pending" and "503" in row["reason"]
    progress = until_sent(engine, w, ident)
    row = outbox(engine, ident)[1]
    assert (row["state"], row["attempts"], row["reason"]) == ("delivered", 3, None)
    assert progress["delivered"] == 2 and gateway.sent_count(CHARTRES) == 1
    assert gateway.asked_count(row["key"]) == 3


def test_permanent_failures_are_recorded_with_their_reason(engine, wh, gateway):
    gateway.inject(BRUZ, "reject")
    gateway.inject(CHARTRES, "EXPIRED")
    ident = validated(engine, wh, "fail")
    progress = until_sent(engine, worker(engine, gateway), ident)
    bruz, chartres = outbox(engine, ident)
    assert (bruz["state"], bruz["attempts"], bruz["gateway_id"]) == ("failed", 1, None)
    assert bruz["reason"] == "numéro refusé par l'opérateur (destinataire invalide)"
    assert (chartres["state"], chartres["dlr_state"]) == ("failed", "EXPIRED")
    assert chartres["reason"] == DLR_REASONS["EXPIRED"]
    assert progress["failed"] == 2 and progress["sent"] == 1
    assert progress["failed_by_reason"] == {bruz["reason"]: 1, DLR_REASONS["EXPIRED"]: 1}
    assert progress["dlr_states"] == {"EXPIRED": 1}
    assert workflow.trail(engine, ident)[-1]["detail"].endswith(
        "envoi terminé : 0 remis, 2 en échec, 0 annulé(s), sur 2 message(s)")


def test_too_many_transient_failures_fail_the_message(engine, wh, gateway):
    gateway.inject(BRUZ, "error", "error", "error")
    ident = validated(engine, wh, "abandon")
    until_sent(engine, worker(engine, gateway, max_attempts=3), ident)
    bruz = outbox(engine, ident)[0]
    assert (bruz["state"], bruz["attempts"]) == ("failed", 3)
    assert bruz["reason"] == ("abandon après 3 essais : erreur temporaire de la passerelle "
                              "(503)")
    assert gateway.sent_count(BRUZ) == 0


def quarantine(engine) -> list[tuple]:
    q = alert_dlr_quarantine
    with engine.connect() as con:
        return [tuple(r) for r in con.execute(select(q.c.gateway_id, q.c.state, q.c.reason)
                                              .order_by(q.c.id))]


def test_unknown_and_late_reports_are_quarantined_with_their_reason(engine, wh, gateway):
    ident = validated(engine, wh, "dlr")
    w = worker(engine, gateway)
    until_sent(engine, w, ident)
    row = outbox(engine, ident)[0]
    gateway.inject_report("SIM999999999", "DELIVRD", client_ref="AL-0000-S000000:CT-X")
    gateway.inject_report(row["gateway_id"], "DELIVRD", at=row["sent_at"] - timedelta(hours=1))
    gateway.inject_report(row["gateway_id"], "PERDU")
    report = RoundReport()
    w.pull_reports(report)
    assert (report.reports, report.quarantined) == (3, 3)
    assert sorted(quarantine(engine)) == sorted([
        ("SIM999999999", "DELIVRD", UNKNOWN_MESSAGE),
        (row["gateway_id"], "DELIVRD", BEFORE_SUBMISSION),
        (row["gateway_id"], "PERDU", UNKNOWN_STATE)])
    assert outbox(engine, ident)[0]["state"] == "delivered"


def test_a_report_arriving_before_its_message_is_recorded_is_applied_later(engine, wh,
                                                                           gateway):
    ident = validated(engine, wh, "early")
    keys = [r["key"] for r in outbox(engine, ident)]
    # the gateway got the message (a worker died before recording it) and reports on it
    gid = gateway.send(keys[0], BRUZ, "x").gateway_id
    w = worker(engine, gateway)
    wait_for(lambda: w.pull_reports(RoundReport()) or quarantine(engine))
    assert quarantine(engine)[0] == (gid, "ENROUTE", UNKNOWN_MESSAGE)
    progress = until_sent(engine, w, ident)
    assert progress["delivered"] == 2 and gateway.sent_count(BRUZ) == 1
    assert quarantine(engine) == []  # applied once the message was recorded, then released


# --- opt-out -------------------------------------------------------------------------------

def test_an_opt_out_cancels_the_pending_message_at_once(engine, wh, known, gateway):
    ident = validated(engine, wh, "optout")

    def scope(values):
        return values["code_commune"] in BRIGADE
    result = contacts.opt_out(engine, "CT-35047-1", "bta.bruz", scope, known,
                              address="10.0.0.5", con=wh)
    assert result.ok and result.ident == "CT-35047-1"
    bruz, chartres = outbox(engine, ident)
    assert (bruz["state"], bruz["reason"]) == ("cancelled", "désinscrit")
    assert chartres["state"] == "pending"
    stored = records.get(engine, "contacts", result.record_id)
    assert stored["opt_in"] is False and stored["telephone"] == BRUZ
    logged = [(a, d) for a, _l, d in actions(engine)]
    assert logged[-2][0] == "saisie_contacts"  # the adopted contact's record (the forms' door)
    assert logged[-1][0] == "alerte_envoi_annule" and f"{ident}:CT-35047-1" in logged[-1][1]
    # the next alert no longer targets the contact; the worker never sends the cancelled row
    assert contacts.recipients(engine, wh, ["35047"]).empty
    progress = until_sent(engine, worker(engine, gateway), ident)
    assert (progress["cancelled"], progress["delivered"]) == (1, 1)
    assert gateway.sent_count(BRUZ) == 0 and gateway.sent_count(CHARTRES) == 1
    # again (the store record now): corrected, nothing else to cancel
    assert contacts.opt_out(engine, "CT-35047-1", "bta.bruz", scope, known, con=wh).ok
    # outside the caller's communes: refused, audited; an unknown contact: an error
    with pytest.raises(PermissionError):
        contacts.opt_out(engine, "CT-56003-1", "bta.bruz", scope, known, con=wh)
    assert actions(engine)[-1][0] == "acces_refuse"
    assert not contacts.opt_out(engine, "CT-INCONNU", "bta.bruz", scope, known, con=wh).ok


def test_an_opt_out_during_the_claim_stops_the_send(engine, wh, known, gateway):
    ident = validated(engine, wh, "claimed")
    w = worker(engine, gateway)
    rows = w.claim()
    assert [r["state"] for r in rows] == ["sending", "sending"]
    assert contacts.opt_out(engine, "CT-35066-1", "cdt.35", lambda _v: True, known,
                            con=wh).ok
    report = RoundReport()
    w.send(rows, report)
    assert (report.sent, report.skipped) == (1, 1)
    assert gateway.sent_count(CHARTRES) == 0
    assert outbox(engine, ident)[1]["state"] == "cancelled"


def test_an_opted_out_number_entered_again_as_a_new_contact_receives_nothing(engine, wh, known,
                                                                           gateway):
    """The probe's bypass (#21): after « Désinscrire », the same brigade adds the same number as
    a new contact with opt-in « oui » and a backdated consent date. Refused with the date of the
    opt-out; a contact with that number written past the forms (a file, an older record)
    receives nothing either; the opt-out survives the contact's deletion; only an
    administrator with a written reason lifts it, every change audited."""
    from etl.ops import consent

    def scope(values):
        return values["code_commune"] in BRIGADE
    assert contacts.opt_out(engine, "CT-35047-1", "bta.bruz", scope, known, con=wh).ok
    again = {"code_commune": "35047", "fonction": "maire", "telephone": "06 39 98 00 00",
             "opt_in": True, "date_opt_in": "2024-01-02", "canal_opt_in": "entretien_mairie"}
    refused = records.submit(engine, "contacts", again, "bta.bruz", scope, "bypass-1", known)
    assert not refused.ok
    today = consent.local_date(store.utcnow())
    assert refused.errors["opt_in"].startswith(
        f"Ce numéro a demandé à ne plus recevoir d'alertes (désinscription du {today})")
    # stored without opt-in, then « corrected » to opt-in: refused as well
    kept = records.submit(engine, "contacts", again | {"opt_in": False}, "bta.bruz", scope,
                          "bypass-2", known)
    assert kept.ok
    corrected = records.correct(engine, "contacts", kept.record_id, {"opt_in": True},
                                "bta.bruz", scope, known)
    assert "opt_in" in corrected.errors
    # deleted and entered again: still refused
    assert records.delete(engine, "contacts", kept.record_id, "bta.bruz", scope,
                          reason="doublon").ok
    assert not records.submit(engine, "contacts", again, "bta.bruz", scope, "bypass-3",
                              known).ok
    # a record with opt-in past the forms' checks: the recipients leave it out all the same
    table = store.record_tables["contacts"]
    now = datetime(2026, 12, 1, 9)
    with engine.begin() as con:
        con.execute(table.insert().values(
            version=1, created_at=now, created_by="import", updated_at=now, updated_by="import",
            deleted=False, idempotency_key="direct", id_contact="CT-DIRECT",
            code_commune="35047", fonction="maire", telephone=BRUZ, opt_in=True,
            date_opt_in=now.date(), canal_opt_in="courriel"))
    assert BRUZ not in contacts.recipients(engine, wh, ["35047", "35066"])["telephone"].tolist()
    ident = validated(engine, wh, "after-bypass")
    assert [r["telephone"] for r in outbox(engine, ident)] == [CHARTRES]
    until_sent(engine, worker(engine, gateway), ident)
    assert gateway.sent_count(BRUZ) == 0 and gateway.sent_count(CHARTRES) == 1
    # only an administrator lifts it, with a written reason; each change audited
    assert consent.lift(engine, BRUZ, "bta.bruz", "brigade", "demande écrite du maire") \
        == consent.NOT_ADMIN
    assert actions(engine)[-1][0] == "acces_refuse"
    assert consent.lift(engine, BRUZ, "admin", "admin", "oui") == consent.NO_REASON
    assert consent.lift(engine, BRUZ, "admin", "admin",
                        "courrier du maire du 02/12/2026, réinscription demandée") is None
    logged = [(a, lg, d) for a, lg, d in actions(engine) if a.startswith("consentement")]
    assert [(a, lg) for a, lg, _d in logged] == [("consentement_retire", "bta.bruz"),
                                                 ("consentement_retabli", "admin")]
    assert "courrier du maire" in logged[-1][2] and "+33 6 •• •• •• 00" in logged[-1][2]
    assert BRUZ in contacts.recipients(engine, wh, ["35047"])["telephone"].tolist()
    assert records.submit(engine, "contacts", again, "bta.bruz", scope, "bypass-4", known).ok
    # the register keeps no number in clear
    with engine.connect() as con:
        assert BRUZ not in str(con.execute(select(store.alert_opt_outs)).all())


# --- the command line ----------------------------------------------------------------------

def test_worker_and_status_commands(engine, wh, url, tmp_path):
    ident = validated(engine, wh, "cli")
    env = dict(os.environ, PRESENCE_DATA_DIR=str(tmp_path), PRESENCE_OPS_URL=url)
    out = subprocess.run([sys.executable, "-m", "etl", "alerts", "worker", "--once"],
                         cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("2 SMS transmis")
    simulated = SimulatedGateway(tmp_path / "sms-simule.sqlite")
    assert simulated.sent_count(BRUZ) == simulated.sent_count(CHARTRES) == 1
    simulated.close()
    status = subprocess.run([sys.executable, "-m", "etl", "alerts", "status", ident],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith(f"{ident} — Validée (envoi en cours) — cambriolages")
    assert "messages : 2 — 0 en attente, 2 transmis" in status.stdout
    # the times in France's (the store keeps UTC): the creation, and each step of the trail
    created = workflow.to_local(workflow.get(engine, ident)["created_at"])
    assert f"le {created:%Y-%m-%d %H:%M} ; faits du" in status.stdout
    assert "(heures de Paris)" in status.stdout and " UTC" not in status.stdout
    assert f"  {created:%Y-%m-%d %H:%M}" in status.stdout.split("message :")[1]
    missing = subprocess.run([sys.executable, "-m", "etl", "alerts", "status", "AL-0"],
                             cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    assert missing.returncode == 2 and "alerte introuvable" in missing.stderr
    with engine.connect() as con:
        assert con.execute(select(func.count()).select_from(alert_outbox).where(
            alert_outbox.c.state == "sent")).scalar() == 2


# --- PostgreSQL --------------------------------------------------------------------------------

def test_the_flow_on_postgresql(postgres_url, wh, known, tmp_path):  # noqa: F811
    """The same store on PostgreSQL: the rate limit's locks, a triple validation at once, two
    workers claiming together, an opt-out, the end of the alert — each SMS once."""
    import uuid

    from tests.support.postgres import new_database

    url = new_database(postgres_url, f"a_{uuid.uuid4().hex[:16]}")
    engine = store.get_engine(url)
    gateway = SimulatedGateway(tmp_path / "sms.sqlite", seed=3, failure_rate=0.0,
                               throttle_rate=0.0, min_delay=0.02, max_delay=0.08,
                               enroute_delay=0.01)
    try:
        assert engine.dialect.name == "postgresql"
        phones = [BRUZ, CHARTRES, *add_contacts(engine, known, 20)]
        limits = workflow.RateLimit(per_user=1, per_departement=10)
        first = create(engine, "pg-1", limits=limits)
        assert first.ok and first.id_alerte == f"AL-{store.utcnow().year}-S000001"
        assert "trop d'alertes" in create(engine, "pg-2", limits=limits).errors["*"]
        barrier = threading.Barrier(3)
        results = []

        def validate(login):
            cur = wh.cursor()
            barrier.wait()
            results.append(workflow.validate(engine, cur, first.id_alerte, login=login,
                                             role="commandant", departement="35"))
            cur.close()
        threads = [threading.Thread(target=validate, args=(f"cdt.{i}",)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r.replayed for r in results) == [False, True, True]
        assert len(outbox(engine, first.id_alerte)) == 22
        assert contacts.opt_out(engine, "CT-35066-1", "cdt.35", lambda _v: True, known,
                                con=wh).ok
        other = SimulatedGateway(gateway.path, seed=4, failure_rate=0.0, throttle_rate=0.0,
                                 min_delay=0.02, max_delay=0.08, enroute_delay=0.01)
        workers = [worker(engine, gateway, batch=4), worker(engine, other, batch=4)]

        def run(w):
            for _ in range(30):
                if not w.run_once().busy:
                    return
        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        progress = until_sent(engine, workers[0], first.id_alerte)
        assert (progress["delivered"], progress["cancelled"]) == (21, 1)
        assert [gateway.sent_count(p) for p in phones] == [1, 0] + [1] * 20
        assert gateway.repeat_count() == 0
        other.close()
    finally:
        gateway.close()
        store._engines.pop(url).dispose()
