"""An alert's page: its exact text and what it costs, its area, its validation trail, the
validation statement (what the reviewer is about to send), the live delivery progress (sent,
delivered, failed by reason, pending) with a progress bar said in words, the deliveries table
and the CSV exports (pure: the page reads ``etl.alerts.workflow`` and hands the rows here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from dash import html

from dashboard.core.components import data_table, wire
from dashboard.core.formatting import format_number, format_percent, safe_ratio
from dashboard.views.alertes import (
    CATEGORY_LABELS,
    FUNCTION_LABELS,
    ROLE_LABELS,
    communes_list,
    label,
    missing,
    plural,
    utc_text,
    when_text,
)
from etl.alerts.labels import DLR_LABELS, NO_RECIPIENT_NOW, STATE_LABELS, STATUT_LABELS

PREFIX = "fiche-alerte"
#: rows of the deliveries table on the page (the export has them all)
MAX_DELIVERY_ROWS = 300
DETAIL_MAX = 160


def commune_text(code: str, names: Mapping[str, str]) -> str:
    return f"{names[code]} ({code})" if code in names else str(code)


def total_sms(parts, recipients) -> int:
    return int(parts or 0) * int(recipients or 0)


def _pair(term: str, value, ident: str | None = None) -> list:
    extra = {"id": ident} if ident else {}
    return [html.Dt(term, className="col-sm-4"), html.Dd(value, className="col-sm-8 mb-1",
                                                         **extra)]


def status_text(row: Mapping) -> str:
    text = label(STATUT_LABELS, row.get("statut"))
    if row.get("statut") == "refusee" and not missing(row.get("refused_reason")):
        text += f" — motif : {row['refused_reason']}"
    return text


def message_block(row: Mapping) -> html.Blockquote:
    """The exact text sent, as typed (line breaks kept)."""
    return html.Blockquote(str(row.get("message") or ""), id=f"{PREFIX}-texte",
                           className="alerte-texte p-3 border rounded bg-white mb-2",
                           style={"whiteSpace": "pre-wrap"})


def facts(row: Mapping, names: Mapping[str, str]) -> html.Dl:
    """What the alert is: category, author, dates, encoding, parts and recipients."""
    parts, recipients = row.get("parts") or 0, row.get("recipients") or 0
    author = f"{row.get('created_by')} ({label(ROLE_LABELS, row.get('author_role'))}, " \
             f"{row.get('unite_auteur')})"
    communes = communes_list(row.get("communes"))
    return html.Dl([
        *_pair("Statut", status_text(row), f"{PREFIX}-statut"),
        *_pair("Catégorie", label(CATEGORY_LABELS, row.get("categorie"))),
        *_pair("Rédigée par", author),
        *_pair("Créée le", utc_text(row.get("created_at"))),
        *_pair("Faits du", when_text(row.get("faits_le"))),
        *_pair("Codage", str(row.get("encoding") or ""), f"{PREFIX}-codage"),
        *_pair("SMS par destinataire", format_number(parts), f"{PREFIX}-parties"),
        *_pair("Destinataires", format_number(recipients), f"{PREFIX}-destinataires"),
        *_pair("SMS au total", format_number(total_sms(parts, recipients))),
        *_pair(f"Communes ciblées ({format_number(len(communes))})",
               ", ".join(commune_text(c, names) for c in communes)),
    ], className="row mb-0")


# --- validation ----------------------------------------------------------------------------------

TRAIL_COLUMNS = {"quand": "Quand", "etape_texte": "Étape", "login": "Par", "detail": "Détail"}


def trail_frame(trail: Sequence[Mapping]) -> pd.DataFrame:
    rows = []
    for step in trail:
        detail = str(step.get("detail") or "")
        # the creation's record ends with the whole message: shown above, not repeated here
        detail = detail.split(" ; message : ")[0]
        if len(detail) > DETAIL_MAX:
            detail = detail[:DETAIL_MAX - 1] + "…"
        rows.append({"quand": utc_text(step.get("at")),
                     "etape_texte": str(step.get("etape") or "").capitalize(),
                     "login": str(step.get("login") or ""), "detail": detail})
    return pd.DataFrame(rows, columns=list(TRAIL_COLUMNS))


def trail_table(trail: Sequence[Mapping]) -> html.Table:
    return data_table(trail_frame(trail), TRAIL_COLUMNS,
                      "Étapes de l'alerte (journal d'audit, heures de Paris)",
                      table_id=f"{PREFIX}-etapes")


def review_statement(row: Mapping, recipients: int) -> html.P:
    """What « Valider l'envoi » sends, said before the button; with no recipient left, why
    the alert cannot be sent."""
    if recipients == 0:
        reason = NO_RECIPIENT_NOW
        return html.P(reason[:1].upper() + reason[1:] + ".", id=f"{PREFIX}-engagement",
                      className="alert alert-warning")
    parts = int(row.get("parts") or 0)
    return html.P([
        "En validant, vous envoyez le texte exact ci-dessus à ",
        html.Strong(f"{format_number(recipients)} destinataire{plural(recipients)}"),
        f" : {format_number(parts)} SMS par destinataire (codage {row.get('encoding')}), soit ",
        html.Strong(f"{format_number(parts * recipients)} SMS"), " au total. ",
        "Les destinataires sont les élus qui ont accepté les alertes dans les communes "
        "ciblées, comptés à l'instant de la validation.",
    ], id=f"{PREFIX}-engagement")


# --- delivery progress --------------------------------------------------------------------------

def progress_block(progress: Mapping) -> list:
    """Sent, delivered, failed (by reason), pending and cancelled, and a progress bar of the
    messages that reached a final state (with its text: not by colour alone)."""
    total = int(progress.get("total") or 0)
    if total == 0:
        statut = progress.get("statut")
        text = ("L'envoi commencera après la validation." if statut == "a_valider" else
                "Aucun message à envoyer." if statut in ("validee", "envoyee") else
                "Aucun message n'a été envoyé.")
        return [html.P(text, id=f"{PREFIX}-progression-texte", className="mb-0")]
    delivered, failed = int(progress.get("delivered") or 0), int(progress.get("failed") or 0)
    cancelled, pending = int(progress.get("cancelled") or 0), int(progress.get("pending") or 0)
    final = delivered + failed + cancelled
    share = safe_ratio(final, total) or 0.0
    text = (f"{format_number(final)} message{plural(final)} sur {format_number(total)} "
            f"terminé{plural(final)} ({format_percent(share, 0)})")
    text += " — envoi terminé." if progress.get("done") else " — envoi en cours."
    reasons = progress.get("failed_by_reason") or {}
    counts = html.Dl([
        *_pair("Transmis à l'opérateur", format_number(int(progress.get("sent") or 0)),
               f"{PREFIX}-transmis"),
        *_pair("Remis", format_number(delivered), f"{PREFIX}-remis"),
        *_pair("Échecs", format_number(failed), f"{PREFIX}-echecs"),
        *_pair("En attente", format_number(pending), f"{PREFIX}-attente"),
        *_pair("Annulés (désinscription)", format_number(cancelled)),
    ], className="row mb-2")
    bar = html.Div(html.Div(className="progress-bar", style={"width": f"{share * 100:.1f}%"}),
                   className="progress mb-1", role="progressbar",
                   **{"aria-valuenow": str(round(share * 100)), "aria-valuemin": "0",
                      "aria-valuemax": "100", "aria-label": "Messages terminés"})
    out = [counts, bar, html.P(text, id=f"{PREFIX}-progression-texte", className="small")]
    if reasons:
        out.append(html.Div([
            html.H3("Échecs par motif", className="h6"),
            html.Ul([html.Li(f"{reason} : {format_number(n)}") for reason, n in sorted(
                reasons.items(), key=lambda kv: (-kv[1], kv[0]))], id=f"{PREFIX}-motifs"),
        ]))
    return out


#: the page's deliveries table; times in France's (the store's UTC converted)
DELIVERY_COLUMNS = {"commune": "Commune", "fonction_texte": "Fonction", "telephone": "Numéro",
                    "etat_texte": "État", "accuse_texte": "Accusé de réception",
                    "transmis": "Transmis le", "etat_le": "Accusé le",
                    "attempts": "Tentatives", "reason": "Motif"}
#: the export: the same, its times said to be Paris's, and the operator's raw code for the
#: expert beside its French label
EXPORT_DELIVERY_COLUMNS = {"id_contact": "Contact", "code_commune": "Code commune",
                           **DELIVERY_COLUMNS, "dlr_state": "Code de l'opérateur (accusé)",
                           "transmis": "Transmis le (heure de Paris)",
                           "etat_le": "Accusé le (heure de Paris)"}
#: the page's text columns whose cell carries the raw code as its tooltip
_RAW_CODE = {"accuse_texte": "dlr_state"}


def dlr_text(code) -> str:
    """An operator's delivery code in French (« DELIVRD » → « Remis au destinataire »); an
    unknown code as it came."""
    return "" if missing(code) else DLR_LABELS.get(str(code), str(code))


def deliveries_frame(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """The deliveries (``workflow.deliveries``, numbers as the user may read them) with
    French columns, times in Paris's."""
    if frame.empty:
        return pd.DataFrame(columns=list(EXPORT_DELIVERY_COLUMNS))
    return frame.assign(
        commune=[commune_text(c, names) for c in frame["code_commune"]],
        fonction_texte=[label(FUNCTION_LABELS, f) for f in frame["fonction"]],
        etat_texte=[label(STATE_LABELS, s) for s in frame["state"]],
        accuse_texte=frame["dlr_state"].map(dlr_text),
        dlr_state=frame["dlr_state"].map(lambda v: "" if missing(v) else str(v)),
        transmis=frame["sent_at"].map(utc_text), etat_le=frame["dlr_at"].map(utc_text),
        reason=frame["reason"].map(lambda v: "" if missing(v) else str(v)),
        attempts=frame["attempts"].fillna(0).astype(int))


