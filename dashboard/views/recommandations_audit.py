"""The audit and the backtest shown with a plan on the « Recommandations » page (pure): the
plan's fairness figures, the capture replay and the forecast's backtest of the national run
when the warehouse holds one, and which brigades fall back to a baseline forecast."""

from __future__ import annotations

import math

import pandas as pd
from dash import html

from dashboard.core import components
from dashboard.core.formatting import MISSING, THOUSANDS, format_number, paris_time_text
from dashboard.views.recommandations import iso_week_label, method_label
from etl.analytics.replay import RULE_LABELS

NO_RUN = ("Aucune exécution nationale enregistrée dans l'entrepôt (« python -m etl recommend "
          "build ») : la prévision de ce territoire est calculée à la demande, sans "
          "rétro-évaluation ni rejeu de la capture enregistrés.")
CAPTURE_CAVEAT = ("C'est une mesure de capture (où étaient les heures par rapport aux faits "
                  "enregistrés ensuite), pas de la délinquance évitée.")


def _percent(value) -> str:
    return MISSING if value is None else f"{format_number(value, 1)}{THOUSANDS}%"


def _ratio(value) -> str:
    if value is None:
        return MISSING
    if not math.isfinite(float(value)):
        return "infini (une commune sans heure)"
    return format_number(value, 1)


AUDIT_COLUMNS = {"indicateur": "Indicateur", "valeur": "Plan recommandé", "lecture": "Lecture"}
SIZE_COLUMNS = {"classe": "Taille de commune", "communes": "Communes",
                "heures_recommandees_pour_1000": "Heures recommandées pour 1 000 hab.",
                "heures_actuelles_pour_1000": "Heures actuelles pour 1 000 hab."}


def audit_figures(audit: dict, names: dict[str, str]) -> pd.DataFrame:
    """The plan's audit as rows « indicator, value, how to read it »."""
    drift = list(audit.get("alertes_derive") or [])
    gini, gini_now = audit.get("gini_heures_par_habitant"), audit.get("gini_actuel")
    rows = [
        ("Indice de Gini des heures par habitant",
         MISSING if gini is None else format_number(gini, 2),
         "0 : les mêmes heures par habitant partout ; actuellement "
         + (MISSING if gini_now is None else format_number(gini_now, 2)) + "."),
        ("Rapport maximum / minimum des heures par habitant",
         _ratio(audit.get("ratio_max_min")), "entre les communes habitées."),
        ("Écart à une répartition proportionnelle à la population",
         _percent(audit.get("distance_population_pct")),
         "part des heures qu'il faudrait déplacer pour suivre la population."),
        ("Écart à une répartition proportionnelle à la demande prévue",
         _percent(audit.get("distance_demande_pct")),
         "part des heures qu'il faudrait déplacer pour suivre les faits prévus (pondérés)."),
        ("Communes signalées pour dérive", format_number(len(drift)),
         ("présence en hausse 4 semaines de suite sans hausse des faits : "
          + ", ".join(names.get(c, c) for c in drift[:12])
          + (" …" if len(drift) > 12 else "") + " (à vérifier).") if drift else
         "aucune commune dont la présence monte sans que les faits montent."),
        ("Brigades sans solution", format_number(audit.get("brigades_sans_solution", 0)),
         "brigades dont les contraintes ne peuvent pas toutes être tenues."),
        ("Part de l'enregistrement des faits qui suit la présence (estimée)",
         MISSING if audit.get("part_enregistrement_liee_presence") is None
         else format_number(audit["part_enregistrement_liee_presence"], 2),
         "estimée sur les 12 derniers mois du territoire : 0 si les faits enregistrés d'une "
         "commune ne varient pas avec sa présence, 1 s'ils la suivent entièrement ; la "
         "prévision en est corrigée, pour que la présence ne poursuive pas les faits qu'elle "
         "enregistre elle-même (boucle de rétroaction)."),
    ]
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))


