"""The national recommendation run, written into the warehouse with the build.

``python -m etl recommend build`` (and ``python -m etl build --demo``) runs, on every ZGN
commune of France:

1. the rolling-origin backtest of the forecast (12 months) against the references (the naive
   ones and the shrunk 12-month mean), per category and per brigade; brigades where the model
   loses fall back to their best reference;
2. the forecast of next month (the model, or the fallback baseline of the brigade);
3. the plan of every brigade for the week after the last recorded presence, with default
   parameters, its explanations;
4. the audit, for France and each département: fairness figures, drift flags, the capture
   replay of the last 12 months on every brigade (:mod:`etl.analytics.replay`: the plan, its
   target, the recorded presence, the population rule and the forecast-proportional rule side
   by side, scored on each month's recorded facts) and, on demo data, the overlap of each with
   the demo's true need (:mod:`etl.analytics.truth`).

Every table is declared in :mod:`etl.analytics.tables`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from etl.analytics.audit import plan_audit
from etl.analytics.inputs import Territory, load_inputs
from etl.analytics.recommend import Options, recommend
from etl.analytics.replay import (
    capture_by_rule,
    capture_summary,
    monthly_presence,
    replay_frame,
)
from etl.analytics.truth import true_need, truth_audit


def baseline_next(counts: np.ndarray, method: str, panel=None, rows=None) -> np.ndarray:
    """Next month's [commune, category] forecast of a baseline from [commune, month, category]
    counts: ``derniers_4``, ``annee_precedente`` or ``moyenne_12`` (exact zeros floored at
    :data:`etl.analytics.baselines.NAIVE_FLOOR`, as in the backtest), or ``moyenne_12_bayes``,
    which needs the whole ``panel`` (its prior is a population class's rate) and the ``rows``
    (mask or positions) of ``counts`` in it."""
    from etl.analytics.baselines import SHRUNK, floor_naive, shrunk_mean_12

    if method == SHRUNK:
        if panel is None:
            raise ValueError(f"{SHRUNK} a besoin du panel entier (taux par classe de taille)")
        values = shrunk_mean_12(panel, panel.n_months)
        return values if rows is None else values[rows]
    if method == "derniers_4":
        return floor_naive(counts[:, -4:].mean(axis=1))
    if method == "annee_precedente":
        return floor_naive(counts[:, -12] if counts.shape[1] >= 12 else counts.mean(axis=1))
    if method == "moyenne_12":
        return floor_naive(counts[:, -12:].mean(axis=1))
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
        values = baseline_next(panel.counts[rows], str(method), panel=panel, rows=rows)
        frame = pd.DataFrame(values, columns=cats)
        frame["code_commune"] = panel.communes.loc[rows, "code_commune"].to_numpy()
        long = frame.melt(id_vars="code_commune", var_name="categorie", value_name="base")
        out = out.merge(long, on=["code_commune", "categorie"], how="left")
        hit = out["base"].notna()
        out.loc[hit, "attendu"] = out.loc[hit, "base"]
        out.loc[hit, "methode"] = str(method)
        out = out.drop(columns="base")
    return out


def backtest_summary(result) -> dict:
    """What the page and the README say about the backtest, as stored in ``reco_runs``: the
    strongest reference (lowest deviance; the oracle gap is measured from it), the model against
    its empirical-Bayes offset alone, the deviance of every method overall and per commune-size
    class."""
    lo, hi = result.bootstrap
    return {"meilleure_reference": result.best_baseline,
            "reference_ecart_oracle": result.best_baseline,
            "deviance_modele": result.overall("modele"),
            "deviance_meilleure_reference": result.overall(result.best_baseline),
            "deviance_offset_bayes": result.overall("offset_bayes"),
            "bootstrap_95_modele_moins_offset": list(result.bootstrap_offset),
            "arbres_utiles": bool(result.trees_help),
            "deviances": result.deviances(), "deviance_par_taille": result.size_deviances(),
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
                 options: Options | None = None, replay: bool = True) -> dict[str, int]:
    """Runs everything (see the module docstring) on a read-write connection to the warehouse
    being built and writes the ``reco_*`` tables; returns their row counts."""
    from etl.analytics.backtest import backtest
    from etl.analytics.forecast import forecast_next
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
    truth = true_need(con, inputs.communes["code"].tolist(),
                      pd.Period(inputs.forecast_month or inputs.week, "M"), panel.categories,
                      options.weights.severity)
    audit = [*audit_rows(run_id, "France", rec.audit | truth_audit(rec.communes, truth))]
    solved = rec.communes[rec.communes["plan_resolu"]].merge(
        inputs.communes[["code", "departement"]], left_on="code_commune", right_on="code")
    for dep, part in solved.groupby("departement", sort=True):
        audit += audit_rows(run_id, str(dep), plan_audit(part) | truth_audit(part, truth))
    if replay:
        report("Recommandations : rejeu de la capture sur 12 mois")
        capacity = dict(zip(inputs.brigades["brigade_id"],
                            inputs.brigades["capacite"].astype(float), strict=True))
        first = pd.Timestamp(result.predictions["mois"].min()).date()
        monthly = replay_frame(result.predictions, inputs.communes, options.weights.severity,
                               monthly_presence(con, first))
        by_brigade = capture_by_rule(monthly, capacity, options.allocation)
        audit += audit_rows(run_id, "France", {
            f"rejeu_{k}": v for k, v in capture_summary(by_brigade).items()}
            | {"rejeu_mois": int(monthly["mois"].nunique())})
        deps = inputs.brigades.set_index("brigade_id")["departement"]
        for dep, part in by_brigade.groupby(by_brigade["brigade_id"].map(deps), sort=True):
            audit += audit_rows(run_id, str(dep), {
                f"rejeu_{k}": v for k, v in capture_summary(part).items()})
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
