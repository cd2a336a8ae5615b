"""A small in-memory warehouse (declared DDL, a few real communes and brigades) for loader tests."""

from __future__ import annotations

import duckdb

from etl.sources.loader import known_codes
from etl.sources.validate import Known
from etl.warehouse import schema

#: (code, name, département, région, brigade): real INSEE codes, brigade ids of the model
COMMUNES = (
    ("35001", "Acigné", "35", "53", "B35051"),
    ("35002", "Amanlis", "35", "53", "B35069"),
    ("35051", "Cesson-Sévigné", "35", "53", "B35051"),
    ("35069", "Châteaugiron", "35", "53", "B35069"),
    ("01001", "Abergement-Clémenciat", "01", "84", "B01093"),
    ("2A004", "Ajaccio", "2A", "94", None),
)
DEPARTEMENTS = (("35", "Ille-et-Vilaine", "53"), ("01", "Ain", "84"),
                ("2A", "Corse-du-Sud", "94"))
BRIGADES = ("B35051", "B35069", "B01093")


def memory_warehouse() -> tuple[duckdb.DuckDBPyConnection, Known]:
    """Every declared table, empty but for the reference rows above."""
    con = duckdb.connect()
    for t in schema.TABLES:
        con.execute(t.ddl())
    for code, nom, region in DEPARTEMENTS:
        con.execute("INSERT INTO departements (code, nom, region, outre_mer) "
                    "VALUES (?, ?, ?, false)", [code, nom, region])
    for code, nom, dep, region, brigade in COMMUNES:
        con.execute("INSERT INTO communes (code, nom, departement, region, population, outre_mer, "
                    "geometrie, zone, brigade_id) VALUES (?, ?, ?, ?, 1000, false, 'absente', ?, "
                    "?)", [code, nom, dep, region, "ZGN" if brigade else "ZPN", brigade])
    for b in BRIGADES:
        dep = b[1:3]
        con.execute("INSERT INTO brigades (brigade_id, nom, departement, compagnie_id, type, "
                    "commune_siege, effectif, source) VALUES (?, ?, ?, ?, 'BTA', ?, 20, 'modele')",
                    [b, b, dep, "C" + b[1:], b[1:]])
    return con, known_codes(con)
