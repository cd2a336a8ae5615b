"""The methodology page: sources and loads, organisation model, caveats, dictionary."""

from __future__ import annotations

from dashboard.app import create_app
from etl import clock
from etl.settings import get_settings
from etl.warehouse import parts, schema
from tests.support.dash_callbacks import find, page, text
from tests.support.dashboard_fixture import add_account, build_small_warehouse, sign_in


def _nodes(tree, kind: str) -> list[dict]:
    """The props of every component of type ``kind`` in a rendered tree, in order."""
    out = []
    if isinstance(tree, list):
        for node in tree:
            out += _nodes(node, kind)
    elif isinstance(tree, dict):
        if tree.get("type") == kind:
            out.append(tree.get("props", {}))
        out += _nodes(tree.get("props", {}).get("children"), kind)
    return out


def _rows(table: dict) -> list[list[str]]:
    """A rendered data table's body, cell by cell."""
    body = _nodes(table["children"], "Tbody")[0]
    return [[cell["props"]["children"] for cell in row["children"]]
            for row in _nodes(body["children"], "Tr")]


def test_methodology_page(tmp_path, monkeypatch):
    """The page as the router renders it for a préfet, on the fixture warehouse (one build in
    load_runs, the organisation model's parameters, no synthetic load, no quarantine)."""
    build_small_warehouse(tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))
    app = create_app(get_settings())
    add_account(tmp_path, "prefet35", "prefet", "35")
    client = app.server.test_client()
    sign_in(client, "prefet35")
    tree = page(client, "/methodologie")

    assert [h["children"] for h in _nodes(tree, "H2")] == [
        "Sources et chargements", "Organisation de la gendarmerie",
        "Lire les chiffres de la délinquance (SSMSI)",
        "Règles de calcul communes à toutes les pages", "Dictionnaire des données"]
    # no synthetic source: no demo notice; nothing refused: no quarantine table
    assert find(tree, "methodologie-quarantaine") is None

    [(source, label, last, loads, failures, loaded, rejected, nature)] = _rows(
        find(tree, "methodologie-sources"))
    assert (source, label, loads, failures, loaded, rejected, nature) == (
        "build", "Construction de l'entrepôt", "1", "0", "0", "0", "réelle")
    # said in France's time (the warehouse keeps UTC)
    with parts.connect(str(tmp_path / "warehouse.duckdb")) as con:
        [(end,)] = con.execute("SELECT max(fin) FROM load_runs WHERE statut = 'succes'").fetchall()
    assert last == clock.local(end).strftime("%d/%m/%Y %H:%M"), last
    assert "Dernier chargement réussi (heure de Paris)" in text(find(tree, "methodologie-sources"))

    assert _rows(find(tree, "methodologie-parametres")) == [
        ["source_organisation", "modele"], ["habitants_par_gendarme", "800"]]
    paragraphs = [p["children"] for p in _nodes(tree, "P") if isinstance(p["children"], str)]
    assert any(p.startswith("Zones police / gendarmerie, brigades, compagnies et effectifs sont "
                            "modélisés") and p.endswith("Ce ne sont pas les limites ni les "
                                                        "effectifs réels.") for p in paragraphs)

    caveats = [li["children"] for li in _nodes(tree, "Li")]
    assert len(caveats) == 4 + 5  # the SSMSI caveats, then the counting rules
    assert "la délinquance enregistrée n'est pas toute la délinquance" in caveats[0]
    assert caveats[2].startswith(
        "« Non diffusé » (ndiff) : le SSMSI ne publie pas une commune qui a enregistré 5 faits "
        "ou moins dans chacune de trois années consécutives. La valeur alors publiée est une "
        "moyenne départementale : elle n'est jamais montrée comme la valeur de la commune.")
    rules = [li["children"] for li in _nodes(find(tree, "methodologie-regles")["children"], "Li")]
    assert rules == caveats[4:]
    assert rules[3] == ("SMS d'alerte remis : les SMS des alertes envoyées sur la période, "
                        "adressés aux élus des communes du territoire, dont l'opérateur a "
                        "accusé la remise (« remis au destinataire »).")
    assert "DELIVRD" not in str(tree)

    # the dictionary: every declared table, in order, with its columns
    summaries = _nodes(tree, "Summary")[1:]  # after the organisation model's parameters
    assert [_nodes(s["children"], "Code")[0]["children"] for s in summaries] == [
        t.name for t in schema.TABLES]
    captions = [c["children"] for c in _nodes(tree, "Caption")]
    assert [c for c in captions if c.startswith("Colonnes de la table ")] == [
        f"Colonnes de la table {t.name}" for t in schema.TABLES]
