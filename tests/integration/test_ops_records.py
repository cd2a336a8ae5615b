"""The forms' one door: a record is validated by its source's declaration as a file row (same
French reasons, per field), stored with its history and audit record in one transaction, never
twice, never physically deleted, never outside the caller's scope; many processes writing at
once lose nothing."""

from __future__ import annotations

import multiprocessing
import os
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from etl.ops import store
from etl.ops.records import (
    DENIED,
    FIXED_ID,
    KEY_TAKEN,
    MAX_TEXT,
    NOT_FOUND,
    ODD_VALUE,
    STALE,
    TOO_LONG,
    UNKNOWN_FIELD,
    correct,
    delete,
    get,
    history,
    make_id,
    submit,
)
from etl.sources.dcas import DCAS
from etl.sources.validate import MISSING, Known

KNOWN = Known(communes={"35001", "35002", "56001"}, departements={"35", "56"},
              brigades={"B35051", "B56001"})
#: brigade B35051's communes
OWN = {"35001", "35002"}
GOOD = {"date_consultation": "2025-02-03", "code_commune": "35001", "brigade_id": "B35051",
        "fonction_elu": "maire", "canal": "entretien_mairie",
        "attentes": ["cambriolages", "presence_heures_sensibles"], "creneaux": "soiree|week_end",
        "priorite": "haute", "actions_suivi": "Patrouilles de soirée", "statut": "a_traiter",
        "date_suivi": "", "satisfaction": None}


def own(values: dict) -> bool:
    return values["code_commune"] in OWN


@pytest.fixture()
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'operations.sqlite'}"
    eng = store.get_engine(url)
    yield eng
    store._engines.pop(url).dispose()


def count(engine, table) -> int:
    with engine.connect() as con:
        return con.execute(select(func.count()).select_from(table)).scalar_one()


def audit_actions(engine) -> list[tuple[str, str]]:
    with engine.connect() as con:
        return [tuple(r) for r in con.execute(select(
            store.audit_log.c.action, store.audit_log.c.login).order_by(store.audit_log.c.id))]


def nothing_written(engine) -> bool:
    return (count(engine, store.record_tables["dcas"]) == 0
            and count(engine, store.record_history) == 0
            and count(engine, store.audit_log) == 0)


def test_a_good_dcas_consultation_is_stored_with_its_history_and_audit(engine):
    result = submit(engine, "dcas", GOOD, "bta35051", own, "form-1", KNOWN, address="10.0.0.1")
    assert result.ok and not result.errors and result.version == 1
    assert result.ident == f"DC-2025-S{result.record_id:06d}" == make_id(
        DCAS, result.record_id, {"date_consultation": date(2025, 2, 3)})
    record = get(engine, "dcas", result.record_id)
    assert record["id_consultation"] == result.ident
    assert record["date_consultation"] == date(2025, 2, 3)
    assert record["attentes"] == "cambriolages|presence_heures_sensibles"
    assert record["satisfaction"] is None and record["date_suivi"] is None
    assert (record["created_by"], record["deleted"], record["version"]) == ("bta35051", False, 1)
    [h] = history(engine, "dcas", result.record_id)
    assert (h["action"], h["version"], h["login"], h["before"]) == (
        "creation", 1, "bta35051", None)
    assert h["after"]["id_consultation"] == result.ident
    assert h["after"]["date_consultation"] == "2025-02-03"
    assert audit_actions(engine) == [("saisie_dcas", "bta35051")]
    # an id given by the form is kept; the same id again is refused
    again = submit(engine, "dcas", {**GOOD, "id_consultation": "DC-X-1"}, "bta35051", own,
                   "form-2", KNOWN)
    assert again.ok and again.ident == "DC-X-1"
    taken = submit(engine, "dcas", {**GOOD, "id_consultation": "DC-X-1"}, "bta35051", own,
                   "form-3", KNOWN)
    assert taken.errors == {"id_consultation": KEY_TAKEN}


FUTURE = (date.today() + timedelta(days=10)).isoformat()


