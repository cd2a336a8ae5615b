"""Factories of repeated interface pieces: dropdowns and radio groups, KPI cards, accessible
data tables, empty states."""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard.core.formatting import format_number
from dashboard.core.kpi import Kpi

#: Dash's dropdown texts (its search box, its clear buttons' accessible names), in French: the
#: defaults are English
DROPDOWN_LABELS = {
    "select_all": "Tout sélectionner",
    "deselect_all": "Tout désélectionner",
    "selected_count": "{num_selected} sélectionnés",
    "search": "Rechercher",
    "clear_search": "Effacer la recherche",
    "clear_selection": "Effacer la sélection",
    "no_options_found": "Aucun résultat",
}


def dropdown(*, labels: dict[str, str] | None = None, **props) -> dcc.Dropdown:
    """A ``dcc.Dropdown`` speaking French; ``labels`` overrides some of its texts."""
    return dcc.Dropdown(labels=DROPDOWN_LABELS | (labels or {}), **props)


def radio_group(id: str, options: list[dict], value, label: str, *,
                class_name: str | None = None,
                legend_class_name: str = "form-label fw-semibold fs-6",
                items_class_name: str | None = None, label_class_name: str | None = None,
                inline: bool = True) -> html.Fieldset:
    """Radio buttons named by the legend of their fieldset (RGAA 11.5 and 11.6); callbacks
    read the choice from ``Input(id, "value")``, as with ``dcc.RadioItems``.

    Dash 4's ``dcc.RadioItems`` wraps each radio button in a ``role="option"`` label inside an
    unnamed ``role="listbox"``: interactive elements nested in an option and a list box
    without a name (axe-core: ``nested-interactive``, ``aria-input-field-name``), which it has
    no property to change. ``dbc.RadioItems`` renders plain ``<input type="radio">`` buttons,
    each with its ``<label for>``, sharing one ``name``: the arrow keys move between them.
    ``class_name`` is the fieldset's, ``items_class_name`` the radio buttons' container's,
    ``label_class_name`` each button's label's."""
    return html.Fieldset(
        [
            html.Legend(label, className=legend_class_name),
            dbc.RadioItems(id=id, options=options, value=value, name=id, inline=inline,
                           class_name=items_class_name, label_class_name=label_class_name),
        ],
        className=class_name,
    )


def kpi_cards(kpis: Sequence[Kpi]) -> html.Div:
    """A responsive grid of cards; each is a <dl> pair so screen readers tie label and value."""
    cards = [
        html.Div(
            html.Dl(
                [
                    html.Dt(_kpi_label(k), className="kpi-label"),
                    html.Dd(k.value, className="kpi-value"),
                    html.Dd(k.detail, className="kpi-detail") if k.detail else None,
                    *[html.Dd(note, className="kpi-detail kpi-note") for note in k.notes],
                ],
                className="kpi-card mb-0",
                id=f"kpi-{k.key}",
            ),
            className="col",
        )
        for k in kpis
    ]
    return html.Div(cards, className="row row-cols-1 row-cols-sm-2 row-cols-lg-4 g-2 kpi-grid")


def _kpi_label(k: Kpi):
    if not k.href:
        return k.label
    # the title repeats the link text (RGAA 6.1) and says where it leads
    return dcc.Link(k.label, href=k.href, title=f"{k.label} : voir le détail")


def wire(tag: str, children=None, **props) -> dict:
    """An ``html.<tag>`` element in Dash's wire format: the dict ``html.<tag>(children,
    **props).to_plotly_json()`` would give, without building the component object (12 µs
    each). For the cells and rows of long tables, where it halves the time of a profile's
    tables; not for elements that callbacks use (no ids here)."""
    if children is not None:
        props["children"] = children
    return {"type": tag, "namespace": "dash_html_components",
            "props": {k: v for k, v in props.items() if v is not None}}


def data_table(frame: pd.DataFrame, columns: dict[str, str], caption: str,
               decimals: dict[str, int] | None = None, table_id: str | None = None) -> html.Table:
    """A plain HTML table (caption, header cells with scope) as the text alternative of a chart.

    ``columns`` maps frame columns to French headers; numeric columns are right-aligned and
    formatted the French way.
    """
    decimals = decimals or {}
    numeric = {c for c in columns if pd.api.types.is_numeric_dtype(frame[c])}
    header = html.Thead(html.Tr([
        html.Th(label, scope="col", className="text-end" if c in numeric else None)
        for c, label in columns.items()
    ]))
    rows = []
    for record in frame[list(columns)].itertuples(index=False, name=None):
        cells = []
        for position, (column, value) in enumerate(zip(columns, record, strict=True)):
            if column in numeric:
                text = format_number(value, decimals.get(column, 0))
                cells.append(wire("Td", text, className="text-end"))
            elif position == 0:
                cells.append(wire("Th", str(value), scope="row"))
            else:
                cells.append(wire("Td", "" if value is None else str(value)))
        rows.append(wire("Tr", cells))
    extra = {"id": table_id} if table_id else {}
    return html.Table(
        [html.Caption(caption), header, html.Tbody(rows)],
        className="table table-sm table-striped table-hover align-middle data-table",
        **extra,
    )


def empty_state(message: str, *, tone: str = "secondary") -> html.Div:
    """A French message where figures would be; ``role=status`` gets it read aloud."""
    return html.Div(message, className=f"alert alert-{tone} empty-state mb-0", role="status")
