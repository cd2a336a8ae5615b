"""The profile pages' display frames (monthly trend, categories, SSMSI rows, alerts, DCAS
themes, presence hours) and their charts, built from the profile's query results (pure)."""

from __future__ import annotations

import pandas as pd

from dashboard.core.formatting import LABELS, date_text, duration_text, label, month_label
from dashboard.core.scope import Period, add_months
from dashboard.views import map_indicators as indicators_view
from dashboard.views import measures
from dashboard.views.charts import SEPARATORS
from etl.analytics.small_area import family_of, smooth_rates, uncertain_text
from etl.sources.categories import CATEGORIES, PER_DWELLING


def facts_note(period: Period, facts_period: Period | None) -> str:
    """What the facts' figures cover when ``period`` runs past the last month with recorded
    facts (``facts_period``: :meth:`Period.until`), said after a sentence; « » otherwise."""
    if facts_period is period:
        return ""
    if facts_period is None:
        return " Aucun mois de la période n'a encore de faits publiés."
    return f" Faits publiés jusqu'à {Period(facts_period.end, facts_period.end).label()}."


def monthly_trend(facts: pd.DataFrame, period: Period | None) -> pd.DataFrame:
    """One row per month of the period: facts, and facts of the same month a year earlier
    (None: no month)."""
    if period is None:
        return pd.DataFrame(columns=["mois", "mois_label", "faits", "faits_an_passe"])
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
    out["evolution"] = measures.percent_change(out["faits"], out["faits_an_passe"])
    out["taux"] = measures.per_thousand(out["faits"], pd.Series(population, index=out.index))
    out["categorie"] = [CATEGORIES.get(c, (c,))[0] for c in out["categorie"]]
    return out.sort_values(["faits", "categorie"], ascending=[False, True], ignore_index=True)


#: the commune profile's smoothed-rate columns of « Faits par catégorie », the raw rate last
SMOOTHED_COLUMNS = {"taux_lisse": "Taux lissé pour 1 000", "taux_bas": "Bas (90 %)",
                    "taux_haut": "Haut (90 %)", "incertitude": "Incertitude",
                    "taux": "Taux brut pour 1 000 habitants"}
SMOOTHED_NOTE = (" Taux lissé (bayésien empirique), pour 1 000 habitants (logements pour les "
                 "cambriolages) : rapproché du taux attendu d'après les communes du "
                 "département, ses faits des 24 mois précédents et ceux de la même famille, "
                 "avec son intervalle de crédibilité à 90 % ; « estimation incertaine » : "
                 "intervalle plus large que le taux lissé. Le taux brut suit.")


def smoothed_by_category(rows: pd.DataFrame, commune: str) -> pd.DataFrame:
    """The commune's smoothed rate of each category with facts in its département
    (:func:`etl.analytics.small_area.smooth_rates` over the département's communes, as on the
    map: per 1,000 dwellings for burglaries when every commune's are known, else inhabitants):
    ``categorie`` (its label), ``taux_lisse``, ``taux_bas``, ``taux_haut``, ``incertitude``,
    ``base``. ``rows``: :func:`dashboard.queries.profil_rates.departement_rates`."""
    columns = ["categorie", "taux_lisse", "taux_bas", "taux_haut", "incertitude", "base"]
    if rows.empty or commune not in set(rows["commune"]):
        return pd.DataFrame(columns=columns)
    communes = rows.drop_duplicates("commune").set_index("commune")
    facts = rows.dropna(subset=["categorie"])
    now = facts.pivot_table(index="commune", columns="categorie", values="faits",
                            aggfunc="sum").reindex(communes.index).fillna(0)
    before = facts.pivot_table(index="commune", columns="categorie", values="faits_historique",
                               aggfunc="sum").reindex(communes.index).fillna(0)
    dwellings = pd.to_numeric(communes["logements"], errors="coerce")
    position = communes.index.get_loc(commune)
    out = []
    for code in [c for c in CATEGORIES if c in now.columns and now[c].sum() > 0]:
        label = CATEGORIES[code][0]
        per_dwelling = label in PER_DWELLING and bool(dwellings.notna().all())
        base = dwellings if per_dwelling else pd.to_numeric(communes["population"])
        family = [k for k in family_of(code) if k in now.columns]
        rates, _prior = smooth_rates(
            now[code].to_numpy(float), base.to_numpy(float),
            historique=before[code].to_numpy(float),
            famille=now[family].sum(axis=1).to_numpy(float) if family else None)
        row = rates.iloc[position]
        out.append({"categorie": label, "taux_lisse": row["taux_lisse"],
                    "taux_bas": row["taux_bas"], "taux_haut": row["taux_haut"],
                    "incertitude": uncertain_text(row["incertain"]),
                    "base": "logements" if per_dwelling else "habitants"})
    return pd.DataFrame(out, columns=columns)


def category_table(facts: pd.DataFrame, period: Period, population: int,
                   rates: pd.DataFrame | None, commune: str | None
                   ) -> tuple[pd.DataFrame, dict[str, str], dict[str, int], str]:
    """« Faits par catégorie »: :func:`by_category`'s table, its columns, decimals and note;
    with a commune's département ``rates`` (:func:`smoothed_by_category`), the smoothed rates
    first and the raw rate last."""
    table = by_category(facts, period, population)
    columns = {"categorie": "Catégorie", "faits": "Période",
               "faits_an_passe": "Un an plus tôt", "evolution": "Évolution (%)"}
    decimals = {"evolution": 1, "taux": 2}
    note = "Faits enregistrés par catégorie (évolution non calculée sous 5 faits)."
    if rates is None or commune is None:
        return table, columns | {"taux": "Pour 1 000 habitants"}, decimals, note
    table = table.merge(smoothed_by_category(rates, commune), on="categorie", how="left")
    return (table, columns | SMOOTHED_COLUMNS,
            decimals | dict.fromkeys(("taux_lisse", "taux_bas", "taux_haut"), 2),
            note + SMOOTHED_NOTE)


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
    out["taux"] = measures.per_thousand(rows["nombre"], base).where(rows["diffusees"] > 0)
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
    out["taux_remise"] = measures.share_percent(rows["remis"], rows["messages"]).values
    return out


def dcas_themes(rows: pd.DataFrame) -> pd.DataFrame:
    """Consultations naming each theme, and their share of the consultations."""
    total = len(rows)
    themes = rows["attentes"].fillna("").str.split("|").explode()
    themes = themes[themes.astype(bool)]
    counts = themes.groupby(themes).size() if len(themes) else pd.Series(dtype="int64")
    out = pd.DataFrame({"theme": counts.index, "consultations": counts.values})
    out["part"] = out["consultations"] / total * 100 if total else 0.0
    out["theme"] = [indicators_view.theme_label(t) for t in out["theme"]]
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