@pytest.mark.parametrize(("change", "field", "reason"), [
    ({"code_commune": "99999"}, "code_commune", "code INSEE inconnu du référentiel des communes"),
    ({"code_commune": "3500"}, "code_commune", "code INSEE inconnu du référentiel des communes"),
    ({"code_commune": "ABC"}, "code_commune", "code INSEE mal formé (5 caractères attendus)"),
    ({"canal": "pigeon"}, "canal", "valeur hors liste (entretien_mairie, telephone, "
     "visioconference, reunion_publique, application_gendelus)"),
    ({"attentes": ["cambriolages", "ovnis"]}, "attentes", "valeur hors liste"),
    ({"date_consultation": FUTURE}, "date_consultation", "date dans le futur"),
    ({"date_consultation": "31/02/2025"}, "date_consultation", "date attendue (AAAA-MM-JJ)"),
    ({"priorite": ""}, "priorite", MISSING),
    ({"priorite": None}, "priorite", MISSING),
    ({"date_suivi": "2025-01-01"}, "date_suivi", "suivi antérieur à la consultation"),
    ({"satisfaction": 6}, "satisfaction", "valeur supérieure au maximum (5)"),
    ({"satisfaction": "beaucoup"}, "satisfaction", "nombre entier attendu"),
    ({"brigade_id": "B99999"}, "brigade_id", "brigade inconnue (table brigades)"),
    ({"couleur_prefere": "bleu"}, "couleur_prefere", UNKNOWN_FIELD),
    ({"actions_suivi": "x" * (MAX_TEXT + 1)}, "actions_suivi", TOO_LONG),
    ({"actions_suivi": {"$gt": ""}}, "actions_suivi", ODD_VALUE),
    ({"satisfaction": float("nan")}, "satisfaction", ODD_VALUE),
    ({"attentes": [1, 2]}, "attentes", ODD_VALUE),
])
def test_each_bad_input_gets_the_sources_french_reason_and_writes_nothing(engine, change,
                                                                          field, reason):
    result = submit(engine, "dcas", {**GOOD, **change}, "bta35051", own, "form-1", KNOWN)
    assert not result.ok and result.record_id is None
    assert list(result.errors) == [field]
    assert result.errors[field].startswith(reason)
    assert nothing_written(engine)


def test_a_missing_required_field_and_odd_forms_are_refused(engine):
    values = {k: v for k, v in GOOD.items() if k != "statut"}
    assert submit(engine, "dcas", values, "bta35051", own, "form-1", KNOWN).errors == {
        "statut": MISSING}
    assert submit(engine, "dcas", ["not", "a", "dict"], "b", own, "form-1", KNOWN).errors == {
        "*": "formulaire illisible : rechargez la page"}
    assert not submit(engine, "dcas", GOOD, "b", own, "k" * 65, KNOWN).ok
    assert not submit(engine, "dcas", GOOD, "b", own, None, KNOWN).ok
    huge = {f"champ{i}": "x" for i in range(10_000)}
    assert submit(engine, "dcas", huge, "b", own, "form-1", KNOWN).errors == {
        "*": "formulaire illisible : rechargez la page"}
    assert nothing_written(engine)


def test_other_form_sources_use_their_own_declarations(engine):
    known = Known(communes={"35001"}, brigades={"B35051"})
    diag = {"date_diagnostic": "2025-06-02", "code_commune": "35001",
            **{q: "oui" for q in ("q1_inventaire", "q2_mots_de_passe",
                                  "q3_mises_a_jour_sauvegardes", "q4_sensibilisation",
                                  "q5_antivirus", "q6_donnees_personnelles", "q7_teletravail",
                                  "q8_evaluation", "q9_prestataires")}}
    ok = submit(engine, "diagnostics", diag, "bta35051", own, "d-1", known)
    assert ok.ok and ok.ident == f"CY-2025-S{ok.record_id:04d}"
    complaint = {"date_faits": "2025-03-05", "date_depot": "2025-03-04 10:30",
                 "lieu_depot": "mairie", "code_commune": "35001", "brigade_id": "B35051",
                 "fonction_victime": "maire", "infraction": "menaces", "statut": "enregistree"}
    bad = submit(engine, "complaints", complaint, "bta35051", own, "c-1", known)
    assert bad.errors == {"date_depot": "plainte déposée avant la date des faits"}
    good = submit(engine, "complaints", {**complaint, "date_faits": "2025-03-02"}, "bta35051",
                  own, "c-1", known)
    assert good.ok and good.ident.startswith("PL-2025-S")
    training = {"id_session": "FS-2025-0001", "theme": "cyber_immunite",
                "date_session": "2025-04-10", "code_commune_session": "35001", "unite": "G35",
                "code_commune_participant": "35001", "fonction_participant": "maire"}
    t = submit(engine, "trainings", training, "cdt35", lambda v: True, "t-1", {"35001"})
    assert t.ok and t.ident == f"FP-S{t.record_id:06d}"
    with pytest.raises(ValueError, match="unknown form source"):
        submit(engine, "crime", {}, "x", own, "x-1", known)


