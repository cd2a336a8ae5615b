"""Queries of the « Recommandations » page: the engine's inputs for a territory and a week
(kept per process), the plan for the what-if options, the national run's tables and the
commanders' decisions in the operational store.

Loading a territory's inputs reads the warehouse (and, without a national run, forecasts its
communes on the spot: seconds); re-solving the plans for new options takes a fraction of a
second. So the inputs are kept per (warehouse file, territory, week, applied plans) in a small
least-recently-used cache, the plans per options in another: a what-if only re-runs
:func:`etl.analytics.recommend.recommend`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from dashboard.core.cache import Lru
from dashboard.core.scope import Scope, ScopeError
from dashboard.core.warehouse import Warehouse
from etl.analytics.audit import plan_audit
from etl.analytics.inputs import (
    Inputs,
    NoData,
    Territory,
    default_week,
    load_inputs,
    parse_week,
)
from etl.analytics.recommend import Options, Recommendation, recommend
from etl.ops import plans

#: weeks offered before and after the default week (the week after the last recorded presence)
WEEKS_BEFORE, WEEKS_AFTER = 8, 4
#: the furthest weeks an address may ask for
WEEKS_LIMIT_BEFORE, WEEKS_LIMIT_AFTER = 52, 8
INPUTS_CACHE, PLANS_CACHE = 8, 32
LEVELS = ("departement", "compagnie", "brigade")
NOT_A_PLAN_LEVEL = ("Les recommandations se calculent pour un département, une compagnie ou une "
                    "brigade : choisissez-en un dans « Territoire ».")


_inputs: Lru[Inputs] = Lru(INPUTS_CACHE)
_plans: Lru[Recommendation] = Lru(PLANS_CACHE)
_weeks: Lru[date] = Lru(4)


def clear_caches() -> None:
    for cache in (_inputs, _plans, _weeks):
        cache.clear()


# --- territory and week ----------------------------------------------------------------------

def brigades_of(warehouse: Warehouse, scope: Scope) -> tuple[str | None, tuple[str, ...]]:
    """The département and the brigades (serving ZGN communes) of a territory; ScopeError
    (French) for a level a plan is not made for."""
    if scope.level not in LEVELS:
        raise ScopeError(NOT_A_PLAN_LEVEL)
    column = {"departement": "departement", "compagnie": "compagnie_id",
              "brigade": "brigade_id"}[scope.level]
    frame = warehouse.query_reference(
        f"""
        SELECT DISTINCT departement, brigade_id FROM communes
        WHERE "{column}" = $code AND zone = 'ZGN' AND brigade_id IS NOT NULL
        ORDER BY brigade_id
        """,  # noqa: S608 - the column comes from the fixed mapping above
        {"code": scope.code})
    departement = str(frame["departement"].iloc[0]) if len(frame) else (
        scope.code if scope.level == "departement" else None)
    return departement, tuple(str(b) for b in frame["brigade_id"])


def territory(scope: Scope, departement: str | None, brigades: tuple[str, ...]) -> Territory:
    """The engine's territory: a département, or the brigades of a compagnie or a brigade."""
    if scope.level == "departement":
        return Territory(departement=departement)
    return Territory(departement=departement, brigade_ids=brigades)


def default_plan_week(warehouse: Warehouse) -> date:
    """The engine's default week (after the last recorded presence), once per warehouse file."""
    with warehouse.connection() as con:
        return _weeks.get_or_compute(warehouse.version, lambda: _default_week(con))


def _default_week(con) -> date:
    try:
        return default_week(con)
    except NoData as exc:
        raise ScopeError(str(exc)) from exc


def week_text(week: date) -> str:
    y, w, _ = week.isocalendar()
    return f"{y}-W{w:02d}"


def checked_week(text, default: date) -> date:
    """The week a callback or an address asks for (``YYYY-Www``; none: ``default``), within a
    year before and two months after the default one; ScopeError (French) otherwise."""
    if text is None or text == "":
        return default
    if not isinstance(text, str):
        raise ScopeError("Semaine invalide.")
    try:
        week = parse_week(text[:10])
    except ValueError as exc:
        raise ScopeError(str(exc)) from exc
    if not (default - timedelta(weeks=WEEKS_LIMIT_BEFORE) <= week
            <= default + timedelta(weeks=WEEKS_LIMIT_AFTER)):
        raise ScopeError("Semaine hors de la plage possible (d'un an avant à deux mois après "
                         "la semaine à venir).")
    return week


def pick_week(text, default: date) -> tuple[date, str | None]:
    """:func:`checked_week` for a page's address: the default week, with a French message,
    instead of a refusal."""
    try:
        return checked_week(text, default), None
    except ScopeError as exc:
        return default, f"{exc} La semaine proposée par défaut est affichée."


def week_choices(default: date, chosen: date) -> list[date]:
    weeks = [default + timedelta(weeks=k) for k in range(-WEEKS_BEFORE, WEEKS_AFTER + 1)]
    return sorted(set(weeks) | {chosen}, reverse=True)


# --- the engine, cached ----------------------------------------------------------------------

