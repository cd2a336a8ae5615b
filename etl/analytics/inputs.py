"""What the recommendation reads from the warehouse for a week and a territory.

A plan is made for one ISO week (by default the week after the last recorded presence). It
reads, for the brigades of the territory (a département, a compagnie, a list of brigades):

- their ZGN communes and the brigades' modelled headcount (capacity rule in
  :func:`etl.analytics.allocation.weekly_capacity`);
- the forecast of next month's victim-reported facts per commune and category
  (``reco_forecasts``, written by ``python -m etl recommend build``; computed on the spot from
  the facts when the warehouse has no stored run), brought to one week, and the weekly mean of
  the last 12 months as the reference the explanations compare it with;
- the open DCAS expectations (status ``a_traiter`` or ``en_cours``) with their themes, priority,
  preferred slots and age at the start of the week;
- the complaints of élus taken in the 12 months before the week;
- the current allocation: the mean weekly hours per commune × slot over the last ``N``
  **complete** ISO weeks of ``presence_hours`` (:func:`current_window`: N =
  ``PRESENCE_RECO_CURRENT_WEEKS``, 12 by default; the window ends on the last Sunday on or
  before the territory's last recorded day, so that neither the days after it — a data gap, a
  file not yet loaded — nor a partial week count as an absence), unless a plan was applied since
  (the caller passes it);
- the monthly recorded facts and presence of each commune over the :data:`DETECTION_MONTHS`
  whole months before the last recorded day (how much recording follows presence:
  :mod:`etl.analytics.exposure`);
- the days between each commune's last recorded presence and the territory's last recorded
  day, and for the audit the weekly presence of the last 8 weeks and the monthly facts of the
  last 4 months.

Every value reaches SQL as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from etl.analytics.allocation import weekly_capacity
from etl.analytics.exposure import detection_share
from etl.analytics.slots import SLOTS

#: months of history the detection share is estimated from: 3 years (with a year the estimate is
#: pulled toward 0 once presence follows the facts: tests/unit/test_feedback_loop.py)
DETECTION_MONTHS = 36


class NoData(ValueError):
    """Nothing to plan: a French message for the user."""


@dataclass(frozen=True)
class Territory:
    """A département, optionally narrowed to brigades (a compagnie's or a single one)."""

    departement: str | None = None
    brigade_ids: tuple[str, ...] | None = None


@dataclass
class Inputs:
    week: date                       # Monday of the planned ISO week
    communes: pd.DataFrame     # code, nom, departement, brigade_id, compagnie_id, population
    brigades: pd.DataFrame     # brigade_id, nom, departement, compagnie_id, effectif, capacite
    weekly: pd.DataFrame       # code_commune, categorie, attendu, reference, methode
    expectations: pd.DataFrame  # code_commune, id_consultation, theme, priorite, creneaux,
    #                            age_jours
    complaints: pd.Series            # complaints of élus in the last 12 months, by commune
    current: pd.DataFrame            # code_commune, creneau, heures (weekly)
    days_since: pd.Series            # days since the last recorded presence, by commune
    presence_weeks: pd.DataFrame     # code_commune, semaine (Monday), heures: last 8 weeks
    facts_recent: pd.DataFrame       # code_commune, mois, nombre: last 4 months, target categories
    forecast_month: date | None = None
    forecast_source: str = "entrepot"  # or 'calcul' (no stored run)
    #: first and last day of the current allocation's window (None: no recorded presence)
    current_window: tuple[date, date] | None = None
    #: monthly recorded facts (target categories) and presence per commune over the
    #: :data:`DETECTION_MONTHS` months before the last recorded day: ``code_commune, mois,
    #: faits, heures``, for the detection share (:mod:`etl.analytics.exposure`)
    monthly: pd.DataFrame | None = None
    #: the share of the recording that follows presence, estimated from ``monthly`` once per
    #: inputs (a what-if re-uses it): :func:`etl.analytics.exposure.detection_share`
    detection: float = 0.0

    @property
    def semaine(self) -> str:
        y, w, _ = self.week.isocalendar()
        return f"{y}-W{w:02d}"


def parse_week(text: str) -> date:
    """``YYYY-Www`` → its Monday; a French ValueError otherwise."""
    try:
        y, w = text.strip().upper().split("-W")
        return date.fromisocalendar(int(y), int(w), 1)
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"Semaine invalide : {text!r} (attendu AAAA-Sss, par ex. 2026-W49).") \
            from exc


