"""Queries of the « Carte » page: one row per map unit (commune, brigade or département) of a
territory, pre-aggregated in DuckDB.

Every query is parameterised (``$name``); the territory's predicate and the unit's key column
are put in by :func:`dashboard.queries.scoping.scoped`, never from the browser.

Operational indicators are computed over the communes of the gendarmerie zone (ZGN): a commune
of the police zone has neither brigade, nor gendarmerie facts, nor DCAS. The SSMSI base covers
every commune (police and gendarmerie). Personal data (``elu_contacts.telephone``) is never
read here, and the SSMSI's département averages of 'ndiff' communes (``moyenne_dep_*``) are
never selected: they are not the commune's figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.core.reference import scope_departement, scope_label
from dashboard.core.scope import Period, Scope, add_months
from dashboard.core.warehouse import Warehouse
from dashboard.queries.alertes import SENT_ALERTS_SQL
from dashboard.queries.carte_ssmsi import ssmsi_communes, ssmsi_departements
from dashboard.queries.scoping import period_params, run, scoped
from etl.analytics.small_area import HISTORY_MONTHS, family_of

BURGLARY_INDICATOR = "Cambriolages de logement"


#: the CTE ``u``: the ZGN communes of the territory, with their unit's code
_ZGN = """
        u AS (
            SELECT c.code AS commune, /*key*/ AS code, c.population
            FROM communes AS c
            WHERE /*scope*/ AND c.zone = 'ZGN'
        )"""


def _zgn(template: str, scope: Scope, maille: str) -> tuple[str, dict]:
    """``template`` whose ``/*zgn*/`` marker becomes the CTE ``u``."""
    return scoped(template.replace("/*zgn*/", _ZGN), scope, maille=maille)


#: FACTS_RULE: recorded facts (SSMSI-like, police and gendarmerie zones alike) count every
#: commune of the territory, and its whole population, as the overview page does; a brigade
#: (or a compagnie) covers its own communes, which are in the gendarmerie zone
_ALL = """
        u AS (
            SELECT c.code AS commune, /*key*/ AS code, c.population
            FROM communes AS c
            WHERE /*scope*/ AND /*key*/ IS NOT NULL
        )"""


def _every_commune(template: str, scope: Scope, maille: str) -> tuple[str, dict]:
    """``template`` whose ``/*all*/`` marker becomes the CTE ``u`` of FACTS_RULE."""
    return scoped(template.replace("/*all*/", _ALL), scope, maille=maille)


# --- reference ---------------------------------------------------------------------------------

def ssmsi_choices(warehouse: Warehouse) -> pd.DataFrame:
    """(indicateur, annee) pairs present in the communal SSMSI base."""
    return warehouse.query_reference("SELECT DISTINCT indicateur, annee FROM crime_annual "
                                     "ORDER BY indicateur, annee")


# --- the units drawn -----------------------------------------------------------------------

def units(warehouse: Warehouse, scope: Scope, maille: str) -> pd.DataFrame:
    """code, nom, departement, population, zone and outre_mer of every unit of ``maille`` in
    the territory. Brigades and départements count the population they serve (ZGN)."""
    if maille == "commune":
        template = """
            SELECT c.code, c.nom, c.departement, c.population, c.zone, d.outre_mer
            FROM communes AS c JOIN departements AS d ON d.code = c.departement
            WHERE /*scope*/
            ORDER BY c.code
        """
    elif maille == "brigade":
        template = """
            SELECT b.brigade_id AS code, b.nom, b.departement, b.population, 'ZGN' AS zone,
                   d.outre_mer
            FROM brigades AS b JOIN departements AS d ON d.code = b.departement
            WHERE b.brigade_id IN (SELECT c.brigade_id FROM communes AS c WHERE /*scope*/)
            ORDER BY b.brigade_id
        """
    else:
        template = """
            SELECT d.code, d.nom, d.code AS departement, d.population_zgn AS population,
                   'ZGN' AS zone, d.outre_mer
            FROM departements AS d
            WHERE d.code IN (SELECT c.departement FROM communes AS c WHERE /*scope*/)
            ORDER BY d.code
        """
    sql, params = scoped(template, scope, maille=maille)
    return run(warehouse, sql, params)


# --- one query per source --------------------------------------------------------------------

def facts(warehouse: Warehouse, scope: Scope, maille: str, period: Period, reference: Period,
          categorie: str | None) -> pd.DataFrame:
    """Recorded facts of each unit in ``period`` and in ``reference`` (one category, or all
    when ``categorie`` is None), its population and, from the SSMSI base, its dwellings
    (``logements``: null unless every commune has them). Every commune counts, police zone
    included (FACTS_RULE). For the smoothed rates (:mod:`etl.analytics.small_area`):
    ``faits_historique``, the same facts in the
    :data:`~etl.analytics.small_area.HISTORY_MONTHS` months before the period, and
    ``faits_famille``, the facts of the category's family's other categories in the period."""
    sql, params = _every_commune("""
        WITH /*all*/,
        f AS (
            SELECT f.code_commune,
                   sum(f.nombre) FILTER (WHERE f.mois BETWEEN $debut AND $fin AND f.principale)
                       AS faits,
                   sum(f.nombre) FILTER (WHERE f.mois BETWEEN $ref_debut AND $ref_fin
                                         AND f.principale) AS faits_reference,
                   sum(f.nombre) FILTER (WHERE f.mois BETWEEN $hist_debut AND $hist_fin
                                         AND f.principale) AS faits_historique,
                   sum(f.nombre) FILTER (WHERE f.mois BETWEEN $debut AND $fin
                                         AND NOT f.principale) AS faits_famille
            FROM (SELECT *, ($categorie IS NULL OR categorie = $categorie) AS principale
                  FROM facts_monthly) AS f
            WHERE f.code_commune IN (SELECT commune FROM u)
              AND (f.mois BETWEEN $debut AND $fin OR f.mois BETWEEN $ref_debut AND $ref_fin
                   OR f.mois BETWEEN $hist_debut AND $hist_fin)
              AND ($categorie IS NULL OR f.categorie = $categorie
                   OR list_contains($famille::VARCHAR[], f.categorie))
            GROUP BY f.code_commune
        ),
        l AS (
            SELECT k.code_commune, arg_max(k.insee_log, k.annee) AS logements
            FROM crime_annual AS k
            WHERE k.indicateur = $cambriolages AND k.insee_log IS NOT NULL
              AND k.code_commune IN (SELECT commune FROM u)
            GROUP BY k.code_commune
        )
        SELECT u.code,
               count(*) AS communes,
               CAST(sum(u.population) AS BIGINT) AS population,
               CAST(coalesce(sum(f.faits), 0) AS BIGINT) AS faits,
               CAST(coalesce(sum(f.faits_reference), 0) AS BIGINT) AS faits_reference,
               CAST(coalesce(sum(f.faits_historique), 0) AS BIGINT) AS faits_historique,
               CAST(coalesce(sum(f.faits_famille), 0) AS BIGINT) AS faits_famille,
               count(f.code_commune) AS communes_avec_faits,
               CASE WHEN count(l.logements) = count(*) THEN sum(l.logements) END AS logements
        FROM u
        LEFT JOIN f ON f.code_commune = u.commune
        LEFT JOIN l ON l.code_commune = u.commune
        GROUP BY u.code
    """, scope, maille=maille)
    params |= period_params(period) | {
        "ref_debut": reference.start, "ref_fin": reference.end, "categorie": categorie,
        "cambriolages": BURGLARY_INDICATOR,
        "hist_debut": add_months(period.start, -HISTORY_MONTHS),
        "hist_fin": add_months(period.start, -1),
        "famille": family_of(categorie) if categorie else []}
    return run(warehouse, sql, params)


def dcas(warehouse: Warehouse, scope: Scope, maille: str, period: Period, theme: str
         ) -> pd.DataFrame:
    """DCAS consultations of each unit in the period: how many, how many name ``theme``, and
    the élus' satisfaction (mean, number rated, number rating 4 or 5)."""
    sql, params = _zgn("""
        WITH /*zgn*/,
        t AS (SELECT DISTINCT id_consultation FROM dcas_attentes WHERE theme = $theme),
        k AS (
            SELECT d.id_consultation, d.code_commune, d.satisfaction,
                   t.id_consultation IS NOT NULL AS cite
            FROM dcas_consultations AS d
            LEFT JOIN t ON t.id_consultation = d.id_consultation
            WHERE d.code_commune IN (SELECT commune FROM u)
              AND d.date_consultation >= $debut AND d.date_consultation < $fin_excl
        )
        SELECT u.code,
               count(k.id_consultation) AS consultations,
               count(*) FILTER (WHERE k.cite) AS citant,
               avg(k.satisfaction) AS satisfaction_moyenne,
               count(k.satisfaction) AS notees,
               count(*) FILTER (WHERE k.satisfaction >= 4) AS satisfaits
        FROM u LEFT JOIN k ON k.code_commune = u.commune
        GROUP BY u.code
    """, scope, maille=maille)
    return run(warehouse, sql, params | period_params(period) | {"theme": theme})


