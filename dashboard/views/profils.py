"""What the profile pages show about one commune or one brigade: period figures (cards) and one
section (a table, sometimes a chart) per kind of activity, from the frames of a reader that the
page hands in (:class:`dashboard.queries.profils.ProfileReader`): pure, no SQL here. The
territory has already been checked with ``access.check_scope``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from dashboard.core.formatting import (
    LABELS,
    THOUSANDS,
    date_text,
    format_number,
    format_percent,
    label,
    safe_ratio,
)
from dashboard.core.kpi import Kpi
from dashboard.core.scope import Period, Scope
from dashboard.views import map_indicators as indicators_view
from dashboard.views import map_values as values_view
from dashboard.views import measures
from dashboard.views.profil_figures import (
    alerts_table,
    category_table,
    dcas_themes,
    facts_note,
    monthly_trend,
    presence_figure,
    presence_table,
    ssmsi_table,
    themes_figure,
    trend_figure,
)


@dataclass
class Section:
    """One block of a profile: a table (the CSV export's content), sometimes a chart."""

    key: str
    title: str
    frame: pd.DataFrame
    columns: dict[str, str]
    caption: str = ""
    empty: str = "Rien d'enregistré sur la période."
    decimals: dict[str, int] = field(default_factory=dict)
    figure: dict | None = None  # a Plotly figure as JSON
    links: dict[str, str] = field(default_factory=dict)  # shown column -> column of addresses
    note: str | None = None


class Profile:
    """Everything the profile of one territory shows (``commune:<code>`` or
    ``brigade:<id>``), from the frames of a reader
    (:class:`dashboard.queries.profils.ProfileReader`, each query run once);
    side by side (DuckDB works outside Python's lock, so two cores serve two queries).
    ``phones``: the élus' numbers are shown (the page asks the user's role for
    ``Capability.SEE_PHONE_NUMBERS``). ``facts_until``: the last month with recorded facts,
    where the facts' figures stop (the units' entries run to the period's end, today)."""

    def __init__(self, reader, scope: Scope, period: Period, phones: bool = False,
                 prefix: str = "/", facts_until: date | None = None) -> None:
        self.reader, self.scope, self.period, self.phones = reader, scope, period, phones
        self.prefix = prefix  # the app's path prefix, for links
        #: the period's months with recorded facts (None: none of them yet), and what it says
        self.facts_period = period.until(facts_until)
        self.facts_note = facts_note(period, self.facts_period)
        self._results: dict[str, object] = {}

    def _get(self, name: str):
        return self.reader.get(name)

    facts = property(lambda self: self._get("facts"))
    population = property(lambda self: int(self._get("population")))
    complaints = property(lambda self: self._get("complaints"))
    alerts = property(lambda self: self._get("alerts"))
    dcas = property(lambda self: self._get("dcas"))
    trainings = property(lambda self: self._get("trainings"))
    diagnostics = property(lambda self: self._get("diagnostics"))
    presence = property(lambda self: self._get("presence"))

    def presence_values(self, by: str) -> values_view.Values:
        """Presence hours and gap of the territory's communes (``by='commune'``) or of its
        brigade (``by='brigade'``)."""
        key = f"presence_values_{by}"
        if key not in self._results:
            rows = self._get("presence_rows")
            if by == "brigade":
                rows = rows.assign(code=rows["brigade_id"])
            self._results[key] = values_view.presence_values(
                indicators_view.BY_KEY["ecart_presence"], rows)
        return self._results[key]

    @property
    def presence_gap(self) -> values_view.Values:
        return self.presence_values("brigade" if self.brigade else "commune")

    @property
    def brigade(self) -> bool:
        return self.scope.level == "brigade"

    def _commune_link(self, codes: pd.Series) -> list[str]:
        dates = f"&debut={self.period.params()['debut']}&fin={self.period.params()['fin']}"
        return [f"{self.prefix}commune?code={c}{dates}" for c in codes]

    # --- figures of the period ----------------------------------------------------------------
    def kpis(self) -> list[Kpi]:
        trend = monthly_trend(self.facts, self.facts_period)
        faits, before = int(trend["faits"].sum()), int(trend["faits_an_passe"].sum())
        change = measures.percent_change(pd.Series([faits]), pd.Series([before])).iloc[0]
        rate = safe_ratio(faits, self.population)
        alerts = self.alerts
        sent = alerts[alerts["statut"] == "envoyee"] if len(alerts) else alerts
        # SMS_RULE: the SMS of the period's alerts to the élus of the territory's communes
        sms = self._get("sms")
        delivered = safe_ratio(int(sms["remis"].sum()), int(sms["messages"].sum())) \
            if len(sms) else None
        dcas = self.dcas
        rated = dcas["satisfaction"].dropna() if len(dcas) else pd.Series(dtype="float64")
        satisfied = safe_ratio(int((rated >= 4).sum()), len(rated))
        diags = self.diagnostics
        last = diags.sort_values("date_diagnostic").groupby("code_commune").tail(1) \
            if len(diags) else diags
        gap = self.presence_gap.frame
        hours = float(self.presence["heures"].sum()) if len(self.presence) else 0.0
        gap_value = gap["value"].iloc[0] if len(gap) == 1 else None
        if self.brigade and len(last):
            cyber_detail = (f"dernier autodiagnostic de {len(last)} commune"
                            + ("s" if len(last) > 1 else ""))
        elif len(last):
            cyber_detail = f"autodiagnostic du {date_text(last['date_diagnostic'].iloc[0])}"
        else:
            cyber_detail = "aucun autodiagnostic"
        fact_detail = (f"{format_number(None if rate is None else rate * 1000, 1)} pour 1 000 "
                       f"habitants ; {indicators_view.format_value(change, _CHANGE)} sur un "
                       f"an.{self.facts_note}")
        return [
            Kpi("faits", "Faits enregistrés",
                format_number(faits if self.facts_period else None), fact_detail),
            Kpi("plaintes", "Plaintes d'élus", format_number(len(self.complaints)),
                "atteintes aux élus, par date des faits"),
            Kpi("alertes", "Alertes SMS envoyées", format_number(len(sent)),
                f"SMS remis aux élus : {format_percent(delivered)}"),
            Kpi("dcas", "Consultations DCAS", format_number(len(dcas)),
                f"élus satisfaits : {format_percent(satisfied)}"),
            Kpi("formations", "Participations aux formations",
                format_number(len(self.trainings)), "élus et agents municipaux"),
            Kpi("cyber", "Score cyber" + (" moyen" if self.brigade else ""),
                format_number(last["score"].mean() if len(last) else None), cyber_detail),
            Kpi("presence", "Heures de présence", f"{format_number(hours)}{THOUSANDS}h",
                "écart à l'attendu : " + indicators_view.format_value(gap_value, _CHANGE)),
        ]

    # --- sections -------------------------------------------------------------------------------
    def section(self, key: str) -> Section:
        return SECTIONS[key][1](self)

    def sections(self) -> list[Section]:
        return [builder(self) for key, (kinds, builder) in SECTIONS.items()
                if (self.scope.level in kinds)]

    def _facts_trend(self) -> Section:
        trend = monthly_trend(self.facts, self.facts_period)
        has = bool(trend["faits"].sum() or trend["faits_an_passe"].sum())
        return Section(
            "faits_mensuels", "Faits enregistrés par mois", trend if has else trend.iloc[0:0],
            {"mois_label": "Mois", "faits": "Faits",
             "faits_an_passe": "Même mois, un an plus tôt"},
            "Faits enregistrés par la gendarmerie, par mois, comparés à l'année précédente."
            + self.facts_note, "Aucun fait enregistré sur la période." + self.facts_note,
            figure=trend_figure(trend) if has else None)

    def _facts_categories(self) -> Section:
        table, columns, decimals, note = category_table(
            self.facts, self.facts_period or self.period, self.population,
            self._get("departement_rates") if self.scope.level == "commune" else None,
            self.scope.code)
        return Section(
            "faits_categories", "Faits par catégorie", table, columns,
            note + self.facts_note, "Aucun fait enregistré sur la période." + self.facts_note,
            decimals)

    def _ssmsi(self) -> Section:
        table = ssmsi_table(self._get("ssmsi"))
        return Section(
            "ssmsi", "Délinquance enregistrée (SSMSI)", table,
            {"annee": "Année", "indicateur": "Indicateur", "nombre": "Nombre", "taux": "Taux",
             "base": "Pour 1 000", "diffusion": "Diffusion"},
            "Base communale du SSMSI (police et gendarmerie). « Non diffusé » : 5 faits ou "
            "moins chaque année ; la moyenne départementale publiée à la place n'est pas "
            "reprise.", "Base communale du SSMSI non chargée pour ce territoire.",
            {"taux": 2})

    def _complaints(self) -> Section:
        rows = self.complaints
        table = pd.DataFrame({
            "id_plainte": rows["id_plainte"],
            "date_faits": [date_text(v) for v in rows["date_faits"]],
            "date_depot": [date_text(v, True) for v in rows["date_depot"]],
            "commune": rows["commune"],
            "lieu": [label("lieu", v) for v in rows["lieu_depot"]],
            "fonction": [label("fonction", v) for v in rows["fonction_victime"]],
            "infraction": [label("infraction", v) for v in rows["infraction"]],
            "statut": [label("statut_plainte", v) for v in rows["statut"]],
        })
        columns = {"id_plainte": "Plainte", "date_faits": "Date des faits",
                   "date_depot": "Dépôt", "commune": "Commune", "lieu": "Lieu du dépôt",
                   "fonction": "Fonction de l'élu", "infraction": "Infraction",
                   "statut": "Suite"}
        if not self.brigade:
            columns.pop("commune")
        return Section("plaintes", "Plaintes d'élus", table, columns,
                       "Atteintes aux élus : plaintes de la période, par date des faits.",
                       "Aucune plainte d'élu sur la période.")

    def _alerts(self) -> Section:
        table = alerts_table(self.alerts)
        return Section(
            "alertes", "Alertes SMS", table,
            {"date": "Créée le", "categorie": "Catégorie", "message": "Message",
             "statut": "Statut", "delai": "Délai depuis les faits", "messages": "SMS",
             "remis": "Remis", "taux_remise": "Taux de remise (%)"},
            "Alertes de la période visant le territoire ; SMS et remises de toute l'alerte.",
            "Aucune alerte sur la période.", {"taux_remise": 1})

    def _dcas_themes(self) -> Section:
        themes = dcas_themes(self.dcas)
        return Section(
            "dcas_attentes", "Attentes exprimées (DCAS)", themes,
            {"theme": "Thème", "consultations": "Consultations le citant",
             "part": "Part des consultations (%)"},
            "Thèmes cités dans les attentes des élus consultés sur la période.",
            "Aucune consultation DCAS sur la période.", {"part": 1},
            figure=themes_figure(themes) if len(themes) else None)

    def _dcas(self) -> Section:
        rows = self.dcas
        table = pd.DataFrame({
            "id": rows["id_consultation"],
            "date": [date_text(v) for v in rows["date_consultation"]],
            "commune": rows["commune"],
            "fonction": [label("fonction", v) for v in rows["fonction_elu"]],
            "canal": [label("canal", v) for v in rows["canal"]],
            "attentes": [", ".join(indicators_view.theme_label(t) for t in str(v).split("|") if t)
                         for v in rows["attentes"].fillna("")],
            "priorite": [label("priorite", v) for v in rows["priorite"]],
            "statut": [label("statut_dcas", v) for v in rows["statut"]],
            "date_suivi": [date_text(v) for v in rows["date_suivi"]],
            "actions": rows["actions_suivi"].fillna(""),
            "satisfaction": rows["satisfaction"].astype("Float64"),
        })
        columns = {"id": "N°", "date": "Date", "commune": "Commune", "fonction": "Élu",
                   "canal": "Canal",
                   "attentes": "Attentes", "priorite": "Priorité", "statut": "Suivi",
                   "date_suivi": "Dernier suivi", "actions": "Actions décidées",
                   "satisfaction": "Satisfaction (1 à 5)"}
        if not self.brigade:
            columns.pop("commune")
        counts = rows["statut"].value_counts() if len(rows) else pd.Series(dtype="int64")
        note = " ; ".join(f"{label('statut_dcas', s)} : {int(n)}" for s, n in counts.items())
        return Section("dcas", "Consultations DCAS et leur suivi", table, columns,
                       "Consultations d'élus de la période et état de leur suivi.",
                       "Aucune consultation DCAS sur la période.",
                       note=f"Suivi — {note}." if note else None)

    def _trainings(self) -> Section:
        rows = self.trainings
        table = pd.DataFrame({
            "date": [date_text(v) for v in rows["date_session"]],
            "theme": [label("formation", v) for v in rows["theme"]],
            "commune": rows["commune"],
            "fonction": [label("fonction", v) for v in rows["fonction_participant"]],
            "unite": rows["unite"],
            "session": rows["id_session"],
        })
        columns = {"date": "Date", "theme": "Thème", "commune": "Commune",
                   "fonction": "Participant", "unite": "Unité", "session": "Session"}
        if not self.brigade:
            columns.pop("commune")
        return Section("formations", "Formations et sensibilisation", table, columns,
                       "Participations d'élus et d'agents municipaux sur la période.",
                       "Aucune formation sur la période.")

    def _diagnostics(self) -> Section:
        rows = self.diagnostics
        table = pd.DataFrame({
            "date": [date_text(v) for v in rows["date_diagnostic"]],
            "commune": rows["commune"],
            "score": rows["score"].astype("float64"),
            "couleur": [label("couleur", v) for v in rows["couleur"]],
            "rouges": rows["reponses_rouges"].astype("Int64"),
            "contact": ["oui" if v else "non" for v in rows["contact_specialiste"].fillna(False)],
        })
        columns = {"date": "Date", "commune": "Commune", "score": "Score (0 à 100)",
                   "couleur": "Couleur", "rouges": "Réponses « non »",
                   "contact": "Contact avec un spécialiste proposé"}
        if not self.brigade:
            columns.pop("commune")
        return Section("cyber", "Diagnostics cyber", table, columns,
                       "Autodiagnostics cyber jusqu'à la fin de la période.",
                       "Aucun diagnostic cyber enregistré.")

    def _presence(self) -> Section:
        table = presence_table(self.presence, self.period)
        has = bool(table["total"].sum())
        gap = self.presence_gap
        note = " ".join(gap.notes) if gap.notes else None
        columns = {"mois_label": "Mois"} | {s: f"{t} (h)" for s, t in LABELS["creneau"].items()} \
            | {"total": "Total (h)"}
        return Section("presence", "Présence sur la voie publique",
                       table if has else table.iloc[0:0], columns,
                       "Heures-gendarme de présence par mois et créneau.",
                       "Aucune heure de présence enregistrée sur la période.",
                       figure=presence_figure(table) if has else None, note=note)

    def _immersions(self) -> Section:
        rows = self._get("immersions")
        table = pd.DataFrame({
            "date": [date_text(v) for v in rows["date_immersion"]],
            "commune": rows["commune"],
            "fonction": [label("fonction", v) for v in rows["fonction_elu"]],
            "unite": rows["type_unite"].fillna("") + " " + rows["unite"].fillna(""),
            "duree": rows["duree_heures"].astype("float64"),
            "note": rows["note"].astype("Float64"),
        })
        columns = {"date": "Date", "commune": "Commune", "fonction": "Élu",
                   "unite": "Unité visitée", "duree": "Durée (h)", "note": "Note (1 à 5)"}
        if not self.brigade:
            columns.pop("commune")
        return Section("immersions", "Immersions d'élus", table, columns,
                       "Immersions d'élus en unité sur la période.",
                       "Aucune immersion sur la période.", {"duree": 1})

    def _contacts(self) -> Section:
        phones = self.phones
        rows = self._get("contacts")
        table = pd.DataFrame({
            "commune": rows["commune"],
            "fonction": [label("fonction", v) for v in rows["fonction"]],
            "opt_in": ["oui" if v else "non" for v in rows["opt_in"].fillna(False)],
            "date_opt_in": [date_text(v) for v in rows["date_opt_in"]],
            "telephone": rows["telephone"].fillna("") if phones else "",
        })
        columns = {"commune": "Commune", "fonction": "Fonction",
                   "opt_in": "Accepte les alertes SMS", "date_opt_in": "Depuis le"}
        if phones:
            columns["telephone"] = "Téléphone"
        return Section(
            "contacts", "Contacts d'alerte des élus", table, columns,
            "Élus inscrits pour recevoir les alertes SMS.", "Aucun contact d'alerte enregistré.",
            note=None if phones else "Les numéros de téléphone ne sont visibles que des "
            "brigades, des commandants de groupement et des administrateurs.")

    def _communes(self) -> Section:
        table = self._get("communes_table")
        hours = self.presence_values("commune").frame
        if len(hours):
            table = table.merge(hours[["code", "heures", "value"]].rename(
                columns={"value": "ecart"}), on="code", how="left")
        else:
            table = table.assign(heures=float("nan"), ecart=float("nan"))
        table["taux"] = measures.per_thousand(table["faits"], table["population"])
        table["lien"] = self._commune_link(table["code"])
        return Section(
            "communes", "Communes desservies", table.sort_values("nom", ignore_index=True),
            {"nom": "Commune", "code": "Code INSEE", "population": "Population",
             "faits": "Faits", "taux": "Pour 1 000 hab.", "plaintes": "Plaintes d'élus",
             "consultations": "Consultations DCAS", "participants": "Formations",
             "score_moyen": "Score cyber", "heures": "Présence (h)",
             "ecart": "Écart à l'attendu (%)"},
            "Chiffres de la période pour chaque commune de la brigade.",
            "Aucune commune desservie.", {"taux": 1, "ecart": 1, "score_moyen": 0},
            links={"nom": "lien"})


_CHANGE = indicators_view.BY_KEY["faits_evolution"]
BOTH = ("commune", "brigade")
#: key -> (levels of territory it appears on, builder), in the page's order
SECTIONS: dict[str, tuple[tuple[str, ...], Callable[[Profile], Section]]] = {
    "communes": (("brigade",), Profile._communes),
    "faits_mensuels": (BOTH, Profile._facts_trend),
    "faits_categories": (BOTH, Profile._facts_categories),
    "ssmsi": (BOTH, Profile._ssmsi),
    "plaintes": (BOTH, Profile._complaints),
    "alertes": (BOTH, Profile._alerts),
    "dcas_attentes": (BOTH, Profile._dcas_themes),
    "dcas": (BOTH, Profile._dcas),
    "formations": (BOTH, Profile._trainings),
    "immersions": (BOTH, Profile._immersions),
    "cyber": (BOTH, Profile._diagnostics),
    "presence": (BOTH, Profile._presence),
    "contacts": (BOTH, Profile._contacts),
}
