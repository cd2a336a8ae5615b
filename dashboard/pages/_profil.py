"""What the two profile pages (« Fiche commune », « Fiche brigade ») share: their layout around
an identity card, and their callbacks (period figures, sections, CSV export of any section).

Each page declares its own :class:`ProfileIds` and calls :func:`register_callbacks` once. The
territory is ``commune:<code>`` or ``brigade:<id>``: the layout checks it with
``access.check_scope`` (a refusal is a French message) and so does every callback (a forged one
gets a 403).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import dash
import duckdb
from dash import MATCH, Input, Output, State, callback, ctx, dcc, html, no_update
from werkzeug.exceptions import Forbidden

from dashboard.core import access, components, report
from dashboard.core import warehouse as data
from dashboard.core.export import to_csv_bytes
from dashboard.core.filters import FilterIds, filter_bar, register_address_sync
from dashboard.core.scope import Period, Scope, ScopeError
from dashboard.queries.carte import data_months
from dashboard.views.organisation import READ_ERROR, UNAVAILABLE
from dashboard.views.profils import SECTIONS, Profile, Section

log = logging.getLogger(__name__)

REFUSED = {"commune": "Cette commune est inconnue ou n'est pas dans votre périmètre.",
           "brigade": "Cette brigade est inconnue ou n'est pas dans votre périmètre."}
MISSING_CODE = {"commune": "Aucune commune choisie : ouvrez une commune depuis la carte.",
                "brigade": "Aucune brigade choisie : ouvrez une brigade depuis la carte."}


@dataclass(frozen=True)
class ProfileIds:
    """Component ids of one profile page."""

    prefix: str

    @property
    def filters(self) -> FilterIds:
        return FilterIds(self.prefix)

    @property
    def view(self) -> str:
        return f"{self.prefix}-vue"

    @property
    def kpis(self) -> str:
        return f"{self.prefix}-chiffres"

    @property
    def sections(self) -> str:
        return f"{self.prefix}-sections"

    @property
    def export(self) -> str:  # pattern-matching type: {"type": export, "section": key}
        return f"{self.prefix}-export"

    @property
    def download(self) -> str:
        return f"{self.prefix}-telechargement"


def first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value


def months(warehouse) -> tuple[dt.date, dt.date]:
    first_month, last = data_months(warehouse)
    if last is None:
        today = dt.date.today().replace(day=1)
        last = (today - dt.timedelta(days=1)).replace(day=1)
        first_month = last.replace(year=last.year - 3)
    return first_month, last


def period_of(view: dict, last: dt.date) -> Period:
    try:
        return Period.parse(view.get("debut"), view.get("fin"), last)
    except ScopeError:
        return Period.parse(None, None, last)


def page(ids: ProfileIds, kind: str, title: str, code: str | None, debut, fin,
         header: callable) -> html.Div:
    """The profile page of ``kind:code``; ``header(warehouse, code, period)`` draws the
    identity card once access is granted."""
    user = access.current_user()
    today = dt.date.today().replace(day=1)
    period = Period.parse(None, None, today)
    skeleton = [
        filter_bar(ids.filters, [], Scope(), period, today.replace(year=today.year - 3), today,
                   show_scope=False),
        dcc.Store(id=ids.view, data=None),
        dcc.Loading(html.Div(id=ids.kpis), delay_show=300),
        dcc.Loading(html.Div(id=ids.sections), delay_show=300),
    ]
    if user is None:  # Dash's start-up check: the ids only
        return html.Div([html.H1(title, className="h3"), *skeleton])
    if not code:
        return _message(ids, title, MISSING_CODE[kind], skeleton)
    try:
        access.check_scope(f"{kind}:{code}")
    except Forbidden:
        return _message(ids, title, REFUSED[kind], skeleton)
    problems = []
    try:
        warehouse = data.get_warehouse()
        first_month, last = months(warehouse)
        try:
            period = Period.parse(debut, fin, last)
        except ScopeError as exc:
            problems.append(f"{exc} La période par défaut est affichée.")
            period = Period.parse(None, None, last)
        card = header(warehouse, code, period)
    except data.WarehouseUnavailable:
        return _message(ids, title, UNAVAILABLE, skeleton)
    except duckdb.Error:
        log.exception("%s profile: reading the warehouse failed", kind)
        return _message(ids, title, READ_ERROR, skeleton)
    scope = Scope(kind, code)
    return html.Div([
        card,
        *[components.empty_state(p, tone="warning") for p in problems],
        filter_bar(ids.filters, [], scope, period, first_month, last, show_scope=False),
        dcc.Store(id=ids.view, data={"perimetre": scope.to_param(), **period.params()}),
        html.Section([
            html.H2(f"Chiffres de la période — {period.label()}", className="h5",
                    id=f"{ids.prefix}-chiffres-titre"),
            dcc.Loading(html.Div(id=ids.kpis), delay_show=300),
        ], className="mb-4", **{"aria-labelledby": f"{ids.prefix}-chiffres-titre"}),
        dcc.Loading(html.Div(id=ids.sections), delay_show=300),
    ])


def _message(ids: ProfileIds, title: str, message: str, skeleton: list) -> html.Div:
    hidden = html.Div(skeleton, style={"display": "none"})
    return html.Div([
        html.H1(title, className="h3"),
        components.empty_state(message, tone="warning"),
        html.P(dcc.Link("Ouvrir la carte", href=dash.get_relative_path("/carte")),
               className="mt-3"),
        hidden,
    ])


def map_link(scope: Scope, maille: str, period: Period) -> str:
    query = urlencode({"perimetre": scope.to_param(), "maille": maille} | period.params())
    return dash.get_relative_path(f"/carte?{query}")


def contact_list(items: list[tuple[str, object]]) -> html.Dl:
    """A definition list of (label, value or component); empty values are left out."""
    children: list = []
    for term, value in items:
        if value is None or value == "":
            continue
        children += [html.Dt(term, className="col-sm-4"), html.Dd(value, className="col-sm-8")]
    return html.Dl(children, className="row mb-0 small")


# --- sections --------------------------------------------------------------------------------

GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "locale": "fr",
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}


def table_of_contents(ids: ProfileIds, sections: list[Section]) -> html.Nav:
    links = [html.Li(html.A(s.title, href=f"#{ids.prefix}-{s.key}-titre"),
                     className="list-inline-item") for s in sections]
    return html.Nav([html.Span("Sur cette page : ", className="fw-semibold"),
                     html.Ul(links, className="list-inline d-inline mb-0")],
                    className="small mb-3", **{"aria-label": "Sections de la fiche"})


def render_section(ids: ProfileIds, section: Section) -> html.Section:
    heading = f"{ids.prefix}-{section.key}-titre"
    table_id = f"{ids.prefix}-{section.key}-tableau"
    empty = section.frame.empty
    body: list = []
    if section.figure is not None and not empty:
        body.append(html.Figure([
            dcc.Graph(figure=section.figure, config=GRAPH_CONFIG),
            html.Figcaption("Les mêmes chiffres figurent dans le tableau ci-dessous.",
                            className="small text-body-secondary"),
        ], className="mb-2"))
    if empty:
        body.append(components.empty_state(section.empty))
    else:
        body.append(report.export_button({"type": ids.export, "section": section.key},
                                         {"type": ids.download, "section": section.key},
                                         "Exporter ce tableau (CSV)"))
        body.append(report.linked_table(section.frame, section.columns, section.caption,
                                        decimals=section.decimals, links=section.links,
                                        table_id=table_id))
    if section.note:
        body.append(html.P(section.note, className="small text-body-secondary"))
    return html.Section([html.H2(section.title, id=heading, className="h5"), *body],
                        className="mb-4 profile-section", **{"aria-labelledby": heading})


def _profile(view: dict | None, kind: str) -> Profile:
    view = view if isinstance(view, dict) else {}
    user, scope = access.check_scope(view.get("perimetre"))
    if scope.level != kind:  # another page's territory, forged into this page's callback
        raise Forbidden("Ce territoire n'est pas dans votre périmètre.")
    warehouse = data.get_warehouse()
    _first, last = months(warehouse)
    return Profile(warehouse, scope, period_of(view, last), user,
                   prefix=dash.get_relative_path("/"))


def _failure(kind: str, exc: Exception) -> str:
    if isinstance(exc, data.WarehouseUnavailable):
        return UNAVAILABLE
    log.exception("%s profile: reading the warehouse failed", kind)
    return READ_ERROR


def register_callbacks(ids: ProfileIds, kind: str) -> None:
    register_address_sync(ids.filters, scope=False)

    @callback(Output(ids.kpis, "children"), Output(ids.sections, "children"),
              Input(ids.view, "data"))
    def _profile_figures(view):
        if not view:
            return None, None
        profile = _profile(view, kind)
        try:
            profile.prefetch()
            sections = profile.sections()
            kpis = components.kpi_cards(profile.kpis())
        except (data.WarehouseUnavailable, duckdb.Error) as exc:
            return components.empty_state(_failure(kind, exc)), None
        return kpis, [table_of_contents(ids, sections),
                      *[render_section(ids, s) for s in sections]]

    @callback(
        Output({"type": ids.download, "section": MATCH}, "data"),
        Input({"type": ids.export, "section": MATCH}, "n_clicks"),
        State(ids.view, "data"),
        prevent_initial_call=True,
    )
    def _export(_clicks, view):
        profile = _profile(view, kind)
        key = (ctx.triggered_id or {}).get("section")
        if key not in SECTIONS or kind not in SECTIONS[key][0]:
            return no_update
        try:
            section = profile.section(key)
        except (data.WarehouseUnavailable, duckdb.Error) as exc:
            _failure(kind, exc)
            return no_update
        name = f"{kind}_{profile.scope.code}_{key}_{profile.period.params()['debut']}_" \
               f"{profile.period.params()['fin']}.csv"
        return dcc.send_bytes(to_csv_bytes(section.frame, section.columns), name,
                              type="text/csv")
