"""The Dash application shell: navbar, page container and footer (pages live in pages/)."""

from __future__ import annotations

import logging
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import duckdb
import flask
from dash import Input, Output, State, dcc, html
from flask_wtf.csrf import generate_csrf

from dashboard.core import access, auth, map_shapes, reference, request_limits, scaffold
from dashboard.core import warehouse as data
from dashboard.core.provenance import provenance_label
from etl.settings import Settings, get_settings

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
#: plotly.js built by `make assets` from the npm package (dashboard/plotly_bundle.js)
PLOTLY_BUNDLE = "vendor/plotly-presence.min.js"
TITLE = "Présents pour les élus — tableau de bord territorial"

# <html lang="fr"> (RGAA: the page language must be declared); the rest is Dash's default page,
# plus plotly.js: see index_string()
INDEX_STRING = """<!DOCTYPE html>
<html lang="fr">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
        <link rel="preload" href="PLOTLY_URL" as="script">
        <script>
            Object.defineProperty(window, "_dashPlotlyJSURL", {
                get: function () { return "PLOTLY_URL"; }, set: function () {}});
            (function () {
                var fetch = window.fetch;
                window.fetch = function (resource) {
                    var answer = fetch.apply(this, arguments);
                    if (String(resource && resource.url || resource)
                            .indexOf("_dash-update-component") >= 0) {
                        window.fetch = fetch;
                        setTimeout(function () {
                            var script = document.createElement("script");
                            script.src = "PLOTLY_URL";
                            document.head.appendChild(script);
                        }, 0);
                    }
                    return answer;
                };
            })();
        </script>
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def index_string(plotly_url: str) -> str:
    """The page around Dash's scripts. plotly.js is our own build with only the traces drawn
    here (1.4 MB instead of 4.8 MB; `make assets`). It is downloaded at once (preload) but run
    only once the first callback has been sent — on every page, the page router's, which
    renders the page on the server: its third of a second of parsing then overlaps that
    request instead of delaying it, and dcc.Graph finds ``window.Plotly`` ready. Should a
    graph be mounted first, dcc.Graph loads ``window._dashPlotlyJSURL``, which is pinned to
    the same file (never the full bundle)."""
    if '"' in plotly_url or "<" in plotly_url:
        raise ValueError(f"unexpected asset URL: {plotly_url!r}")
    return INDEX_STRING.replace("PLOTLY_URL", plotly_url)


def _versioned_asset_url(app: dash.Dash, path: str) -> str:
    """The asset's address with its modification time, as Dash writes its own assets': the
    address changes with the file, so the browser may keep it a year (auth.IMMUTABLE)."""
    file = PACKAGE_DIR / "assets" / path
    url = app.get_asset_url(path)
    return f"{url}?m={file.stat().st_mtime:.0f}" if file.exists() else url


def _user_menu() -> html.Form | None:
    user = access.current_user() if flask.has_request_context() else None
    if user is None:
        return None
    scope = "national" if user.national else (f"dép. {user.departement}" +
                                              (f", {user.brigade_id}"
                                               if user.brigade_id else ""))
    return html.Form(
        [
            html.Span(f"{user.login} ({scope})", title=access.ROLES[user.role],
                      className="navbar-text me-2 small text-break"),
            dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
            html.Button("Se déconnecter", type="submit",
                        className="btn btn-sm btn-outline-light text-nowrap"),
        ],
        action="/deconnexion", method="POST",
        className="user-menu d-flex flex-wrap align-items-center gap-2 ms-lg-3 py-2 py-lg-0",
    )


class MenuIds:
    toggler = "menu-bouton"
    collapse = "menu"


#: below Bootstrap's ``lg`` width (992 px) the menu folds behind its « Menu » button
MENU_EXPAND = "lg"
# The button opens and closes the menu; a new page (a link of the menu, Back) closes it. The
# button says whether the menu is open (aria-expanded), as WAI-ARIA's disclosure pattern asks.
TOGGLE_MENU = """
function (clicks, pathname, open) {
    const triggered = (window.dash_clientside.callback_context.triggered || [])
        .map((t) => t.prop_id);
    const shown = triggered.includes("MENU_BUTTON.n_clicks") ? !open : false;
    return [shown, shown ? "true" : "false"];
}
""".replace("MENU_BUTTON", MenuIds.toggler)


def _navbar() -> dbc.Navbar:
    user = access.current_user() if flask.has_request_context() else None
    # a page the role may not open (its capability, its reach) is left out of its menu
    pages = scaffold.menu(user)
    links = [dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
             for page in pages]
    home = pages[0]["relative_path"] if pages else dash.get_relative_path("/")
    return dbc.Navbar(
        dbc.Container(
            [
                # the full title is the page's <title>; the bar keeps room for the menu
                dbc.NavbarBrand("Présents pour les élus", href=home, className="fw-semibold"),
                # dbc.NavbarToggler's label is English (« Toggle navigation ») and cannot be set
                html.Button(html.Span(className="navbar-toggler-icon"), id=MenuIds.toggler,
                            type="button", className="navbar-toggler", n_clicks=0,
                            title="Menu", **{"aria-label": "Menu",
                                             "aria-controls": MenuIds.collapse,
                                             "aria-expanded": "false"}),
                dbc.Collapse([dbc.Nav(links, navbar=True, className="ms-auto"), _user_menu()],
                             id=MenuIds.collapse, is_open=False, navbar=True),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        expand=MENU_EXPAND,
        className="mb-3",
    )


def _footer_label() -> str:
    if not flask.has_app_context():  # Dash calls the layout once at start-up to check it
        return provenance_label({}, None)
    try:
        warehouse = data.get_warehouse()
        return provenance_label(reference.organisation_sources(warehouse),
                                reference.organisation_parametres(warehouse))
    except data.WarehouseUnavailable:
        return provenance_label({}, None)
    except duckdb.Error:
        log.exception("footer: reading the organisation's source failed")
        return provenance_label({}, None)


SYNTHETIC_NOTICE = ("Données de démonstration : les faits, plaintes, alertes, consultations, "
                    "formations et présences affichés sont synthétiques (générés et calibrés sur "
                    "des chiffres publics), pas des données réelles.")


def _synthetic_banner() -> html.Div | None:
    """Shown on every page while synthetic demo data are loaded."""
    if not flask.has_app_context():
        return None
    try:
        sources = reference.synthetic_sources(data.get_warehouse())
    except (data.WarehouseUnavailable, duckdb.Error):
        return None
    if not sources:
        return None
    return html.Div(SYNTHETIC_NOTICE, id="bandeau-synthetique", role="note",
                    className="alert alert-warning py-1 px-3 mb-2 small synthetic-notice")


def _shell() -> html.Div:
    """Rebuilt at each page load, so that the footer follows the published warehouse."""
    return html.Div(
        [
            html.A("Aller au contenu", href="#contenu", className="visually-hidden-focusable"),
            _navbar(),
            _synthetic_banner(),
            html.Main(dash.page_container, id="contenu", className="container-fluid pb-4"),
            html.Footer(
                html.Div(_footer_label(), id="provenance", className="container-fluid small"),
                className="app-footer py-2",
            ),
        ]
    )


class _Dashboard(dash.Dash):
    """Dash, with the text shown while its scripts start in French (Dash writes « Loading... »:
    the only English a user could see)."""

    def interpolate_index(self, **kwargs) -> str:
        kwargs["app_entry"] = kwargs.get("app_entry", "").replace("Loading...", "Chargement…")
        return super().interpolate_index(**kwargs)


def create_app(settings: Settings | None = None) -> dash.Dash:
    """A new app reading ``settings.warehouse_path`` (default: the environment's settings)."""
    settings = settings or get_settings()
    app = _Dashboard(
        "dashboard",
        use_pages=True,
        pages_folder=str(PACKAGE_DIR / "pages"),
        assets_folder=str(PACKAGE_DIR / "assets"),
        # Bootstrap is linked below so that it loads before style.css, which overrides it
        assets_path_ignore=["vendor"],
        serve_locally=True,
        title=TITLE,
        update_title=None,
        compress=True,  # flask-compress: callback and layout JSON (maps) travel gzipped
    )
    for required in ("vendor/bootstrap.min.css", "vendor/topojson/world_110m.json",
                     PLOTLY_BUNDLE):
        if not (PACKAGE_DIR / "assets" / required).exists():
            log.warning("missing front-end file dashboard/assets/%s: run `make assets`", required)
    app.config.external_stylesheets.append(_versioned_asset_url(app, "vendor/bootstrap.min.css"))
    app.index_string = index_string(_versioned_asset_url(app, PLOTLY_BUNDLE))
    app.server.extensions[data.EXTENSION_KEY] = data.Warehouse(settings.warehouse_path)
    auth.init_auth(app.server, settings, app)
    request_limits.init_request_limits(app.server)
    map_shapes.init_shapes(app.server)
    app.layout = _shell
    app.clientside_callback(
        TOGGLE_MENU,
        Output(MenuIds.collapse, "is_open"), Output(MenuIds.toggler, "aria-expanded"),
        Input(MenuIds.toggler, "n_clicks"), Input("_pages_location", "pathname"),
        State(MenuIds.collapse, "is_open"), prevent_initial_call=True)
    return app
