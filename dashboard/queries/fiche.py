"""Queries of the préfet's brief (« Fiche préfet »): everything one territory's brief shows, read
through the other pages' queries (the overview's figures, the map's per-commune frames, the
profiles' lists, the DCAS work list, the methodology's loads) so that the brief counts as they
do. No SQL of its own but the territory's brigades; the reads run side by side (DuckDB works
outside Python's lock)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from dashboard.core import reference
from dashboard.core.categories import Category
from dashboard.core.scope import Period, Scope
from dashboard.core.warehouse import Warehouse
from dashboard.queries import carte, methodologie, profils, suivi_dcas, vue_ensemble
from dashboard.queries.scoping import run, scoped

#: the levels a brief is made for (France and a région: too many communes for one document)
LEVELS = ("departement", "compagnie", "brigade", "commune")
#: the map's per-commune frames the brief's table reads (``carte`` query → name)
COMMUNE_SOURCES = ("faits", "plaintes", "alertes", "dcas", "formations", "cyber", "presence")
THREADS = 4

BRIGADES_SQL = """
SELECT count(DISTINCT c.brigade_id) AS brigades
FROM communes AS c
WHERE /*scope*/ AND c.zone = 'ZGN' AND c.brigade_id IS NOT NULL
"""


@dataclass
class BriefFrames:
    """What one brief is made from (``periods``: the period shown, the one before it and the
    same one a year earlier, as the overview computes them)."""

    scope: Scope
    label: str
    departement: str | None
    periods: Mapping[str, Period]
    figures: dict[str, dict[str, object]] = field(default_factory=dict)
    scope_figures: dict[str, object] = field(default_factory=dict)
    brigades: int = 0
    monthly: pd.DataFrame = field(default_factory=pd.DataFrame)
    units: pd.DataFrame = field(default_factory=pd.DataFrame)
    communes: dict[str, pd.DataFrame] = field(default_factory=dict)
    shapes: pd.DataFrame = field(default_factory=pd.DataFrame)
    work_list: pd.DataFrame = field(default_factory=pd.DataFrame)
    work_communes: pd.DataFrame = field(default_factory=pd.DataFrame)
    alerts: pd.DataFrame = field(default_factory=pd.DataFrame)
    trainings: pd.DataFrame = field(default_factory=pd.DataFrame)
    immersions: pd.DataFrame = field(default_factory=pd.DataFrame)
    loads: pd.DataFrame = field(default_factory=pd.DataFrame)
    synthetic: list[str] = field(default_factory=list)
    organisation: dict[str, int] = field(default_factory=dict)
    organisation_parametres: dict[str, str] = field(default_factory=dict)


def brigades_count(warehouse: Warehouse, scope: Scope) -> int:
    """The brigades serving the territory's communes of the gendarmerie zone."""
    sql, params = scoped(BRIGADES_SQL, scope)
    return int(run(warehouse, sql, params)["brigades"].iloc[0])


def commune_shapes(warehouse: Warehouse, departement: str | None, codes) -> pd.DataFrame:
    """The detailed outlines (code, wkb) of the communes ``codes`` of ``departement``."""
    if departement is None:
        return pd.DataFrame({"code": [], "wkb": []})
    shapes = warehouse.shapes("commune", "departement", departement)
    return shapes[shapes["code"].isin(set(codes))].reset_index(drop=True)


def _commune_reads(warehouse: Warehouse, scope: Scope, current: Period, year_before: Period
                   ) -> dict[str, Callable[[], pd.DataFrame]]:
    """The map's queries by commune, each as the Carte page reads it (facts: every category,
    against the same period a year earlier)."""
    per = {"plaintes": carte.complaints, "alertes": carte.alerts, "formations": carte.trainings,
           "cyber": carte.cyber, "presence": carte.presence}
    reads: dict[str, Callable[[], pd.DataFrame]] = {
        "faits": lambda: carte.facts(warehouse, scope, "commune", current, year_before, None),
        "dcas": lambda: carte.dcas(warehouse, scope, "commune", current, "contact_elus"),
    }
    for name, query in per.items():
        reads[name] = (lambda q: lambda: q(warehouse, scope, "commune", current))(query)
    return reads


def read(warehouse: Warehouse, engine: Engine, scope: Scope, periods: Mapping[str, Period],
         current: str, year_before: str, groups: tuple[Category, ...]) -> BriefFrames:
    """Every frame of the brief of ``scope`` (checked by the caller): ``periods[current]`` is
    the period shown, ``periods[year_before]`` the same one a year earlier; the DCAS work list
    comes from the operational store ``engine`` (what was just entered is there)."""
    period, before = periods[current], periods[year_before]
    frames = BriefFrames(scope, reference.scope_label(warehouse, scope),
                         reference.scope_departement(warehouse, scope), periods)
    units = carte.units(warehouse, scope, "commune")
    reads: dict[str, Callable[[], object]] = {
        "figures": lambda: vue_ensemble.overview_figures(warehouse, scope, periods, groups),
        "scope_figures": lambda: vue_ensemble.scope_figures(warehouse, scope),
        "brigades": lambda: brigades_count(warehouse, scope),
        "monthly": lambda: vue_ensemble.monthly_facts(warehouse, scope, before.start,
                                                      period.end_exclusive),
        "work": lambda: suivi_dcas.work_list(warehouse, engine, scope),
        "alerts": lambda: profils.alerts(warehouse, scope, period),
        "trainings": lambda: profils.trainings(warehouse, scope, period),
        "immersions": lambda: profils.immersions(warehouse, scope, period),
        "loads": lambda: methodologie.load_history(warehouse),
        "synthetic": lambda: reference.synthetic_sources(warehouse),
        "organisation": lambda: reference.organisation_sources(warehouse),
        "parametres": lambda: reference.organisation_parametres(warehouse),
        "shapes": lambda: commune_shapes(warehouse, frames.departement, units["code"]),
    }
    if not units.empty:
        reads |= {f"commune:{k}": v for k, v in
                  _commune_reads(warehouse, scope, period, before).items()}
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = dict(zip(reads, pool.map(lambda read_: read_(), reads.values()), strict=True))
    frames.units = units
    frames.figures, frames.scope_figures = results["figures"], results["scope_figures"]
    frames.brigades, frames.monthly = results["brigades"], results["monthly"]
    frames.work_list, frames.work_communes = results["work"]
    frames.alerts, frames.trainings = results["alerts"], results["trainings"]
    frames.immersions, frames.loads = results["immersions"], results["loads"]
    frames.synthetic, frames.organisation = results["synthetic"], results["organisation"]
    frames.organisation_parametres, frames.shapes = results["parametres"], results["shapes"]
    frames.communes = {k.removeprefix("commune:"): v for k, v in results.items()
                       if k.startswith("commune:")}
    return frames
