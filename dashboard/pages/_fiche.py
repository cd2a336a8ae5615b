"""The préfet's brief, put together (used by the « Fiche préfet » page, its PDF download and the
benchmark): the brief's queries, shaped by the views of the pages whose figures it repeats (the
overview's table, the DCAS work list), then by the brief's own view. The territory must have been
checked by the caller (``scaffold.checked_view``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine

from dashboard.core import categories
from dashboard.core.scope import Period, Scope, ScopeError
from dashboard.core.warehouse import Warehouse
from dashboard.queries import fiche as queries
from dashboard.queries.vue_ensemble import ELU_FUNCTIONS
from dashboard.views import fiche as view
from dashboard.views import fiche_charts, fiche_pdf
from dashboard.views import suivi_dcas as work_view
from dashboard.views import vue_ensemble as overview

GROUPS = (*categories.MAIN, categories.ENSEMBLE)


@dataclass(frozen=True)
class Pictures:
    """The brief's trend chart and map (PNG; no map for a single commune)."""

    trend: bytes | None
    map: bytes | None


def make(warehouse: Warehouse, engine: Engine, scope: Scope, period: Period,
         now: datetime) -> tuple[view.Brief, pd.DataFrame]:
    """(the brief, the outlines of its communes) of ``scope`` over ``period`` against the same
    period a year earlier; ``now``: France's time (``etl.clock.now()``), for the generation
    date and the DCAS ages."""
    if scope.level not in queries.LEVELS:
        raise ScopeError(view.NOT_A_BRIEF_LEVEL)
    periods = overview.periods_of(period)
    frames = queries.read(warehouse, engine, scope, periods, overview.CURRENT,
                          overview.YEAR_BEFORE, GROUPS)
    table = overview.display_frame(frames.figures, period)[0]
    table["section"] = overview.overview_frame(frames.figures)["section"]
    work = work_view.prepared(frames.work_list, frames.work_communes, now.date())
    return view.brief(
        label_=frames.label, level=scope.level, period=period,
        year_before=periods[overview.YEAR_BEFORE], generated_at=now,
        synthetic=bool(frames.synthetic), scope_figures=frames.scope_figures,
        brigades=frames.brigades, overview=table, monthly=frames.monthly, units=frames.units,
        communes=frames.communes, work=work, alerts=frames.alerts, trainings=frames.trainings,
        immersions=frames.immersions, elu_functions=ELU_FUNCTIONS, loads=frames.loads,
        organisation=frames.organisation, parametres=frames.organisation_parametres,
    ), frames.shapes


def pictures(brief: view.Brief, shapes) -> Pictures:
    many = len(brief.map_values) > 1
    return Pictures(fiche_charts.trend_png(brief.trend),
                    fiche_charts.map_png(brief.map_values, shapes, brief.map_title)
                    if many else None)


def pdf(warehouse: Warehouse, engine: Engine, scope: Scope, period: Period,
        now: datetime) -> tuple[bytes, str]:
    """(the PDF of the brief, its file name)."""
    brief, shapes = make(warehouse, engine, scope, period, now)
    drawn = pictures(brief, shapes)
    return fiche_pdf.document(brief, drawn.trend, drawn.map), f"{brief.file_stem}.pdf"