def default_week(con) -> date:
    """The ISO week after the last recorded presence (or after the last month of facts)."""
    last = con.execute("SELECT max(date) FROM presence_hours").fetchall()[0][0]
    if last is None:
        last = con.execute("SELECT max(mois) FROM facts_monthly").fetchall()[0][0]
        if last is None:
            raise NoData("L'entrepôt ne contient ni présence ni faits : aucune recommandation "
                         "possible.")
        last = (pd.Timestamp(last) + pd.offsets.MonthEnd(0)).date()
    return last - timedelta(days=last.weekday()) + timedelta(days=7)


def current_window(last_recorded: date | None, weeks: int) -> tuple[date, date] | None:
    """First and last day of the ``weeks`` complete ISO weeks (Monday to Sunday) ending on or
    before ``last_recorded``; None without recorded presence."""
    if last_recorded is None:
        return None
    last = pd.Timestamp(last_recorded).date()
    end = last if last.weekday() == 6 else last - timedelta(days=last.weekday() + 1)
    return end - timedelta(days=7 * weeks - 1), end


def _where(territory: Territory, alias: str = "c") -> tuple[str, list]:
    clauses, params = [f"{alias}.zone = 'ZGN'", f"{alias}.brigade_id IS NOT NULL"], []
    if territory.departement:
        clauses.append(f"{alias}.departement = ?")
        params.append(territory.departement)
    if territory.brigade_ids is not None:
        if not territory.brigade_ids:
            clauses.append("FALSE")
        else:
            clauses.append(f"{alias}.brigade_id IN ({', '.join('?' * len(territory.brigade_ids))})")
            params.extend(territory.brigade_ids)
    return " AND ".join(clauses), params


def _df(con, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).df()


def _has_table(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                            [name]).fetchall()[0][0])


