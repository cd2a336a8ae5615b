"""Queries of the overview page: small aggregates of one territory over a few periods.

Every query groups in DuckDB and returns a handful of rows; no fact row reaches pandas.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

from dashboard.core.categories import Category
from dashboard.core.scope import Period, Scope
from dashboard.queries.alertes import SENT_ALERTS_SQL
from dashboard.queries.scoping import plain, scoped

#: élus among the attendees of a training (trainings.fonction_participant)
ELU_FUNCTIONS = ["maire", "adjoint", "conseiller_municipal"]


SCOPE_SQL = """
SELECT CAST(coalesce(sum(c.population), 0) AS BIGINT) AS population,
       count(*) AS communes,
       count(*) FILTER (WHERE c.zone = 'ZGN') AS communes_zgn
FROM communes AS c
WHERE /*scope*/
"""


def sum_by_period(monthly: pd.DataFrame, periods: Mapping[str, Period],
                  groups: tuple[Category, ...]) -> dict[str, dict[str, int]]:
    """Recorded facts of each group in each period, from monthly sums (columns ``mois``,
    ``categorie``, ``nombre``); periods may overlap. ``{period: {group key: count}}``."""
    if monthly.empty:
        return {key: {g.key: 0 for g in groups} for key in periods}
    months = pd.to_datetime(monthly["mois"])
    out: dict[str, dict[str, int]] = {}
    for key, period in periods.items():
        inside = monthly[(months >= pd.Timestamp(period.start))
                         & (months < pd.Timestamp(period.end_exclusive))]
        out[key] = {g.key: int(inside.loc[inside["categorie"].isin(g.facts), "nombre"].sum())
                    for g in groups}
    return out


def scope_figures(warehouse, scope: Scope) -> dict[str, object]:
    """Population and communes of the territory."""
    sql, params = scoped(SCOPE_SQL, scope)
    frame = warehouse.query(sql, params)
    return {name: plain(frame[name].iloc[0]) for name in frame.columns}


MONTHLY_FACTS_SQL = """
SELECT f.mois, f.categorie, sum(f.nombre) AS nombre
FROM facts_monthly AS f
JOIN communes AS c ON c.code = f.code_commune
WHERE /*scope*/ AND f.mois >= $debut AND f.mois < $fin
GROUP BY f.mois, f.categorie
ORDER BY f.mois, f.categorie
"""


def monthly_facts(warehouse, scope: Scope, start: date, end_exclusive: date) -> pd.DataFrame:
    """Recorded facts of the territory per month and category (columns mois, categorie,
    nombre); months without facts have no row."""
    sql, params = scoped(MONTHLY_FACTS_SQL, scope)
    return warehouse.query(sql, params | {"debut": start, "fin": end_exclusive})


PERIOD_SQL = """
WITH periods(periode, debut, fin) AS (
    VALUES ('courante', $debut_courante::DATE, $fin_courante::DATE),
           ('precedente', $debut_precedente::DATE, $fin_precedente::DATE),
           ('annee_precedente', $debut_annee_precedente::DATE, $fin_annee_precedente::DATE)
),
sc AS (
    SELECT c.code, c.zone FROM communes AS c WHERE /*scope*/
),
pl AS (
    SELECT p.periode, count(*) AS plaintes
    FROM complaints AS t
    JOIN sc ON sc.code = t.code_commune
    JOIN periods AS p
      ON coalesce(t.date_faits, CAST(t.date_depot AS DATE)) >= p.debut
     AND coalesce(t.date_faits, CAST(t.date_depot AS DATE)) < p.fin
    GROUP BY p.periode
),
al AS (
    -- the alerts sent to the élus of the territory: the one definition the « Alertes »
    -- page lists too (dashboard.queries.alertes.SENT_ALERTS_SQL)
    /*sent_alerts*/
),
alp AS (
    SELECT p.periode, count(*) AS alertes,
           count(*) FILTER (WHERE al.cree_le >= al.faits_le) AS alertes_datees,
           quantile_cont(epoch(al.cree_le - al.faits_le) / 60.0, 0.5)
               FILTER (WHERE al.cree_le >= al.faits_le) AS delai_median_min
    FROM al
    JOIN periods AS p ON al.cree_le >= p.debut AND al.cree_le < p.fin
    GROUP BY p.periode
),
msg AS (
    -- SMS_RULE: the SMS of the alerts sent in the period to the élus of the territory's
    -- communes (as the Carte and profile pages count them)
    SELECT p.periode, count(*) AS messages,
           count(*) FILTER (WHERE d.etat = 'DELIVRD') AS messages_remis
    FROM alert_deliveries AS d
    JOIN alerts AS a ON a.id_alerte = d.id_alerte
    JOIN elu_contacts AS e ON e.id_contact = d.id_contact
    JOIN sc ON sc.code = e.code_commune
    JOIN periods AS p ON a.cree_le >= p.debut AND a.cree_le < p.fin
    WHERE a.statut = 'envoyee'
    GROUP BY p.periode
),
dc AS (
    SELECT p.periode, count(*) AS dcas,
           count(t.satisfaction) AS dcas_notees,
           count(*) FILTER (WHERE t.satisfaction >= 4) AS dcas_satisfaits
    FROM dcas_consultations AS t
    JOIN sc ON sc.code = t.code_commune
    JOIN periods AS p ON t.date_consultation >= p.debut AND t.date_consultation < p.fin
    GROUP BY p.periode
),
fo AS (
    SELECT p.periode,
           count(*) FILTER (WHERE t.fonction_participant IN (SELECT unnest($elus)))
               AS elus_formes,
           count(DISTINCT t.code_commune_participant) FILTER (WHERE sc.zone = 'ZGN')
               AS communes_formees
    FROM trainings AS t
    JOIN sc ON sc.code = t.code_commune_participant
    JOIN periods AS p ON t.date_session >= p.debut AND t.date_session < p.fin
    GROUP BY p.periode
),
cy AS (
    SELECT p.periode, count(*) AS diagnostics,
           count(*) FILTER (WHERE t.couleur = 'rouge') AS diagnostics_rouges
    FROM cyber_diagnostics AS t
    JOIN sc ON sc.code = t.code_commune
    JOIN periods AS p ON t.date_diagnostic >= p.debut AND t.date_diagnostic < p.fin
    GROUP BY p.periode
),
pr_day AS (
    -- the largest table: summed per day first, so that the range join with the periods
    -- works on a few hundred rows
    SELECT t."date" AS jour, sum(t.heures) AS heures
    FROM presence_hours AS t
    JOIN communes AS c ON c.code = t.code_commune
    WHERE /*scope*/ AND t."date" >= $debut_total AND t."date" < $fin_total
    GROUP BY t."date"
),
pr AS (
    SELECT p.periode, sum(d.heures) AS heures_presence
    FROM pr_day AS d
    JOIN periods AS p ON d.jour >= p.debut AND d.jour < p.fin
    GROUP BY p.periode
)
SELECT p.periode,
       coalesce(pl.plaintes, 0) AS plaintes,
       coalesce(alp.alertes, 0) AS alertes,
       coalesce(alp.alertes_datees, 0) AS alertes_datees,
       alp.delai_median_min,
       coalesce(msg.messages, 0) AS messages,
       coalesce(msg.messages_remis, 0) AS messages_remis,
       coalesce(dc.dcas, 0) AS dcas,
       coalesce(dc.dcas_notees, 0) AS dcas_notees,
       coalesce(dc.dcas_satisfaits, 0) AS dcas_satisfaits,
       coalesce(fo.elus_formes, 0) AS elus_formes,
       coalesce(fo.communes_formees, 0) AS communes_formees,
       (SELECT count(*) FROM sc WHERE sc.zone = 'ZGN') AS communes_zgn,
       coalesce(cy.diagnostics, 0) AS diagnostics,
       coalesce(cy.diagnostics_rouges, 0) AS diagnostics_rouges,
       coalesce(pr.heures_presence, 0) AS heures_presence
