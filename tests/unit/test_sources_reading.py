"""Reading and coercion edge cases of the source loaders, on a small in-memory warehouse."""

from __future__ import annotations

import datetime as dt
from datetime import date

import pandas as pd
import pytest

from etl.settings import PROJECT_ROOT
from etl.sources import validate
from etl.sources.base import Field
from etl.sources.loader import known_codes, load_file
from etl.sources.registry import SOURCES
from etl.sources.validate import Rejections, content_hash, read_file
from tests.support.sources_fixture import memory_warehouse

TODAY = date(2025, 6, 30)


def _load_parents(con, tmp_path) -> None:
    """The contact and the alert of the sources' examples: the parents of a delivery report."""
    for name in ("contacts", "alerts"):
        path = tmp_path / f"parent_{name}.csv"
        path.write_text(SOURCES[name].example + "\n", encoding="utf-8")
        report = load_file(con, SOURCES[name], path, "run", known_codes(con), today=TODAY)
        assert report.loaded == 1, report.line()


def load(tmp_path, source: str, content: str | bytes | pd.DataFrame, name: str = "f.csv",
         parents: bool = False):
    con, known = memory_warehouse()
    if parents:
        _load_parents(con, tmp_path)
        known = known_codes(con)
    path = tmp_path / name
    if isinstance(content, pd.DataFrame):
        content.to_parquet(path, index=False)
    else:
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    report = load_file(con, SOURCES[source], path, "run", known, today=TODAY)
    return con, report


def quarantine(con) -> list[tuple]:
    return con.execute("SELECT ligne, colonne, motif, valeur FROM quarantine "
                       "ORDER BY ligne").fetchall()


def test_typed_parquet_dates_times_and_months_load(tmp_path):
    facts = pd.DataFrame({"code_commune": ["35001", "35002"],
                          "mois": pd.to_datetime(["2025-01-01", "2025-02-01"]),
                          "categorie": ["vols_vehicules", "escroqueries"], "nombre": [1.0, 2.0]})
    con, r = load(tmp_path, "facts", facts, "f.parquet")
    assert (r.loaded, r.quarantined) == (2, 0), quarantine(con)
    complaints = pd.DataFrame({
        "id_plainte": ["P1", "P2"], "date_faits": [dt.date(2025, 1, 1), dt.date(2025, 1, 2)],
        # sub-second and time-zoned timestamps, as typed exports write them
        "date_depot": pd.to_datetime(["2025-01-02 10:30:15.5", "2025-01-02 23:30:00"],
                                     format="ISO8601").tz_localize("UTC"),
        "lieu_depot": ["mairie"] * 2, "code_commune": ["35001"] * 2,
        "brigade_id": ["B35051"] * 2, "fonction_victime": ["maire"] * 2,
        "infraction": ["menaces"] * 2, "statut": ["jugee"] * 2})
    con, r = load(tmp_path, "complaints", complaints, "c.parquet")
    assert (r.loaded, r.quarantined) == (2, 0), quarantine(con)
    # UTC 23:30 is 00:30 the next day in Paris
    assert con.execute("SELECT date_depot FROM complaints ORDER BY 1").fetchall() == [
        (dt.datetime(2025, 1, 2, 11, 30, 15),), (dt.datetime(2025, 1, 3, 0, 30),)]


def test_unreadable_numbers_are_quarantined_not_crashing(tmp_path):
    con, r = load(tmp_path, "crime_dep", "departement;annee;indicateur;unite_de_compte;nombre;"
                  "taux_pour_mille\n35;2024;Homicides;Victime;1e400;1\n"
                  "35;2023;Homicides;Victime;99999999999999999999;1\n"
                  "35;2022;Homicides;Victime;3;inf\n35;2021;Homicides;Victime;1 234;0,5\n"
                  "35;2020;Homicides;Victime;1\u00a0235;nan\n")
    assert quarantine(con) == [
        (2, "nombre", "nombre entier attendu", "1e400"),
        (3, "nombre", "nombre entier attendu", "99999999999999999999"),
        (4, "taux_pour_mille", "nombre attendu", "inf"),
        (6, "taux_pour_mille", "nombre attendu", "nan")]
    assert con.execute("SELECT nombre FROM crime_departemental").fetchall() == [(1234,)]


def test_a_column_twice_refuses_the_file(tmp_path):
    con, r = load(tmp_path, "facts", "code_commune;mois;categorie;nombre;Nombre\n"
                  "35001;2025-01;vols_vehicules;1;2\n")
    assert r.rejected_file == "colonnes présentes plusieurs fois : nombre"
    assert con.execute("SELECT count(*) FROM facts_monthly").fetchone() == (0,)
    # an unknown extra column, even twice (empty headers of a spreadsheet), is ignored
    con, r = load(tmp_path, "facts", "code_commune;mois;categorie;nombre;;\n"
                  "35001;2025-01;vols_vehicules;1;;\n")
    assert r.ok and r.loaded == 1


