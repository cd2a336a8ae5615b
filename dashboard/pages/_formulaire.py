"""The form pages' one shape (« Saisie » : DCAS, plainte, formation, immersion, diagnostic): a
page declares a :class:`FormPage` — its source, title, fields, defaults, what its confirmation
says and what it has of its own (sections, buttons, outputs, a way of storing) — and the
factory gives it the rest, the same on every form page:

- its registration (``nav=False`` unless said, capability ``ENTER_RECORDS``);
- its layout: the title and the forms' sub-navigation, the refusal of a read-only role
  (``scaffold.gate``: préfets and analysts read its message only), the user's communes offered
  (those a brigade serves when the session decides the record's brigade), the inputs built from
  the source's declaration (``views/saisie.py``) and one idempotency key per display of the form;
- its submit callback: the button disabled while it runs, the record through the forms' one door
  (``_saisie.submit_form``: a forged callback is refused there, 403 and audited), then the error
  summary with each field's error by its input, or the confirmation and a new key; a read
  failure in French; the keyboard focus moved to what it shows (RGAA).

Roles: brigades (their communes), commandants (their département) and administrators write;
préfets and analysts read the page's message only, and their callbacks are refused (403,
audited).

Ids, from the form's name (``dcas``): ``dcas-enregistrer`` (the button), ``dcas-resultat``
(the summary or the confirmation), ``dcas-cle`` (the key), ``dcas-focus`` and
``dcas-formulaire-titre``; the inputs ``{"type": "dcas-champ", "name": <field>}`` and their
error slots ``dcas-erreur-<field>`` (``views/saisie.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from dashboard.core import access, scaffold
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _saisie as saisie
from dashboard.views import saisie as view
from etl.ops.records import Result
from etl.roles import Capability
from etl.sources.base import Source

SITE = "Présents pour les élus"


@dataclass(frozen=True)
class FormIds:
    """The ids every form page has, from its form's name (see the module's note)."""

    submit: str
    result: str
    key: str
    focus: str
    title: str

    @classmethod
    def of(cls, form: str) -> FormIds:
        return cls(*(f"{form}-{part}" for part in (
            "enregistrer", "resultat", "cle", "focus", "formulaire-titre")))


@dataclass
class Answer:
    """What a submission shows: ``shown`` above the form (a confirmation, an error summary or a
    failure), the fields' reasons by their inputs, whether it stored (the form's next display
    then gets a new key) and the page's own outputs (left as they are when empty)."""

    shown: object
    errors: Mapping[str, str] = field(default_factory=dict)
    stored: bool = False
    outputs: tuple = ()


def saying(new: str, again: str) -> Callable[[Result], str]:
    """What a confirmation says of a new record, and of the same form display sent again."""
    return lambda result: again if result.replayed else new


def _nothing(*_args) -> list:
    return []


def _no_defaults(_user) -> dict:
    return {}


