"""The « Recommandations » page through Flask's test client, on the fixture warehouse with
presence near the brigades' capacity (so that the capacity binds) and a national run: roles,
scope, what-if, bad values, « Appliquer », CSV export."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from dashboard.core.formatting import paris_time_text
from dashboard.views.recommandations import ALL_FIELDS, DEFAULT_VALUES
from etl.ops.store import audit_log, get_engine, plan_decisions
from tests.support.dash_callbacks import (
    client_for,
    find,
    operational_app,
    page,
    post,
    text,
    update,
)
from tests.support.dashboard_fixture import (
    NATIONAL_RUN_ID,
    add_national_run,
    add_patrol_presence,
)

ACCOUNTS = {"cdt35": ("commandant", "35", None), "prefet35": ("prefet", "35", None),
            "analyste": ("analyste", None, None), "brigade35": ("brigade", "35", "B35047"),
            "admin": ("admin", None, None)}
VIEW = {"perimetre": "departement:35", "semaine": "2026-W44"}
#: the outputs of the page's plan callback (the page module registers itself with the app:
#: it is not imported here)
OUTPUTS = [("reco-messages", "children"), ("reco-etat", "children"),
           ("reco-infaisables-bloc", "children"), ("reco-kpis", "children"),
           ("reco-carte", "figure"), ("reco-carte-legende", "children"),
           ("reco-tableau", "children"), ("reco-plan", "children"), ("reco-audit", "children"),
           ("reco-retro", "children"), ("reco-parametres", "data")]
FIELD_IDS = [f"reco-{f.key.replace('_', '-')}" for f in ALL_FIELDS]


@contextmanager
def reco_app(data_dir, national_run: bool = True):
    from dashboard.queries import recommandations as queries

    def prepare(path):
        add_patrol_presence(path)
        if national_run:
            add_national_run(path)

    queries.clear_caches()
    with operational_app(data_dir, ACCOUNTS, prepare) as app:
        yield app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with reco_app(tmp_path_factory.mktemp("recommandations")) as app:
        yield app


def _engine(app):
    return get_engine(str(app.server.config["PRESENCE_OPS_ENGINE"].url))


def _count(app, table, *where) -> int:
    with _engine(app).connect() as con:
        return con.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _refusals(app) -> int:
    return _count(app, audit_log, audit_log.c.action == "acces_refuse")


def _inputs(view=VIEW, **values):
    entered = DEFAULT_VALUES | values
    return [("reco-vue", "data", view), ("reco-recalculer", "n_clicks", None),
            ("reco-lignes", "value", "50")] + [
        (i, "value", entered[f.key]) for i, f in zip(FIELD_IDS, ALL_FIELDS, strict=True)]


def _plan(client, view=VIEW, **values):
    return post(client, OUTPUTS, _inputs(view, **values))


def _recommended(out) -> float:
    """The recommended weekly hours the live region announces."""
    found = re.search(r": ([\d\u202f,]+)\u202fh recommandées", out["reco-etat"]["children"])
    return float(found.group(1).replace("\u202f", "").replace(",", "."))


def _apply(client, view=VIEW, shown=None):
    body = {"output": "..reco-application.children...reco-decisions.children..",
            "outputs": [{"id": "reco-application", "property": "children"},
                        {"id": "reco-decisions", "property": "children"}],
            "inputs": [[{"id": {"index": "plan", "type": "reco-appliquer"},
                         "property": "n_clicks", "value": 1}]],
            "changedPropIds": ['{"index":"plan","type":"reco-appliquer"}.n_clicks'],
            "state": [{"id": "reco-vue", "property": "data", "value": view},
                      {"id": "reco-parametres", "property": "data",
                       "value": shown if shown is not None else DEFAULT_VALUES}]}
    return client.post("/_dash-update-component", json=body)


# --- rendering and roles -----------------------------------------------------------------------

@pytest.mark.parametrize(("login", "decider"), [("cdt35", True), ("admin", True),
                                                ("prefet35", False), ("analyste", False)])
def test_the_page_renders_and_only_deciders_get_appliquer(app, login, decider):
    client = client_for(app, login)
    tree = page(client, "/recommandations", "?perimetre=departement:35")
    shown = text(tree)
    assert find(tree, "reco-vue")["data"] == VIEW
    assert find(tree, "reco-simulation") is not None and "Recalculer" in shown
    for f in ALL_FIELDS:  # every what-if value has its visible label
        assert f'"htmlFor": "reco-{f.key.replace("_", "-")}"' in shown
    assert ("Appliquer ce plan" in shown) is decider
    assert ("Lecture seule" in shown) is not decider
    assert "Données de démonstration" in shown
    out = update(client, OUTPUTS, _inputs())
    assert "recommandées" in out["reco-etat"]["children"]
    assert "reco-tableau-donnees" in text(out["reco-tableau"])


def test_the_address_may_name_a_brigade_and_a_national_role_must_choose(app):
    client = client_for(app, "cdt35")
    tree = page(client, "/recommandations", "?departement=35&brigade=B35047")
    assert find(tree, "reco-vue")["data"] == {"perimetre": "brigade:B35047",
                                              "semaine": "2026-W44"}
    out = update(client, OUTPUTS, _inputs({"perimetre": "brigade:B35047",
                                           "semaine": "2026-W44"}))
    assert "Saint-Aubin" not in text(out["reco-tableau"])
    tree = page(client_for(app, "analyste"), "/recommandations")
    # no plan yet: none of the plan's ids, so that its callback does not fire on missing inputs
    # (the browser said « A nonexistent object was used in an Input… reco-recalculer »)
    assert find(tree, "reco-vue") is None and find(tree, "reco-recalculer") is None
    assert "Les recommandations se calculent pour un département" in text(tree)


def test_the_brigade_role_is_refused(app):
    client = client_for(app, "brigade35")
    tree = page(client, "/recommandations", "?perimetre=brigade:B35047")
    assert "réservées aux commandants de groupement" in text(tree)
    assert find(tree, "reco-simulation") is None
    before = _refusals(app)
    response = _plan(client, {"perimetre": "brigade:B35047", "semaine": "2026-W44"})
    assert response.status_code == 403
    assert "réservées aux commandants" in response.get_data(as_text=True)
    assert _refusals(app) == before + 1


def test_a_departement_out_of_scope_is_refused_and_audited(app):
    client = client_for(app, "cdt35")
    before = _refusals(app)
    tree = page(client, "/recommandations", "?perimetre=departement:56")
    assert find(tree, "acces-refuse") is not None
    assert "Arradon" not in text(tree) and _refusals(app) == before + 1
    assert find(tree, "reco-vue")["data"] == VIEW  # the user's own territory instead
    for forged in ({"perimetre": "departement:56", "semaine": "2026-W44"},
                   {"perimetre": "brigade:B56003", "semaine": "2026-W44"}):
        assert _plan(client, forged).status_code == 403
    assert _refusals(app) == before + 3


# --- what-if -----------------------------------------------------------------------------------

def test_the_capacity_changes_the_recommended_totals(app):
    client = client_for(app, "prefet35")
    full = update(client, OUTPUTS, _inputs(capacite=100))
    more = update(client, OUTPUTS, _inputs(capacite=150))
    less = update(client, OUTPUTS, _inputs(capacite=80))
    assert _recommended(less) < _recommended(full) < _recommended(more)
    assert abs(_recommended(full) - 331.2) < 0.2  # both brigades' whole capacity
    assert more["reco-parametres"]["data"]["capacite"] == 150
    assert 'id": "reco-carte"' not in text(full["reco-carte"])  # a figure, not a message
    figure = full["reco-carte"]["figure"]
    assert sorted(figure["data"][0]["locations"]) == ["35047", "35066", "35142", "35253"]
    assert "/geo/commune/departement/35.json" in figure["data"][0]["geojson"]
    # a quarter of the capacity cannot hold 20 visits in each commune (40 where élus have
    # open priority expectations) at Saint-Aubin-du-Cormier: the page says which brigade
    short = update(client, OUTPUTS, _inputs(capacite=25, visites=20))
    alert = text(short["reco-infaisables-bloc"])
    assert "Brigades sans plan possible" in alert and "Saint-Aubin-du-Cormier" in alert
    assert "Bruz" not in alert
    assert "plan impossible" in text(short["reco-tableau"])
    # a territory whose every brigade is without a plan still gets its page, in French
    alone = update(client, OUTPUTS, _inputs({"perimetre": "brigade:B35253",
                                             "semaine": "2026-W44"}, capacite=25, visites=20))
    assert "Saint-Aubin-du-Cormier" in text(alone["reco-infaisables-bloc"])
    assert "Brigades sans solution" in text(alone["reco-audit"])


def test_weights_and_change_cap_move_the_plan(app):
    client = client_for(app, "cdt35")
    base = update(client, OUTPUTS, _inputs())
    free = update(client, OUTPUTS, _inputs(variation=100))
    capped = update(client, OUTPUTS, _inputs(variation=0))
    assert text(capped["reco-tableau"]) != text(free["reco-tableau"])
    alpha = update(client, OUTPUTS, _inputs(alpha=1, gravite_cambriolages_logement=20))
    assert text(alpha["reco-tableau"]) != text(base["reco-tableau"])


@pytest.mark.parametrize(("values", "message"), [
    ({"capacite": 500}, "Capacité (% de la capacité modélisée) : 500 n'est pas entre 25 et 200"),
    ({"alpha": "beaucoup"}, "indiquez un nombre entre 0 et 1"),
    ({"visites": 2.5}, "indiquez un nombre entier"),
    ({"gravite_cambriolages_logement": -1}, "Gravité : cambriolages"),
    ({"variation": None}, "Variation maximale"),
    ({"capacite": [100]}, "Capacité"),
    ({"alpha": float("nan")}, "Poids α"),
])
def test_bad_values_get_a_french_message(app, values, message):
    client = client_for(app, "cdt35")
    out = update(client, OUTPUTS, _inputs(**values))
    shown = text(out["reco-messages"])
    assert "Paramètres non utilisables" in shown and message in shown
    assert set(out) == {"reco-messages", "reco-etat"}  # the plan on screen stays


def test_a_bad_week_or_territory_level_is_a_french_message(app):
    client = client_for(app, "cdt35")
    out = update(client, OUTPUTS, _inputs({"perimetre": "departement:35", "semaine": "2026-W99"}))
    assert "Semaine invalide" in text(out["reco-messages"])
    out = update(client, OUTPUTS, _inputs({"perimetre": "commune:35047", "semaine": "2026-W44"}))
    assert "département, une compagnie ou une brigade" in text(out["reco-messages"])
    tree = page(client, "/recommandations", "?perimetre=departement:35&semaine=1999-W01")
    assert "semaine proposée par défaut" in text(tree)
    assert find(tree, "reco-vue")["data"] == VIEW


# --- audit and backtest --------------------------------------------------------------------------

def test_the_audit_and_the_national_run_are_shown(app):
    out = update(client_for(app, "analyste"), OUTPUTS, _inputs())
    audit = text(out["reco-audit"])
    assert "Indice de Gini des heures par habitant" in audit
    assert "10 000 hab. et plus" in audit
    assert "Rejeu sur 12 mois" in audit and "pas de la délinquance évitée" in audit
    # the plan, its target and the simple rules side by side, with a verdict first
    for rule in ("plan hebdomadaire (plafonné)", "cible du plan", "présence enregistrée",
                 "proportionnelle à la population", "proportionnelle à la prévision"):
        assert rule in audit
    assert "Le plan face aux règles simples" in audit
    # the verdict is also the first thing above the key figures
    top = text(out["reco-kpis"])
    assert "reco-verdict" in top and ("mieux que le plan hebdomadaire" in top
                                      or "au moins aussi bien" in top)
    assert ("fait au moins aussi bien que chaque règle simple" in audit
            or "mieux que le plan hebdomadaire" in audit)
    backtest = text(out["reco-retro"])
    # the national run said by its time in Paris (06:00 UTC) and its week, not its id
    assert ("Calcul national du 02/11/2026 07:00 (heure de Paris), semaine 44 de 2026 (du "
            "26/10 au 01/11/2026)" in backtest and "Déviance de Poisson" in backtest)
    assert "run-test" not in backtest
    assert ("Brigade Saint-Aubin-du-Cormier : prévision de repli : moyenne des 4 derniers mois"
            in backtest)
    assert "prévision de repli" in text(out["reco-tableau"])


def test_without_a_national_run_the_page_says_so(tmp_path):
    with reco_app(tmp_path, national_run=False) as app:
        out = update(client_for(app, "cdt35"), OUTPUTS,
                     _inputs({"perimetre": "brigade:B35253", "semaine": "2026-W44"}))
        assert "aucune exécution nationale enregistrée" in text(out["reco-retro"]).lower()
        assert "Rejeu de la capture : aucune exécution nationale" in text(out["reco-audit"])


# --- « Appliquer » -------------------------------------------------------------------------------

def test_apply_records_the_decision_and_the_next_week_starts_from_it(app):
    client = client_for(app, "cdt35")
    before = _count(app, audit_log, audit_log.c.action == "recommandation_appliquee")
    shown = update(client, OUTPUTS, _inputs(capacite=120))["reco-parametres"]["data"]
    response = _apply(client, shown=shown)
    assert response.status_code == 200, response.data[:300]
    out = response.get_json()["response"]
    message = text(out["reco-application"])
    ids = [int(i) for i in re.findall(r"décision n° (\d+)", message)]
    assert "Plan appliqué pour 2 brigades, semaine 2026-W44" in message and len(ids) == 2
    assert "reco-decisions-donnees" in text(out["reco-decisions"])
    with _engine(app).connect() as con:
        rows = con.execute(select(plan_decisions).where(plan_decisions.c.id.in_(ids))).all()
        details = con.execute(select(audit_log.c.login, audit_log.c.detail).where(
            audit_log.c.action == "recommandation_appliquee")).all()
    assert {r.login for r in rows} == {"cdt35"} and {r.semaine for r in rows} == {"2026-W44"}
    assert {r.run_id for r in rows} == {NATIONAL_RUN_ID}
    assert json.loads(rows[0].parameters)["capacite_pct"] == 120
    assert len(details) == before + 2 and all(d.login == "cdt35" for d in details)
    applied = sum(r.total_hours for r in rows)
    # the next week's current allocation is the applied plan
    nxt = update(client, OUTPUTS, _inputs({"perimetre": "departement:35",
                                           "semaine": "2026-W45"}))
    current = re.search(r"\(([\d\u202f,]+)\u202fh de présence enregistrée\)",
                        nxt["reco-etat"]["children"])
    assert abs(float(current.group(1).replace("\u202f", "").replace(",", ".")) - applied) < 0.1
    # and the page lists the decisions: when in Paris time, who, which brigade and week, never
    # the run's internal id
    tree = page(client, "/recommandations", "?perimetre=departement:35")
    listed = text(find(tree, "reco-decisions"))
    assert f"{ids[0]}" in listed and "cdt35" in listed and NATIONAL_RUN_ID not in listed
    assert "Semaine 44 de 2026 (du 26/10 au 01/11/2026)" in listed
    assert "Saint-Aubin-du-Cormier (B35253)" in listed and "heure de Paris" in listed
    assert "calcul national de la semaine" in listed
    with _engine(app).connect() as con:
        decided = con.execute(select(plan_decisions.c.decided_at).where(
            plan_decisions.c.id == ids[0])).scalar_one()
    assert paris_time_text(decided) in listed


def test_apply_forged_by_read_only_roles_is_refused_and_audited(app):
    decisions = _count(app, plan_decisions, plan_decisions.c.id > 0)
    for login, message in (("prefet35", "pas d'appliquer un plan"),
                           ("analyste", "pas d'appliquer un plan"),
                           ("brigade35", "réservées aux commandants")):
        before = _refusals(app)
        response = _apply(client_for(app, login))
        assert response.status_code == 403 and message in response.get_data(as_text=True)
        assert _refusals(app) == before + 1
    assert _count(app, plan_decisions, plan_decisions.c.id > 0) == decisions


def test_apply_out_of_scope_is_refused(app):
    before = _refusals(app)
    response = _apply(client_for(app, "cdt35"), view={"perimetre": "departement:56",
                                                      "semaine": "2026-W44"})
    assert response.status_code == 403 and _refusals(app) == before + 1


# --- CSV export ----------------------------------------------------------------------------------

def test_the_weekly_plan_exports_as_csv(app):
    client = client_for(app, "prefet35")
    shown = update(client, OUTPUTS, _inputs())["reco-parametres"]["data"]
    out = update(client, [("reco-telechargement", "data")], [("reco-export", "n_clicks", 1)],
                 [("reco-vue", "data", VIEW), ("reco-parametres", "data", shown)])
    download = out["reco-telechargement"]["data"]
    assert download["filename"] == "plan_patrouilles_departement_35_2026-W44.csv"
    raw = base64.b64decode(download["content"])
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Semaine", "Code brigade", "Brigade", "Code commune", "Commune",
                       "Créneau", "Visites", "Heures recommandées", "Heures cibles",
                       "Heures actuelles", "Capacité de la brigade (h)", "Données"]
    assert len(rows) == 1 + 4 * 6
    assert {r[0] for r in rows[1:]} == {"2026-W44"}
    assert "Semaine, soirée (19h-23h)" in {r[5] for r in rows[1:]}
    assert sum(float(r[7].replace(",", ".")) for r in rows[1:]) == pytest.approx(331.2, abs=0.2)
    forged = post(client, [("reco-telechargement", "data")], [("reco-export", "n_clicks", 1)],
                  [("reco-vue", "data", {"perimetre": "departement:56"}),
                   ("reco-parametres", "data", shown)])
    assert forged.status_code == 403
