"""Queries of the profile pages (« Fiche commune », « Fiche brigade »): everything recorded about
the communes of one territory (``commune:<code>`` or ``brigade:<id>``), parameterised.

The territory's predicate comes from :meth:`Scope.commune_filter` (a fixed column, its value a
parameter). Élus' phone numbers are read only by :func:`contacts` with ``with_phone=True``,
which the page asks for only for the roles allowed to see them. The SSMSI's département
averages of 'ndiff' communes are never selected.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from dashboard.core.scope import Period, Scope, add_months
from dashboard.core.warehouse import Warehouse
from dashboard.queries import carte
from dashboard.queries.profil_rates import departement_rates
from dashboard.queries.scoping import period_params, run, scoped


def _communes(template: str, scope: Scope) -> tuple[str, dict]:
    """``template`` whose ``/*communes*/`` marker is the subquery of the territory's communes."""
    return scoped(template.replace(
        "/*communes*/", "(SELECT c.code FROM communes AS c WHERE /*scope*/)"), scope)


# --- identity cards ----------------------------------------------------------------------------

def commune_card(warehouse: Warehouse, code: str) -> pd.DataFrame:
    """The commune, its mairie's public contact, its département, brigade and compagnie."""
    return warehouse.query(
        """
        SELECT c.code, c.nom, c.departement, d.nom AS departement_nom, c.population,
               c.superficie_km2, c.densite, c.zone, c.outre_mer,
               c.brigade_id, b.nom AS brigade_nom, b.telephone AS brigade_telephone,
               b.adresse AS brigade_adresse, b.horaires_accueil AS brigade_horaires,
               b.source AS brigade_source, c.compagnie_id, k.nom AS compagnie_nom,
               c.mairie_adresse, c.mairie_telephone, c.mairie_email, c.mairie_site,
               c.mairie_horaires
        FROM communes AS c
        JOIN departements AS d ON d.code = c.departement
        LEFT JOIN brigades AS b ON b.brigade_id = c.brigade_id
        LEFT JOIN compagnies AS k ON k.compagnie_id = c.compagnie_id
        WHERE c.code = $code
        """, {"code": code})


def brigade_card(warehouse: Warehouse, brigade_id: str) -> pd.DataFrame:
    """The brigade, its directory data (real units file only), compagnie, community, seat."""
    return warehouse.query(
        """
        SELECT b.brigade_id, b.nom, b.departement, d.nom AS departement_nom, b.type, b.cob_id,
               cob.nom AS cob_nom, b.compagnie_id, k.nom AS compagnie_nom, b.commune_siege,
               s.nom AS siege_nom, b.effectif, b.population, b.superficie_km2, b.nb_communes,
               b.telephone, b.adresse, b.horaires_accueil, b.source, d.outre_mer
        FROM brigades AS b
        JOIN departements AS d ON d.code = b.departement
        LEFT JOIN compagnies AS k ON k.compagnie_id = b.compagnie_id
        LEFT JOIN brigades AS cob ON cob.brigade_id = b.cob_id
        LEFT JOIN communes AS s ON s.code = b.commune_siege
        WHERE b.brigade_id = $brigade_id
        """, {"brigade_id": brigade_id})


def population(warehouse: Warehouse, scope: Scope) -> int:
    sql, params = scoped("SELECT coalesce(sum(c.population), 0) AS population "
                          "FROM communes AS c WHERE /*scope*/", scope)
    return int(run(warehouse, sql, params)["population"].iloc[0])