FROM periods AS p
LEFT JOIN pl USING (periode)
LEFT JOIN alp USING (periode)
LEFT JOIN msg USING (periode)
LEFT JOIN dc USING (periode)
LEFT JOIN fo USING (periode)
LEFT JOIN cy USING (periode)
LEFT JOIN pr USING (periode)
""".replace("/*sent_alerts*/", SENT_ALERTS_SQL.strip())


def period_figures(warehouse, scope: Scope, periods: Mapping[str, Period]
                   ) -> dict[str, dict[str, object]]:
    """The operational figures of the territory in each period (keys of
    :data:`dashboard.views.vue_ensemble.PERIOD_KEYS`): complaints, alerts, their delivery and delay,
    DCAS consultations, trainings, cyber diagnostics, presence hours."""
    sql, params = scoped(PERIOD_SQL, scope)
    for key, period in periods.items():
        params[f"debut_{key}"] = period.start
        params[f"fin_{key}"] = period.end_exclusive
    params["debut_total"] = min(p.start for p in periods.values())
    params["fin_total"] = max(p.end_exclusive for p in periods.values())
    params["elus"] = ELU_FUNCTIONS
    frame = warehouse.query(sql, params)
    return {row["periode"]: {k: plain(v) for k, v in row.items() if k != "periode"}
            for row in frame.to_dict("records")}


def overview_figures(warehouse, scope: Scope, periods: Mapping[str, Period],
                     groups) -> dict[str, dict[str, object]]:
    """All the figures of the overview cards, per period: recorded facts per group
    (``faits_<group>``) and the operational figures."""
    start = min(p.start for p in periods.values())
    end = max(p.end_exclusive for p in periods.values())
    facts = sum_by_period(monthly_facts(warehouse, scope, start, end), periods, groups)
    figures = period_figures(warehouse, scope, periods)
    for key in periods:
        figures.setdefault(key, {})
        figures[key].update({f"faits_{g}": n for g, n in facts[key].items()})
    return figures