def trainings(warehouse: Warehouse, scope: Scope, maille: str, period: Period) -> pd.DataFrame:
    """Attendances of élus and agents of each unit's communes in the period, and how many of
    its ZGN communes had at least one."""
    sql, params = _zgn("""
        WITH /*zgn*/,
        t AS (
            SELECT code_commune_participant AS commune, count(*) AS participants
            FROM trainings
            WHERE code_commune_participant IN (SELECT commune FROM u)
              AND date_session >= $debut AND date_session < $fin_excl
            GROUP BY code_commune_participant
        )
        SELECT u.code, count(*) AS communes,
               CAST(coalesce(sum(t.participants), 0) AS BIGINT) AS participants,
               count(t.commune) AS communes_couvertes
        FROM u LEFT JOIN t ON t.commune = u.commune
        GROUP BY u.code
    """, scope, maille=maille)
    return run(warehouse, sql, params | period_params(period))


def cyber(warehouse: Warehouse, scope: Scope, maille: str, period: Period) -> pd.DataFrame:
    """Cyber self-diagnostics: those made in the period (and how many were red), and the last
    score of each commune diagnosed up to the period's end."""
    sql, params = _zgn("""
        WITH /*zgn*/,
        d AS (
            SELECT code_commune,
                   count(*) FILTER (WHERE date_diagnostic >= $debut) AS diagnostics,
                   count(*) FILTER (WHERE date_diagnostic >= $debut AND couleur = 'rouge')
                       AS rouges,
                   arg_max(score, date_diagnostic) AS dernier_score
            FROM cyber_diagnostics
            WHERE code_commune IN (SELECT commune FROM u) AND date_diagnostic < $fin_excl
            GROUP BY code_commune
        )
        SELECT u.code, count(*) AS communes,
               CAST(coalesce(sum(d.diagnostics), 0) AS BIGINT) AS diagnostics,
               CAST(coalesce(sum(d.rouges), 0) AS BIGINT) AS rouges,
               count(d.dernier_score) AS communes_diagnostiquees,
               avg(d.dernier_score) AS score_moyen
        FROM u LEFT JOIN d ON d.code_commune = u.commune
        GROUP BY u.code
    """, scope, maille=maille)
    return run(warehouse, sql, params | period_params(period))