@dataclass
class FormPage:
    """A form page, declared by what differs from the others (see the module's note); a page
    module declares and registers its own with :func:`register_page`."""

    module: str
    #: the form's name: its ids' prefix
    form: str
    source: Source
    #: registration: the address, the menu's name and order, the description
    path: str
    name: str
    order: int
    description: str
    #: the page's title, its introduction and the form's heading
    title: str
    intro: str
    heading: str
    #: the fields shown (default: every field but the id and the brigade, which the session sets)
    names: Sequence[str] | None = None
    nav: bool = False
    #: the inputs' values on a new display, for the user (None: Dash's start-up check)
    defaults: Callable[[access.User | None], dict] = _no_defaults
    #: choices offered instead of the declared values (the commune fields get the user's)
    choices: Mapping[str, list] = field(default_factory=dict)
    #: more inside the form, after its fields (given the communes offered), and buttons before
    #: « Enregistrer » (label, id)
    inside: Callable[[list], list] = _nothing
    buttons: Sequence[tuple[str, str]] = ()
    #: the page's sections below the form, for the user and the warehouse (None: unreadable)
    sections: Callable[[access.User | None, data.Warehouse | None], list] = _nothing
    #: the page's own outputs of the submit callback (id, property) and its own states
    outputs: Sequence[tuple[str, str]] = ()
    states: Sequence[State] = ()
    #: what the confirmation says of a stored record (:func:`saying`)
    said: Callable[[Result], str] = saying("Enregistré", "Déjà enregistré")
    #: after a record is stored: (blocks under the confirmation, the page's own outputs)
    after: Callable[[access.User, data.Warehouse, Result], tuple[list, tuple]] | None = None
    #: how a submission is stored, when not one record of the form's values
    #: ``(page, user, values, key, *states) -> Answer``
    store: Callable[..., Answer] | None = None

    def __post_init__(self) -> None:
        fields = {f.name: f for f in self.source.fields}
        if self.names is None:
            self.names = [n for n in view.shown_fields(self.source) if fields[n].kind != "brigade"]
        self.names = list(self.names)
        self.ids = FormIds.of(self.form)
        self.page = self.module.rsplit(".", 1)[-1]
        #: the brigade field the session fills (never the browser), from the first commune
        self.brigade = next((n for n, f in fields.items()
                             if f.kind == "brigade" and n not in self.names), None)
        self.commune = next((n for n, f in fields.items() if f.kind == "insee"), None)

    def register(self) -> FormPage:
        """The page in Dash's registry, its submit callback and its focus move."""
        dash.register_page(self.module, path=self.path, name=self.name,
                           title=f"{self.title} — {SITE}", description=self.description,
                           order=self.order, nav=self.nav, layout=self.layout,
                           capability=Capability.ENTER_RECORDS)
        self._register_submit()
        register_result_focus(self.ids.result, self.ids.focus)
        return self

    # --- layout ----------------------------------------------------------------------------

    def communes(self, user: access.User, warehouse: data.Warehouse) -> list[tuple[str, str]]:
        """The communes offered, (code, « Nom (code) »): the user's; those a brigade serves when
        the session sets the record's brigade from its commune."""
        communes = saisie.writable_communes(user, warehouse)
        if self.brigade is not None:
            communes = communes[communes["brigade_id"].notna()]
        return view.commune_choices(communes)

    def _actions(self):
        submit = html.Button("Enregistrer", id=self.ids.submit, type="button",
                             className="btn btn-primary")
        if not self.buttons:
            return submit
        return html.Div([*[html.Button(label, id=ident, type="button",
                                       className="btn btn-outline-primary")
                           for label, ident in self.buttons], submit],
                        className="d-flex gap-2 mt-2")

    def layout(self, **_query) -> html.Div:
        user, refused = scaffold.gate(self.module, self.title)
        head = [html.H1(self.title, className="h3 mb-2"),
                view.subnav(self.path, dash.get_relative_path)]
        if refused is not None:
            return html.Div([*head, refused])
        communes, problems, sections = [], [], None
        if user is not None:
            try:
                warehouse = data.get_warehouse()
                communes = self.communes(user, warehouse)
                sections = self.sections(user, warehouse)
            except READ_ERRORS as exc:
                problems.append(failure(exc, self.page))
        choices = {n: communes for n in self.names
                   if self.source.field(n).kind == "insee"} | dict(self.choices)
        ids = self.ids
        return html.Div([
            *head,
            html.P(self.intro, className="text-body-secondary"),
            *[view.read_only(p) for p in problems],
            html.Div(id=ids.result),
            html.Section([
                html.H2(self.heading, id=ids.title, className="h5"),
                *view.form_fields(self.form, self.source, self.names, choices,
                                  self.defaults(user)),
                *self.inside(communes),
                self._actions(),
            ], className="card card-body saisie-formulaire mb-3",
                **{"aria-labelledby": ids.title}),
            *(self.sections(user, None) if sections is None else sections),
            dcc.Store(id=ids.key, data=saisie.new_form_key()),
            dcc.Store(id=ids.focus),
        ])

    # --- submitting ------------------------------------------------------------------------

    def store_one(self, user: access.User, values: dict, key) -> Answer:
        """One record of the form's values (its brigade set by the session), through the door."""
        warehouse = data.get_warehouse()
        if self.brigade is not None:
            values[self.brigade] = saisie.brigade_for(user, warehouse, values.get(self.commune))
        result = saisie.submit_form(self.source.name, values, key)
        if not result.ok:
            return Answer(view.error_summary(self.form, result.errors, self.source, self.names),
                          result.errors)
        blocks, outputs = self.after(user, warehouse, result) if self.after else ([], ())
        done = view.confirmation(result.ident, result.record_id, self.said(result))
        return Answer(html.Div([done, *blocks]) if blocks else done, stored=True,
                      outputs=outputs)

    def answer(self, answer: Answer) -> tuple:
        """The submit callback's outputs for ``answer``."""
        own = answer.outputs or (no_update,) * len(self.outputs)
        return (answer.shown, *view.field_errors(self.form, dict(answer.errors), self.names),
                saisie.new_form_key() if answer.stored else no_update, *own)

    def _register_submit(self) -> None:
        ids = self.ids

        @callback(Output(ids.result, "children"),
                  *[Output(view.error_id(self.form, n), "children") for n in self.names],
                  Output(ids.key, "data"),
                  *[Output(i, p, allow_duplicate=True) for i, p in self.outputs],
                  Input(ids.submit, "n_clicks"),
                  State(view.field_id(self.form, ALL), "value"), *self.states,
                  State(ids.key, "data"), prevent_initial_call=True,
                  running=[(Output(ids.submit, "disabled"), True, False)])
        def _submit(_clicks, *states):
            """Stores the form (once per display of it): its errors by their inputs, or what
            was stored."""
            user = saisie.require_writer()
            entered = view.values_from(ctx.states_list[0])
            values = {n: entered.get(n) for n in self.names}
            try:
                if self.store is None:
                    return self.answer(self.store_one(user, values, states[-1]))
                return self.answer(self.store(self, user, values, states[-1],
                                              *ctx.states_list[1:-1]))
            except READ_ERRORS as exc:
                return self.answer(Answer(view.read_only(failure(exc, self.page))))


def register_page(module: str, form: str, source: Source, **declared) -> FormPage:
    """Declares and registers the form page of ``module`` (the page's ``__name__``; the other
    arguments: :class:`FormPage`'s). Named as Dash's own: Dash imports only the page files that
    say ``register_page``."""
    return FormPage(module, form, source, **declared).register()


def register_result_focus(result_id: str, focus_store: str) -> None:
    """Moves the keyboard focus to what a submission shows in ``result_id`` (its error
    summary or its confirmation, both ``tabindex=-1``), as RGAA expects; ``focus_store``: a
    ``dcc.Store`` of the page, this callback's formal output."""
    if '"' in result_id or "\\" in result_id:
        raise ValueError(f"unexpected id: {result_id!r}")
    clientside_callback(
        """
        function (children) {
            window.setTimeout(function () {
                const target = document.querySelector('[id="RESULT"] [tabindex="-1"]');
                if (target) { target.focus(); }
            }, 0);
            return window.dash_clientside.no_update;
        }
        """.replace("RESULT", result_id),
        Output(focus_store, "data"),
        Input(result_id, "children"),
        prevent_initial_call=True,
    )