def deliveries_table(frame: pd.DataFrame, names: Mapping[str, str]) -> html.Table:
    """The messages, one row each; the delivery report in French, the operator's code as its
    tooltip (« DELIVRD »)."""
    shown = deliveries_frame(frame, names)
    caption = "Messages de l'alerte, un par destinataire (heures de Paris)"
    if len(shown) > MAX_DELIVERY_ROWS:
        caption += f" — les {format_number(MAX_DELIVERY_ROWS)} premiers (l'export a tout)"
    header = html.Thead(html.Tr([html.Th(t, scope="col", className="text-end"
                                         if c == "attempts" else None)
                                 for c, t in DELIVERY_COLUMNS.items()]))
    rows = []
    for row in shown.head(MAX_DELIVERY_ROWS).to_dict("records"):
        cells = [wire("Th", str(row["commune"]), scope="row")]
        for column in list(DELIVERY_COLUMNS)[1:]:
            value = row[column]
            if column == "attempts":
                cells.append(wire("Td", format_number(value), className="text-end"))
            elif column in _RAW_CODE and row[_RAW_CODE[column]]:
                code = row[_RAW_CODE[column]]
                cells.append(wire("Td", wire("Span", str(value), title=f"Code de l'opérateur : "
                                             f"{code}", className="code-operateur")))
            else:
                cells.append(wire("Td", "" if missing(value) else str(value)))
        rows.append(wire("Tr", cells))
    return html.Table([html.Caption(caption), header, html.Tbody(rows)],
                      className="table table-sm table-striped table-hover align-middle data-table",
                      id=f"{PREFIX}-messages")


