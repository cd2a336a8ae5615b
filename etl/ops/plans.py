"""Applied patrol plans: the commander's decision and its audit record, in one transaction."""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import Engine, desc, insert, select, text

from etl.ops.store import (
    AUDIT_DETAIL_MAX,
    AUDIT_FIELD_MAX,
    audit_log,
    plan_decisions,
    utcnow,
)

#: bound of a stored plan (a brigade has at most a few hundred communes × 6 slots)
MAX_PLAN_ROWS = 6 * 400
#: PostgreSQL: the decisions of one brigade and week are taken one at a time (a transaction-scoped
#: advisory lock in this namespace, keyed by the brigade and week; SQLite's is the write lock
#: that BEGIN IMMEDIATE takes)
_PG_LOCK = 0x706C616E


def record_decision(engine: Engine, login: str, brigade_id: str, semaine: str, run_id: str,
                    parameters: dict, plan: list[dict], address: str | None = None,
                    audit: dict | None = None) -> int:
    """Stores the applied plan (rows ``code_commune, creneau, heures, visites``) and its audit
    record together; returns the decision's id. The same plan applied again to the same brigade
    and week (a double click, a resubmitted page) returns the recorded decision's id and writes
    nothing. ``audit``: the plan's audit figures, stored with it (JSON)."""
    if not plan or len(plan) > MAX_PLAN_ROWS:
        raise ValueError("Plan vide ou trop grand : rien n'est enregistré.")
    rows = [{"code_commune": str(r["code_commune"]), "creneau": str(r["creneau"]),
             "heures": round(float(r["heures"]), 3), "visites": int(r["visites"])}
            for r in plan]
    total = sum(r["heures"] for r in rows)
    params_text = json.dumps(parameters, ensure_ascii=False, sort_keys=True)
    plan_text = json.dumps(rows, ensure_ascii=False)
    now = utcnow()
    with engine.connect() as con:
        con = con.execution_options(sqlite_immediate=True)  # one writer: no twin decision
        with con.begin():
            if con.dialect.name == "postgresql":  # twin decisions wait here: one is written
                con.execute(text("SELECT pg_advisory_xact_lock(CAST(:ns AS integer), "
                                 "hashtext(:key))"),
                            {"ns": _PG_LOCK, "key": f"{brigade_id[:32]}|{semaine[:8]}"})
            same = con.execute(
                select(plan_decisions.c.id, plan_decisions.c.run_id,
                       plan_decisions.c.parameters, plan_decisions.c.plan)
                .where(plan_decisions.c.brigade_id == brigade_id[:32],
                       plan_decisions.c.semaine == semaine[:8])
                .order_by(desc(plan_decisions.c.id)).limit(1)).first()
            if same is not None and (same.run_id, same.parameters, same.plan) == (
                    run_id[:80], params_text, plan_text):
                # a double click or a resubmitted page: the decision is already recorded
                return int(same.id)
            audit_text = (None if audit is None else
                          json.dumps(audit, ensure_ascii=False, sort_keys=True, default=str))
            decision_id = _insert(con, now, login, brigade_id, semaine, run_id, params_text,
                                  plan_text, total, address, audit_text)
    return decision_id


def _insert(con, now, login: str, brigade_id: str, semaine: str, run_id: str,
            params_text: str, plan_text: str, total: float, address: str | None,
            audit_text: str | None) -> int:
    result = con.execute(insert(plan_decisions).values(
        decided_at=now, login=login[:64], brigade_id=brigade_id[:32], semaine=semaine[:8],
        run_id=run_id[:80], parameters=params_text, plan=plan_text, total_hours=total,
        audit=audit_text))
    decision_id = int(result.inserted_primary_key[0])
    detail = (f"décision {decision_id} : brigade {brigade_id}, semaine {semaine}, "
              f"exécution {run_id}, {total:.1f} h, paramètres {params_text}")
    con.execute(insert(audit_log).values(
        at=now, login=login[:AUDIT_FIELD_MAX], action="recommandation_appliquee",
        detail=detail[:AUDIT_DETAIL_MAX],
        address=None if address is None else address[:AUDIT_FIELD_MAX]))
    return decision_id


def decisions(engine: Engine, brigade_ids: list[str] | None = None,
              limit: int = 50) -> pd.DataFrame:
    """The latest decisions (newest first), for the page's history."""
    q = select(plan_decisions.c.id, plan_decisions.c.decided_at, plan_decisions.c.login,
               plan_decisions.c.brigade_id, plan_decisions.c.semaine, plan_decisions.c.run_id,
               plan_decisions.c.total_hours).order_by(desc(plan_decisions.c.id)).limit(limit)
    if brigade_ids is not None:
        q = q.where(plan_decisions.c.brigade_id.in_(brigade_ids))
    with engine.connect() as con:
        return pd.DataFrame(con.execute(q).mappings().all(),
                            columns=["id", "decided_at", "login", "brigade_id", "semaine",
                                     "run_id", "total_hours"])


def applied_plans(engine: Engine, brigade_ids: list[str], before_week: str) -> dict[str,
                                                                                   pd.DataFrame]:
    """The last plan applied to each brigade for a week before ``before_week`` (ISO
    ``YYYY-Www``, which sorts as text): ``code_commune, creneau, heures`` rows."""
    if not brigade_ids:
        return {}
    q = (select(plan_decisions.c.brigade_id, plan_decisions.c.plan)
         .where(plan_decisions.c.brigade_id.in_(brigade_ids),
                plan_decisions.c.semaine < before_week)
         .order_by(plan_decisions.c.brigade_id, plan_decisions.c.semaine, plan_decisions.c.id))
    out: dict[str, pd.DataFrame] = {}
    with engine.connect() as con:
        for brigade_id, plan in con.execute(q):
            out[brigade_id] = pd.DataFrame(json.loads(plan))[["code_commune", "creneau",
                                                              "heures"]]
    return out


def last_decision(engine: Engine, brigade_id: str) -> dict | None:
    """The plan applied last to a brigade (its latest week, that week's latest decision):
    ``id, decided_at, login, semaine, run_id, total_hours`` and ``plan`` (a frame of
    ``code_commune, creneau, heures, visites`` rows); None when none was applied."""
    q = (select(plan_decisions.c.id, plan_decisions.c.decided_at, plan_decisions.c.login,
                plan_decisions.c.semaine, plan_decisions.c.run_id, plan_decisions.c.total_hours,
                plan_decisions.c.plan)
         .where(plan_decisions.c.brigade_id == brigade_id)
         .order_by(desc(plan_decisions.c.semaine), desc(plan_decisions.c.id)).limit(1))
    with engine.connect() as con:
        row = con.execute(q).mappings().first()
    if row is None:
        return None
    out = dict(row)
    out["plan"] = pd.DataFrame(json.loads(out["plan"]),
                               columns=["code_commune", "creneau", "heures", "visites"])
    return out