def load_inputs(con, territory: Territory, week: date | None = None,
                applied: dict[str, pd.DataFrame] | None = None,
                current_weeks: int | None = None) -> Inputs:
    """Everything :func:`etl.analytics.recommend.recommend` needs (see the module docstring).
    ``applied`` maps a brigade to its last applied plan (``code_commune, creneau, heures``),
    which then replaces its recorded presence as the current allocation; ``current_weeks``
    defaults to the ``PRESENCE_RECO_CURRENT_WEEKS`` setting."""
    if current_weeks is None:
        from etl.settings import get_settings

        current_weeks = get_settings().reco_current_weeks
    week = week or default_week(con)
    where, params = _where(territory)
    columns = "c.code, c.nom, c.departement, c.brigade_id, c.compagnie_id, c.population"
    sql = f"SELECT {columns} FROM communes c WHERE {where} ORDER BY c.brigade_id, c.code"  # noqa: S608
    communes = _df(con, sql, params)
    if communes.empty:
        raise NoData("Aucune commune de zone gendarmerie dans ce territoire.")
    ids = sorted(communes["brigade_id"].unique())
    marks = ", ".join("?" * len(ids))
    columns = "brigade_id, nom, departement, compagnie_id, effectif"
    sql = f"SELECT {columns} FROM brigades WHERE brigade_id IN ({marks}) ORDER BY 1"  # noqa: S608
    brigades = _df(con, sql, ids)
    brigades["capacite"] = [weekly_capacity(e) for e in brigades["effectif"]]
    sub = f"SELECT c.code FROM communes c WHERE {where}"  # noqa: S608
    start = pd.Timestamp(week)
    weekly, month, source = _weekly_forecast(con, sub, params, territory, start)
    expectations = _df(con, f"""
        SELECT d.code_commune, d.id_consultation, a.theme, d.priorite, d.creneaux,
               date_diff('day', d.date_consultation, ?::DATE) AS age_jours
        FROM dcas_consultations d JOIN dcas_attentes a USING (id_consultation)
        WHERE d.statut IN ('a_traiter', 'en_cours') AND d.date_consultation < ?::DATE
          AND d.code_commune IN ({sub})
        ORDER BY d.code_commune, d.id_consultation, a.theme""",  # noqa: S608
        [week, week, *params])
    complaints = _df(con, f"""
        SELECT code_commune, count(*) AS n FROM complaints
        WHERE date_depot >= ?::DATE - INTERVAL 365 DAY AND date_depot < ?::DATE
          AND code_commune IN ({sub}) GROUP BY code_commune""",  # noqa: S608
        [week, week, *params]).set_index("code_commune")["n"]
    last_recorded = _df(con, f"""
        SELECT max(date) AS last FROM presence_hours
        WHERE date < ?::DATE AND code_commune IN ({sub})""",  # noqa: S608
        [week, *params])["last"].iloc[0]
    last_recorded = None if pd.isna(last_recorded) else pd.Timestamp(last_recorded).date()
    window = current_window(last_recorded, current_weeks)
    current = _df(con, f"""
        SELECT code_commune,
               CASE WHEN isodow(date) >= 6 THEN 'weekend_' ELSE 'semaine_' END || creneau
                 AS creneau,
               sum(heures) / ? AS heures
        FROM presence_hours
        WHERE date BETWEEN ?::DATE AND ?::DATE
          AND code_commune IN ({sub}) GROUP BY ALL ORDER BY ALL""",  # noqa: S608
        [float(current_weeks), *(window or (week, week - timedelta(days=1))), *params])
    current = _apply_plans(current, communes, applied or {})
    last = _df(con, f"""
        SELECT code_commune, date_diff('day', max(date), ?::DATE) AS jours FROM presence_hours
        WHERE date < ?::DATE AND code_commune IN ({sub}) GROUP BY code_commune""",  # noqa: S608
        [last_recorded or week, week, *params]).set_index("code_commune")["jours"]
    days_since = last.reindex(communes["code"]).astype("float64")
    presence_weeks = _df(con, f"""
        SELECT code_commune, date_trunc('week', date)::DATE AS semaine, sum(heures) AS heures
        FROM presence_hours WHERE date >= ?::DATE - INTERVAL 56 DAY AND date < ?::DATE
          AND code_commune IN ({sub}) GROUP BY ALL ORDER BY ALL""",  # noqa: S608
        [week, week, *params])
    facts_recent = _df(con, f"""
        SELECT code_commune, mois, sum(nombre) AS nombre FROM facts_monthly
        WHERE mois >= ?::DATE - INTERVAL 4 MONTH AND mois < ?::DATE
          AND categorie NOT IN ('trafic_stupefiants', 'usage_stupefiants')
          AND code_commune IN ({sub}) GROUP BY ALL ORDER BY ALL""",  # noqa: S608
        [week, week, *params])
    monthly = _monthly(con, sub, params, window)
    return Inputs(week, communes, brigades, weekly, expectations, complaints, current,
                  days_since, presence_weeks, facts_recent, month, source, window, monthly,
                  detection_share(monthly, communes))


