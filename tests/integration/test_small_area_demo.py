"""Issue #20, must show: the smoothed commune rates against the demo's true rates.

For dép. 35, burglaries (per 1,000 dwellings) and sexual violence (per 1,000 inhabitants), the
12 months to the last month of facts, every commune of the département with a denominator, the
truth being the rate the demo drew the facts from (``demo_oracle_taux``, the planted burglary
sprees aside: :func:`etl.analytics.small_area.true_rates`), the default prior:

- the smoothed rates' mean squared error is at most half the raw rates';
- among the 15 communes ranked highest, the share truly in the département's top 10 % is at
  least 0.1 above the raw ranking's;
- the truth lies inside the 90 % interval for at least 75 % of the communes.

The figures (and the other priors'): ``benchmarks/small_area_rates.py``, README « Taux
communaux lissés ».
"""

from __future__ import annotations

import json

import pytest

from etl.analytics import small_area
from etl.warehouse import parts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def con(national_demo):
    c = parts.connect(str(national_demo))
    yield c
    c.close()


@pytest.mark.parametrize("categorie", ["cambriolages_logement", "violences_sexuelles"])
def test_smoothed_rates_beat_raw_rates_against_the_truth(con, categorie):
    frame, info = small_area.read_inputs(con, "35", categorie)
    assert info["denominateur"] == ("logements" if categorie == "cambriolages_logement"
                                    else "habitants")
    truth = small_area.true_rates(con, frame, info)
    assert truth is not None
    rates, prior = small_area.rates_table(frame)
    assert not prior.vague
    a = small_area.audit(rates, truth)
    assert a["communes"] >= 300
    assert a["mse_lisse"] <= 0.5 * a["mse_brut"], a
    assert a["tete_lisse"] >= a["tete_brut"] + 0.1 - 1e-9, a
    assert a["couverture"] >= 0.75, a


def test_command_line_on_the_demo(national_demo, capsys, monkeypatch):
    from etl.cli import main

    assert national_demo.name == "warehouse.duckdb"
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(national_demo.parent))
    assert main(["taux", "--departement", "35", "--categorie", "violences_sexuelles",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 332
    assert set(rows[0]) == {"commune", "nom", "denominateur", "nombre", "taux_brut",
                            "taux_lisse", "taux_bas", "taux_haut", "incertain"}
    assert main(["taux", "--departement", "35", "--categorie", "violences_sexuelles",
                 "--mois-fin", "2040-01"]) == 2
    assert "mois hors des faits" in capsys.readouterr().err