def communes_table(warehouse: Warehouse, scope: Scope, period: Period,
                   facts: Period | None) -> pd.DataFrame:
    """One row per commune of the territory (a brigade's communes), in one query: recorded
    facts (of ``facts``, the period's months with recorded facts; None: none),
    complaints from élus (COMPLAINTS_RULE), DCAS consultations and training attendances of
    the period, and the last cyber score up to its end."""
    sql, params = scoped(
        """
        WITH u AS (SELECT c.code, c.nom, c.population FROM communes AS c WHERE /*scope*/),
        f AS (
            SELECT code_commune AS code, sum(nombre) AS faits FROM facts_monthly
            WHERE code_commune IN (SELECT code FROM u) AND mois BETWEEN $debut AND $faits_fin
            GROUP BY code_commune
        ),
        p AS (
            SELECT code_commune AS code, count(*) AS plaintes FROM complaints
            WHERE code_commune IN (SELECT code FROM u)
              AND coalesce(date_faits, CAST(date_depot AS DATE)) >= $debut
              AND coalesce(date_faits, CAST(date_depot AS DATE)) < $fin_excl
            GROUP BY code_commune
        ),
        d AS (
            SELECT code_commune AS code, count(*) AS consultations FROM dcas_consultations
            WHERE code_commune IN (SELECT code FROM u)
              AND date_consultation >= $debut AND date_consultation < $fin_excl
            GROUP BY code_commune
        ),
        t AS (
            SELECT code_commune_participant AS code, count(*) AS participants FROM trainings
            WHERE code_commune_participant IN (SELECT code FROM u)
              AND date_session >= $debut AND date_session < $fin_excl
            GROUP BY code_commune_participant
        ),
        y AS (
            SELECT code_commune AS code, arg_max(score, date_diagnostic) AS score_moyen
            FROM cyber_diagnostics
            WHERE code_commune IN (SELECT code FROM u) AND date_diagnostic < $fin_excl
            GROUP BY code_commune
        )
        SELECT u.code, u.nom, u.population,
               CAST(coalesce(f.faits, 0) AS BIGINT) AS faits,
               coalesce(p.plaintes, 0) AS plaintes,
               coalesce(d.consultations, 0) AS consultations,
               coalesce(t.participants, 0) AS participants,
               y.score_moyen
        FROM u
        LEFT JOIN f USING (code) LEFT JOIN p USING (code) LEFT JOIN d USING (code)
        LEFT JOIN t USING (code) LEFT JOIN y USING (code)
        ORDER BY u.nom
        """, scope)
    facts_end = add_months(period.start, -1) if facts is None else facts.end
    return run(warehouse, sql, params | period_params(period) | {"faits_fin": facts_end})


# --- activity ----------------------------------------------------------------------------------

def facts_by_month(warehouse: Warehouse, scope: Scope, period: Period | None) -> pd.DataFrame:
    """Facts per month and category, from 12 months before the period to its end (None: no
    month, no row)."""
    if period is None:
        return pd.DataFrame({"mois": pd.Series(dtype="datetime64[us]"),
                             "categorie": pd.Series(dtype="object"),
                             "nombre": pd.Series(dtype="int64")})
    sql, params = _communes(
        """
        SELECT f.mois, f.categorie, CAST(sum(f.nombre) AS BIGINT) AS nombre
        FROM facts_monthly AS f
        WHERE f.code_commune IN /*communes*/ AND f.mois BETWEEN $depuis AND $fin
        GROUP BY f.mois, f.categorie
        ORDER BY f.mois, f.categorie
        """, scope)
    return run(warehouse, sql, params | period_params(period)
               | {"depuis": add_months(period.start, -12)})