ALERT_EXPORT_COLUMNS = {
    "id_alerte": "Alerte", "statut_texte": "Statut", "categorie_texte": "Catégorie",
    "message": "Message", "encoding": "Codage", "parts": "SMS par destinataire",
    "recipients": "Destinataires", "total": "SMS au total", "communes": "Communes (codes)",
    "communes_noms": "Communes", "faits": "Faits du (heure de Paris)",
    "cree": "Créée le (heure de Paris)", "created_by": "Rédigée par", "author_role": "Rôle",
    "unite_auteur": "Unité", "validated_by": "Validée ou refusée par",
    "valide": "Le (heure de Paris)", "refused_reason": "Motif du refus",
    "termine": "Envoi terminé le (heure de Paris)",
}


def alert_export(row: Mapping, names: Mapping[str, str]) -> pd.DataFrame:
    """The alert as one CSV row."""
    communes = communes_list(row.get("communes"))
    values = {k: row.get(k) for k in ALERT_EXPORT_COLUMNS if k in row}
    values.update({
        "statut_texte": label(STATUT_LABELS, row.get("statut")),
        "categorie_texte": label(CATEGORY_LABELS, row.get("categorie")),
        "total": total_sms(row.get("parts"), row.get("recipients")),
        "communes": "|".join(communes),
        "communes_noms": ", ".join(commune_text(c, names) for c in communes),
        "faits": when_text(row.get("faits_le")), "cree": utc_text(row.get("created_at")),
        "valide": utc_text(row.get("validated_at")) if row.get("validated_at") else "",
        "termine": utc_text(row.get("finished_at")) if row.get("finished_at") else "",
    })
    return pd.DataFrame([{k: values.get(k) for k in ALERT_EXPORT_COLUMNS}])


def export_name(ident: str, what: str) -> str:
    return f"{ident}-{what}.csv"