def alerts(warehouse: Warehouse, scope: Scope, maille: str, period: Period) -> pd.DataFrame:
    """Alerts sent to each unit's communes in the period (the one definition of an alert
    sent, :data:`dashboard.queries.alertes.SENT_ALERTS_SQL`, that the overview and the
    « Alertes » page count), their SMS to the élus of those communes and how many were
    delivered, and the median delay from facts to alert."""
    sql, params = _zgn("""
        WITH /*zgn*/,
        sc AS (SELECT DISTINCT commune AS code FROM u),
        sent AS (
            /*sent_alerts*/
        ),
        a AS (
            SELECT DISTINCT u.code, se.id_alerte,
                   date_diff('minute', se.faits_le, se.cree_le) AS delai_min
            FROM sent AS se
            JOIN alert_communes AS ac ON ac.id_alerte = se.id_alerte
            JOIN u ON u.commune = ac.code_commune
            WHERE se.cree_le >= $debut AND se.cree_le < $fin_excl
        ),
        m AS (
            -- SMS_RULE: the SMS of the alerts sent in the period to the élus of the unit's
            -- communes (as the overview and profile pages count them)
            SELECT u.code, count(*) AS messages,
                   count(*) FILTER (WHERE dl.etat = 'DELIVRD') AS remis
            FROM alert_deliveries AS dl
            JOIN sent AS se ON se.id_alerte = dl.id_alerte
            JOIN elu_contacts AS e ON e.id_contact = dl.id_contact
            JOIN u ON u.commune = e.code_commune
            WHERE se.cree_le >= $debut AND se.cree_le < $fin_excl
            GROUP BY u.code
        ),
        s AS (
            SELECT code, count(*) AS alertes, median(delai_min) AS delai_median_min
            FROM a GROUP BY code
        )
        SELECT k.code, coalesce(s.alertes, 0) AS alertes, s.delai_median_min,
               coalesce(m.messages, 0) AS messages, coalesce(m.remis, 0) AS remis
        FROM (SELECT DISTINCT code FROM u) AS k
        LEFT JOIN s ON s.code = k.code
        LEFT JOIN m ON m.code = k.code
    """.replace("/*sent_alerts*/", SENT_ALERTS_SQL.strip()), scope, maille=maille)
    return run(warehouse, sql, params | period_params(period))


def complaints(warehouse: Warehouse, scope: Scope, maille: str, period: Period
               ) -> pd.DataFrame:
    """Complaints from élus of each unit's communes in the period (COMPLAINTS_RULE)."""
    sql, params = _zgn("""
        WITH /*zgn*/,
        p AS (
            -- COMPLAINTS_RULE: by date of the facts, or of the filing when it is unknown
            SELECT code_commune, count(*) AS plaintes
            FROM complaints
            WHERE code_commune IN (SELECT commune FROM u)
              AND coalesce(date_faits, CAST(date_depot AS DATE)) >= $debut
              AND coalesce(date_faits, CAST(date_depot AS DATE)) < $fin_excl
            GROUP BY code_commune
        )
        SELECT u.code, count(*) AS communes,
               CAST(sum(u.population) AS BIGINT) AS population,
               CAST(coalesce(sum(p.plaintes), 0) AS BIGINT) AS plaintes
        FROM u LEFT JOIN p ON p.code_commune = u.commune
        GROUP BY u.code
    """, scope, maille=maille)
    return run(warehouse, sql, params | period_params(period))