def test_the_same_form_submitted_twice_is_stored_once(engine):
    first = submit(engine, "dcas", GOOD, "bta35051", own, "form-1", KNOWN)
    second = submit(engine, "dcas", GOOD, "bta35051", own, "form-1", KNOWN)
    assert second.ok and second.replayed
    assert (second.record_id, second.ident) == (first.record_id, first.ident)
    assert count(engine, store.record_tables["dcas"]) == 1
    assert count(engine, store.record_history) == 1
    assert len(audit_actions(engine)) == 1
    # another login replaying the key learns nothing and writes nothing
    other = submit(engine, "dcas", GOOD, "intrus", lambda v: True, "form-1", KNOWN)
    assert not other.ok and other.record_id is None
    assert count(engine, store.record_tables["dcas"]) == 1


def test_a_correction_keeps_the_history(engine):
    first = submit(engine, "dcas", GOOD, "bta35051", own, "form-1", KNOWN)
    rid = first.record_id
    bad = correct(engine, "dcas", rid, {"date_suivi": "2025-01-01"}, "bta35051", own, KNOWN)
    assert bad.errors == {"date_suivi": "suivi antérieur à la consultation"}
    assert correct(engine, "dcas", rid, {"id_consultation": "DC-1"}, "bta35051", own,
                   KNOWN).errors == {"id_consultation": FIXED_ID}
    done = correct(engine, "dcas", rid, {"statut": "realisee", "date_suivi": "2025-03-01",
                                         "satisfaction": 4}, "cdt35", own, KNOWN,
                   expected_version=1)
    assert done.ok and done.version == 2 and done.ident == first.ident
    record = get(engine, "dcas", rid)
    assert (record["statut"], record["satisfaction"], record["version"]) == ("realisee", 4, 2)
    assert (record["created_by"], record["updated_by"]) == ("bta35051", "cdt35")
    # a form showing version 1 does not overwrite version 2
    assert correct(engine, "dcas", rid, {"satisfaction": 1}, "bta35051", own, KNOWN,
                   expected_version=1).errors == {"*": STALE}
    h = history(engine, "dcas", rid)
    assert [(x["action"], x["version"], x["login"]) for x in h] == [
        ("creation", 1, "bta35051"), ("correction", 2, "cdt35")]
    assert (h[1]["before"]["statut"], h[1]["after"]["statut"]) == ("a_traiter", "realisee")
    assert h[1]["after"]["satisfaction"] == 4 and h[1]["before"]["satisfaction"] is None
    assert audit_actions(engine) == [("saisie_dcas", "bta35051"),
                                     ("saisie_dcas_correction", "cdt35")]


def test_a_delete_is_soft_and_traced(engine):
    rid = submit(engine, "dcas", GOOD, "bta35051", own, "form-1", KNOWN).record_id
    done = delete(engine, "dcas", rid, "bta35051", own)
    assert done.ok and done.version == 2
    record = get(engine, "dcas", rid)
    assert record is not None and record["deleted"] is True
    assert [x["action"] for x in history(engine, "dcas", rid)] == ["creation", "suppression"]
    assert history(engine, "dcas", rid)[1]["after"] is None
    assert audit_actions(engine)[-1] == ("saisie_dcas_suppression", "bta35051")
    # deleted: neither corrected nor deleted again
    assert delete(engine, "dcas", rid, "bta35051", own).errors == {"*": NOT_FOUND}
    assert correct(engine, "dcas", rid, {"statut": "close"}, "bta35051", own,
                   KNOWN).errors == {"*": NOT_FOUND}
    assert delete(engine, "dcas", 10**9, "bta35051", own).errors == {"*": NOT_FOUND}
    assert count(engine, store.record_tables["dcas"]) == 1