def test_blank_rows_and_quoted_line_breaks_keep_line_numbers(tmp_path):
    con, r = load(tmp_path, "immersions", "id_immersion;date_immersion;code_commune;fonction_elu;"
                  "type_unite;unite;duree_heures;note;commentaire\n"
                  'I1;2025-05-12;35001;maire;corg;CORG35;4;5;"Très\ninstructif"\n'
                  ";;;;;;;;\n\n"
                  "I2;2025-05-12;35001;maire;corg;CORG35;4;9;\n")
    assert r.read == 2 and r.loaded == 1
    # header 1, I1 on lines 2-3, empty cells 4, empty line 5, I2 on line 6
    assert quarantine(con) == [(6, "note", "valeur supérieure au maximum (5)", "9")]
    assert con.execute("SELECT commentaire FROM immersions").fetchall() == [("Très\ninstructif",)]


def test_repeated_list_items_make_one_child_row(tmp_path):
    con, r = load(tmp_path, "dcas", "id_consultation;date_consultation;code_commune;brigade_id;"
                  "fonction_elu;canal;attentes;priorite;statut\n"
                  "D1;2025-01-01;35001;B35051;maire;telephone;Cyber|cyber| rodeos;haute;close\n")
    assert r.loaded == 1
    assert con.execute("SELECT attentes FROM dcas_consultations").fetchall() == [("cyber|rodeos",)]
    assert con.execute("SELECT theme FROM dcas_attentes ORDER BY 1").fetchall() == [
        ("cyber",), ("rodeos",)]
    con, r = load(tmp_path, "alerts", "id_alerte;cree_le;faits_le;unite_auteur;categorie;message;"
                  "communes_ciblees;nb_destinataires;statut\n"
                  "A1;2025-01-01 10:00;2025-01-01 09:00;B35051;vols;m;35001|35001|1001;2;envoyee\n")
    assert con.execute("SELECT code_commune FROM alert_communes ORDER BY 1").fetchall() == [
        ("01001",), ("35001",)]


@pytest.mark.parametrize(("value", "loaded"), [("35001", 1), ("٣٥٠٠١", 0), ("35 001", 0),
                                               ("2a004", 1), ("1001", 1)])
def test_insee_codes_are_ascii(tmp_path, value, loaded):
    con, r = load(tmp_path, "facts", f"code_commune;mois;categorie;nombre\n"
                  f"{value};2025-01;vols_vehicules;1\n")
    assert r.loaded == loaded, quarantine(con)


def test_sub_second_csv_times_and_french_dates(tmp_path):
    con, r = load(tmp_path, "dlr", "id_message;id_alerte;id_contact;soumis_le;etat;etat_le\n"
                  "M1;AL-2025-00042;CT-35001-1;2025-01-14 18:06:10.250;DELIVRD;14/01/2025 "
                  "18:07\n", parents=True)
    assert (r.loaded, r.quarantined) == (1, 0), quarantine(con)


def test_delivery_reports_point_to_a_loaded_alert_and_recipient(tmp_path):
    head = "id_message;id_alerte;id_contact;soumis_le;etat;etat_le\n"
    rows = ("M1;AL-2025-00042;CT-35001-1;2025-01-14 18:06:10;DELIVRD;\n"
            "M2;AL-2099-00001;CT-35001-1;2025-01-14 18:06:10;DELIVRD;\n"
            "M3;AL-2025-00042;CT-99999-9;2025-01-14 18:06:10;DELIVRD;\n")
    con, r = load(tmp_path, "dlr", head + rows, parents=True)
    assert (r.loaded, r.quarantined) == (1, 2)
    assert [(q[0], q[1], q[2].split(" (")[0], q[3]) for q in quarantine(con)] == [
        (3, "id_alerte", "alerte inconnue", "AL-2099-00001"),
        (4, "id_contact", "destinataire inconnu", "CT-99999-9")]
    assert "chargez les alertes avant" in quarantine(con)[0][2]
    # loaded before their alerts, delivery reports are orphans: none loads, each says why
    con, r = load(tmp_path, "dlr", head + rows)
    assert (r.loaded, r.quarantined) == (0, 3)
    assert {q[1] for q in quarantine(con)} == {"id_alerte"}