def presence(warehouse: Warehouse, scope: Scope, maille: str, period: Period) -> pd.DataFrame:
    """One row per ZGN commune of every brigade that serves the territory: its unit, brigade,
    population, facts and presence hours in the period, the brigade's headcount, whether it lies
    in the territory, and (column ``mois_presence``, the same on every row) the number of
    months of the period with presence recorded in those brigades."""
    sql, params = scoped(
        """
        WITH b AS (
            SELECT DISTINCT c.brigade_id FROM communes AS c
            WHERE /*scope*/ AND c.zone = 'ZGN' AND c.brigade_id IS NOT NULL
        ),
        u AS (
            SELECT c.code AS commune, /*key*/ AS code, c.brigade_id, c.population,
                   (/*scope*/) AS dans_perimetre
            FROM communes AS c
            WHERE c.zone = 'ZGN' AND c.brigade_id IN (SELECT brigade_id FROM b)
        ),
        f AS (
            SELECT code_commune, sum(nombre) AS faits
            FROM facts_monthly
            WHERE code_commune IN (SELECT commune FROM u) AND mois BETWEEN $debut AND $fin
            GROUP BY code_commune
        ),
        h AS (
            SELECT code_commune, sum(heures) AS heures
            FROM presence_hours
            WHERE code_commune IN (SELECT commune FROM u)
              AND date >= $debut AND date < $fin_excl
            GROUP BY code_commune
        ),
        mp AS (
            SELECT count(DISTINCT date_trunc('month', date)) AS mois_presence
            FROM presence_hours
            WHERE brigade_id IN (SELECT brigade_id FROM b)
              AND date >= $debut AND date < $fin_excl
        )
        SELECT u.commune, u.code, u.brigade_id, u.population, u.dans_perimetre,
               CAST(coalesce(f.faits, 0) AS BIGINT) AS faits,
               coalesce(h.heures, 0.0) AS heures,
               br.effectif, mp.mois_presence
        FROM u
        JOIN brigades AS br ON br.brigade_id = u.brigade_id
        CROSS JOIN mp
        LEFT JOIN f ON f.code_commune = u.commune
        LEFT JOIN h ON h.code_commune = u.commune
        """, scope, maille=maille)
    return run(warehouse, sql, params | period_params(period))


def compagnies(warehouse: Warehouse, departement: str | None) -> pd.DataFrame:
    """The compagnies of a département (none for the national view: too many to list)."""
    return warehouse.query_reference(
        "SELECT compagnie_id, nom, departement FROM compagnies "
        "WHERE departement = $departement ORDER BY nom", {"departement": departement})


# --- one map's frames --------------------------------------------------------------------------

@dataclass(frozen=True)
class MapFrames:
    """What one map is computed from: the territory's label and département, its units, and
    the indicator's per-unit results (``raw``; ``departements`` for the SSMSI map of
    départements)."""

    label: str
    departement: str | None
    units: pd.DataFrame
    frames: dict[str, pd.DataFrame]


def map_frames(warehouse: Warehouse, scope: Scope, maille: str, period: Period, source: str, *,
               reference: Period, category: str | None, theme: str, ssmsi: str,
               annee: int | None) -> MapFrames:
    """Read everything the map of ``source``'s indicator needs (the settings were checked by
    the view's ``Choices``; ``scope`` by ``access.check_scope``)."""
    units_frame = units(warehouse, scope, maille)
    frames: dict[str, pd.DataFrame] = {}
    if not units_frame.empty:
        if source == "faits":
            frames["raw"] = facts(warehouse, scope, maille, period, reference, category)
        elif source == "ssmsi":
            if annee is not None:
                frames["raw"] = ssmsi_communes(warehouse, scope, maille, ssmsi, annee)
                if maille == "departement":
                    frames["departements"] = ssmsi_departements(warehouse, scope, ssmsi, annee)
        elif source == "dcas":
            frames["raw"] = dcas(warehouse, scope, maille, period, theme)
        else:
            reader = {"formations": trainings, "cyber": cyber, "alertes": alerts,
                      "plaintes": complaints, "presence": presence}[source]
            frames["raw"] = reader(warehouse, scope, maille, period)
    return MapFrames(scope_label(warehouse, scope), scope_departement(warehouse, scope),
                     units_frame, frames)
