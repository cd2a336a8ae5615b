"""The operational store's migrations: a store of any earlier revision, or made before the
migrations existed, reaches the head with all its rows; the head is the code's tables; upgrading
again changes nothing; a failed upgrade changes nothing either; processes starting together
upgrade a new store once."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
    text,
)

from etl import cli
from etl.ops import records, store
from etl.ops.migrate import Upgrade, current, head, upgrade
from etl.ops.plans import decisions, record_decision
from etl.settings import PROJECT_ROOT

# --- the tables as ``metadata.create_all`` made them before the migrations (3171cdd^) ---------

OLD = MetaData()
Table("users", OLD,
      Column("id", Integer, primary_key=True),
      Column("login", String(64), nullable=False, unique=True),
      Column("password_hash", String(255), nullable=False),
      Column("role", String(16), nullable=False),
      Column("departement", String(3)),
      Column("brigade_id", String(32)),
      Column("active", Boolean, nullable=False, default=True),
      Column("created_at", DateTime, nullable=False))
Table("audit_log", OLD,
      Column("id", Integer, primary_key=True),
      Column("at", DateTime, nullable=False),
      Column("login", String(64)),
      Column("action", String(64), nullable=False),
      Column("detail", Text),
      Column("address", String(64)))
Table("sessions", OLD,
      Column("id", Integer, primary_key=True),
      Column("token_hash", String(64), nullable=False, unique=True),
      Column("login", String(64), nullable=False),
      Column("created_at", DateTime, nullable=False),
      Column("last_seen", DateTime, nullable=False),
      Column("revoked_at", DateTime),
      Column("address", String(64)),
      Index("ix_sessions_login", "login"),
      Index("ix_sessions_created_at", "created_at"))
Table("login_attempts", OLD,
      Column("key", String(100), primary_key=True),
      Column("failures", Integer, nullable=False, default=0),
      Column("last_at", DateTime, nullable=False),
      Index("ix_login_attempts_last_at", "last_at"))

AT = datetime(2026, 11, 30, 9, 15)
#: rows an earlier store holds, per table
ROWS = {
    "users": [{"id": 1, "login": "cdt35", "password_hash": "scrypt$x", "role": "commandant",
               "departement": "35", "brigade_id": None, "active": True, "created_at": AT},
              {"id": 2, "login": "bta35051", "password_hash": "scrypt$y", "role": "brigade",
               "departement": "35", "brigade_id": "B35051", "active": False, "created_at": AT}],
    "audit_log": [{"id": 1, "at": AT, "login": "cdt35", "action": "connexion", "detail": "",
                   "address": "127.0.0.1"},
                  {"id": 2, "at": AT, "login": "admin", "action": "compte_desactive",
                   "detail": "bta35051 désactivé", "address": None}],
    "sessions": [{"id": 1, "token_hash": "a" * 64, "login": "cdt35", "created_at": AT,
                  "last_seen": AT, "revoked_at": None, "address": "127.0.0.1"}],
    "login_attempts": [{"key": "login:cdt35", "failures": 2, "last_at": AT}],
}
PLAN = [{"code_commune": "35001", "creneau": "soiree", "heures": 3.5, "visites": 1}]

#: the stores made by create_all between 3171cdd and e3eddae: the four tables and the applied
#: plans, before revision 0003 gave them their audit column
PLANS_LAYOUT = MetaData()
for _t in OLD.tables.values():
    _t.to_metadata(PLANS_LAYOUT)
Table("plan_decisions", PLANS_LAYOUT,
      *[c._copy() for c in store.plan_decisions.columns if c.name != "audit"],
      Index("ix_plan_decisions_brigade", "brigade_id", "semaine"))


@pytest.fixture()
def engine(tmp_path):
    eng = store.new_engine(f"sqlite:///{tmp_path / 'operations.sqlite'}")
    yield eng
    eng.dispose()


def seed(engine, tables: tuple[str, ...]) -> None:
    with engine.begin() as con:
        for name in tables:
            con.execute(insert(OLD.tables[name]), ROWS[name])


def rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table of the store but the version table."""
    with engine.connect() as con:
        names = sorted(set(inspect(con).get_table_names()) - {"alembic_version"})
        return {n: con.execute(text(f'SELECT * FROM "{n}" ORDER BY 1')).all()  # noqa: S608
                for n in names}


