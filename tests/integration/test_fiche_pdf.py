"""The préfet's brief of Ille-et-Vilaine (35) as a PDF, on the national demo warehouse: read back
with pypdf (its pages, the département, its key figures as the overview counts them, the demo
banner, a commune with its article, every commune in the table), and drawn as PNG pages into
``screenshots/`` (git-ignored) to be looked at."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pypdfium2
import pytest
from pypdf import PdfReader

from dashboard.core import categories
from dashboard.core.formatting import format_number
from dashboard.core.reference import data_months
from dashboard.core.scope import Period, Scope
from dashboard.core.warehouse import Warehouse
from dashboard.pages import _fiche
from dashboard.queries import carte, vue_ensemble
from dashboard.views import vue_ensemble as overview
from etl.ops import migrate
from etl.ops.store import get_engine
from etl.settings import PROJECT_ROOT

SCREENSHOTS = PROJECT_ROOT / "screenshots" / "fiche_prefet_35"
NOW = datetime(2026, 11, 16, 9, 5)


def _plain(text: str) -> str:
    """Text with its French spaces (narrow no-break, no-break) as plain ones."""
    return re.sub(r"[\u202f\u00a0]", " ", text)


@pytest.fixture(scope="module")
def brief_pdf(national_demo, tmp_path_factory):
    warehouse = Warehouse(national_demo)
    engine = get_engine(f"sqlite:///{tmp_path_factory.mktemp('ops') / 'operations.sqlite'}")
    migrate.upgrade(engine)
    _first, last, _has_facts = data_months(warehouse)
    period = Period.parse(None, None, last)
    scope = Scope("departement", "35")
    data, name = _fiche.pdf(warehouse, engine, scope, period, NOW)
    figures = vue_ensemble.overview_figures(warehouse, scope, overview.periods_of(period),
                                            (categories.ENSEMBLE,))
    communes = carte.units(warehouse, scope, "commune")
    yield data, name, period, figures, communes
    warehouse.close()
    engine.dispose()


def test_the_brief_of_ille_et_vilaine_reads_back(brief_pdf):
    data, name, period, figures, communes = brief_pdf
    assert name == "fiche_prefet_35_ille_et_vilaine.pdf"
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "Fiche préfet — 35 — Ille-et-Vilaine"
    pages = [_plain(p.extract_text()) for p in reader.pages]
    text = "\n".join(pages)
    # A4: the brief portrait, the communes' table landscape
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
             for p in reader.pages}
    assert sizes == {(595, 842), (842, 595)}, sizes
    assert 5 <= len(pages) <= 20
    first = pages[0]
    assert "35 — Ille-et-Vilaine" in first and "Données de démonstration" in first
    assert f"Période : {period.label()}" in first
    assert "Générée le 16 novembre 2026 à 9 h 05 (heure de Paris)" in first
    # the key figures are the overview's
    facts = figures[overview.CURRENT][f"faits_{categories.ENSEMBLE.key}"]
    before = figures[overview.YEAR_BEFORE][f"faits_{categories.ENSEMBLE.key}"]
    assert re.search(rf"Ensemble des faits enregistrés {_plain(format_number(facts))} "
                     rf"{_plain(format_number(before))}", first), first
    for section in ("Chiffres clés", "Tendance", "Carte des communes",
                    "Suivi des attentes DCAS", "Alertes SMS envoyées", "Formations et immersions",
                    "Toutes les communes", "Sources et méthode"):
        assert section in text, section
    # every page says the data are synthetic (the header from page 2, the banner on page 1)
    assert all("Données de démonstration" in p for p in pages)
    # communes with their article and accents, every one in the table
    assert "Le Rheu" in text and "Fougères" in text and "La Chapelle-des-Fougeretz" in text
    assert f"Toutes les communes : chaque indicateur ({len(communes)} communes)" in text
    table = "\n".join(p for p in pages if "Popu" in p and "Score" in p)
    missing = [n for n in communes["nom"] if n not in table and n[:20] not in table]
    assert not missing, missing[:10]


def test_the_brief_is_drawn_as_png_pages(brief_pdf):
    """The pages as pictures, for a person to look at (screenshots/ is git-ignored)."""
    data = brief_pdf[0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("page-*.png"):
        old.unlink()
    (SCREENSHOTS / "fiche_prefet_35.pdf").write_bytes(data)
    document = pypdfium2.PdfDocument(data)
    for i in range(len(document)):
        image = document[i].render(scale=1.5).to_pil()
        # something is drawn: a page of the brief is not blank
        assert image.convert("L").getextrema()[0] < 100
        image.save(SCREENSHOTS / f"page-{i + 1:02d}.png")
    assert len(list(SCREENSHOTS.glob("page-*.png"))) == len(document)
    document.close()