def test_unreadable_csv_is_refused_not_raised(tmp_path):
    huge = "x" * 200_000  # beyond the csv module's field limit
    head = "code_commune;mois;categorie;nombre\n"
    # one record per line: pandas reads it, and the code is merely malformed
    con, r = load(tmp_path, "facts", f'{head}"{huge}";2025-01;vols_vehicules;1\n')
    assert r.ok and [q[:3] for q in quarantine(con)] == [
        (2, "code_commune", "code INSEE mal formé (5 caractères attendus)")]
    assert len(quarantine(con)[0][3]) == 200  # the value kept in quarantine is truncated
    # a quoted line break sends the file to the csv module, which gives up on the huge field
    con, r = load(tmp_path, "facts", f'{head}"35\n001";2025-01;vols_vehicules;1\n"{huge}";1;2;3\n')
    assert r.rejected_file.startswith("fichier CSV illisible (ligne 4)")
    con, r = load(tmp_path, "facts", b"\x0b\x80;nombre\n")  # a vertical tab, then latin-1
    assert r.rejected_file.startswith("en-tête illisible")
    con, r = load(tmp_path, "facts", "   \n\n")
    assert r.rejected_file == "fichier vide"


def test_duplicate_keys_show_dates_as_written(tmp_path):
    con, r = load(tmp_path, "presence", "code_commune;date;creneau;brigade_id;heures\n"
                  "35001;2025-01-14;soiree;B35051;3\n35001;14/01/2025;soiree;B35051;4\n")
    assert quarantine(con) == [(3, "code_commune", "identifiant en double dans le fichier avec un "
                                "contenu différent (ligne 2 gardée)",
                                "35001 / 2025-01-14 / soiree / B35051")]


def test_content_hash_is_stable():
    """The fingerprint of loaded rows must not change between versions: a reload of the same
    file would otherwise count every row as replaced."""
    frame = pd.DataFrame({"a": [1, 2, 3, None], "b": ["x", "y", None, "z"]})
    assert list(content_hash(frame, ["a", "b"])) == [
        "9f94683c81e4e005", "f739dc2c5a2e6fe4", "12633200d093dcdd", "8c7f0b652de5d3a0"]
    assert content_hash(frame.iloc[:0], ["a", "b"]).empty