def schema(engine) -> list[tuple]:
    with engine.connect() as con:
        return con.execute(text("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                "ORDER BY name")).all()


def assert_head_is_the_code(engine) -> None:
    """The store's tables are ``store.metadata``: autogenerate finds nothing to do."""
    with engine.connect() as con:
        assert MigrationContext.configure(con).get_current_revision() == head()
        context = MigrationContext.configure(con, opts={"compare_type": True,
                                                        "compare_server_default": True})
        assert compare_metadata(context, store.metadata) == []


def test_store_at_revision_1_upgrades_to_the_head_with_its_rows(engine):
    assert upgrade(engine, "0001").after == "0001"
    with engine.connect() as con:
        assert set(inspect(con).get_table_names()) == {"alembic_version", *ROWS}
    seed(engine, tuple(ROWS))
    kept = rows(engine)
    done = upgrade(engine)
    assert done == Upgrade("0001", head())
    assert done.line() == f"Base opérationnelle mise à jour : révision 0001 → {head()}."
    assert head() == "0008"
    after = rows(engine)
    assert after.pop("plan_decisions") == []
    for name in store.metadata.tables:  # the forms' tables (revisions 0004-0006), the SMS
        if name.startswith(("saisie_", "alert", "store_keys", "refusal_counts")):  # alerts'
            assert after.pop(name) == []  # (0006), opt-outs' (0007), refusals' (0008): empty
    assert after == kept
    # the new table works: a commander's decision and its audit record
    decision = record_decision(engine, "cdt35", "B35051", "2026-W49", "run-1", {"k": 1}, PLAN)
    assert decisions(engine)["id"].tolist() == [decision]
    with engine.connect() as con:
        assert con.execute(select(store.audit_log.c.action).order_by(
            store.audit_log.c.id)).scalars().all() == [
            "connexion", "compte_desactive", "recommandation_appliquee"]
    assert_head_is_the_code(engine)


#: an immersion recorded through the forms at revision 0004 (before immersions had a status)
IMMERSION_0004 = {"id": 1, "version": 2, "created_at": AT, "created_by": "bta35051",
                  "updated_at": AT, "updated_by": "bta35051", "deleted": False,
                  "idempotency_key": "k-0004", "id_immersion": "IM-2026-0001",
                  "date_immersion": AT.date(), "code_commune": "35001", "fonction_elu": "maire",
                  "type_unite": "corg", "unite": "CORG35", "duree_heures": 4.5, "note": 5,
                  "commentaire": "Très instructif"}


def test_store_at_revision_4_with_an_immersion_upgrades_to_5_and_keeps_it(engine):
    assert upgrade(engine, "0004").after == "0004"
    seed(engine, tuple(ROWS))
    with engine.begin() as con:
        columns = {c["name"] for c in inspect(con).get_columns("saisie_immersions")}
        assert "statut" not in columns
        at_0004 = Table("saisie_immersions", MetaData(), autoload_with=con)
        con.execute(insert(at_0004), IMMERSION_0004)
    kept = rows(engine)
    assert upgrade(engine, "0005") == Upgrade("0004", "0005")
    after = rows(engine)
    # the immersion gains an empty status (a done one, as before), every other row is as it was
    assert [r[:-1] for r in after.pop("saisie_immersions")] == kept.pop("saisie_immersions")
    assert after == kept
    record = records.get(engine, "immersions", 1)
    assert record["statut"] is None
    assert {k: record[k] for k in IMMERSION_0004} == IMMERSION_0004
    upgrade(engine)
    assert_head_is_the_code(engine)


#: the SMS alerts' tables (revision 0006)
ALERT_TABLES = ("saisie_contacts", "alertes", "alert_outbox", "alert_dlr_quarantine")


def test_store_at_revision_5_with_its_records_upgrades_to_6_and_keeps_them(engine):
    """Revision 0006 adds the contacts' form table and the SMS alerts' tables, nothing else:
    every row of a 0005 store is kept, the new tables work."""
    from datetime import date

    from etl.alerts import workflow

    assert upgrade(engine, "0005").after == "0005"
    seed(engine, tuple(ROWS))
    with engine.begin() as con:
        at_0005 = Table("saisie_immersions", MetaData(), autoload_with=con)
        con.execute(insert(at_0005), {**IMMERSION_0004, "statut": "planifiee"})
        assert not set(ALERT_TABLES) & set(inspect(con).get_table_names())
    kept = rows(engine)
    assert upgrade(engine, "0006") == Upgrade("0005", "0006")
    after = rows(engine)
    for name in ALERT_TABLES:
        assert after.pop(name) == []
    assert after == kept
    upgrade(engine)
    assert_head_is_the_code(engine)
    # the new tables at work: a contact through the forms' door, an alert to validate
    contact = records.submit(engine, "contacts", {
        "code_commune": "35001", "fonction": "maire", "telephone": "06 39 98 00 01",
        "opt_in": True, "date_opt_in": "2025-01-02", "canal_opt_in": "courriel"},
        "bta35051", lambda _v: True, "k-contact", {"35001"}, today=date(2026, 12, 5))
    assert contact.ok and contact.ident == "CT-S000001"
    alert = workflow.create(engine, login="bta35051", role="brigade", departement="35",
                            unite="B35051", categorie="vols", message="Gendarmerie : vols.",
                            communes=["35001"], faits_le="2026-11-30 10:00",
                            allowed_communes={"35001"}, idempotency_key="k-alerte",
                            limits=workflow.RateLimit(10, 60))
    assert alert.ok and workflow.get(engine, alert.id_alerte)["statut"] == "a_valider"


def test_store_at_revision_6_with_a_contact_upgrades_to_7_and_keeps_it(engine):
    """Revision 0007 adds the opt-outs' register and the store's keys, nothing else; an opt-out
    recorded after it holds against a contact re-created with the same number."""
    from datetime import date

    from etl.ops import consent

    assert upgrade(engine, "0006").after == "0006"
    seed(engine, tuple(ROWS))
    with engine.begin() as con:
        at_0006 = Table("saisie_contacts", MetaData(), autoload_with=con)
        con.execute(insert(at_0006), {
            "id": 1, "version": 1, "created_at": AT, "created_by": "bta35051",
            "updated_at": AT, "updated_by": "bta35051", "deleted": False,
            "idempotency_key": "k-contact", "id_contact": "CT-S000001",
            "code_commune": "35001", "fonction": "maire", "telephone": "+33639980001",
            "opt_in": True, "date_opt_in": date(2025, 1, 2), "canal_opt_in": "courriel"})
    kept = rows(engine)
    assert upgrade(engine) == Upgrade("0006", head())
    after = rows(engine)
    assert after.pop("alert_opt_outs") == [] and after.pop("store_keys") == []
    assert after.pop("refusal_counts") == []
    assert after == kept
    assert_head_is_the_code(engine)
    consent.record_opt_out(engine, "+33639980001", "bta35051", "désinscription")
    assert consent.refusal(engine, "+33639980001").startswith("Ce numéro a demandé")
    assert not records.correct(engine, "contacts", 1, {"fonction": "adjoint"}, "bta35051",
                               lambda _v: True, {"35001"}).ok


@pytest.mark.parametrize(("layout", "tables", "stamped"), [
    # 3171cdd^: accounts, audit, sessions, lockout
    ("sessions", tuple(ROWS), "0001"),
    # 747f0d4: accounts and audit only (revision 1 adds the two tables it lacks)
    ("accounts", ("users", "audit_log"), None),
    # 3171cdd..: the plans too, from the code's metadata
    ("plans", tuple(ROWS), "0002"),
])
def test_store_made_before_the_migrations_is_recognised_and_upgraded(engine, layout, tables,
                                                                     stamped):
    if layout == "plans":
        PLANS_LAYOUT.create_all(engine)
    else:
        OLD.create_all(engine, tables=[OLD.tables[t] for t in tables])
    seed(engine, tables)
    if layout == "plans":
        with engine.begin() as con:
            con.execute(insert(PLANS_LAYOUT.tables["plan_decisions"]).values(
                decided_at=datetime(2026, 12, 1, 9), login="cdt35", brigade_id="B35051",
                semaine="2026-W49", run_id="run-1", parameters="{}", plan="[]",
                total_hours=0.0))
    kept = rows(engine)
    assert current(engine) is None
    done = upgrade(engine)
    assert done == Upgrade(None, head(), legacy=True, stamped=stamped)
    after = rows(engine)
    # every row still there (a decision kept in the legacy layout gains an empty audit)
    assert {n: [r[:len(kept[n][0])] if kept[n] else r for r in after[n]]
            for n in kept} == kept
    assert set(after) == set(store.metadata.tables)
    assert_head_is_the_code(engine)
    assert done.line().startswith("Base opérationnelle antérieure aux migrations reprise avec "
                                  "ses données")


def test_new_store_is_the_code_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    engine = store.get_engine(url)  # the first use migrates
    try:
        assert_head_is_the_code(engine)
        assert rows(engine) == {name: [] for name in store.metadata.tables}
    finally:
        store._engines.pop(url).dispose()


def test_upgrading_twice_changes_nothing(engine, monkeypatch, capsys, tmp_path):
    first = upgrade(engine)
    assert first == Upgrade(None, head())
    seed(engine, tuple(ROWS))
    before = (schema(engine), rows(engine))
    second = upgrade(engine)
    assert second == Upgrade(head(), head())
    assert (schema(engine), rows(engine)) == before
    # the command line says so, in French
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PRESENCE_OPS_URL", raising=False)
    assert cli.main(["ops-upgrade"]) == 0
    assert capsys.readouterr().out == f"Base opérationnelle à jour (révision {head()}).\n"
    assert (schema(engine), rows(engine)) == before


def test_a_failed_upgrade_leaves_the_store_as_it_was(engine):
    """The whole upgrade is one transaction: revision 2 creates its table, fails on its index
    (the name is taken), and the table goes with the rest."""
    upgrade(engine, "0001")
    seed(engine, tuple(ROWS))
    with engine.begin() as con:
        con.execute(text("CREATE INDEX ix_plan_decisions_brigade ON users (login)"))
    before = (schema(engine), rows(engine))
    with pytest.raises(Exception, match="ix_plan_decisions_brigade"):
        upgrade(engine)
    assert current(engine) == "0001"
    assert (schema(engine), rows(engine)) == before


#: one process: waits for the common start time, then upgrades the store (as `ops-upgrade`)
UPGRADER = """
import sys, time
from etl.ops.migrate import upgrade
from etl.ops.store import new_engine
engine = new_engine(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
print(upgrade(engine).line())
"""


def test_processes_starting_together_upgrade_a_new_store_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'operations.sqlite'}"
    start = time.time() + 2  # after every interpreter has started
    procs = [subprocess.Popen([sys.executable, "-c", UPGRADER, url, str(start)],
                              cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outs
    assert sorted(out for out, _ in outs) == [
        f"Base opérationnelle créée (révision {head()}).\n"] + [
        f"Base opérationnelle à jour (révision {head()}).\n"] * 3
    engine = store.new_engine(url)
    try:
        assert_head_is_the_code(engine)
    finally:
        engine.dispose()
