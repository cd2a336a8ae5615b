"""The national recommendation run, written into the warehouse with the build.

``python -m etl recommend build`` (and ``python -m etl build --demo``) runs, on every ZGN
commune of France:

1. the rolling-origin backtest of the forecast (12 months) against the naive baselines, per
   category and per brigade; brigades where the model loses fall back to their best baseline;
2. the forecast of next month (the model, or the fallback baseline of the brigade);
3. the plan of every brigade for the week after the last recorded presence, with default
   parameters, its explanations;
4. the audit: fairness figures for France and each département, drift flags, and the capture
   replay of the last 12 months (each month planned from the backtest's forecast, scored on
   that month's recorded facts; nationally on a seeded sample of :data:`REPLAY_BRIGADES`
   brigades, each solved 12 times).

Every table is declared in :mod:`etl.analytics.tables`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from etl.analytics.allocation import (
    AllocationParameters,
    BrigadeProblem,
    InfeasiblePlan,
    minimum_hours,
    solve_brigade,
)
from etl.analytics.audit import capture_replay, plan_audit
from etl.analytics.inputs import Territory, load_inputs
from etl.analytics.recommend import Options, recommend
from etl.analytics.slots import SLOTS

#: the capture replay solves 12 LPs per brigade (about 7 ms each): nationally it runs on a
#: seeded random sample of brigades (``None``: all of them), which keeps the build within a minute
REPLAY_BRIGADES = 300
REPLAY_SEED = 20211115


def replay_sample(brigade_ids: pd.Series, size: int | None) -> list[str]:
    """A seeded random sample of brigades (all of them when ``size`` is None or larger)."""
    ids = sorted(brigade_ids.astype(str))
    if size is None or size >= len(ids):
        return ids
    rng = np.random.default_rng(REPLAY_SEED)
    return sorted(rng.choice(ids, size=size, replace=False).tolist())


def baseline_next(counts: np.ndarray, method: str) -> np.ndarray:
    """Next month's [commune, category] forecast of a naive baseline from [commune, month,
    category] counts: ``derniers_4``, ``annee_precedente`` or ``moyenne_12``."""
    if method == "derniers_4":
        return counts[:, -4:].mean(axis=1)
    if method == "annee_precedente":
        return counts[:, -12] if counts.shape[1] >= 12 else counts.mean(axis=1)
    if method == "moyenne_12":
        return counts[:, -12:].mean(axis=1)
    raise ValueError(f"méthode de référence inconnue : {method}")


def forecasts_with_fallback(panel, model_forecast: pd.DataFrame,
                            by_brigade: pd.DataFrame) -> pd.DataFrame:
    """The model's forecast, replaced by the best baseline's in brigades where it lost."""
    out = model_forecast.merge(panel.communes[["code_commune", "brigade_id"]], on="code_commune")
    out["methode"] = "modele"
    lost = by_brigade[by_brigade["repli"]]
    cats = list(panel.categories)
    for method, part in lost.groupby("methode_retenue", sort=True):
        rows = panel.communes["brigade_id"].isin(part["brigade_id"]).to_numpy()
        values = baseline_next(panel.counts[rows], str(method))
        frame = pd.DataFrame(values, columns=cats)
        frame["code_commune"] = panel.communes.loc[rows, "code_commune"].to_numpy()
        long = frame.melt(id_vars="code_commune", var_name="categorie", value_name="base")
        out = out.merge(long, on=["code_commune", "categorie"], how="left")
        hit = out["base"].notna()
        out.loc[hit, "attendu"] = out.loc[hit, "base"]
        out.loc[hit, "methode"] = str(method)
        out = out.drop(columns="base")
    return out


def replay_allocator(capacity: dict[str, float],
                     params: AllocationParameters) -> Callable[[str, np.ndarray, np.ndarray],
                                                               np.ndarray]:
    """The engine's LP for the capture replay: one need per commune, no history to stay close
    to (no change cap), the minimum presence kept."""
    free = replace(params, max_change=1.0, change_floor_hours=1e6)

    def allocate(brigade_id: str, need: np.ndarray, population: np.ndarray) -> np.ndarray:
        n = len(need)
        # spread over the slots: the returns stay concave in every one of them
        weekly = np.repeat(need[:, None] / len(SLOTS), len(SLOTS), axis=1)
        problem = BrigadeProblem(brigade_id, tuple(str(i) for i in range(n)), weekly,
                                 np.zeros((n, len(SLOTS))),
                                 minimum_hours(np.zeros(n, bool), free),
                                 capacity.get(brigade_id, 0.0))
        try:
            return solve_brigade(problem, free).hours.sum(axis=1)
        except InfeasiblePlan:
            return np.full(n, 1.0)
    return allocate


def backtest_summary(result) -> dict:
    """What the page and the README say about the backtest, as stored in ``reco_runs``."""
    lo, hi = result.bootstrap
    return {"meilleure_reference": result.best_baseline,
            "deviance_modele": result.overall("modele"),
            "deviance_meilleure_reference": result.overall(result.best_baseline),
            "bootstrap_95": [lo, hi], "part_ecart_oracle_comblee": result.oracle_gap_closed,
            "mois": list(result.months), "reajustement_tous_les": result.refit_every,
            "communes": result.communes,
            "brigades_en_repli": int(result.by_brigade["repli"].sum()),
            "brigades": int(len(result.by_brigade)), "secondes": result.seconds}


def audit_rows(run_id: str, perimetre: str, audit: dict) -> list[dict]:
    rows = []
    for key, value in audit.items():
        if isinstance(value, (list, dict)):
            rows.append({"indicateur": key, "valeur": float(len(value)),
                         "detail": json.dumps(value, ensure_ascii=False)})
        elif value is not None:
            v = float(value)
            rows.append({"indicateur": key, "valeur": v if np.isfinite(v) else None,
                         "detail": None if np.isfinite(v) else "infini"})
    return [{"run_id": run_id, "perimetre": perimetre, **r} for r in rows]


def national_run(con, run_id: str, report: Callable[[str], None] = print,
                 options: Options | None = None, replay: bool = True,
                 replay_brigades: int | None = REPLAY_BRIGADES) -> dict[str, int]:
    """Runs everything (see the module docstring) on a read-write connection to the warehouse
    being built and writes the ``reco_*`` tables; returns their row counts."""
    from etl.analytics.forecast import backtest, forecast_next
    from etl.analytics.panel import load_oracle, load_panel
    from etl.warehouse.publish import write_table
    from etl.warehouse.tables import ident

    options = options or Options()
    for t in ("reco_runs", "reco_forecasts", "reco_backtest", "reco_backtest_brigades",
              "reco_plans", "reco_communes", "reco_audit"):
        con.execute(f"DELETE FROM {ident(t)}")  # noqa: S608 - declared names, checked
    if not con.execute("SELECT count(*) FROM facts_monthly").fetchall()[0][0]:
        return {}
    panel = load_panel(con)
    if panel.n_months < 13:
        report("Recommandations : moins de 13 mois de faits, pas d'exécution nationale")
        return {}
    report(f"Recommandations : rétro-évaluation sur 12 mois ({len(panel.communes)} communes)")
    result = backtest(panel, months=12, oracle=load_oracle(con, panel))
    report("Recommandations : prévision du mois suivant")
    forecast = forecasts_with_fallback(panel, forecast_next(panel), result.by_brigade)
    forecast["run_id"] = run_id
    rows = {"reco_forecasts": write_table(con, "reco_forecasts", forecast)}
    inputs = load_inputs(con, Territory())
    report(f"Recommandations : plans de {len(inputs.brigades)} brigades, semaine "
           f"{inputs.semaine}")
    rec = recommend(inputs, options)
    audit = [*audit_rows(run_id, "France", rec.audit)]
    solved = rec.communes[rec.communes["plan_resolu"]].merge(
        inputs.communes[["code", "departement"]], left_on="code_commune", right_on="code")
    for dep, part in solved.groupby("departement", sort=True):
        audit += audit_rows(run_id, str(dep), plan_audit(part))
    if replay:
        report("Recommandations : rejeu de la capture sur 12 mois")
        capacity = dict(zip(inputs.brigades["brigade_id"],
                            inputs.brigades["capacite"].astype(float), strict=True))
        sample = replay_sample(inputs.brigades["brigade_id"], replay_brigades)
        preds = result.predictions[result.predictions["brigade_id"].isin(sample)]
        captured = capture_replay(preds, inputs.communes, options.weights.severity,
                                  replay_allocator(capacity, options.allocation))
        captured["brigades"] = len(sample)
        audit += audit_rows(run_id, "France", {f"rejeu_{k}": v for k, v in captured.items()})
    now = datetime.now(UTC).replace(tzinfo=None)
    summary = backtest_summary(result)
    tables = {
        "reco_runs": pd.DataFrame([{
            "run_id": run_id, "cree_le": now, "semaine": inputs.semaine,
            "mois_prevu": inputs.forecast_month,
            "parametres": json.dumps(options.as_dict(), ensure_ascii=False, sort_keys=True),
            "resume": json.dumps(summary, ensure_ascii=False, default=str)}]),
        "reco_backtest": result.table.assign(run_id=run_id),
        "reco_backtest_brigades": result.by_brigade.assign(run_id=run_id),
        "reco_plans": rec.slots.assign(run_id=run_id, semaine=inputs.semaine),
        "reco_communes": rec.communes.assign(run_id=run_id, semaine=inputs.semaine),
        "reco_audit": pd.DataFrame(audit),
    }
    for name, frame in tables.items():
        rows[name] = write_table(con, name, frame)
    if rec.errors:
        report(f"Recommandations : {len(rec.errors)} brigades sans solution, par ex. "
               + next(iter(rec.errors.values())))
    if rec.notices:
        report(f"Recommandations : limite de variation levée pour {len(rec.notices)} brigades, "
               "par ex. " + next(iter(rec.notices.values())))
    return rows
