"""What the two profile pages (« Fiche commune », « Fiche brigade ») share: their layout around
an identity card, and their callbacks (period figures, sections, CSV export of any section).

Each page declares its own :class:`ProfileIds` and calls :func:`register_callbacks` once. The
territory is ``commune:<code>`` or ``brigade:<id>``: the layout checks it with
``access.check_scope`` (a refusal is a French message) and so does every callback (a forged one
gets a 403).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import dash
from dash import MATCH, Input, Output, State, callback, ctx, dcc, html, no_update
from werkzeug.exceptions import Forbidden

from dashboard.core import access, components, report, scaffold
from dashboard.core import warehouse as data
from dashboard.core.export import to_csv_bytes
from dashboard.core.filters import FilterIds, filter_bar, register_address_sync
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.core.page_state import first
from dashboard.core.reference import activity_months
from dashboard.core.scope import Period, Scope, ScopeError, add_months
from dashboard.queries.profils import ProfileReader
from dashboard.views.profils import SECTIONS, Profile, Section
from etl import clock
from etl.roles import Capability

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


def register_page(module: str, kind: str, path: str, title: str, description: str, order: int
             ) -> ProfileIds:
    """Register the profile page of ``module`` (reached from maps and tables, not from the
    navigation bar) and its callbacks; returns its component ids."""
    dash.register_page(module, path=path, name=title, title=f"{title} — Présents pour les élus",
                       description=description, order=order, nav=False)
    ids = ProfileIds(f"fiche-{kind}")
    register_callbacks(ids, kind)
    return ids


def page(ids: ProfileIds, kind: str, title: str, code: str | None, debut, fin,
         header: callable) -> html.Div:
    """The profile page of ``kind:code``; ``header(warehouse, code, period)`` draws the
    identity card once access is granted."""
    user = access.current_user()
    today = clock.today().replace(day=1)
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
        return _message(ids, title, components.empty_state(MISSING_CODE[kind], tone="warning"),
                        skeleton)
    try:
        access.check_scope(f"{kind}:{code}")
    except Forbidden:
        return _message(ids, title, scaffold.refusal(REFUSED[kind]), skeleton)
    problems = []
    try:
        warehouse = data.get_warehouse()
        first_month, last, facts_until = activity_months(warehouse)
        try:
            period = profile_period(debut, fin, last, facts_until)
        except ScopeError as exc:
            problems.append(f"{exc} La période par défaut est affichée.")
            period = profile_period(None, None, last, facts_until)
        card = header(warehouse, code, period)
    except READ_ERRORS as exc:
        return _message(ids, title, components.empty_state(failure(exc, kind), tone="warning"),
                        skeleton)
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


def profile_period(debut, fin, last: date, facts_until: date | None) -> Period:
    """The period of a profile's address; by default the last 12 months with recorded facts
    and on to this month (``last``), so that what a unit entered today is counted (the facts'
    own figures stop at ``facts_until``: :meth:`Period.until`)."""
    if first(debut) or first(fin):
        return Period.parse(first(debut), first(fin), last)
    start = add_months(facts_until or last, -11)
    try:
        return Period.parse(start.strftime("%Y-%m"), last.strftime("%Y-%m"), last)
    except ScopeError:  # facts ten years old: the last 12 months
        return Period.parse(None, None, last)


def _message(ids: ProfileIds, title: str, message, skeleton: list) -> html.Div:
    hidden = html.Div(skeleton, style={"display": "none"})
    return html.Div([
        html.H1(title, className="h3"),
        message,
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
    user, scope, period, warehouse = scaffold.checked_view(view, fallback=True)
    if scope.level != kind:  # another page's territory, forged into this page's callback
        raise Forbidden("Ce territoire n'est pas dans votre périmètre.")
    # the roles that send alerts read the élus' numbers (never the préfets' or the analysts')
    phones = user.can(Capability.SEE_PHONE_NUMBERS)
    _first, _last, facts_until = activity_months(warehouse)
    reader = ProfileReader(warehouse, scope, period, with_phone=phones, facts_until=facts_until)
    return Profile(reader, scope, period, phones, prefix=dash.get_relative_path("/"),
                   facts_until=facts_until)


def register_callbacks(ids: ProfileIds, kind: str) -> None:
    register_address_sync(ids.filters, scope=False)

    @callback(Output(ids.kpis, "children"), Output(ids.sections, "children"),
              Input(ids.view, "data"))
    def _profile_figures(view):
        if not view:
            return None, None
        profile = _profile(view, kind)
        try:
            profile.reader.prefetch()
            sections = profile.sections()
            kpis = components.kpi_cards(profile.kpis())
        except READ_ERRORS as exc:
            return components.empty_state(failure(exc, kind)), None
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
        except READ_ERRORS as exc:
            failure(exc, kind)
            return no_update
        name = f"{kind}_{profile.scope.code}_{key}_{profile.period.params()['debut']}_" \
               f"{profile.period.params()['fin']}.csv"
        return dcc.send_bytes(to_csv_bytes(section.frame, section.columns), name,
                              type="text/csv")