def _monthly(con, sub: str, params: list, window: tuple[date, date] | None) -> pd.DataFrame:
    """Recorded facts (target categories) and presence per commune and month, the
    :data:`DETECTION_MONTHS` whole months before the current window's end."""
    columns = ["code_commune", "mois", "faits", "heures"]
    if window is None:
        return pd.DataFrame(columns=columns)
    end = window[1].replace(day=1)  # the month of the window's end is partial: left out
    start = (pd.Timestamp(end) - pd.DateOffset(months=DETECTION_MONTHS)).date()
    return _df(con, f"""
        WITH f AS (
            SELECT code_commune, mois, sum(nombre) AS faits FROM facts_monthly
            WHERE mois >= ?::DATE AND mois < ?::DATE
              AND categorie NOT IN ('trafic_stupefiants', 'usage_stupefiants')
              AND code_commune IN ({sub}) GROUP BY ALL),
        p AS (
            SELECT code_commune, date_trunc('month', date)::DATE AS mois, sum(heures) AS heures
            FROM presence_hours WHERE date >= ?::DATE AND date < ?::DATE
              AND code_commune IN ({sub}) GROUP BY ALL)
        SELECT code_commune, mois, coalesce(f.faits, 0) AS faits, coalesce(p.heures, 0)
               AS heures
        FROM f FULL JOIN p USING (code_commune, mois) ORDER BY ALL""",  # noqa: S608
        [start, end, *params, start, end, *params])



def _apply_plans(current: pd.DataFrame, communes: pd.DataFrame,
                 applied: dict[str, pd.DataFrame]) -> pd.DataFrame:
    if not applied:
        return current
    of = communes.set_index("code")["brigade_id"]
    keep = current[~current["code_commune"].map(of).isin(applied)]
    plans = [p[["code_commune", "creneau", "heures"]] for b, p in applied.items()
             if b in set(of)]
    return pd.concat([keep, *plans], ignore_index=True) if plans else keep


def _weekly_forecast(con, sub: str, params: list, territory: Territory,
                     start: pd.Timestamp) -> tuple[pd.DataFrame, date | None, str]:
    """Expected facts of the week per commune × category, with the weekly mean of the last
    12 months as reference and the method (model or the baseline a brigade falls back to)."""
    reference = _df(con, f"""
        SELECT code_commune, categorie, sum(nombre) * 7.0 / 365.25 AS reference
        FROM facts_monthly WHERE mois >= ?::DATE - INTERVAL 12 MONTH AND mois < ?::DATE
          AND categorie NOT IN ('trafic_stupefiants', 'usage_stupefiants')
          AND code_commune IN ({sub}) GROUP BY ALL""",  # noqa: S608
        [start.date().replace(day=1), start.date().replace(day=1), *params])
    if _has_table(con, "reco_forecasts") and con.execute(
            "SELECT count(*) FROM reco_forecasts").fetchall()[0][0]:
        monthly = _df(con, f"""
            SELECT code_commune, categorie, mois, attendu, methode FROM reco_forecasts
            WHERE code_commune IN ({sub})""", params)  # noqa: S608
        source = "entrepot"
    else:
        from etl.analytics.forecast import forecast_next
        from etl.analytics.panel import load_panel

        panel = load_panel(con, territory.departement, territory.brigade_ids)
        monthly = forecast_next(panel)
        monthly["methode"] = "modele"
        source = "calcul"
    month = None
    if not monthly.empty:
        month = pd.Timestamp(monthly["mois"].max()).date()
        days = pd.Timestamp(month).days_in_month
        monthly = monthly.assign(attendu=monthly["attendu"].astype(float) * 7.0 / days)
    weekly = monthly[["code_commune", "categorie", "attendu", "methode"]].merge(
        reference, on=["code_commune", "categorie"], how="outer")
    weekly["attendu"] = weekly["attendu"].fillna(0.0)
    weekly["reference"] = weekly["reference"].fillna(0.0)
    weekly["methode"] = weekly["methode"].fillna("modele")
    return weekly, month, source


def current_matrix(current: pd.DataFrame, communes: list[str]) -> np.ndarray:
    """[commune, slot] weekly hours from ``code_commune, creneau, heures`` rows."""
    out = np.zeros((len(communes), len(SLOTS)))
    if current.empty:
        return out
    i = current["code_commune"].map({c: k for k, c in enumerate(communes)})
    j = current["creneau"].map({s: k for k, s in enumerate(SLOTS)})
    ok = (i.notna() & j.notna()).to_numpy()
    np.add.at(out, (i[ok].astype(int).to_numpy(), j[ok].astype(int).to_numpy()),
              current["heures"].to_numpy(float)[ok])
    return out
