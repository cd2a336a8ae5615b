"""The scaffold of every data page: what its layout and its callbacks have in common.

Layout side, :func:`page_context` reads the territory and period from the address for the
signed-in user (:mod:`page_state`), with the same default period everywhere; an address whose
territory the user may not see gets the same refusal on every page — the « Accès refusé »
block, one ``acces_refuse`` audit record, and the user's own territory — and a read failure the
same French message. :func:`page` lays out the title, the messages, the filter bar and the
page's own body. Callback side, :func:`checked_view` checks what the browser sent (a forged
territory is a 403, audited) and reads the period the same way.

A page module then only declares its ids, its body and its callbacks (README, « Add a page »).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import dash
from dash import Input, Output, State, callback, dcc, html, no_update
from werkzeug.exceptions import Forbidden

from dashboard.core import access, components, filters, page_state
from dashboard.core import warehouse as data
from dashboard.core.export import to_csv_bytes
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.core.reference import data_months
from dashboard.core.scope import Period, Scope, ScopeError
from etl.roles import REFUSALS, Capability, Reach

REFUSED_TITLE = "Accès refusé"


def refusal(message: str) -> html.Section:
    """The block an out-of-scope address gets on every page (HTTP's 403, said in French)."""
    return html.Section([html.H2(REFUSED_TITLE, className="h5 mb-1"), html.P(message,
                                                                           className="mb-0")],
                        id="acces-refuse", role="alert", className="alert alert-danger")


# --- what a page needs ---------------------------------------------------------------------------

def capability_of(module: str) -> Capability:
    """The capability a page declared to ``dash.register_page(..., capability=...)`` (by
    default: reading its territory's data)."""
    return dash.page_registry.get(module, {}).get("capability", Capability.READ_TERRITORY)


def reaches_of(module: str) -> frozenset[Reach]:
    """The reaches a page serves, as it declared them to ``dash.register_page(..., reach=...)``
    (by default every reach): a page that shows no less than a whole département declares
    ``reach=WHOLE_DEPARTEMENTS``, which a brigade never sees."""
    return frozenset(dash.page_registry.get(module, {}).get("reach", Reach))


#: the reaches that see whole départements (a brigade sees its brigade and its communes only)
WHOLE_DEPARTEMENTS = (Reach.NATIONAL, Reach.DEPARTEMENT)


def opens(user: access.User, module: str) -> bool:
    """Whether ``user`` may open the page ``module``: its role has the capability the page
    declared and its reach is one the page serves. Menus show only such pages."""
    return user.can(capability_of(module)) and user.reach in reaches_of(module)


def menu(user: access.User | None) -> list[dict]:
    """The registered pages of the menu (``nav``, by default True: a profile is reached from
    maps and tables) that ``user`` may open, in the registry's order; every one before sign-in
    (Dash's start-up check)."""
    return [page for module, page in dash.page_registry.items() if page.get("nav", True)
            and (user is None or opens(user, module))]


def gate(module: str, what: str) -> tuple[access.User | None, html.Section | None]:
    """For a page's layout: the signed-in user and, when their role lacks the capability the
    page declared, the « Accès refusé » block to show instead of the page (one ``acces_refuse``
    audit record). ``user`` is None for Dash's start-up check, which draws every id."""
    user = access.current_user()
    if user is None:
        return None, None
    capability = capability_of(module)
    if user.can(capability):
        return user, None
    try:
        access.refuse(user, f"page {what}", message=REFUSALS[capability])
    except Forbidden as exc:
        return user, refusal(exc.description)
    return user, None  # pragma: no cover - refuse always raises


@dataclass
class PageContext:
    """What a data page's layout knows before drawing its body. ``user`` is None only for
    Dash's start-up check (the guard stops every other request without a session): the page
    then needs its ids, not its data; ``state`` is None when the warehouse could not be read."""

    page: str
    user: access.User | None = None
    warehouse: data.Warehouse | None = None
    state: page_state.PageState | None = None
    problems: list[str] = field(default_factory=list)
    refused: str | None = None

    @property
    def ready(self) -> bool:
        return self.state is not None

    def shown(self, **extra) -> dict:
        """The territory and period of this rendering, for the page's callbacks (a ``Store``);
        without data, the user's own territory."""
        if self.state is not None:
            return {"perimetre": self.state.scope.to_param(), **self.state.period.params(),
                    **extra}
        if self.user is not None:
            return {"perimetre": access.default_scope(self.user).to_param(), **extra}
        return {}

    def filter_bar(self, ids: filters.FilterIds, *extra_ids: str, scopes: tuple[Scope, ...] = (),
                   show_scope: bool = True) -> html.Div:
        """The page's filter bar; without data, the same ids hidden (callbacks find them)."""
        if self.state is None:
            return page_state.hidden_filter_bar(ids, *extra_ids)
        state = self.state
        options = page_state.options(self.user, self.warehouse, state.scope, *scopes) \
            if show_scope else []
        return filters.filter_bar(ids, options, state.scope, state.period,
                                  min(state.first_month, state.period.start),
                                  max(state.last_month, state.period.end),
                                  show_scope=show_scope)


def page_context(page: str, perimetre=None, debut=None, fin=None,
                 default_months: int = 12) -> PageContext:
    """Territory and period of ``page`` from its address values (each may be a list)."""
    perimetre, debut, fin = (page_state.first(v) for v in (perimetre, debut, fin))
    context = PageContext(page, access.current_user())
    if context.user is None:
        return context
    try:
        context.warehouse = data.get_warehouse()
        context.state = page_state.resolve(context.user, context.warehouse, perimetre, debut,
                                           fin, default_months)
    except READ_ERRORS as exc:
        context.problems.append(failure(exc, page))
        return context
    if context.state.refused:
        context.refused = page_state.NOT_YOURS
        audit_refusal(str(perimetre))
    context.problems += context.state.messages
    return context


def audit_refusal(scope_text: str) -> None:
    """One ``acces_refuse`` audit record for a territory asked for by an address."""
    try:
        access.check_scope(scope_text)
    except Forbidden:
        return


def page(context: PageContext, title: str, intro: str | None, *body, bar=None,
         title_id: str | None = None) -> html.Div:
    """Title, introduction, refusal and messages, filter bar, then the page's body."""
    return html.Div([
        html.H1(title, className="h3 mb-1", id=title_id) if title_id else
        html.H1(title, className="h3 mb-1"),
        html.P(intro, className="text-body-secondary mb-3") if intro else None,
        refusal(context.refused) if context.refused else None,
        *[components.empty_state(p, tone="warning") for p in context.problems],
        bar,
        *body,
    ])


def map_config(filename: str) -> dict:
    """``dcc.Graph`` settings of a map: the geo map's base topojson served locally (without it
    Plotly fetches it online), French locale (registered in our plotly.js build), no zoom on
    scroll (scrolling the page must not zoom the map)."""
    return {
        "topojsonURL": dash.get_asset_url("vendor/topojson/"),
        "displaylogo": False,
        "locale": "fr",
        "scrollZoom": False,
        # WebGL maps (the national commune map) drawn at the screen's resolution, not twice
        # it (Plotly's default): a quarter of the pixels, 0.3-0.5 s less in software WebGL
        "plotGlPixelRatio": 1,
        "modeBarButtonsToRemove": ["select2d", "lasso2d"],
        "toImageButtonOptions": {"filename": filename},
    }


def overseas_links(departements, href: Callable[[str], str], lead: str,
                   nav_id: str | None = None) -> html.Nav | None:
    """Links to the overseas départements (absent from national maps); ``href(code)`` gives
    each one's address, relative to the app."""
    overseas = departements[departements["outre_mer"]]
    if overseas.empty:
        return None
    links: list = []
    for code, nom in zip(overseas["code"], overseas["nom"], strict=True):
        if links:
            links.append(" · ")
        links.append(dcc.Link(nom, href=dash.get_relative_path(href(code))))
    extra = {"id": nav_id} if nav_id else {}
    return html.Nav([lead, *links], className="small overseas-links",
                    **{"aria-label": "Départements d'outre-mer"}, **extra)


# --- callbacks -----------------------------------------------------------------------------------

def checked_scope(view: dict | None, needs: Capability | None = None
                  ) -> tuple[access.User, Scope, data.Warehouse]:
    """The user (403 and audited when their role lacks ``needs``), the territory the browser
    sent in ``view["perimetre"]`` (403 and audited when forged) and the warehouse."""
    if needs is not None:
        access.require(needs, "données d'une page réservée")
    view = view if isinstance(view, dict) else {}
    user, scope = access.check_scope(view.get("perimetre"))
    return user, scope, data.get_warehouse()


def checked_view(view: dict | None, default_months: int = 12, fallback: bool = False,
                 needs: Capability | None = None
                 ) -> tuple[access.User, Scope, Period, data.Warehouse]:
    """The territory the browser sent, checked (403 and audited when forged), and the period
    it sent (default: the last ``default_months`` months with data; a forged period raises
    ScopeError, a French message, or gives the default with ``fallback``). ``needs``: the
    capability the callback needs (403 and audited without it)."""
    view = view if isinstance(view, dict) else {}
    user, scope, warehouse = checked_scope(view, needs)
    _first, last, _has_facts = data_months(warehouse)
    try:
        period = Period.parse(view.get("debut"), view.get("fin"), last, default_months)
    except ScopeError:
        if not fallback:
            raise
        period = Period.parse(None, None, last, default_months)
    return user, scope, period, warehouse


def register_csv_export(page: str, download: str, export: str, *states: State,
                        build: Callable[..., tuple | None]) -> None:
    """The callback of a page's « Exporter (CSV) » button: ``build(*state values)`` checks the
    territory (a forged one is a 403) and returns (frame, columns, file name), or None when
    there is nothing to export. CSV for French Excel (``;``, UTF-8 with BOM, formulas
    neutralised: :func:`dashboard.core.export.to_csv_bytes`)."""

    @callback(Output(download, "data"), Input(export, "n_clicks"), *states,
              prevent_initial_call=True)
    def _export_csv(_clicks, *values):
        try:
            result = build(*values)
        except READ_ERRORS as exc:
            failure(exc, page)
            return no_update
        if result is None:
            return no_update
        frame, columns, name = result
        return dcc.send_bytes(to_csv_bytes(frame, columns), name, type="text/csv")
