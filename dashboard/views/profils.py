"""What the profile pages show about one commune or one brigade: identity card, contacts,
period figures and one section (a table, sometimes a chart) per kind of activity.

Pure functions turn query results into display frames and figures; :class:`Profile` runs the
queries of :mod:`dashboard.queries.profils` (each once) for a territory that the page has
already checked with ``access.check_scope``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from dashboard.core.formatting import MISSING, THOUSANDS, format_number, format_percent, safe_ratio
from dashboard.core.kpi import Kpi
from dashboard.core.scope import Period, Scope, add_months
from dashboard.views import carte as carte_view
from dashboard.views.figures import SEPARATORS
from etl.sources.categories import CATEGORIES, PER_DWELLING

#: roles that may see élus' phone numbers (never on maps, never to prefects or analysts)
PHONE_ROLES = ("brigade", "commandant", "admin")

LABELS: dict[str, dict[str, str]] = {
    "statut_dcas": {"a_traiter": "À traiter", "en_cours": "En cours", "realisee": "Réalisée",
                    "close": "Close"},
    "statut_plainte": {"enregistree": "Enregistrée", "transmise_parquet": "Transmise au parquet",
                       "classee_sans_suite": "Classée sans suite", "poursuites": "Poursuites",
                       "jugee": "Jugée"},
    "infraction": {"menaces": "Menaces", "outrage": "Outrage", "injures": "Injures",
                   "injures_diffamation_en_ligne": "Injures ou diffamation en ligne",
                   "violences": "Violences", "degradations": "Dégradations",
                   "harcelement": "Harcèlement", "autre": "Autre"},
    "fonction": {"maire": "Maire", "adjoint": "Adjoint", "conseiller_municipal":
                 "Conseiller municipal", "autre_elu": "Autre élu", "secretaire_mairie":
                 "Secrétaire de mairie", "agent_municipal": "Agent municipal", "autre": "Autre"},
    "lieu": {"mairie": "Mairie", "brigade": "Brigade", "domicile": "Domicile",
             "autre_lieu": "Autre lieu"},
    "canal": {"entretien_mairie": "Entretien en mairie", "telephone": "Téléphone",
              "visioconference": "Visioconférence", "reunion_publique": "Réunion publique",
              "application_gendelus": "Application Gend'Élus"},
    "priorite": {"haute": "Haute", "moyenne": "Moyenne", "basse": "Basse"},
    "formation": {"incivilites": "Gestion des incivilités", "cyber_immunite":
                  "Cybersécurité (IMMUNITÉ)", "vif": "Violences intrafamiliales",
                  "environnement": "Atteintes à l'environnement", "atteintes_elus":
                  "Atteintes aux élus", "gestion_crise": "Gestion de crise"},
    "alerte": {"cambriolages": "Cambriolages", "vols": "Vols", "degradations": "Dégradations",
               "depots_sauvages": "Dépôts sauvages", "rodeos": "Rodéos",
               "escroqueries": "Escroqueries", "demarchage_frauduleux":
               "Démarchage frauduleux", "disparition": "Disparition", "autre": "Autre"},
    "statut_alerte": {"brouillon": "Brouillon", "validee": "Validée", "envoyee": "Envoyée",
                      "annulee": "Annulée"},
    "couleur": {"vert": "Vert", "jaune": "Jaune", "orange": "Orange", "rouge": "Rouge"},
    "creneau": {"jour": "Jour (7 h – 19 h)", "soiree": "Soirée (19 h – 23 h)",
                "nuit": "Nuit (23 h – 7 h)"},
}


def label(kind: str, value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return LABELS[kind].get(str(value), str(value).replace("_", " "))


def may_see_phones(user) -> bool:
    return user is not None and user.role in PHONE_ROLES


# --- pure helpers --------------------------------------------------------------------------------

MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                "oct.", "nov.", "déc.")


def month_label(d: date | pd.Timestamp) -> str:
    """« nov. 2025 »: short French month names for chart axes and tables (Plotly's own date
    axis would print English month names)."""
    return f"{MONTHS_SHORT[d.month - 1]} {d.year}"


def _hour(text: str) -> str:
    hours, minutes = text.split(":")[:2]
    return f"{int(hours)}{THOUSANDS}h{minutes}"


def format_horaires(text: str | None) -> str:
    """Town hall hours as published (``[["lundi","vendredi",[["08:30:00","12:00:00"]]]]``) in
    French: « lundi au vendredi : 8 h30 – 12 h00 »; unreadable text is returned as is."""
    if not text or not str(text).strip():
        return ""
    try:
        days = json.loads(text)
        parts = []
        for first, last, slots in days:
            span = first if first == last else f"{first} au {last}"
            hours = ", ".join(f"{_hour(a)} – {_hour(b)}" for a, b in slots)
            parts.append(f"{span} : {hours}")
        return " ; ".join(parts)
    except (ValueError, TypeError, AttributeError):
        return str(text).strip()


def date_text(value: object, with_time: bool = False) -> str:
    if value is None or pd.isna(value):
        return ""
    ts = pd.Timestamp(value)
    return ts.strftime("%d/%m/%Y %H:%M") if with_time else ts.strftime("%d/%m/%Y")


def duration_text(minutes: object) -> str:
    if minutes is None or pd.isna(minutes):
        return MISSING
    total = round(float(minutes))
    if total < 60:
        return f"{total}{THOUSANDS}min"
    hours, mins = divmod(total, 60)
    return f"{hours}{THOUSANDS}h{mins:02d}"


def monthly_trend(facts: pd.DataFrame, period: Period) -> pd.DataFrame:
    """One row per month of the period: facts, and facts of the same month a year earlier."""
    months = [add_months(period.start, i) for i in range(period.months)]
    totals = facts.assign(mois=pd.to_datetime(facts["mois"]).dt.date).groupby("mois")[
        "nombre"].sum() if len(facts) else pd.Series(dtype="int64")
    return pd.DataFrame({
        "mois": months,
        "mois_label": [month_label(m) for m in months],
        "faits": [int(totals.get(m, 0)) for m in months],
        "faits_an_passe": [int(totals.get(add_months(m, -12), 0)) for m in months],
    })


def by_category(facts: pd.DataFrame, period: Period, population: int) -> pd.DataFrame:
    """Facts per category in the period and a year earlier, change and rate per 1,000."""
    if facts.empty:
        return pd.DataFrame(columns=["categorie", "faits", "faits_an_passe", "evolution",
                                     "taux"])
    months = pd.to_datetime(facts["mois"]).dt.date
    now = facts[(months >= period.start) & (months <= period.end)]
    before = facts[(months >= add_months(period.start, -12))
                   & (months <= add_months(period.end, -12))]
    out = pd.DataFrame({"faits": now.groupby("categorie")["nombre"].sum(),
                        "faits_an_passe": before.groupby("categorie")["nombre"].sum()}
                       ).fillna(0).astype("int64").reset_index()
    out["evolution"] = carte_view.percent_change(out["faits"], out["faits_an_passe"])
    out["taux"] = carte_view.per_thousand(out["faits"], pd.Series(population, index=out.index))
    out["categorie"] = [CATEGORIES.get(c, (c,))[0] for c in out["categorie"]]
    return out.sort_values(["faits", "categorie"], ascending=[False, True], ignore_index=True)


def ssmsi_table(rows: pd.DataFrame) -> pd.DataFrame:
    """SSMSI rows per year and indicator: a rate over the diffused communes (per 1,000
    dwellings for burglaries when every diffused commune has its dwellings), and « non
    diffusé » where no commune was published. Never the SSMSI's département average."""
    if rows.empty:
        return pd.DataFrame(columns=["annee", "indicateur", "nombre", "taux", "base",
                                     "diffusion"])
    out = rows[["annee", "indicateur"]].copy()
    out["annee"] = out["annee"].astype(str)  # a year, not a number to group by thousands
    dwelling = rows["indicateur"].isin(PER_DWELLING) & (
        rows["avec_logements"] == rows["diffusees"]) & (rows["diffusees"] > 0)
    base = rows["logements"].where(dwelling, rows["population"])
    out["nombre"] = rows["nombre"].astype("Float64").where(rows["diffusees"] > 0)
    out["taux"] = carte_view.per_thousand(rows["nombre"], base).where(rows["diffusees"] > 0)
    single = rows["communes"] == 1
    out.loc[single & (rows["diffusees"] > 0), "taux"] = rows["taux_publie"]
    out["base"] = ["logements" if d else "habitants" for d in dwelling]
    out["diffusion"] = [
        "non diffusé" if d == 0 else ("diffusé" if n == 0 else
                                      f"{n} commune{'s' if n > 1 else ''} non diffusée"
                                      f"{'s' if n > 1 else ''} sur {c}")
        for d, n, c in zip(rows["diffusees"], rows["non_diffusees"], rows["communes"],
                           strict=True)]
    return out