def test_read_file_reports_encoding_and_width(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a;b\n1;2\n" + "é;1\n".encode("latin-1") + b"1;2;3\n")
    rej = Rejections()
    frame = read_file(path, rej)
    assert frame.to_dict("records") == [{"a": "1", "b": "2", "_ligne": 2}]
    assert [r[:3] for r in rej.rows] == [(3, "*", "encodage invalide (UTF-8 attendu)"),
                                        (4, "*", "nombre de colonnes incorrect (3 au lieu de 2)")]


FIXTURES = sorted((PROJECT_ROOT / "tests" / "data" / "sources").glob("*/*.csv"))
ODD_CSV = {
    "crlf": b"a;b\r\n1;2\r\n3;4\r\n",
    "no final newline": b"a;b\n1;2\n3;4",
    "blank lines and cells": b"a;b\n\n1;2\n;\n \t; \n3;4\n\n",
    "quotes": b'a;b\n"1;5";"2 ""x"""\n"";4\n',
    "spaces": b" a ; b \n 1 ; 2 \n",
    "commas": b"a,b\n1,2\n\"3,5\",4\n",
    "short and long lines": b"a;b\n1\n1;2;3\n1;2\n",
    "short lines": b"a;b\n1\n1;2\n",
    "short quoted lines": b'a;b;c\n1;2;\n"x;y";2\n"x;y";2;\n',
    "empty last cells": b"a;b;c\n1;2;\n3;;\n;;\n  \n",
    "blank header": b"\na;b\n1;2\n",
    "header only": b"a;b\n",
}


@pytest.mark.parametrize("name", list(ODD_CSV))
def test_fast_csv_reading_of_odd_files(name, tmp_path, monkeypatch):
    path = tmp_path / "f.csv"
    path.write_bytes(ODD_CSV[name])
    test_fast_csv_reading_is_the_line_by_line_reading(path, monkeypatch)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fast_csv_reading_is_the_line_by_line_reading(path, monkeypatch):
    """pandas' C parser (taken when every record is one line) reads as the csv module does."""
    fast_rej, slow_rej = Rejections(), Rejections()
    fast = read_file(path, fast_rej)
    monkeypatch.setattr(validate, "_read_csv_fast", lambda text, sep: None)
    slow = read_file(path, slow_rej)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast_rej.rows == slow_rej.rows


def test_content_hash_is_the_hash_of_the_values_as_text():
    """Hashing each distinct value once gives the hash of the whole column as text."""
    n = 3000
    frame = pd.DataFrame({
        "code": [None, "35001", "35002"] * (n // 3),
        "day": pd.to_datetime(["2025-01-01", None, "2025-03-01"] * (n // 3)),
        "time": pd.to_datetime(["2025-01-01 10:00", "2025-01-01 00:00", None] * (n // 3)),
        "count": pd.array([1, None, 3] * (n // 3), dtype="Int64"),
        "rate": pd.array([0.25, None, 1 / 3] * (n // 3), dtype="Float64"),
        "flag": pd.array([True, False, None] * (n // 3), dtype="boolean"),
        "distinct": [f"id-{i}" for i in range(n)]})
    expected = pd.util.hash_pandas_object(frame.astype("string"), index=False).map(
        lambda x: f"{x:016x}")
    assert list(content_hash(frame, list(frame.columns))) == list(expected)


@pytest.mark.parametrize("name", ["short lines", "short quoted lines", "short and long lines",
                                  "blank header"])
def test_fast_reading_leaves_odd_lines_to_the_csv_module(name):
    assert validate._read_csv_fast(ODD_CSV[name].decode(), ";") is None


def test_fast_reading_is_taken_for_well_formed_files():
    for path in FIXTURES:
        if path.stem != "bad":  # (the bad files hold a latin-1 line)
            text = path.read_bytes().decode("utf-8-sig")
            sep = "," if path.stem == "good_virgule" else ";"
            assert validate._read_csv_fast(text, sep) is not None, path


SSMSI_HEAD = ("CODGEO_2024;annee;indicateur;unite_de_compte;nombre;taux_pour_mille;est_diffuse;"
              "insee_pop;insee_pop_millesime;insee_log;insee_log_millesime;"
              "complement_info_nombre;complement_info_taux\n")


def test_a_year_after_the_load_is_quarantined_in_the_ssmsi_bases(tmp_path):
    """A year, or a millésime, after the load's year is impossible: quarantined with its reason
    (a two-digit year of the older schema too, once mended); the other rows load."""
    this, next_ = TODAY.year, TODAY.year + 1
    row = ("{code};{year};Cambriolages de logement;Infraction;12;4,2;diff;2550;{pop};1000;{log};"
           "NA;NA\n")
    con, r = load(tmp_path, "crime", SSMSI_HEAD
                  + row.format(code="35001", year=this, pop=2021, log=2021)
                  + row.format(code="35002", year=next_, pop=2021, log=2021)
                  + row.format(code="35051", year=str(next_)[2:], pop=2021, log=2021)
                  + row.format(code="35069", year=2024, pop=next_, log=2021)
                  + row.format(code="01001", year=2024, pop=2021, log=next_)
                  + row.format(code="2A004", year=2024, pop=this, log=this))
    assert (r.loaded, r.quarantined) == (2, 4), quarantine(con)
    assert quarantine(con) == [(3, "annee", "année dans le futur", str(next_)),
                               (4, "annee", "année dans le futur", str(next_)),
                               (5, "insee_pop_millesime", "année dans le futur", str(next_)),
                               (6, "insee_log_millesime", "année dans le futur", str(next_))]
    assert con.execute("SELECT code_commune, annee FROM crime_annual ORDER BY 1").fetchall() == [
        ("2A004", 2024), ("35001", this)]
    con, r = load(tmp_path, "crime_dep", "Code_departement;annee;indicateur;unite_de_compte;"
                  f"nombre;insee_pop_millesime\n35;{this};Homicides;Victime;3;{this}\n"
                  f"35;{next_};Homicides;Victime;4;{this}\n01;2024;Homicides;Victime;5;{next_}\n")
    assert (r.loaded, r.quarantined) == (1, 2), quarantine(con)
    assert [q[:3] for q in quarantine(con)] == [(3, "annee", "année dans le futur"),
                                                (4, "insee_pop_millesime", "année dans le futur")]


#: dates whose future is decided by a row check: a planned immersion may be in the future, a
#: done one may not (tests/unit/test_sources_immersions.py)
FUTURE_BY_ROW_CHECK = {("immersions", "date_immersion")}


def test_every_date_and_year_field_is_not_future():
    """Every date, date-time and month of every source, and every year (annee, millésimes), is
    declared ``not_future`` (but for the few a row check decides); ``not_future`` means nothing
    on other kinds and is refused there."""
    for source in SOURCES.values():
        for f in source.fields:
            year = f.kind == "int" and (f.name == "annee" or "millesime" in f.name)
            if (source.name, f.name) in FUTURE_BY_ROW_CHECK:
                assert not f.not_future and source.row_checks, (source.name, f.name)
            elif f.kind in ("date", "datetime", "month") or year:
                assert f.not_future, (source.name, f.name)
            elif f.kind == "int":
                assert not f.not_future, (source.name, f.name)
    with pytest.raises(ValueError, match="not_future"):
        Field("heures", "float", "Hours", not_future=True)