def test_outside_the_scope_is_refused_and_audited(engine):
    other = {**GOOD, "code_commune": "56001", "brigade_id": "B56001"}
    with pytest.raises(PermissionError, match="Accès refusé"):
        submit(engine, "dcas", other, "bta35051", own, "form-1", KNOWN, address="10.0.0.9")
    assert count(engine, store.record_tables["dcas"]) == 0
    assert audit_actions(engine) == [("acces_refuse", "bta35051")]
    # a record of its own moved to another brigade's commune, or another's record corrected
    rid = submit(engine, "dcas", GOOD, "bta35051", own, "form-2", KNOWN).record_id
    with pytest.raises(PermissionError, match=DENIED[:20]):
        correct(engine, "dcas", rid, {"code_commune": "56001"}, "bta35051", own, KNOWN)
    with pytest.raises(PermissionError):
        delete(engine, "dcas", rid, "bta56001", lambda v: v["code_commune"] == "56001")
    assert get(engine, "dcas", rid)["version"] == 1
    assert [a for a, _ in audit_actions(engine)] == [
        "acces_refuse", "saisie_dcas", "acces_refuse", "acces_refuse"]


#: 8 processes × 25 records: every writer still overlaps the others (the validation of each
#: record, ~30 ms of pandas, is the cost). The issue's figure, 8 × 200 (31-60 s on a shared 2-core
#: machine), is `benchmarks/records_writers.py`; PRESENCE_RECORDS_PER_PROCESS=200 runs it here.
PROCESSES, PER_PROCESS = 8, int(os.environ.get("PRESENCE_RECORDS_PER_PROCESS", "25"))
WRITER_VALUES = {"date_consultation": "2025-02-03", "code_commune": "35001",
                 "brigade_id": "B35051", "fonction_elu": "maire", "canal": "telephone",
                 "attentes": "cyber", "priorite": "basse", "statut": "a_traiter"}


def writer(url: str, worker: int, barrier, results, per_process: int = PER_PROCESS) -> None:
    """One process (forked: no interpreter start): its own engine, then its ``per_process``
    submissions once every writer is ready."""
    try:
        engine = store.new_engine(url)  # the store is migrated; the parent's pool is not shared
        known = Known(communes={"35001"}, brigades={"B35051"})
        barrier.wait()
        failed = 0
        for i in range(per_process):
            r = submit(engine, "dcas", WRITER_VALUES, f"w{worker}", lambda v: True,
                       f"{worker}-{i}", known)
            failed += not r.ok
        # a resubmitted page, for good measure
        again = submit(engine, "dcas", WRITER_VALUES, f"w{worker}", lambda v: True,
                       f"{worker}-0", known)
        results.put((worker, failed + (not again.replayed), ""))
    except BaseException as exc:  # noqa: BLE001 - reported to the test, "database is locked" too
        results.put((worker, -1, repr(exc)))


def run_writers(url: str, processes: int, per_process: int) -> float:
    """``processes`` writers submitting ``per_process`` records each at once (plus one
    resubmission each) on the store at ``url``; every record stored exactly once, with its
    history and audit record, no error reaching a writer. The seconds it took."""
    store.get_engine(url).dispose()  # migrated once, before the writers start
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    started = time.monotonic()
    procs = [ctx.Process(target=writer, args=(url, w, barrier, results, per_process))
             for w in range(processes)]
    for p in procs:
        p.start()
    outs = sorted(results.get(timeout=300) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    elapsed = time.monotonic() - started
    assert outs == [(w, 0, "") for w in range(processes)]
    assert [p.exitcode for p in procs] == [0] * processes
    engine = store.get_engine(url)
    try:
        total = processes * per_process
        table = store.record_tables["dcas"]
        with engine.connect() as con:
            keys = con.execute(select(table.c.idempotency_key)).scalars().all()
            idents = con.execute(select(table.c.id_consultation)).scalars().all()
            logins = con.execute(select(store.audit_log.c.login)).scalars().all()
        assert sorted(keys) == sorted(f"{w}-{i}" for w in range(processes)
                                      for i in range(per_process))
        assert len(set(idents)) == total and all(i.startswith("DC-2025-S") for i in idents)
        assert count(engine, store.record_history) == total
        assert sorted(logins) == sorted(f"w{w}" for w in range(processes)
                                        for _ in range(per_process))
    finally:
        store._engines.pop(url).dispose()
    return elapsed


def test_many_processes_writing_at_once_lose_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'operations.sqlite'}"
    elapsed = run_writers(url, PROCESSES, PER_PROCESS)
    print(f"{PROCESSES * PER_PROCESS} submissions by {PROCESSES} processes in {elapsed:.1f} s")
