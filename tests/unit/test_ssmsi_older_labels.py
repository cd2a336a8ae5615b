"""Pre-2024 SSMSI communal files load fully (#20): their indicator labels (column ``classe``)
are read as today's indicators, and a truly unknown label still goes to quarantine.

The file is written here in the older communal base's documented layout (DOMAIN.md, « Real data
formats »: ``CODGEO_2023;annee;classe;unité.de.compte;valeur.publiée;faits;tauxpourmille;
complementinfoval;complementinfotaux;POP;millPOP;LOG;millLOG``, two-digit years, decimal comma,
``NA``) with the 14 indicators of its editions up to 2023, as listed with their counting units
by the base's documentation; nothing is downloaded."""

from __future__ import annotations

from datetime import date

from etl.sources.categories import (
    CATEGORIES,
    HISTORICAL_INDICATORS,
    OLDER_INDICATORS,
    SSMSI_INDICATORS,
    canonical_indicator,
)
from etl.sources.loader import known_codes, load_file
from etl.sources.registry import SOURCES
from tests.support.sources_fixture import memory_warehouse

TODAY = date(2025, 6, 30)
HEADER = ("CODGEO_2023;annee;classe;unité.de.compte;valeur.publiée;faits;tauxpourmille;"
          "complementinfoval;complementinfotaux;POP;millPOP;LOG;millLOG")

#: the 2016-2023 editions' indicators (``classe``), their counting unit, and today's indicator
OLDER_EDITION = (
    ("Coups et blessures volontaires", "Victime", "Coups et blessures volontaires"),
    ("Coups et blessures volontaires intrafamiliaux", "Victime",
     "Violences physiques intrafamiliales"),
    ("Autres coups et blessures volontaires", "Victime",
     "Violences physiques hors cadre familial"),
    ("Violences sexuelles", "Victime", "Violences sexuelles"),
    ("Vols avec armes", "Infraction", "Vols avec armes"),
    ("Vols violents sans arme", "Infraction", "Vols violents sans arme"),
    ("Vols sans violence contre des personnes", "Victime entendue",
     "Vols sans violence contre des personnes"),
    ("Cambriolages de logement", "Infraction", "Cambriolages de logement"),
    ("Vols de véhicules", "Véhicule", "Vols de véhicule"),
    ("Vols dans les véhicules", "Véhicule", "Vols dans les véhicules"),
    ("Vols d'accessoires sur véhicules", "Véhicule", "Vols d'accessoires sur véhicules"),
    ("Destructions et dégradations volontaires", "Infraction",
     "Destructions et dégradations volontaires"),
    ("Trafic de stupéfiants", "Mis en cause", "Trafic de stupéfiants"),
    ("Usage de stupéfiants", "Mis en cause", "Usage de stupéfiants"),
)


def _older_file(labels=OLDER_EDITION) -> str:
    """Two communes × two years × every label: Cesson-Sévigné published ('diff'), Amanlis not
    ('ndiff': no count, the département average in complementinfo*)."""
    rows = [HEADER]
    for year in ("19", "22"):
        for k, (label, unit, _) in enumerate(labels):
            faits = 10 + k + int(year)
            rows.append(f"35051;{year};{label};{unit};diff;{faits};{faits / 17.5:.3f}"
                        .replace(".", ",") + ";NA;NA;17500;19;7900;19")
            rows.append(f"35002;{year};{label};{unit};ndiff;NA;NA;2,4;1,1;2700;19;1100;19")
    return "\n".join(rows) + "\n"


def _load(tmp_path, text: str, name: str = "donnee-data.gouv-2023-geographie2023.csv"):
    con, known = memory_warehouse()
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return con, load_file(con, SOURCES["crime"], path, "run", known, today=TODAY)


def test_every_older_label_is_read_as_a_known_indicator():
    for old, new in OLDER_INDICATORS.items():
        assert new in SSMSI_INDICATORS, old
        assert canonical_indicator(old) == new
        assert canonical_indicator(f"  {old.upper()}  ") == new
    assert canonical_indicator("Vols d’accessoires sur véhicules") == \
        "Vols d'accessoires sur véhicules"
    for label, _, new in OLDER_EDITION:
        assert canonical_indicator(label) == new


def test_an_older_communal_file_loads_fully_as_todays_indicators(tmp_path):
    con, report = _load(tmp_path, _older_file())
    rows = 2 * 2 * len(OLDER_EDITION)
    assert report.ok and (report.read, report.loaded, report.quarantined) == (rows, rows, 0), \
        report.line()
    assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]
    indicators = {r[0] for r in con.execute(
        "SELECT DISTINCT indicateur FROM crime_annual").fetchall()}
    # today's 14 categories but the frauds (no communal indicator before 2024), and the total
    expected = {label for code, (label, _) in CATEGORIES.items() if code != "escroqueries"}
    assert indicators == expected | set(HISTORICAL_INDICATORS)
    assert con.execute(
        "SELECT annee, unite_de_compte, nombre, taux_pour_mille, insee_pop, insee_log_millesime "
        "FROM crime_annual WHERE code_commune = '35051' "
        "AND indicateur = 'Violences physiques intrafamiliales' ORDER BY annee").fetchall() == [
        (2019, "Victime", 30, 1.714, 17500, 2019), (2022, "Victime", 33, 1.886, 17500, 2019)]
    assert con.execute(
        "SELECT est_diffuse, nombre, moyenne_dep_nombre FROM crime_annual "
        "WHERE code_commune = '35002' AND annee = 2022 AND indicateur = 'Vols de véhicule'"
    ).fetchall() == [("ndiff", None, 2.4)]
    # loaded again: nothing new (the mapped labels are the natural key)
    again = load_file(con, SOURCES["crime"], tmp_path / "donnee-data.gouv-2023-geographie2023.csv",
                      "run2", known_codes(con), today=TODAY)
    assert (again.loaded, again.unchanged, again.quarantined) == (0, rows, 0), again.line()


def test_the_longer_labels_of_the_ssmsi_load_too(tmp_path):
    longer = [(f"{label} sur personnes de 15 ans ou plus", unit, new)
              for label, unit, new in OLDER_EDITION[:3]]
    con, report = _load(tmp_path, _older_file(longer))
    assert (report.loaded, report.quarantined) == (12, 0), report.line()
    assert {r[0] for r in con.execute("SELECT DISTINCT indicateur FROM crime_annual").fetchall()
            } == {new for *_, new in OLDER_EDITION[:3]}


def test_a_truly_unknown_label_still_goes_to_quarantine_in_french(tmp_path):
    text = _older_file(OLDER_EDITION[:1]) + \
        "35051;22;Vols à la roulotte;Infraction;diff;12;0,69;NA;NA;17500;19;7900;19\n"
    con, report = _load(tmp_path, text)
    assert (report.read, report.loaded, report.quarantined) == (5, 4, 1), report.line()
    assert con.execute("SELECT ligne, colonne, motif, valeur FROM quarantine").fetchall() == [
        (6, "indicateur", "indicateur SSMSI inconnu", "Vols à la roulotte")]
    assert "indicateur SSMSI inconnu" in report.reasons
