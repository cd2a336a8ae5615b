"""Interface pieces of the map and profile pages: tables whose names are links, CSV export
buttons, the legend of grey units."""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from dashboard.core.components import wire
from dashboard.core.formatting import format_number

#: rows of an on-page table; the CSV export always holds every row
MAX_ROWS = 500


def linked_table(frame: pd.DataFrame, columns: dict[str, str], caption: str, *,
                 decimals: dict[str, int] | None = None, links: dict[str, str] | None = None,
                 table_id: str | None = None, max_rows: int = MAX_ROWS) -> html.Div:
    """A plain HTML table (caption, header cells with scope), the text alternative of a chart
    or a list in its own right. ``links`` maps a shown column to the frame column that holds
    its link's address (a keyboard path to what a click on the map opens). Past ``max_rows``
    the table is cut and says so; the CSV export has everything."""
    decimals = decimals or {}
    links = links or {}
    shown = frame.head(max_rows)
    numeric = {c for c in columns if c in frame and pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])}
    header = html.Thead(html.Tr([
        html.Th(label, scope="col", className="text-end" if c in numeric else None)
        for c, label in columns.items()
    ]))
    rows = []
    hrefs = {c: shown[h].tolist() for c, h in links.items() if h in shown}
    for i, record in enumerate(shown[list(columns)].itertuples(index=False, name=None)):
        cells = []
        for position, (column, value) in enumerate(zip(columns, record, strict=True)):
            if column in numeric:
                text = format_number(value, decimals.get(column, 0))
                cells.append(wire("Td", text, className="text-end"))
                continue
            text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) \
                else str(value)
            content = dcc.Link(text, href=hrefs[column][i]) if column in hrefs and text else text
            cells.append(wire("Th", content, scope="row") if position == 0
                         else wire("Td", content))
        rows.append(wire("Tr", cells))
    extra = {"id": table_id} if table_id else {}
    note = None
    if len(frame) > max_rows:
        note = html.P(f"Les {format_number(max_rows)} premières lignes sur "
                      f"{format_number(len(frame))} sont affichées ; l'export CSV les contient "
                      "toutes.", className="small text-body-secondary")
    return html.Div([
        html.Table(
            [html.Caption(caption), header, html.Tbody(rows)],
            className="table table-sm table-striped table-hover align-middle data-table",
            **extra,
        ),
        note,
    ], className="table-responsive")


def export_button(button_id, download_id, label: str = "Exporter en CSV") -> html.Div:
    return html.Div(
        [
            html.Button(label, id=button_id, type="button",
                        className="btn btn-sm btn-outline-primary"),
            dcc.Download(id=download_id),
        ],
        className="d-flex justify-content-end my-2",
    )


def grey_legend(items: list[tuple[str, str]]) -> html.Ul | None:
    """Swatches of the grey units drawn (colour, text)."""
    if not items:
        return None
    return html.Ul(
        [html.Li([html.Span(style=_swatch(colour), **{"aria-hidden": "true"}), text])
         for colour, text in items],
        className="list-unstyled small mb-1 grey-legend",
    )


def _swatch(colour: str) -> dict[str, str]:
    return {"background": colour, "display": "inline-block", "width": "1em", "height": "1em",
            "marginRight": "0.4em", "verticalAlign": "-0.15em", "border": "1px solid #888"}
