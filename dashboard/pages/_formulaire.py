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
  summary with each field's error by its input, or the confirmation; a read failure in French;
  the keyboard focus moved to what it shows (RGAA);
- one entry per display of the form: the idempotency key survives the confirmation, so that
  « Enregistrer » clicked again on the same filled form stores nothing (« déjà enregistrée »);
  the confirmation's « Nouvelle saisie » empties the form (its defaults) under a new key;
- ``?corriger=<n°>`` (« Mes saisies »): the form filled with that record (one of the user's
  communes: else the refusal, audited), « Enregistrer » storing a new version of it, checked
  against the version shown (``_saisie.correct_form``).

Roles: brigades (their communes), commandants (their département) and administrators write;
préfets and analysts read the page's message only, and their callbacks are refused (403,
audited).

Ids, from the form's name (``dcas``): ``dcas-enregistrer``, ``dcas-resultat`` (the summary
or the confirmation), ``dcas-cle`` (the key), ``dcas-correction`` (the record corrected),
``dcas-focus``, ``dcas-formulaire-titre``, ``{"type": "dcas-nouvelle-saisie", "index": 0}``;
the inputs ``{"type": "dcas-champ", "name": <field>}`` and their error slots
``dcas-erreur-<field>`` (``views/saisie.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from werkzeug.exceptions import Forbidden

from dashboard.core import access, page_state, scaffold
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _communes as commune_search
from dashboard.pages import _saisie as saisie
from dashboard.views import saisie as view
from dashboard.views import saisie_suite as suite
from etl.ops.records import Result
from etl.roles import Capability
from etl.sources.base import Source

SITE = "Présents pour les élus"
#: « Mes saisies »: the entries of the month, to correct or delete one
MINE_PATH = "/saisie/mes-saisies"
CORRECTING = ("Correction de la saisie {} : le formulaire est rempli avec elle ; « Enregistrer » "
              "en garde une nouvelle version (l'ancienne reste dans son historique).")
NOT_FOUND = "Saisie à corriger introuvable (ou supprimée) : le formulaire est vide."
NO_CORRECTION = ("Une participation à une formation ne se corrige pas : supprimez-la depuis "
                 "« Mes saisies », puis saisissez-la de nouveau.")


@dataclass(frozen=True)
class FormIds:
    """The ids every form page has, from its form's name (see the module's note)."""

    submit: str
    result: str
    key: str
    focus: str
    title: str
    new: str
    correction: str

    @classmethod
    def of(cls, form: str) -> FormIds:
        return cls(*(f"{form}-{part}" for part in (
            "enregistrer", "resultat", "cle", "focus", "formulaire-titre", "nouvelle-saisie",
            "correction")))


@dataclass
class Answer:
    """What a submission shows: ``shown`` above the form (a confirmation, an error summary or a
    failure), the fields' reasons by their inputs, whether it stored (the confirmation then
    offers « Nouvelle saisie ») and the page's own outputs (left as they are when empty)."""

    shown: object
    errors: Mapping[str, str] = field(default_factory=dict)
    stored: bool = False
    outputs: tuple = ()
    #: a correction's record number and version now stored (the next click's version)
    correction: dict | None = None


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
    #: more inside the form, after its fields (given the communes offered and whether they
    #: are searched on demand), and buttons before « Enregistrer » (label, id)
    inside: Callable[[list, bool], list] = _nothing
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
    #: the page's own outputs on « Nouvelle saisie » ``(page, user) -> tuple`` (None: left)
    renew: Callable[..., tuple] | None = None

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

    @property
    def new_button(self) -> dict:  # a pattern: drawn after a layout, which Dash checks
        return {"type": self.ids.new, "index": 0}

    def register(self) -> FormPage:
        """The page in Dash's registry, its submit callback and its focus move."""
        dash.register_page(self.module, path=self.path, name=self.name,
                           title=f"{self.title} — {SITE}", description=self.description,
                           order=self.order, nav=self.nav, layout=self.layout,
                           capability=Capability.ENTER_RECORDS)
        self._register_submit()
        self._register_new_entry()
        for name in self.names:
            if self.source.field(name).kind == "insee":
                commune_search.register(view.field_id(self.form, name),
                                        served_only=self.brigade is not None)
        register_result_focus(self.ids.result, self.ids.focus)
        return self

    # --- layout ----------------------------------------------------------------------------

    def communes(self, user: access.User, warehouse: data.Warehouse,
                 chosen=()) -> list[tuple[str, str]]:
        """The communes offered, (code, « Nom (code) »): the user's; those a brigade serves when
        the session sets the record's brigade from its commune. Offered on demand (a national
        reach: ``_communes``), only those ``chosen`` already."""
        if commune_search.on_demand(user):
            communes = commune_search.named(user, warehouse, chosen)
        else:
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

    def _correcting(self, user: access.User, warehouse: data.Warehouse, asked):
        """The stored record ``?corriger=<n°>`` asks for, or what the page says instead: a
        refusal (a record outside the user's communes: 403, audited) or « introuvable »."""
        if self.store is not None:  # a form of several records (a training session)
            return None, view.read_only(NO_CORRECTION)
        try:
            record = saisie.record_to_correct(user, warehouse, self.source.name, asked)
        except Forbidden as exc:
            return None, scaffold.refusal(exc.description)
        return record, None if record is not None else view.read_only(NOT_FOUND)

    def layout(self, corriger=None, **_query) -> html.Div:
        user, refused = scaffold.gate(self.module, self.title)
        head = [html.H1(self.title, className="h3 mb-2"),
                view.subnav(self.path, dash.get_relative_path)]
        if refused is not None:
            return html.Div([*head, refused])
        communes, problems, sections, record = [], [], None, None
        defaults = self.defaults(user)
        searched = user is not None and commune_search.on_demand(user)
        insee = [n for n in self.names if self.source.field(n).kind == "insee"]
        if user is not None:
            try:
                warehouse = data.get_warehouse()
                if corriger is not None:
                    record, problem = self._correcting(user, warehouse, page_state.first(
                        corriger))
                    problems += [problem] if problem is not None else []
                    if record is not None:
                        defaults = suite.record_values(self.source, self.names, record)
                communes = self.communes(user, warehouse, [defaults.get(n) for n in insee])
                sections = self.sections(user, warehouse)
            except READ_ERRORS as exc:
                problems.append(view.read_only(failure(exc, self.page)))
        choices = dict.fromkeys(insee, communes) | dict(self.choices)
        ids = self.ids
        ident = None if record is None else record[self.source.key[0]]
        return html.Div([
            *head,
            html.P(self.intro if record is None else CORRECTING.format(ident),
                   className="text-body-secondary"),
            *problems,
            html.Div(id=ids.result),
            html.Section([
                html.H2(self.heading if record is None else
                        f"Correction de {ident} (version {record['version']})",
                        id=ids.title, className="h5", tabIndex="-1"),
                *view.form_fields(self.form, self.source, self.names, choices, defaults,
                                  searched=set(insee) if searched else ()),
                *self.inside(communes, searched),
                self._actions(),
            ], className="card card-body saisie-formulaire mb-3",
                **{"aria-labelledby": ids.title}),
            *(self.sections(user, None) if sections is None else sections),
            dcc.Store(id=ids.key, data=saisie.new_form_key()),
            dcc.Store(id=ids.correction, data=None if record is None else {
                "id": record["id"], "version": record["version"]}),
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

    def correct_one(self, user: access.User, values: dict, correction) -> Answer:
        """The form's values as a new version of the record being corrected (``correction``:
        its number and the version shown), through the door: checked against that version
        and the user's communes before and after."""
        correction = correction if isinstance(correction, dict) else {}
        record_id, version = correction.get("id"), correction.get("version")
        warehouse = data.get_warehouse()
        if self.brigade is not None:
            values[self.brigade] = saisie.brigade_for(user, warehouse, values.get(self.commune))
        result = saisie.correct_form(self.source.name, record_id, values, version)
        if not result.ok:
            return Answer(view.error_summary(self.form, result.errors, self.source, self.names),
                          result.errors)
        blocks, outputs = self.after(user, warehouse, result) if self.after else ([], ())
        said = "Correction enregistrée" if result.version != version else \
            "Aucune modification : la saisie est déjà ainsi"
        done = suite.corrected(result.ident, result.version, said,
                              dash.get_relative_path(MINE_PATH))
        return Answer(html.Div([done, *blocks]) if blocks else done, outputs=outputs,
                      correction={"id": result.record_id, "version": result.version})

    def answer(self, answer: Answer) -> tuple:
        """The submit callback's outputs for ``answer``: the key is kept (the same filled form
        sent again replays its record); a stored one's confirmation offers a new entry; a
        correction's, the version now stored."""
        own = answer.outputs or (no_update,) * len(self.outputs)
        shown = html.Div([answer.shown, suite.new_entry(self.new_button, dash.get_relative_path(
            MINE_PATH))]) if answer.stored else answer.shown
        return (shown, *view.field_errors(self.form, dict(answer.errors), self.names),
                answer.correction or no_update, *own)

    def _register_submit(self) -> None:
        ids = self.ids

        @callback(Output(ids.result, "children"),
                  *[Output(view.error_id(self.form, n), "children") for n in self.names],
                  Output(ids.correction, "data"),
                  *[Output(i, p, allow_duplicate=True) for i, p in self.outputs],
                  Input(ids.submit, "n_clicks"),
                  State(view.field_id(self.form, ALL), "value"), *self.states,
                  State(ids.key, "data"), State(ids.correction, "data"),
                  prevent_initial_call=True,
                  running=[(Output(ids.submit, "disabled"), True, False)])
        def _submit(_clicks, *states):
            """Stores the form (once per display of it), or the correction of the record it
            shows: its errors by their inputs, or what was stored."""
            user = saisie.require_writer()
            entered = view.values_from(ctx.states_list[0])
            values = {n: entered.get(n) for n in self.names}
            key, correction = states[-2], states[-1]
            try:
                if correction is not None and self.store is None:
                    return self.answer(self.correct_one(user, values, correction))
                if self.store is None:
                    return self.answer(self.store_one(user, values, key))
                return self.answer(self.store(self, user, values, key,
                                              *ctx.states_list[1:-2]))
            except READ_ERRORS as exc:
                return self.answer(Answer(view.read_only(failure(exc, self.page))))


    def _register_new_entry(self) -> None:
        ids = self.ids

        @callback(Output(ids.key, "data", allow_duplicate=True),
                  Output(ids.correction, "data", allow_duplicate=True),
                  Output(ids.result, "children", allow_duplicate=True),
                  Output(view.field_id(self.form, ALL), "value", allow_duplicate=True),
                  *[Output(view.error_id(self.form, n), "children", allow_duplicate=True)
                    for n in self.names],
                  *[Output(i, p, allow_duplicate=True) for i, p in self.outputs],
                  Input({"type": ids.new, "index": ALL}, "n_clicks"),
                  prevent_initial_call=True)
        def _new_entry(clicks):
            """« Nouvelle saisie »: the form empty again (its defaults), under a new key, for a
            new record (not the one corrected); its message takes the focus."""
            if not any(c for c in clicks or () if isinstance(c, int)):
                raise PreventUpdate  # the button just drawn (or gone), not a click
            user = saisie.require_writer()
            defaults = self.defaults(user)
            values = [view.initial_value(self.source, o["id"]["name"],
                                         defaults.get(o["id"]["name"]))
                      for o in ctx.outputs_list[3]]
            own = self.renew(self, user) if self.renew else (no_update,) * len(self.outputs)
            return (saisie.new_form_key(), None, suite.new_entry_started(), values,
                    *[None] * len(self.names), *own)


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