def _applied_key(applied: dict[str, pd.DataFrame]) -> tuple:
    return tuple(sorted((b, int(pd.util.hash_pandas_object(p, index=False).sum()))
                        for b, p in applied.items()))


def inputs(warehouse: Warehouse, engine, scope: Scope, week: date) -> tuple[Inputs, tuple]:
    """The engine's inputs (cached) and their cache key. The current allocation of a brigade
    starts from its last plan applied for an earlier week (the operational store)."""
    departement, brigades = brigades_of(warehouse, scope)
    place = territory(scope, departement, brigades)
    applied = plans.applied_plans(engine, list(brigades), week_text(week))
    with warehouse.connection() as con:
        key = (warehouse.version, place, week, _applied_key(applied))

        def load() -> Inputs:
            try:
                return load_inputs(con, place, week, applied)
            except NoData as exc:
                raise ScopeError(str(exc)) from exc

        return _inputs.get_or_compute(key, load), key


def options_key(options: Options) -> str:
    return json.dumps(options.as_dict(), sort_keys=True)


def recommendation(warehouse: Warehouse, engine, scope: Scope, week: date,
                   options: Options) -> Recommendation:
    """The plans of the territory's brigades for ``options`` (cached per options)."""
    loaded, key = inputs(warehouse, engine, scope, week)
    return _plans.get_or_compute((key, options_key(options)),
                                 lambda: recommend(loaded, options))


# --- the national run ------------------------------------------------------------------------

@dataclass(frozen=True)
class NationalRun:
    """The latest ``python -m etl recommend build`` run: its row of ``reco_runs``, the
    overall backtest, the territory's brigades' backtest and the audit rows of France and of
    the département."""

    run: dict
    backtest: pd.DataFrame
    brigades: pd.DataFrame
    audit: pd.DataFrame


RUN_TABLES = ("reco_runs", "reco_backtest", "reco_backtest_brigades", "reco_audit")


def _has_run_tables(warehouse: Warehouse) -> bool:
    frame = warehouse.query_reference(
        "SELECT table_name FROM information_schema.tables WHERE table_name IN "
        "('reco_runs', 'reco_backtest', 'reco_backtest_brigades', 'reco_audit')")
    return set(RUN_TABLES) <= set(frame["table_name"])


def national_run(warehouse: Warehouse, departement: str | None,
                 brigades: tuple[str, ...]) -> NationalRun | None:
    """None when the warehouse holds no national run."""
    if not _has_run_tables(warehouse):
        return None
    runs = warehouse.query_reference(
        "SELECT run_id, cree_le, semaine, mois_prevu FROM reco_runs "
        "ORDER BY cree_le DESC, run_id DESC LIMIT 1")
    if runs.empty:
        return None
    run = {k: runs[k].iloc[0] for k in runs.columns}
    run_id = str(run["run_id"])
    backtest = warehouse.query_reference(
        "SELECT categorie, methode, deviance_poisson, mae FROM reco_backtest "
        "WHERE run_id = $run AND categorie = 'ensemble' ORDER BY deviance_poisson, methode",
        {"run": run_id})
    by_brigade = warehouse.query(
        "SELECT b.brigade_id, g.nom AS brigade, b.methode_retenue, b.deviance_modele, "
        "b.deviance_meilleure_reference, b.repli FROM reco_backtest_brigades b "
        "LEFT JOIN brigades g USING (brigade_id) "
        "WHERE b.run_id = $run AND list_contains($brigades, b.brigade_id) ORDER BY b.brigade_id",
        {"run": run_id, "brigades": list(brigades)})
    audit = warehouse.query_reference(
        "SELECT perimetre, indicateur, valeur, detail FROM reco_audit "
        "WHERE run_id = $run AND perimetre IN ('France', $departement) "
        "ORDER BY perimetre, indicateur",
        {"run": run_id, "departement": departement or "France"})
    return NationalRun(run, backtest, by_brigade, audit)


def run_id_for(run: NationalRun | None, week: date) -> str:
    """The run a decision refers to: the national run, or the plan computed on the spot."""
    return str(run.run["run_id"]) if run is not None else f"calcul-{week_text(week)}"


# --- decisions (operational store) -----------------------------------------------------------

def decisions(engine, brigades: tuple[str, ...], limit: int = 20) -> pd.DataFrame:
    return plans.decisions(engine, list(brigades), limit=limit)


def apply(engine, login: str, rec: Recommendation, run_id: str,
          address: str | None) -> list[tuple[str, int]]:
    """Records the plan of every solved brigade of ``rec`` (one decision and its audit record
    each); returns (brigade, decision id) pairs."""
    out = []
    parameters = rec.options.as_dict()
    for brigade_id in sorted(rec.plans):
        part = rec.slots[rec.slots["brigade_id"] == brigade_id]
        rows = [{"code_commune": r.code_commune, "creneau": r.creneau,
                 "heures": r.heures_recommandees, "visites": r.visites}
                for r in part.itertuples(index=False)]
        communes = rec.communes[rec.communes["brigade_id"] == brigade_id]
        out.append((brigade_id, plans.record_decision(
            engine, login, brigade_id, rec.inputs.semaine, run_id, parameters, rows, address,
            audit=plan_audit(communes))))
    return out
