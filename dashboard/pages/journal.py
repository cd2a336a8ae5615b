"""Page « Journal d'audit » (``/administration/journal``): the operational store's audit log
for administrators — filtered by login, action, département (the account's) and period (days
in France's time), newest first, 50 rows a page read from the store (« Page N sur M »,
previous and next), its filtered rows exported as CSV (formulas neutralised), and the refusals
of requests without a session counted (« Refus anonymes : N (dernière heure) »).

Only the capability ``gerer_comptes`` opens it: the page's layout refuses the other roles (the
« Accès refusé » block, audited), and every callback checks it again on the server
(``access.require``: a forged call is a 403, audited). A filter value no page sends (a login
over 64 characters, a date that is not ISO or outside 2000-2100, a page that is not a number)
is a French 400, audited as ``requete_invalide``.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, ctx, dcc, html
from werkzeug.exceptions import BadRequest

from dashboard.core import access, components, scaffold
from dashboard.queries import journal as queries
from dashboard.views import journal as view
from etl import clock
from etl.ops.audit_trail import label
from etl.ops.store import AUDIT_FIELD_MAX, audit, utcnow
from etl.roles import Capability

PATH = "/administration/journal"
TITLE = "Journal d'audit"
PAGE = "journal"
ALL = ""
dash.register_page(__name__, path=PATH, name=TITLE, title=f"{TITLE} — Présents pour les élus",
                   description="Le journal d'audit de l'application, pour les administrateurs.",
                   order=30, capability=Capability.MANAGE_ACCOUNTS)


class Ids:
    login = f"{PAGE}-identifiant"
    action = f"{PAGE}-action"
    departement = f"{PAGE}-departement"
    start = f"{PAGE}-debut"
    end = f"{PAGE}-fin"
    previous = f"{PAGE}-precedente"
    next = f"{PAGE}-suivante"
    page = f"{PAGE}-page"  # the page shown (a Store)
    pager = f"{PAGE}-pagination"
    listing = f"{PAGE}-lignes"
    table = f"{PAGE}-tableau"
    anonymous = f"{PAGE}-refus-anonymes"
    message = f"{PAGE}-message"
    export = f"{PAGE}-exporter"
    download = f"{PAGE}-telechargement"


FILTERS = (Ids.login, Ids.action, Ids.departement, Ids.start, Ids.end)


def _require() -> access.User:
    return access.require(Capability.MANAGE_ACCOUNTS, "journal d'audit")


def _parsed(user: access.User, *values) -> queries.AuditFilters:
    """The filters the browser sent; a value no page sends is a French 400, audited."""
    try:
        return queries.parse_filters(*values)
    except queries.InvalidFilter as exc:
        _invalid(user, values, exc)


def _invalid(user: access.User, values, exc: Exception):
    audit(access.ops_engine(), "requete_invalide", user.login,
          f"journal d'audit : {access.shown(values)}", access.client_address())
    raise BadRequest(str(exc))


def _field(text: str, id_: str, control, width: str = "col-md-4") -> html.Div:
    return html.Div([html.Label(text, htmlFor=id_, className="form-label fw-semibold"),
                     control], className=width)


def _filters(engine) -> html.Div:
    actions = queries.actions(engine) if engine is not None else []
    deps = queries.departements(engine) if engine is not None else []
    day = {"min": queries.DATE_MIN.isoformat(), "max": queries.DATE_MAX.isoformat()}
    return html.Div([
        _field("Identifiant (contient)", Ids.login,
               dcc.Input(id=Ids.login, type="text", maxLength=AUDIT_FIELD_MAX, debounce=True,
                         value="", className="form-control", autoComplete="off")),
        _field("Action", Ids.action, components.dropdown(
            id=Ids.action, options=[{"label": "Toutes les actions", "value": ALL},
                                    *view.action_options(actions, label)],
            value=ALL, clearable=False, maxHeight=360)),
        _field("Département du compte", Ids.departement, components.dropdown(
            id=Ids.departement, options=[{"label": "Tous", "value": ALL},
                                         *view.departement_options(deps)],
            value=ALL, clearable=False), "col-md-4"),
        _field("Du (jour, heure de Paris)", Ids.start,
               dcc.Input(id=Ids.start, type="date", value="", className="form-control",
                         debounce=True, **day), "col-md-3"),
        _field("au (inclus)", Ids.end,
               dcc.Input(id=Ids.end, type="date", value="", className="form-control",
                         debounce=True, **day), "col-md-3"),
        html.Div(html.Button("Exporter (CSV)", id=Ids.export, type="button",
                             className="btn btn-outline-primary"),
                 className="col-md-3 d-flex align-items-end"),
    ], className="row g-3 mb-3 filters", role="search",
        **{"aria-label": "Filtres du journal d'audit"})


def layout(**_query) -> html.Div:
    user, refused = scaffold.gate(__name__, TITLE)
    head = html.H1(TITLE, className="h3 mb-1")
    if refused is not None:
        return html.Div([head, refused])
    engine = access.ops_engine() if user is not None else None
    return html.Div([
        head,
        html.P("Qui a fait quoi, quand et d'où : connexions, saisies, alertes, refus. Les "
               "heures sont celles de Paris ; le département est celui du compte.",
               className="text-body-secondary mb-3"),
        html.P(id=Ids.anonymous, className="small", role="status"),
        _filters(engine),
        html.Div(id=Ids.message),
        html.Section([
            html.H2("Lignes du journal", className="visually-hidden", id=f"{PAGE}-titre"),
            html.Div(id=Ids.listing),
            html.Nav([
                html.Button("Page précédente", id=Ids.previous, type="button", disabled=True,
                            className="btn btn-outline-secondary btn-sm"),
                html.Span(id=Ids.pager, className="mx-2", role="status"),
                html.Button("Page suivante", id=Ids.next, type="button", disabled=True,
                            className="btn btn-outline-secondary btn-sm"),
            ], className="d-flex align-items-center", **{"aria-label": "Pages du journal"}),
        ], **{"aria-labelledby": f"{PAGE}-titre"}),
        dcc.Store(id=Ids.page, data=1),
        dcc.Download(id=Ids.download),
    ])


@callback(Output(Ids.listing, "children"), Output(Ids.pager, "children"),
          Output(Ids.page, "data"), Output(Ids.previous, "disabled"),
          Output(Ids.next, "disabled"), Output(Ids.anonymous, "children"),
          Output(Ids.message, "children"),
          *[Input(id_, "value") for id_ in FILTERS],
          Input(Ids.previous, "n_clicks"), Input(Ids.next, "n_clicks"),
          State(Ids.page, "data"))
def _show(login, action, departement, start, end, _previous, _next, page):
    """The page of records asked for: a new filter goes back to page 1, « précédente » and
    « suivante » move by one (within the pages there are)."""
    user = _require()
    filters = _parsed(user, login, action, departement, start, end)
    try:
        page = queries.parse_page(page)
    except queries.InvalidFilter as exc:
        _invalid(user, page, exc)
    trigger = ctx.triggered_id
    page = page - 1 if trigger == Ids.previous else page + 1 if trigger == Ids.next else \
        page if trigger is None else 1
    engine = access.ops_engine()
    total = queries.count(engine, filters)
    last = view.pages(total, queries.PAGE_SIZE)
    page = min(max(page, 1), last)
    frame = queries.page_rows(engine, filters, page)
    message = components.empty_state(queries.BAD_ORDER, tone="warning") \
        if filters.empty_period else None
    return (view.table(frame, label, Ids.table), view.pager_text(page, total, queries.PAGE_SIZE),
            page, page <= 1, page >= last,
            view.anonymous_text(*queries.anonymous_refusals(engine, utcnow())), message)


def _export(login, action, departement, start, end):
    user = _require()
    filters = _parsed(user, login, action, departement, start, end)
    frame, columns = view.export_frame(
        queries.export_rows(access.ops_engine(), filters), label)
    return frame, columns, f"journal-audit-{clock.today():%Y%m%d}.csv"


scaffold.register_csv_export(PAGE, Ids.download, Ids.export,
                             *[State(id_, "value") for id_ in FILTERS], build=_export)
