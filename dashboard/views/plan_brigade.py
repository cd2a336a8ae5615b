"""The plan applied for a brigade (« Plan de la brigade »): its week's visits per commune and time
slot, from the commander's last decision, to read and print (pure: frames in, components and
French texts out)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import pandas as pd
from dash import html

from dashboard.core import components, report
from dashboard.core.formatting import MISSING, format_number
from dashboard.core.scope import MONTHS_FR
from etl.analytics.slots import SLOT_LABELS, SLOTS
from etl.clock import LOCAL_TZ
from etl.reference.names import unit_name

NO_PLAN = "Aucun plan appliqué pour cette brigade."
NO_BRIGADE = ("Choisissez une brigade dans « Territoire » (ou dans la liste ci-dessous) pour voir "
              "le plan de patrouilles appliqué pour elle.")
NATIONAL = ("Choisissez un département dans « Territoire », puis l'une de ses brigades : le plan "
            "appliqué se lit brigade par brigade.")
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
LIST_COLUMNS = {"nom": "Brigade", "semaine": "Dernier plan appliqué", "heures": "Heures",
                "decide": "Décidé le"}


def week_text(semaine: str) -> str:
    """« 2026-W45 » → « semaine 45 de 2026, du lundi 2 au dimanche 8 novembre 2026 »."""
    try:
        year, week = int(semaine[:4]), int(semaine[6:8])
        monday = date.fromisocalendar(year, week, 1)
        sunday = date.fromisocalendar(year, week, 7)
    except ValueError:
        return semaine
    first = f"{monday.day}" + ("" if monday.month == sunday.month
                               else f" {MONTHS_FR[monday.month - 1]}")
    first += "" if monday.year == sunday.year else f" {monday.year}"
    return (f"semaine {week} de {year}, du lundi {first} au dimanche {sunday.day} "
            f"{MONTHS_FR[sunday.month - 1]} {sunday.year}")


def decided_text(at) -> str:
    """A decision's time (stored in UTC) in France: « 05/11/2026 à 15:02 »."""
    if at is None or pd.isna(at):
        return MISSING
    local = pd.Timestamp(at).tz_localize("UTC").tz_convert(LOCAL_TZ)
    return local.strftime("%d/%m/%Y à %H:%M")


def plan_frame(plan: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """Visits per commune (rows, alphabetical) and slot (columns), the commune's hours, and a
    last row of totals."""
    names = dict(zip(communes["code"], communes["nom"], strict=True))
    table = plan.pivot_table(index="code_commune", columns="creneau", values="visites",
                             aggfunc="sum", fill_value=0)
    table = table.reindex(columns=list(SLOTS), fill_value=0).astype("int64")
    table["visites"] = table.sum(axis=1)
    table["heures"] = plan.groupby("code_commune")["heures"].sum().astype("float64")
    table = table.reset_index().rename(columns={"code_commune": "code"})
    table["commune"] = [names.get(c, c) for c in table["code"]]
    table = table.sort_values("commune", key=lambda s: s.str.lower(), kind="stable")
    total = {"code": "", "commune": "Total", **{c: table[c].sum() for c in
                                                (*SLOTS, "visites", "heures")}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


PLAN_COLUMNS = {"commune": "Commune", **{s: SLOT_LABELS[s] for s in SLOTS},
                "visites": "Visites", "heures": "Heures"}


def plan_view(brigade: str, decision: dict | None, communes: pd.DataFrame,
              synthetic: bool) -> list:
    """The plan of the brigade ``brigade`` (its name) from its last decision, or the French
    « no plan » message."""
    if decision is None:
        return [html.H2(unit_name("Brigade", brigade), className="h5"),
                components.empty_state(NO_PLAN)]
    plan = decision["plan"]
    frame = plan_frame(plan, communes)
    visits, hours = int(plan["visites"].sum()), float(plan["heures"].sum())
    return [
        html.H2(f"{unit_name('Brigade', brigade)} — plan de la {week_text(decision['semaine'])}",
                className="h5", id="plan-brigade-titre"),
        html.P(f"Plan appliqué le {decided_text(decision['decided_at'])} (heure de Paris) par "
               f"{decision['login']}, décision n° {decision['id']} : "
               f"{format_number(visits)} visites, {format_number(hours, 1)} heures de présence "
               f"sur {format_number(len(frame) - 1)} communes.",
               className="mb-2", id="plan-brigade-decision"),
        html.P("Données de démonstration : plan calculé sur des données synthétiques."
               if synthetic else None, className="small text-body-secondary"),
        report.linked_table(frame, PLAN_COLUMNS,
                            "Visites par commune et créneau (une visite : un passage de 10 à "
                            "15 minutes), heures de présence par commune",
                            decimals={"heures": 1}, table_id="plan-brigade-tableau"),
        html.P("Le plan de la semaine suivante part de celui-ci. Il est calculé et appliqué sur "
               "la page « Recommandations » par le commandant de groupement.",
               className="small text-body-secondary"),
    ]


def brigades_frame(brigades: pd.DataFrame, decisions: pd.DataFrame, prefix: str
                   ) -> pd.DataFrame:
    """Each brigade with its last applied plan (week, hours, when) and the link to it."""
    latest = (decisions.sort_values(["semaine", "id"], ascending=False)
              .drop_duplicates("brigade_id").set_index("brigade_id")
              if len(decisions) else pd.DataFrame(columns=["semaine", "total_hours",
                                                           "decided_at"]))
    frame = brigades.copy()
    frame["semaine"] = [latest["semaine"].get(b, "aucun") for b in frame["brigade_id"]]
    frame["heures"] = [float(latest["total_hours"].get(b)) if b in latest.index else None
                       for b in frame["brigade_id"]]
    frame["heures"] = frame["heures"].astype("float64")
    frame["decide"] = [decided_text(latest["decided_at"].get(b)) if b in latest.index
                       else MISSING for b in frame["brigade_id"]]
    frame["lien"] = [f"{prefix}/plan-brigade?{urlencode({'perimetre': f'brigade:{b}'})}"
                     for b in frame["brigade_id"]]
    return frame


def brigades_view(brigades: pd.DataFrame, decisions: pd.DataFrame, prefix: str,
                  label: str) -> list:
    """The brigades of a territory, each linked to its plan."""
    if brigades.empty:
        return [components.empty_state("Aucune brigade dans ce territoire.")]
    return [html.P(NO_BRIGADE, className="mb-2"),
            report.linked_table(brigades_frame(brigades, decisions, prefix), LIST_COLUMNS,
                                f"Brigades de {label} et leur dernier plan appliqué",
                                decimals={"heures": 1}, links={"nom": "lien"},
                                table_id="plan-brigade-liste")]
