"""The operational store on PostgreSQL (``PRESENCE_OPS_URL=postgresql+psycopg://...``), on a
throwaway cluster started for the session (``tests/support/postgres.py``; each test gets its own
database): a new store is created at the head revision and works; a store at each earlier
revision reaches the head with its rows; a failed upgrade changes nothing; processes starting
together upgrade once; the forms' records (submit, correct, soft delete, a resubmission), each
write with its audit record; many processes writing at once lose nothing; the applied plans; the
sign-in lockout."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, func, insert, inspect, select, text

from etl import cli
from etl.ops import records, store
from etl.ops.migrate import Upgrade, alembic_config, current, head, upgrade
from etl.ops.plans import applied_plans, decisions, record_decision
from etl.settings import PROJECT_ROOT
from tests.integration import test_ops_migrations as migrations
from tests.integration import test_ops_records as forms
from tests.support.postgres import new_database, postgres_url  # noqa: F401 - the fixture

# --- fixtures: one database per test in the session's cluster ---------------------------------


@pytest.fixture()
def pg_url(postgres_url):  # noqa: F811 - the session fixture imported above
    """An empty database of its own."""
    return new_database(postgres_url, f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture()
def engine(pg_url):
    """An engine on the empty database, not migrated."""
    eng = store.new_engine(pg_url)
    yield eng
    eng.dispose()


@pytest.fixture()
def ops(pg_url):
    """The store as the application opens it (:func:`store.get_engine`: migrated on first use)."""
    eng = store.get_engine(pg_url)
    assert eng.dialect.name == "postgresql"
    yield eng
    store._engines.pop(pg_url).dispose()


def count(engine, table) -> int:
    with engine.connect() as con:
        return con.execute(select(func.count()).select_from(table)).scalar_one()


def pg_schema(engine) -> list[tuple]:
    """Tables, columns and indexes of the store (PostgreSQL's ``sqlite_master``)."""
    with engine.connect() as con:
        columns = con.execute(text(
            "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position")).all()
        indexes = con.execute(text(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public' ORDER BY indexname")).all()
    return columns + indexes


def sync_sequences(engine) -> None:
    """After rows were inserted with their ids: each ``id`` sequence goes on after the largest
    (SQLite does this by itself; the application never gives ids)."""
    with engine.begin() as con:
        for name in inspect(con).get_table_names():
            if "id" not in {c["name"] for c in inspect(con).get_columns(name)}:
                continue
            seq = con.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                              {"t": name}).scalar()
            if seq:
                con.execute(text(f'SELECT setval(:s, (SELECT COALESCE(MAX(id), 0) + 1 '  # noqa: S608
                                 f'FROM "{name}"), false)'), {"s": seq})


# --- migrations -------------------------------------------------------------------------------


def test_a_new_store_is_created_at_the_head_and_works(pg_url, monkeypatch, capsys):
    engine = store.new_engine(pg_url)
    try:
        done = upgrade(engine)
        assert done == Upgrade(None, head())
        assert done.line() == f"Base opérationnelle créée (révision {head()})."
        migrations.assert_head_is_the_code(engine)
        assert migrations.rows(engine) == {name: [] for name in store.metadata.tables}
        assert upgrade(engine) == Upgrade(head(), head())
    finally:
        engine.dispose()
    # the set-up's command on the URL of the settings
    monkeypatch.setenv("PRESENCE_OPS_URL", pg_url)
    assert cli.main(["ops-upgrade"]) == 0
    assert capsys.readouterr().out == f"Base opérationnelle à jour (révision {head()}).\n"
    # the application's engine: an audit record, written and read back
    ops = store.get_engine(pg_url)
    try:
        assert ops.dialect.name == "postgresql"
        store.audit(ops, "connexion", "cdt35", "commandant", "10.0.0.1")
        with ops.connect() as con:
            row = con.execute(select(store.audit_log)).mappings().one()
        assert (row["action"], row["login"], row["detail"], row["address"]) == (
            "connexion", "cdt35", "commandant", "10.0.0.1")
    finally:
        store._engines.pop(pg_url).dispose()


#: the revisions before the head, oldest first (a new revision joins this list by itself)
EARLIER = sorted(r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()
                 if r.revision != head())
AT = migrations.AT
#: a row of each table an earlier store may hold (only the columns a revision has are written)
SAMPLES = {
    **migrations.ROWS,
    "plan_decisions": [{"id": 1, "decided_at": AT, "login": "cdt35", "brigade_id": "B35051",
                        "semaine": "2026-W48", "run_id": "run-0",
                        "parameters": '{"k": 1}', "plan": json.dumps(migrations.PLAN),
                        "total_hours": 3.5, "audit": '{"ecart": 0.1}'}],
    "saisie_immersions": [migrations.IMMERSION_0004],
    "saisie_dcas": [{"id": 1, "version": 1, "created_at": AT, "created_by": "bta35051",
                     "updated_at": AT, "updated_by": "bta35051", "deleted": False,
                     "idempotency_key": "k-dcas", "id_consultation": "DC-2026-S000001",
                     "date_consultation": AT.date(), "code_commune": "35001",
                     "brigade_id": "B35051", "fonction_elu": "maire", "canal": "telephone",
                     "attentes": "cyber", "creneaux": None, "priorite": "basse",
                     "actions_suivi": "Rappel", "statut": "a_traiter", "date_suivi": None,
                     "satisfaction": None}],
    "saisie_historique": [{"id": 1, "source": "dcas", "record_id": 1, "version": 1, "at": AT,
                           "login": "bta35051", "action": "creation", "before": None,
                           "after": '{"id_consultation": "DC-2026-S000001"}'}],
}


def seed_every_table(engine) -> dict[str, int]:
    """A sample row in each table the store has at its revision; the tables' widths."""
    with engine.begin() as con:
        meta = MetaData()
        meta.reflect(con)
        for name, table in meta.tables.items():
            if name in SAMPLES:
                con.execute(insert(table), [{k: v for k, v in row.items() if k in table.c}
                                            for row in SAMPLES[name]])
        widths = {name: len(table.c) for name, table in meta.tables.items()}
    sync_sequences(engine)
    return widths


@pytest.mark.parametrize("revision", EARLIER)
def test_a_store_at_each_earlier_revision_reaches_the_head_with_its_rows(engine, revision):
    assert upgrade(engine, revision) == Upgrade(None, revision)
    widths = seed_every_table(engine)
    kept = migrations.rows(engine)
    done = upgrade(engine)
    assert done == Upgrade(revision, head())
    after = migrations.rows(engine)
    # every row as it was (a column added since is appended, empty); new tables are empty
    assert {n: [r[:widths[n]] for r in after[n]] for n in kept} == kept
    assert all(after[n] == [] for n in set(after) - set(kept))
    assert set(after) == set(store.metadata.tables)
    migrations.assert_head_is_the_code(engine)
    # the upgraded store works: the rows read back, new rows written after them
    if "saisie_immersions" in kept:
        immersion = records.get(engine, "immersions", 1)
        assert {k: immersion[k] for k in migrations.IMMERSION_0004} == migrations.IMMERSION_0004
    decision = record_decision(engine, "cdt35", "B35051", "2026-W49", "run-1", {"k": 2},
                               migrations.PLAN)
    assert decision == (2 if "plan_decisions" in kept else 1)
    submitted = records.submit(engine, "dcas", forms.GOOD, "bta35051", forms.own, "form-new",
                               forms.KNOWN)
    assert submitted.ok and submitted.record_id == (2 if "saisie_dcas" in kept else 1)


@pytest.mark.parametrize(("layout", "tables", "stamped"), [
    ("sessions", tuple(migrations.ROWS), "0001"),
    ("accounts", ("users", "audit_log"), None),
    ("plans", tuple(migrations.ROWS), "0002"),
])
def test_a_store_made_before_the_migrations_is_recognised(engine, layout, tables, stamped):
    if layout == "plans":
        migrations.PLANS_LAYOUT.create_all(engine)
    else:
        migrations.OLD.create_all(engine, tables=[migrations.OLD.tables[t] for t in tables])
    migrations.seed(engine, tables)
    kept = migrations.rows(engine)
    assert current(engine) is None
    assert upgrade(engine) == Upgrade(None, head(), legacy=True, stamped=stamped)
    after = migrations.rows(engine)
    assert {n: after[n] for n in kept} == {n: kept[n] for n in kept}
    assert set(after) == set(store.metadata.tables)
    migrations.assert_head_is_the_code(engine)


def test_a_failed_upgrade_leaves_the_store_as_it_was(engine):
    """PostgreSQL runs DDL in transactions too: revision 2's table goes with its failed index."""
    upgrade(engine, "0001")
    migrations.seed(engine, tuple(migrations.ROWS))
    with engine.begin() as con:
        con.execute(text("CREATE INDEX ix_plan_decisions_brigade ON users (login)"))
    before = (pg_schema(engine), migrations.rows(engine))
    with pytest.raises(Exception, match="ix_plan_decisions_brigade"):
        upgrade(engine)
    assert current(engine) == "0001"
    assert (pg_schema(engine), migrations.rows(engine)) == before


def test_processes_starting_together_upgrade_a_new_store_once(pg_url):
    """Four `ops-upgrade` at once: the advisory lock lets one create the store."""
    start = time.time() + 2  # after every interpreter has started
    procs = [subprocess.Popen([sys.executable, "-c", migrations.UPGRADER, pg_url, str(start)],
                              cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outs
    assert sorted(out for out, _ in outs) == [
        f"Base opérationnelle créée (révision {head()}).\n"] + [
        f"Base opérationnelle à jour (révision {head()}).\n"] * 3


# --- the forms' records -----------------------------------------------------------------------


def test_submit_correct_delete_and_a_resubmission_each_with_its_audit_record(ops):
    first = records.submit(ops, "dcas", forms.GOOD, "bta35051", forms.own, "form-1",
                           forms.KNOWN, address="10.0.0.1")
    assert first.ok and first.version == 1
    assert first.ident == f"DC-2025-S{first.record_id:06d}"
    record = records.get(ops, "dcas", first.record_id)
    assert record["date_consultation"] == date(2025, 2, 3)
    assert record["attentes"] == "cambriolages|presence_heures_sensibles"
    assert (record["deleted"], record["satisfaction"], record["date_suivi"]) == (
        False, None, None)
    # the same form again (a double click): nothing written; another login learns nothing
    again = records.submit(ops, "dcas", forms.GOOD, "bta35051", forms.own, "form-1",
                           forms.KNOWN)
    assert again.ok and again.replayed and again.record_id == first.record_id
    assert not records.submit(ops, "dcas", forms.GOOD, "intrus", lambda v: True, "form-1",
                              forms.KNOWN).ok
    # a given id is kept, and refused the second time
    given = records.submit(ops, "dcas", {**forms.GOOD, "id_consultation": "DC-X-1"},
                           "bta35051", forms.own, "form-2", forms.KNOWN)
    assert given.ok and given.ident == "DC-X-1"
    assert records.submit(ops, "dcas", {**forms.GOOD, "id_consultation": "DC-X-1"},
                          "bta35051", forms.own, "form-3",
                          forms.KNOWN).errors == {"id_consultation": records.KEY_TAKEN}
    # a correction: a new version, its history; a stale form does not overwrite it
    rid = first.record_id
    done = records.correct(ops, "dcas", rid, {"statut": "realisee", "date_suivi": "2025-03-01",
                                              "satisfaction": 4}, "cdt35", forms.own,
                           forms.KNOWN, expected_version=1)
    assert done.ok and done.version == 2
    assert records.correct(ops, "dcas", rid, {"satisfaction": 1}, "bta35051", forms.own,
                           forms.KNOWN, expected_version=1).errors == {"*": records.STALE}
    record = records.get(ops, "dcas", rid)
    assert (record["statut"], record["satisfaction"], record["date_suivi"]) == (
        "realisee", 4, date(2025, 3, 1))
    # a soft delete: the record stays, marked, with its history
    gone = records.delete(ops, "dcas", rid, "bta35051", forms.own, expected_version=2)
    assert gone.ok and gone.version == 3
    assert records.get(ops, "dcas", rid)["deleted"] is True
    assert records.delete(ops, "dcas", rid, "bta35051", forms.own).errors == {
        "*": records.NOT_FOUND}
    h = records.history(ops, "dcas", rid)
    assert [(x["action"], x["version"], x["login"]) for x in h] == [
        ("creation", 1, "bta35051"), ("correction", 2, "cdt35"), ("suppression", 3, "bta35051")]
    assert (h[1]["before"]["statut"], h[1]["after"]["statut"]) == ("a_traiter", "realisee")
    assert h[2]["after"] is None
    # one audit record per write, none for what was refused or replayed
    assert forms.audit_actions(ops) == [
        ("saisie_dcas", "bta35051"), ("saisie_dcas", "bta35051"),
        ("saisie_dcas_correction", "cdt35"), ("saisie_dcas_suppression", "bta35051")]
    assert count(ops, store.record_tables["dcas"]) == 2
    assert count(ops, store.record_history) == 4
    # outside the scope: refused, audited, nothing stored
    with pytest.raises(PermissionError):
        records.submit(ops, "dcas", {**forms.GOOD, "code_commune": "56001",
                                     "brigade_id": "B56001"}, "bta35051", forms.own,
                       "form-4", forms.KNOWN)
    assert forms.audit_actions(ops)[-1] == ("acces_refuse", "bta35051")
    assert count(ops, store.record_tables["dcas"]) == 2


def at_once(n: int, call) -> list:
    """``call(i)`` in ``n`` threads released together; their results (or exceptions)."""
    barrier, out = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = call(i)
        except Exception as exc:  # noqa: BLE001 - returned to the test
            out[i] = exc
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


def test_twin_submissions_at_once_store_one_record(ops):
    """The same form display posted 6 times at once, then one id given by 6 forms at once: the
    unique constraints decide (PostgreSQL does not serialise writers), no error reaches the
    caller."""
    same = at_once(6, lambda _i: records.submit(ops, "dcas", forms.GOOD, "bta35051", forms.own,
                                                 "twin", forms.KNOWN))
    assert all(isinstance(r, records.Result) and r.ok for r in same), same
    assert len({r.record_id for r in same}) == 1 and sum(not r.replayed for r in same) == 1
    given = {**forms.GOOD, "id_consultation": "DC-TWIN"}
    taken = at_once(6, lambda i: records.submit(ops, "dcas", given, "bta35051", forms.own,
                                                 f"given-{i}", forms.KNOWN))
    assert all(isinstance(r, records.Result) for r in taken), taken
    assert sum(r.ok for r in taken) == 1
    assert [r.errors for r in taken if not r.ok] == [{"id_consultation": records.KEY_TAKEN}] * 5
    assert count(ops, store.record_tables["dcas"]) == 2
    assert count(ops, store.record_history) == count(ops, store.audit_log) == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize(("change", "field", "reason"), [
    ({"id_consultation": "D" * 65}, "id_consultation", "texte trop long (64 caractères au plus)"),
    ({"actions_suivi": "nul\x00"}, "actions_suivi", records.ODD_VALUE),
    ({"actions_suivi": "seul \ud800"}, "actions_suivi", records.ODD_VALUE),
])
def test_a_value_postgresql_cannot_store_gets_a_french_reason_on_both(backend, change, field,
                                                                      reason, tmp_path, request):
    """What PostgreSQL refuses (a text longer than its column, a NUL character) is refused
    before the write, with a reason, on SQLite as well: the same door answers the same."""
    if backend == "postgresql":
        url = new_database(request.getfixturevalue("postgres_url"),
                           f"t_{uuid.uuid4().hex[:16]}")
    else:
        url = f"sqlite:///{tmp_path / 'operations.sqlite'}"
    engine = store.get_engine(url)
    try:
        result = records.submit(engine, "dcas", {**forms.GOOD, **change}, "bta35051", forms.own,
                                "form-1", forms.KNOWN)
        assert result.errors == {field: reason}
        assert forms.nothing_written(engine)
        if field != "id_consultation":  # an id is never corrected (FIXED_ID)
            rid = records.submit(engine, "dcas", forms.GOOD, "bta35051", forms.own, "form-2",
                                 forms.KNOWN).record_id
            assert records.correct(engine, "dcas", rid, change, "bta35051", forms.own,
                                   forms.KNOWN).errors == {field: reason}
    finally:
        store._engines.pop(url).dispose()


def test_many_processes_writing_at_once_lose_nothing(pg_url):
    """4 processes × 50 submissions, plus one resubmission each, with the writer of the SQLite
    test: every record stored exactly once, no error."""
    elapsed = forms.run_writers(pg_url, 4, 50)
    print(f"PostgreSQL: 200 submissions by 4 processes in {elapsed:.1f} s")


# --- the applied plans and the sign-in lockout -------------------------------------------------


def test_a_plan_decision_is_recorded_once_with_its_audit_record(ops):
    plan = migrations.PLAN
    first = record_decision(ops, "cdt35", "B35051", "2026-W49", "run-1", {"k": 1}, plan,
                            address="10.0.0.1", audit={"ecart": 0.2})
    # a double click, a resubmitted page: the same decision, nothing written
    assert record_decision(ops, "cdt35", "B35051", "2026-W49", "run-1", {"k": 1}, plan) == first
    # six twins at once: one decision (the advisory lock of the brigade and week)
    other = [{**plan[0], "heures": 2.0}]
    twins = at_once(6, lambda _i: record_decision(ops, "cdt35", "B35051", "2026-W49", "run-2",
                                                  {"k": 1}, other))
    assert len(set(twins)) == 1 and isinstance(twins[0], int) and twins[0] != first
    assert decisions(ops)["id"].tolist() == [twins[0], first]
    with ops.connect() as con:
        audited = con.execute(select(store.audit_log.c.action, store.audit_log.c.address)
                              .order_by(store.audit_log.c.id)).all()
        saved = con.execute(select(store.plan_decisions.c.audit)
                            .where(store.plan_decisions.c.id == first)).scalar_one()
    assert audited == [("recommandation_appliquee", "10.0.0.1"),
                       ("recommandation_appliquee", None)]
    assert json.loads(saved) == {"ecart": 0.2}
    applied = applied_plans(ops, ["B35051"], "2026-W50")["B35051"]
    assert applied.to_dict("records") == [{"code_commune": "35001", "creneau": "soiree",
                                          "heures": 2.0}]


def test_simultaneous_sign_in_attempts_never_pass_the_limit(ops):
    window = timedelta(minutes=15)
    granted = at_once(12, lambda _i: store.reserve_attempt(ops, {"login:cdt35": 5}, window))
    assert sorted(granted) == [False] * 7 + [True] * 5
    store.attempt_succeeded(ops, forget=["login:cdt35"], refund=[])
    assert store.reserve_attempt(ops, {"login:cdt35": 5}, window)
    # what a forged request carries (a NUL character) is stored, not a server error
    assert store.reserve_attempt(ops, {"login:a\x00b": 5}, window)
    store.audit(ops, "connexion_refusee", "a\x00b", "/chemin\x00", "10.0.0.2")
    with ops.connect() as con:
        assert con.execute(select(store.audit_log.c.login, store.audit_log.c.detail)).one() == (
            "a\ufffdb", "/chemin\ufffd")