def alerts_table(rows: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        "date": [date_text(v, True) for v in rows["cree_le"]],
        "categorie": [label("alerte", v) for v in rows["categorie"]],
        "message": rows["message"].fillna(""),
        "statut": [label("statut_alerte", v) for v in rows["statut"]],
        "delai": [duration_text(v) for v in rows["delai_min"]],
        "messages": rows["messages"].astype("int64"),
        "remis": rows["remis"].astype("int64"),
    })
    out["taux_remise"] = carte_view.share_percent(rows["remis"], rows["messages"]).values
    return out


def dcas_themes(rows: pd.DataFrame) -> pd.DataFrame:
    """Consultations naming each theme, and their share of the consultations."""
    total = len(rows)
    themes = rows["attentes"].fillna("").str.split("|").explode()
    themes = themes[themes.astype(bool)]
    counts = themes.groupby(themes).size() if len(themes) else pd.Series(dtype="int64")
    out = pd.DataFrame({"theme": counts.index, "consultations": counts.values})
    out["part"] = out["consultations"] / total * 100 if total else 0.0
    out["theme"] = [carte_view.theme_label(t) for t in out["theme"]]
    return out.sort_values(["consultations", "theme"], ascending=[False, True],
                           ignore_index=True)


def presence_table(rows: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Hours per month of the period and time slot, with the total."""
    months = [add_months(period.start, i) for i in range(period.months)]
    out = pd.DataFrame({"mois": months, "mois_label": [month_label(m) for m in months]})
    slots = list(LABELS["creneau"])
    if len(rows):
        sums = rows.assign(mois=pd.to_datetime(rows["mois"]).dt.date).pivot_table(
            index="mois", columns="creneau", values="heures", aggfunc="sum")
        sums = sums.reindex(index=months, columns=slots).fillna(0.0)
        for slot in slots:
            out[slot] = sums[slot].to_numpy(dtype="float64")
    else:
        for slot in slots:
            out[slot] = 0.0
    out["total"] = out[slots].sum(axis=1)
    return out


# --- figures -------------------------------------------------------------------------------------
# Plain dicts rather than plotly.graph_objects: the same JSON for dcc.Graph, without the
# validation that costs tens of milliseconds per chart in a callback.

def _figure(data: list[dict], height: int = 300, **layout) -> dict:
    return {"data": data, "layout": {
        "height": height, "margin": {"l": 40, "r": 10, "t": 10, "b": 40},
        "separators": SEPARATORS, "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "white",
        "hoverlabel": {"bgcolor": "white"}, "legend": {"orientation": "h", "y": -0.2},
        "yaxis": {"gridcolor": "#e9ecef", "rangemode": "tozero"},
        "xaxis": {"type": "category"}, **layout}}


def trend_figure(trend: pd.DataFrame) -> dict:
    x = trend["mois_label"].tolist()
    return _figure([
        {"type": "scatter", "x": x, "y": trend["faits"].tolist(), "name": "Période",
         "mode": "lines+markers", "line": {"color": "#1d3b6e", "width": 2.5},
         "hovertemplate": "%{x} : %{y} faits<extra></extra>"},
        {"type": "scatter", "x": x, "y": trend["faits_an_passe"].tolist(),
         "name": "Un an plus tôt", "mode": "lines", "line": {"color": "#868e96", "dash": "dot"},
         "hovertemplate": "%{x}, un an plus tôt : %{y} faits<extra></extra>"},
    ])


def presence_figure(table: pd.DataFrame) -> dict:
    colours = {"jour": "#9ecae1", "soiree": "#4292c6", "nuit": "#08306b"}
    return _figure([
        {"type": "bar", "x": table["mois_label"].tolist(), "y": table[slot].round(1).tolist(),
         "name": name, "marker": {"color": colours[slot]},
         "hovertemplate": "%{x} : %{y:.0f} h<extra>" + name + "</extra>"}
        for slot, name in LABELS["creneau"].items()
    ], barmode="stack")


def themes_figure(themes: pd.DataFrame) -> dict:
    ordered = themes.iloc[::-1]
    return _figure([{"type": "bar", "orientation": "h", "x": ordered["consultations"].tolist(),
                     "y": ordered["theme"].tolist(), "marker": {"color": "#4292c6"},
                     "hovertemplate": "%{y} : %{x} consultations<extra></extra>"}],
                   height=max(200, 32 * len(themes) + 60),
                   xaxis={"gridcolor": "#e9ecef", "rangemode": "tozero"},
                   yaxis={"type": "category", "automargin": True})


# --- sections ------------------------------------------------------------------------------------

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


def _queries() -> dict[str, Callable[[Profile], object]]:
    """Every query a profile may need, by name (see :class:`Profile`)."""
    from dashboard.queries import carte as qc
    from dashboard.queries import profils as q

    def per(name: str) -> Callable[[Profile], pd.DataFrame]:
        return lambda p: getattr(q, name)(p.warehouse, p.scope, p.period)

    return {
        "facts": lambda p: q.facts_by_month(p.warehouse, p.scope, p.period),
        "population": lambda p: q.population(p.warehouse, p.scope),
        "complaints": per("complaints"),
        "alerts": per("alerts"),
        "dcas": per("dcas"),
        "trainings": per("trainings"),
        "immersions": per("immersions"),
        "diagnostics": per("diagnostics"),
        "presence": per("presence_by_month"),
        "ssmsi": lambda p: q.ssmsi(p.warehouse, p.scope),
        "contacts": lambda p: q.contacts(p.warehouse, p.scope, with_phone=may_see_phones(p.user)),
        # every ZGN commune of the brigades concerned, for the expected presence
        "presence_rows": lambda p: qc.presence(p.warehouse, p.scope, "commune", p.period),
        # the brigade's communes, one row each, with their figures
        "communes_table": per("communes_table"),
        # the SMS delivery of the territory, counted as on the Carte and overview pages
        "sms": lambda p: qc.alerts(p.warehouse, p.scope, p.scope.level, p.period),
    }


QUERIES = _queries()
BY_COMMUNE = ("communes_table",)
PREFETCH_THREADS = 4


class Profile:
    """Everything the profile of one territory shows (``commune:<code>`` or
    ``brigade:<id>``). Each query runs at most once; :meth:`prefetch` runs those a page needs
    side by side (DuckDB works outside Python's lock, so two cores serve two queries)."""

    def __init__(self, warehouse, scope: Scope, period: Period, user, prefix: str = "/") -> None:
        self.warehouse, self.scope, self.period, self.user = warehouse, scope, period, user
        self.prefix = prefix  # the app's path prefix, for links
        self._results: dict[str, object] = {}

    def _get(self, name: str):
        if name not in self._results:
            self._results[name] = QUERIES[name](self)
        return self._results[name]

    def prefetch(self, names: tuple[str, ...] | None = None) -> Profile:
        """Run the queries ``names`` (default: all those of this kind of page) concurrently."""
        from concurrent.futures import ThreadPoolExecutor

        if names is None:
            names = tuple(n for n in QUERIES if self.brigade or n not in BY_COMMUNE)
        todo = [n for n in names if n not in self._results]
        with ThreadPoolExecutor(max_workers=PREFETCH_THREADS) as pool:
            for name, result in zip(todo, pool.map(lambda n: QUERIES[n](self), todo),
                                    strict=True):
                self._results[name] = result
        return self

    facts = property(lambda self: self._get("facts"))
    population = property(lambda self: int(self._get("population")))
    complaints = property(lambda self: self._get("complaints"))
    alerts = property(lambda self: self._get("alerts"))
    dcas = property(lambda self: self._get("dcas"))
    trainings = property(lambda self: self._get("trainings"))
    diagnostics = property(lambda self: self._get("diagnostics"))
    presence = property(lambda self: self._get("presence"))

    def presence_values(self, by: str) -> carte_view.Values:
        """Presence hours and gap of the territory's communes (``by='commune'``) or of its
        brigade (``by='brigade'``)."""
        key = f"presence_values_{by}"
        if key not in self._results:
            rows = self._get("presence_rows")
            if by == "brigade":
                rows = rows.assign(code=rows["brigade_id"])
            self._results[key] = carte_view.presence_values(
                carte_view.BY_KEY["ecart_presence"], rows)
        return self._results[key]

    @property
    def presence_gap(self) -> carte_view.Values:
        return self.presence_values("brigade" if self.brigade else "commune")

    @property
    def brigade(self) -> bool:
        return self.scope.level == "brigade"

    def _commune_link(self, codes: pd.Series) -> list[str]:
        dates = f"&debut={self.period.params()['debut']}&fin={self.period.params()['fin']}"
        return [f"{self.prefix}commune?code={c}{dates}" for c in codes]

    # --- figures of the period ----------------------------------------------------------------
    def kpis(self) -> list[Kpi]:
        trend = monthly_trend(self.facts, self.period)
        faits, before = int(trend["faits"].sum()), int(trend["faits_an_passe"].sum())
        change = carte_view.percent_change(pd.Series([faits]), pd.Series([before])).iloc[0]
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
                       f"habitants ; {carte_view.format_value(change, _CHANGE)} sur un an")
        return [
            Kpi("faits", "Faits enregistrés", format_number(faits), fact_detail),
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
                "écart à l'attendu : " + carte_view.format_value(gap_value, _CHANGE)),
        ]

    # --- sections -------------------------------------------------------------------------------
    def section(self, key: str) -> Section:
        return SECTIONS[key][1](self)

    def sections(self) -> list[Section]:
        return [builder(self) for key, (kinds, builder) in SECTIONS.items()
                if (self.scope.level in kinds)]

    def _facts_trend(self) -> Section:
        trend = monthly_trend(self.facts, self.period)
        has = bool(trend["faits"].sum() or trend["faits_an_passe"].sum())
        return Section(
            "faits_mensuels", "Faits enregistrés par mois", trend if has else trend.iloc[0:0],
            {"mois_label": "Mois", "faits": "Faits",
             "faits_an_passe": "Même mois, un an plus tôt"},
            "Faits enregistrés par la gendarmerie, par mois, comparés à l'année précédente.",
            "Aucun fait enregistré sur la période.", figure=trend_figure(trend) if has else None)

    def _facts_categories(self) -> Section:
        table = by_category(self.facts, self.period, self.population)
        return Section(
            "faits_categories", "Faits par catégorie", table,
            {"categorie": "Catégorie", "faits": "Période", "faits_an_passe": "Un an plus tôt",
             "evolution": "Évolution (%)", "taux": "Pour 1 000 habitants"},
            "Faits enregistrés par catégorie (évolution non calculée sous 5 faits).",
            "Aucun fait enregistré sur la période.", {"evolution": 1, "taux": 2})

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
            "date": [date_text(v) for v in rows["date_consultation"]],
            "commune": rows["commune"],
            "fonction": [label("fonction", v) for v in rows["fonction_elu"]],
            "canal": [label("canal", v) for v in rows["canal"]],
            "attentes": [", ".join(carte_view.theme_label(t) for t in str(v).split("|") if t)
                         for v in rows["attentes"].fillna("")],
            "priorite": [label("priorite", v) for v in rows["priorite"]],
            "statut": [label("statut_dcas", v) for v in rows["statut"]],
            "date_suivi": [date_text(v) for v in rows["date_suivi"]],
            "actions": rows["actions_suivi"].fillna(""),
            "satisfaction": rows["satisfaction"].astype("Float64"),
        })
        columns = {"date": "Date", "commune": "Commune", "fonction": "Élu", "canal": "Canal",
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
        phones = may_see_phones(self.user)
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
        table["taux"] = carte_view.per_thousand(table["faits"], table["population"])
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


_CHANGE = carte_view.BY_KEY["faits_evolution"]
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
