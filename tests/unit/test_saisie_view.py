"""The forms' one builder (pure): every field of every form source gets a labelled input of
its kind, the error summary links to inputs that exist, the browser's states become values;
the cyber diagnostic's result and history use the loader's scoring."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from dash import html

from dashboard.views import saisie as view
from dashboard.views import saisie_diagnostic as diagnostic_view
from etl import clock
from etl.ops import records
from etl.ops.limits import MAX_TEXT
from etl.ops.record_tables import FORM_SOURCES
from etl.sources.complaints import COMPLAINTS
from etl.sources.dcas import DCAS
from etl.sources.diagnostics import DIAGNOSTICS, QUESTIONS

OWN_SOURCES = (DCAS, COMPLAINTS, DIAGNOSTICS)


def _nodes(tree):
    """Every component of a rendered tree (dicts of Dash's wire format)."""
    if isinstance(tree, dict):
        yield tree
        yield from _nodes(tree.get("props", {}).get("children"))
        for option in tree.get("props", {}).get("options") or []:
            yield {"type": "option", "props": option}
    elif isinstance(tree, list | tuple):
        for node in tree:
            yield from _nodes(node)


def _rendered(components) -> list[dict]:
    return list(_nodes(json.loads(json.dumps([c.to_plotly_json() for c in components],
                                             default=lambda o: o.to_plotly_json()))))


def _dom_ids(nodes) -> set[str]:
    """The HTML ids a browser would see: a component's (dict ids as Dash writes them) and the
    radio buttons' and check boxes' own."""
    ids = {view.dom_id(n["props"]["id"]) for n in nodes if n["props"].get("id") is not None
           and n["type"] != "option"}
    return ids | {n["props"]["input_id"] for n in nodes
                  if n["type"] == "option" and n["props"].get("input_id")}


def _text(node) -> str:
    return json.dumps(node, ensure_ascii=False)


def test_a_text_input_says_and_keeps_the_records_bound():
    """The bound the records door enforces (``etl.ops.limits``), said in the label and kept by
    the input."""
    nodes = _rendered([view.field_input("essai", DCAS, "actions_suivi")])
    assert "2\u202f000 caractères au plus" in _text(nodes)
    [area] = [n for n in nodes if n["type"] == "Textarea"]
    assert area["props"]["maxLength"] == MAX_TEXT == records.MAX_TEXT


def test_dom_ids_are_what_dash_writes():
    assert view.input_dom_id("dcas", "canal") == '{"name":"canal","type":"dcas-champ"}'
    assert view.field_id("dcas", "canal") == {"type": "dcas-champ", "name": "canal"}
    assert view.error_id("dcas", "canal") == "dcas-erreur-canal"


@pytest.mark.parametrize("source", list(FORM_SOURCES.values()), ids=list(FORM_SOURCES))
def test_every_field_of_every_form_source_has_a_labelled_input(source):
    form = "essai"
    nodes = _rendered(view.form_fields(form, source, choices={
        f.name: [("35047", "Bruz (35047)")] for f in source.fields
        if f.kind in ("insee", "brigade")}))
    ids = _dom_ids(nodes)
    labels = {n["props"].get("htmlFor"): n for n in nodes if n["type"] == "Label"}
    legends = [n for n in nodes if n["type"] == "Legend"]
    assert view.input_dom_id(form, source.key[0]) not in ids  # the store makes the id
    for f in source.fields:
        if f.name == source.key[0]:
            continue
        holder = view.input_dom_id(form, f.name)
        assert holder in ids, f.name
        assert view.error_id(form, f.name) in ids, f.name
        if view.grouped(f):  # a fieldset: its legend names it, its buttons have labels
            legend = next(n for n in legends if view.field_label(f) in _text(n))
            assert view.error_id(form, f.name) in _text(legend)
            assert view.option_dom_id(form, f.name, 0) in ids
        else:
            label = labels[holder]
            assert view.field_label(f) in _text(label)
            assert view.error_id(form, f.name) in _text(label)  # the error is read with it
        wording = view.REQUIRED if f.required else "facultatif"
        assert f"({wording}" in _text(labels.get(holder) or next(
            n for n in legends if view.field_label(f) in _text(n)))


@pytest.mark.parametrize("source", OWN_SOURCES, ids=lambda s: s.name)
def test_the_forms_fields_have_french_labels(source):
    for f in source.fields:
        assert f.label and f.label[0].isupper(), f.name
    if source is DIAGNOSTICS:
        assert [source.field(q).label for q in QUESTIONS] == [t for t, _ in QUESTIONS.values()]


def test_inputs_follow_the_kind():
    nodes = _rendered(view.form_fields("f", DCAS, choices={"code_commune": [("35047", "Bruz")]},
                                       values={"attentes": "cambriolages|cyber"}))
    by_name = {n["props"]["id"]["name"]: n for n in nodes
               if isinstance(n["props"].get("id"), dict)}
    assert by_name["date_consultation"]["props"]["type"] == "date"
    assert by_name["date_consultation"]["props"]["max"] == clock.today().isoformat()
    # numbers: typed as text with a numeric keyboard (an out-of-range <input type=number> would
    # reach the server as no value at all), the bounds said in the label
    assert by_name["satisfaction"]["props"]["type"] == "text"
    assert by_name["satisfaction"]["props"]["inputMode"] == "numeric"
    assert "entre 1 et 5" in _text([n for n in nodes if n["type"] == "Label"
                                     and "satisfaction" in n["props"]["htmlFor"]])
    assert by_name["actions_suivi"]["type"] == "Textarea"
    assert by_name["actions_suivi"]["props"]["maxLength"] == records.MAX_TEXT
    assert by_name["attentes"]["type"] == "Checklist"
    assert by_name["attentes"]["props"]["value"] == ["cambriolages", "cyber"]
    assert by_name["priorite"]["type"] == "RadioItems"
    assert by_name["code_commune"]["type"] == "Dropdown"
    assert by_name["code_commune"]["props"]["options"] == [{"label": "Bruz", "value": "35047"}]
    canal = [o["label"] for o in by_name["canal"]["props"]["options"]]
    assert canal[0] == "Entretien en mairie"
    complaint = {n["props"]["id"]["name"]: n for n in _rendered(view.form_fields("p", COMPLAINTS))
                 if isinstance(n["props"].get("id"), dict)}
    assert complaint["date_depot"]["props"]["type"] == "datetime-local"
    assert complaint["infraction"]["type"] == "Dropdown"  # 8 values: too many for radios
    answers = [o["props"]["label"] for o in _rendered(
        view.form_fields("d", DIAGNOSTICS, ["q1_inventaire"])) if o["type"] == "option"]
    assert answers == ["Oui", "Partiellement", "Non", "Je ne sais pas"]


def test_value_labels_fall_back_to_the_humanised_value():
    assert view.value_label("entretien_mairie") == "Entretien en mairie"
    assert view.value_label("a_traiter") == "À traiter"
    assert view.value_label("moyenne") == "Moyenne"
    assert view.value_label("peloton_xyz") == "Peloton xyz"


def test_the_error_summary_links_each_error_to_an_existing_input():
    errors = {"canal": "valeur hors liste", "code_commune": "code INSEE inconnu",
              "actions_suivi": "texte trop long", "*": "formulaire expiré",
              "brigade_id": "brigade inconnue"}
    names = [n for n in view.shown_fields(DCAS) if n != "brigade_id"]
    ids = _dom_ids(_rendered(view.form_fields("dcas", DCAS, names)))
    summary = view.error_summary("dcas", errors, DCAS, names)
    props = summary.to_plotly_json()["props"]
    assert props["role"] == "alert" and props["tabIndex"] == "-1"
    assert "Le formulaire contient 5 erreurs" in _text(_rendered([summary]))
    links = [n for n in _rendered([summary]) if n["type"] == "A"]
    assert len(links) == 3  # the whole form's error and the hidden field's are said, unlinked
    for link in links:
        assert link["props"]["href"].startswith("#")
        assert link["props"]["href"][1:] in ids
    assert any("Canal de la consultation : valeur hors liste" == n["props"]["children"]
               for n in links)
    assert view.error_summary("dcas", {}, DCAS) is None
    one = _text(_rendered([view.error_summary("dcas", {"priorite": "x"}, DCAS)]))
    assert "Le formulaire contient 1 erreur\"" in one
    assert view.option_dom_id("dcas", "priorite", 0) in one  # a radio group: its first button
    assert view.field_errors("dcas", {"canal": "non"}, ["canal", "priorite"]) == [
        "Erreur : non", None]


def test_confirmation_shows_the_records_id():
    block = view.confirmation("DC-2026-S000012", 12, "Consultation enregistrée")
    props = block.to_plotly_json()["props"]
    assert props["role"] == "status"
    assert "DC-2026-S000012" in _text(_rendered([block])) and "n° 12" in _text(_rendered([block]))


def test_values_from_pattern_states():
    states = [{"id": {"type": "dcas-champ", "name": "canal"}, "property": "value",
               "value": "telephone"},
              {"id": {"type": "dcas-champ", "name": "actions_suivi"}, "property": "value",
               "value": "  "},
              {"id": {"type": "dcas-champ", "name": "attentes"}, "property": "value",
               "value": []},
              {"id": {"type": "dcas-champ", "name": "satisfaction"}, "property": "value"},
              {"id": {"type": "dcas-champ", "name": "creneaux"}, "property": "value",
               "value": ["soiree"]}]
    assert view.values_from(states) == {"canal": "telephone", "actions_suivi": None,
                                        "attentes": None, "satisfaction": None,
                                        "creneaux": ["soiree"]}
    for forged in ({"a": 1}, [1], [{"id": "canal", "value": 1}],
                   [{"id": {"name": 3}, "value": 1}], states + states[:1]):
        with pytest.raises(ValueError):
            view.values_from(forged)


def test_subnav_marks_the_current_page_and_links_the_others():
    nodes = _rendered([view.subnav("/saisie/plainte")])
    current = [n for n in nodes if n["props"].get("aria-current") == "page"]
    assert [n["props"]["children"] for n in current] == ["Plainte"]
    hrefs = [n["props"]["href"] for n in nodes if n["type"] == "Link"]
    assert hrefs == ["/saisie/dcas", "/saisie/formation", "/saisie/immersion",
                     "/saisie/diagnostic", "/suivi-dcas", "/saisie/mes-saisies"]


def test_searched_communes_keep_the_typed_text_for_the_dropdowns_own_filter():
    """The dropdown filters its options again by the typed text, accents included: each
    searched option carries it (« fougeres » must not hide « Fougères »)."""
    options = view.commune_options([("35115", "Fougères (35115)"), ("35047", "Bruz (35047)"),
                                    ("35115", "Fougères (35115)")], "fougeres")
    assert [o["value"] for o in options] == ["35115", "35047"]  # each once
    assert all(o["search"].endswith(" fougeres") for o in options)
    assert view.commune_options([("35047", "Bruz (35047)")], None)[0]["search"] == \
        "Bruz (35047) "
    dropdown = view.choice_dropdown("x", [], None, clearable=False, searched=True)
    assert dropdown.placeholder == view.SEARCH_PLACEHOLDER
    assert dropdown.labels["no_options_found"] == view.SEARCH_HINT


def test_a_stored_record_fills_its_form_as_its_inputs_hold_values():
    from dashboard.views import saisie_suite as suite

    record = {"date_depot": pd.Timestamp("2026-01-11 10:30:00"), "date_faits": date(2026, 1, 10),
              "code_commune": "35047", "statut": None}
    assert suite.record_values(COMPLAINTS, list(record), record) == {
        "date_depot": "2026-01-11T10:30", "date_faits": "2026-01-10", "code_commune": "35047",
        "statut": None}
    dcas = {"attentes": "cambriolages|rodeos", "satisfaction": 4, "creneaux": None}
    assert suite.record_values(DCAS, list(dcas), dcas) == {
        "attentes": ["cambriolages", "rodeos"], "satisfaction": "4", "creneaux": None}
    assert view.initial_value(DCAS, "creneaux") == []


def test_the_months_entries_table_and_the_deletions_question():
    from dashboard.views import saisie_mes_saisies as mine

    entries = pd.DataFrame({
        "source": ["trainings", "dcas"], "id": [7, 3], "version": [1, 2],
        "ident": ["FP-S000007", "DC-2026-S000003"], "commune": ["35047", "35066"],
        "date": [date(2026, 12, 2), date(2026, 12, 1)], "created_by": ["bta", "bta"],
        "created_at": [pd.Timestamp("2026-12-07 23:30"), pd.Timestamp("2026-12-01 08:00")]})
    shown = json.dumps(mine.entries_table(entries, {"35047": "Bruz"}, {
        "dcas": "/saisie/dcas", "trainings": None}, "décembre 2026").to_plotly_json(),
        default=lambda o: o.to_plotly_json(), ensure_ascii=False)
    assert "2 saisies de décembre 2026" in shown and "Bruz (35047)" in shown
    assert "08/12/2026 00:30" in shown  # the store's UTC time, said in France's
    assert "/saisie/dcas?corriger=3" in shown and "corriger=7" not in shown
    assert mine.NO_CORRECTION in shown
    assert '"version": 2' in shown  # the version listed goes with the deletion
    assert mine.record_text("dcas", {"id_consultation": "DC-1", "code_commune": "35047",
                                     "date_consultation": date(2026, 12, 1)},
                            {"35047": "Bruz"}) == "Consultation DCAS DC-1 (Bruz, 01/12/2026)"
    assert mine.NONE in json.dumps(mine.entries_table(entries.iloc[0:0], {}, {}, "décembre")
                                   .to_plotly_json(), ensure_ascii=False)


# --- cyber self-diagnostic -----------------------------------------------------------------------

def test_a_diagnostic_is_scored_by_the_loader_and_advised_per_weak_answer():
    answers = dict.fromkeys(QUESTIONS, "oui") | {"q3_mises_a_jour_sauvegardes": "non",
                                                 "q8_evaluation": "ne_sait_pas"}
    row = diagnostic_view.scored(answers)
    assert (row["score"], row["couleur"], row["contact_specialiste"]) == (69.2, "jaune", True)
    shown = _text(_rendered([diagnostic_view.result(row)]))
    assert "Score : 69,2 sur 100 — niveau jaune : à consolider" in shown
    assert "Conseils (2)" in shown and "rançongiciels" in shown
    assert "référents cybersécurité" in shown
    perfect = _text(_rendered([diagnostic_view.result(
        diagnostic_view.scored(dict.fromkeys(QUESTIONS, "oui")))]))
    assert "niveau vert" in perfect and "Aucune faiblesse" in perfect


def test_the_history_merges_form_and_file_diagnostics_newest_first():
    stored = pd.DataFrame([{"id_diagnostic": "CY-2026-S0001", "date_diagnostic": date(2026, 6, 1),
                            **dict.fromkeys(QUESTIONS, "non")}])
    imported = pd.DataFrame([
        {"id_diagnostic": "CY-1", "date_diagnostic": pd.Timestamp("2026-05-02"), "score": 80.0,
         "couleur": "vert"},
        {"id_diagnostic": "CY-2026-S0001", "date_diagnostic": pd.Timestamp("2026-06-01"),
         "score": 0.0, "couleur": "rouge"}])
    rows = diagnostic_view.history_rows(stored, imported)
    assert rows[["id_diagnostic", "origine", "score", "couleur"]].values.tolist() == [
        ["CY-2026-S0001", "Saisie", 0.0, "rouge"], ["CY-1", "Fichier", 80.0, "vert"]]
    table = _text(_rendered([diagnostic_view.history(rows, "Bruz (35047)")]))
    assert "rouge : à risque" in table and "02/05/2026" in table
    empty = diagnostic_view.history_rows(stored.iloc[:0], imported.iloc[:0])
    assert isinstance(diagnostic_view.history(empty, "Bruz"), html.Div)


def test_a_list_of_the_latest_records_is_captioned_in_good_french():
    """« Les 1 plaintes les plus récentes » was shown for a single complaint."""
    where = " de vos communes"
    assert view.recent_caption(1, "plainte", "plaintes", feminine=True, where=where) == (
        "La plainte la plus récente de vos communes")
    assert view.recent_caption(3, "plainte", "plaintes", feminine=True, where=where) == (
        "Les 3 plaintes les plus récentes de vos communes")
    assert view.recent_caption(1, "diagnostic", "diagnostics", feminine=False) == (
        "Le diagnostic le plus récent")
    assert view.recent_caption(2, "diagnostic", "diagnostics", feminine=False) == (
        "Les 2 diagnostics les plus récents")