def ssmsi(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """The SSMSI base of the territory's communes, per year and indicator: counts and rates of
    the diffused communes, and how many communes were not diffused ('ndiff')."""
    sql, params = _communes(
        """
        SELECT k.annee, k.indicateur,
               count(*) AS communes,
               count(*) FILTER (WHERE k.est_diffuse = 'ndiff') AS non_diffusees,
               CAST(sum(k.nombre) FILTER (WHERE k.est_diffuse = 'diff') AS BIGINT) AS nombre,
               sum(k.insee_pop) FILTER (WHERE k.est_diffuse = 'diff') AS population,
               sum(k.insee_log) FILTER (WHERE k.est_diffuse = 'diff') AS logements,
               count(k.insee_log) FILTER (WHERE k.est_diffuse = 'diff') AS avec_logements,
               count(*) FILTER (WHERE k.est_diffuse = 'diff') AS diffusees,
               max(k.taux_pour_mille) FILTER (WHERE k.est_diffuse = 'diff') AS taux_publie
        FROM crime_annual AS k
        WHERE k.code_commune IN /*communes*/
        GROUP BY k.annee, k.indicateur
        ORDER BY k.annee DESC, k.indicateur
        """, scope)
    return run(warehouse, sql, params)


def complaints(warehouse: Warehouse, scope: Scope, period: Period) -> pd.DataFrame:
    sql, params = _communes(
        """
        SELECT p.id_plainte, p.date_faits, p.date_depot, p.lieu_depot, p.code_commune,
               c.nom AS commune, p.fonction_victime, p.infraction, p.statut
        FROM complaints AS p JOIN communes AS c ON c.code = p.code_commune
        WHERE p.code_commune IN /*communes*/
          -- COMPLAINTS_RULE: by date of the facts, or of the filing when it is unknown
          AND coalesce(p.date_faits, CAST(p.date_depot AS DATE)) >= $debut
          AND coalesce(p.date_faits, CAST(p.date_depot AS DATE)) < $fin_excl
        ORDER BY coalesce(p.date_faits, CAST(p.date_depot AS DATE)) DESC, p.id_plainte
        """, scope)
    return run(warehouse, sql, params | period_params(period))


def alerts(warehouse: Warehouse, scope: Scope, period: Period) -> pd.DataFrame:
    """Alerts created in the period that targeted the territory, with their SMS delivery."""
    sql, params = _communes(
        """
        WITH a AS (
            SELECT DISTINCT ac.id_alerte FROM alert_communes AS ac
            WHERE ac.code_commune IN /*communes*/
        ),
        m AS (
            SELECT dl.id_alerte, count(*) AS messages,
                   count(*) FILTER (WHERE dl.etat = 'DELIVRD') AS remis,
                   median(date_diff('second', dl.soumis_le, dl.etat_le))
                       FILTER (WHERE dl.etat = 'DELIVRD') AS remise_mediane_s
            FROM alert_deliveries AS dl
            WHERE dl.id_alerte IN (SELECT id_alerte FROM a)
            GROUP BY dl.id_alerte
        )
        SELECT al.id_alerte, al.cree_le, al.faits_le, al.unite_auteur, al.categorie,
               al.message, al.communes_ciblees, al.nb_destinataires, al.statut,
               date_diff('minute', al.faits_le, al.cree_le) AS delai_min,
               coalesce(m.messages, 0) AS messages, coalesce(m.remis, 0) AS remis,
               m.remise_mediane_s
        FROM alerts AS al
        LEFT JOIN m ON m.id_alerte = al.id_alerte
        WHERE al.id_alerte IN (SELECT id_alerte FROM a)
          AND al.cree_le >= $debut AND al.cree_le < $fin_excl
        ORDER BY al.cree_le DESC
        """, scope)
    return run(warehouse, sql, params | period_params(period))


def dcas(warehouse: Warehouse, scope: Scope, period: Period) -> pd.DataFrame:
    sql, params = _communes(
        """
        SELECT d.id_consultation, d.date_consultation, d.code_commune, c.nom AS commune,
               d.brigade_id, d.fonction_elu, d.canal, d.attentes, d.creneaux, d.priorite,
               d.actions_suivi, d.statut, d.date_suivi, d.satisfaction
        FROM dcas_consultations AS d JOIN communes AS c ON c.code = d.code_commune
        WHERE d.code_commune IN /*communes*/
          AND d.date_consultation >= $debut AND d.date_consultation < $fin_excl
        ORDER BY d.date_consultation DESC, d.id_consultation
        """, scope)
    return run(warehouse, sql, params | period_params(period))


def trainings(warehouse: Warehouse, scope: Scope, period: Period) -> pd.DataFrame:
    sql, params = _communes(
        """
        SELECT t.id_participation, t.id_session, t.theme, t.date_session,
               t.code_commune_participant AS code_commune, c.nom AS commune,
               t.fonction_participant, t.unite, t.code_commune_session
        FROM trainings AS t JOIN communes AS c ON c.code = t.code_commune_participant
        WHERE t.code_commune_participant IN /*communes*/
          AND t.date_session >= $debut AND t.date_session < $fin_excl
        ORDER BY t.date_session DESC, t.id_participation
        """, scope)
    return run(warehouse, sql, params | period_params(period))


def immersions(warehouse: Warehouse, scope: Scope, period: Period) -> pd.DataFrame:
    """The done immersions of the period (a planned one is not an immersion yet)."""
    sql, params = _communes(
        """
        SELECT i.id_immersion, i.date_immersion, i.code_commune, c.nom AS commune,
               i.fonction_elu, i.type_unite, i.unite, i.duree_heures, i.note
        FROM immersions AS i JOIN communes AS c ON c.code = i.code_commune
        WHERE i.code_commune IN /*communes*/
          AND i.date_immersion >= $debut AND i.date_immersion < $fin_excl
          AND coalesce(i.statut, 'realisee') = 'realisee'  -- done ones, not planned ones
        ORDER BY i.date_immersion DESC
        """, scope)
    return run(warehouse, sql, params | period_params(period))


def diagnostics(warehouse: Warehouse, scope: Scope, period: Period) -> pd.DataFrame:
    """Every cyber self-diagnostic of the territory up to the period's end (the history)."""
    sql, params = _communes(
        """
        SELECT g.id_diagnostic, g.date_diagnostic, g.code_commune, c.nom AS commune, g.score,
               g.couleur, g.reponses_rouges, g.contact_specialiste
        FROM cyber_diagnostics AS g JOIN communes AS c ON c.code = g.code_commune
        WHERE g.code_commune IN /*communes*/ AND g.date_diagnostic < $fin_excl
        ORDER BY g.date_diagnostic DESC, g.code_commune
        """, scope)
    return run(warehouse, sql, params | period_params(period))


def presence_by_month(warehouse: Warehouse, scope: Scope, period: Period) -> pd.DataFrame:
    """Presence hours in the territory's communes per month and time slot."""
    sql, params = _communes(
        """
        SELECT date_trunc('month', p.date) AS mois, p.creneau, sum(p.heures) AS heures
        FROM presence_hours AS p
        WHERE p.code_commune IN /*communes*/ AND p.date >= $debut AND p.date < $fin_excl
        GROUP BY 1, 2
        ORDER BY 1, 2
        """, scope)
    return run(warehouse, sql, params | period_params(period))


def contacts(warehouse: Warehouse, scope: Scope, *, with_phone: bool) -> pd.DataFrame:
    """Élus' alert contacts of the territory; the phone number only when ``with_phone``."""
    phone = "e.telephone" if with_phone else "NULL"
    sql, params = _communes(
        """
        SELECT e.id_contact, e.code_commune, c.nom AS commune, e.fonction, e.opt_in,
               e.date_opt_in, /*phone*/ AS telephone
        FROM elu_contacts AS e JOIN communes AS c ON c.code = e.code_commune
        WHERE e.code_commune IN /*communes*/
        ORDER BY c.nom, e.fonction, e.id_contact
        """.replace("/*phone*/", phone), scope)
    return run(warehouse, sql, params)


# --- one profile's reads -----------------------------------------------------------------------

#: the reads only a brigade's profile needs
BY_COMMUNE = ("communes_table",)
PREFETCH_THREADS = 4


def _reads() -> dict[str, Callable[[ProfileReader], object]]:
    """Every read a profile may need, by name (see :class:`ProfileReader`)."""

    def per(name: str) -> Callable[[ProfileReader], pd.DataFrame]:
        return lambda r: globals()[name](r.warehouse, r.scope, r.period)

    return {
        "facts": lambda r: facts_by_month(r.warehouse, r.scope, r.facts_period),
        "population": lambda r: population(r.warehouse, r.scope),
        "complaints": per("complaints"),
        "alerts": per("alerts"),
        "dcas": per("dcas"),
        "trainings": per("trainings"),
        "immersions": per("immersions"),
        "diagnostics": per("diagnostics"),
        "presence": per("presence_by_month"),
        "ssmsi": lambda r: ssmsi(r.warehouse, r.scope),
        # a commune's département, for its smoothed rates
        "departement_rates": lambda r: departement_rates(r.warehouse, r.scope, r.facts_period),
        "contacts": lambda r: contacts(r.warehouse, r.scope, with_phone=r.with_phone),
        # every ZGN commune of the brigades concerned, for the expected presence
        "presence_rows": lambda r: carte.presence(r.warehouse, r.scope, "commune", r.period),
        # the brigade's communes, one row each, with their figures
        "communes_table": lambda r: communes_table(r.warehouse, r.scope, r.period,
                                                   r.facts_period),
        # the SMS delivery of the territory, counted as on the Carte and overview pages
        "sms": lambda r: carte.alerts(r.warehouse, r.scope, r.scope.level, r.period),
    }


READS = _reads()


class ProfileReader:
    """The frames of one territory's profile (``commune:<code>`` or ``brigade:<id>``), each
    read at most once; :meth:`prefetch` runs those a page needs side by side (DuckDB works
    outside Python's lock, so two cores serve two queries). ``with_phone``: whether élus'
    phone numbers may be read (the page decides from the user's role); ``facts_until``: the
    last month with recorded facts, where the facts' reads stop (:attr:`facts_period`) while
    the units' entries are read over the whole period, up to today."""

    def __init__(self, warehouse: Warehouse, scope: Scope, period: Period,
                 with_phone: bool = False, facts_until=None) -> None:
        self.warehouse, self.scope, self.period = warehouse, scope, period
        self.with_phone = with_phone
        #: the period's months with recorded facts (None: none of them)
        self.facts_period = period.until(facts_until)
        self._results: dict[str, object] = {}

    def get(self, name: str):
        if name not in self._results:
            self._results[name] = READS[name](self)
        return self._results[name]

    def prefetch(self, names: tuple[str, ...] | None = None) -> ProfileReader:
        """Run the reads ``names`` (default: all those of this kind of page) concurrently."""
        if names is None:
            brigade = self.scope.level == "brigade"
            names = tuple(n for n in READS if brigade or n not in BY_COMMUNE)
        todo = [n for n in names if n not in self._results]
        with ThreadPoolExecutor(max_workers=PREFETCH_THREADS) as pool:
            for name, result in zip(todo, pool.map(lambda n: READS[n](self), todo),
                                    strict=True):
                self._results[name] = result
        return self