def size_frame(audit: dict) -> pd.DataFrame:
    frame = pd.DataFrame(audit.get("par_taille") or [], columns=list(SIZE_COLUMNS))
    for column in ("heures_recommandees_pour_1000", "heures_actuelles_pour_1000"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["communes"] = frame["communes"].astype("int64")
    return frame


def _value(frame: pd.DataFrame, name: str) -> float | None:
    hit = frame.loc[frame["indicateur"] == name, "valeur"]
    return None if hit.empty or pd.isna(hit.iloc[0]) else float(hit.iloc[0])


COMPARISON_COLUMNS = {"regle": "Répartition des heures", "capture": "Capture (1 = uniforme)",
                      "verite": "Part des heures là où est le vrai besoin"}


def comparison_frame(run, departement: str | None) -> tuple[pd.DataFrame, str]:
    """The plan, its target and the simple rules side by side: the capture replay (recorded
    facts) and, on demo data, the overlap with the true need; for the département when the
    run holds its figures, France otherwise. Also the territory's name."""
    if run is None:
        return pd.DataFrame(columns=list(COMPARISON_COLUMNS)), ""
    audit = run.audit
    where = str(departement) if departement and (audit["perimetre"] == str(departement)) \
        .any() else "France"
    part = audit[audit["perimetre"] == where]
    rows = [{"regle_code": rule, "regle": label,
             "capture": _value(part, f"rejeu_capture_{rule}"),
             "verite": _value(part, f"verite_recouvrement_{rule}")}
            for rule, label in RULE_LABELS.items()]
    frame = pd.DataFrame(rows)
    name = "France" if where == "France" else f"département {where}"
    return frame, name


def verdict(frame: pd.DataFrame, name: str) -> str:
    """Where the plan loses to a simple rule, the page says so first."""
    if frame.empty or frame["capture"].isna().all():
        return "Comparaison avec les règles simples : non enregistrée par l'exécution nationale."
    by = frame.set_index("regle_code")
    said = []
    for column, one, several in (
            ("capture", "capture les faits enregistrés", "capturent les faits enregistrés"),
            ("verite", "place ses heures là où est le vrai besoin",
             "placent leurs heures là où est le vrai besoin")):
        values = by[column].dropna()
        if "plan" not in values.index:
            continue
        better = [RULE_LABELS[r] for r in ("population", "prevision", "actuel")
                  if r in values.index and values[r] > values["plan"] + 1e-9]
        if better:
            said.append(f"⚠ {name} : la répartition {' et la répartition '.join(better)} "
                        f"{one if len(better) == 1 else several} mieux que le plan "
                        "hebdomadaire.")
    return " ".join(said) or (f"{name} : le plan hebdomadaire fait au moins aussi bien que "
                              "chaque règle simple sur ces mesures.")


def headline(run, departement: str | None) -> html.P | None:
    """The verdict of the comparison with the simple rules, at the top of the page: a warning
    where a simple rule beats the weekly plan (the national run's figures, default
    parameters)."""
    if run is None:
        return None
    frame, name = comparison_frame(run, departement)
    text = verdict(frame, name)
    loses = text.startswith("⚠")
    return html.P([text, " Détail : « Audit du plan »."], id="reco-verdict",
                  className="alert py-2 small mb-2 "
                  + ("alert-warning" if loses else "alert-secondary"))


def capture_section(run, departement: str | None) -> list:
    frame, name = comparison_frame(run, departement)
    if run is None:
        return [html.P("Rejeu de la capture : aucune exécution nationale enregistrée.",
                       id="reco-capture", className="small")]
    shown = frame.drop(columns="regle_code")
    columns = dict(COMPARISON_COLUMNS)
    if shown["verite"].isna().all():
        del columns["verite"]
    months = _value(run.audit[run.audit["perimetre"] == "France"], "rejeu_mois")
    note = (f"Rejeu sur {format_number(months or 0)} mois, paramètres par défaut : chaque mois, "
            "chaque répartition place la capacité de chaque brigade à partir de ce qui était "
            "connu avant le mois ; la capture rapporte les faits pondérés enregistrés ensuite là "
            "où étaient les heures à ceux d'une répartition uniforme (1). La part des heures "
            "là où est le vrai besoin (données de démonstration seulement) compare, brigade "
            "par brigade, la répartition des heures de la semaine planifiée au vrai besoin du "
            "générateur (1 − distance de variation totale). " + CAPTURE_CAVEAT)
    return [html.P(verdict(frame, name), id="reco-capture", className="fw-semibold small"),
            components.data_table(shown, columns,
                                  f"Le plan face aux règles simples — {name}",
                                  decimals={"capture": 2, "verite": 3},
                                  table_id="reco-comparaison"),
            html.P(note, className="small text-body-secondary")]


def audit_section(audit: dict, names: dict[str, str], run, departement: str | None = None
                  ) -> list:
    return [
        *capture_section(run, departement),
        components.data_table(audit_figures(audit, names), AUDIT_COLUMNS,
                              "Équité et écarts du plan affiché", table_id="reco-audit-donnees"),
        components.data_table(size_frame(audit), SIZE_COLUMNS,
                              "Heures par semaine pour 1 000 habitants, par taille de commune",
                              decimals={"heures_recommandees_pour_1000": 2,
                                        "heures_actuelles_pour_1000": 2},
                              table_id="reco-audit-tailles"),
    ]


# --- backtest and fallback forecasts ---------------------------------------------------------

BACKTEST_COLUMNS = {"methode_libelle": "Méthode", "deviance_poisson": "Déviance de Poisson "
                    "moyenne", "mae": "Erreur absolue moyenne"}


def fallbacks(communes: pd.DataFrame, run) -> list[str]:
    """« Brigade … : prévision de repli : … » for each brigade whose forecast is a baseline."""
    used = communes[communes["methode"] != "modele"].drop_duplicates("brigade_id")
    detail = {}
    if run is not None and len(run.brigades):
        detail = {r.brigade_id: r for r in run.brigades.itertuples(index=False)}
    out = []
    for row in used.sort_values("brigade").itertuples(index=False):
        text = f"Brigade {row.brigade} : prévision de repli : {method_label(row.methode)}"
        known = detail.get(row.brigade_id)
        if known is not None and known.deviance_modele is not None \
                and not pd.isna(known.deviance_modele):
            text += (f" (le modèle perdait sa rétro-évaluation : déviance "
                     f"{format_number(known.deviance_modele, 3)} contre "
                     f"{format_number(known.deviance_meilleure_reference, 3)})")
        out.append(text + ".")
    return out


def backtest_section(communes: pd.DataFrame, run, forecast_source: str) -> list:
    repli = fallbacks(communes, run)
    lines = html.Ul([html.Li(t) for t in repli], id="reco-replis") if repli else html.P(
        "Aucune brigade affichée n'est en prévision de repli : toutes utilisent le modèle.",
        id="reco-replis")
    if run is None:
        return [components.empty_state(NO_RUN, tone="info"), lines]
    # when and for which week, in France's time: the run's id is the build's business
    head = html.P(f"Calcul national du {paris_time_text(run.run['cree_le'])} (heure de Paris), "
                  f"{iso_week_label(run.run['semaine']).lower()}"
                  + (" ; prévision lue dans l'entrepôt." if forecast_source == "entrepot"
                     else "."), className="small", id="reco-retro-calcul")
    table = run.backtest.assign(methode_libelle=run.backtest["methode"].map(method_label))
    return [head, components.data_table(
        table, BACKTEST_COLUMNS, "Rétro-évaluation glissante sur 12 mois, toutes catégories",
        decimals={"deviance_poisson": 3, "mae": 3}, table_id="reco-retro-donnees"), lines]

