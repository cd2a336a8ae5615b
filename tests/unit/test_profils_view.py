"""Pure functions of the profile pages: trends, categories, SSMSI rows (« non diffusé »), DCAS
themes, presence table, alerts, phone numbers shown only when the page says so."""

import datetime as dt
import math

import pandas as pd
import pytest

from dashboard.core.access import User
from dashboard.core.scope import Period, Scope
from dashboard.views import profil_figures as pv
from dashboard.views.profils import Profile
from etl.roles import Capability

PERIOD = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 1))


def _facts():
    rows = [("2025-01-01", "cambriolages_logement", 4), ("2025-02-01", "cambriolages_logement", 6),
            ("2026-01-01", "cambriolages_logement", 7), ("2026-02-01", "escroqueries", 2),
            ("2026-03-01", "cambriolages_logement", 5)]
    frame = pd.DataFrame(rows, columns=["mois", "categorie", "nombre"])
    frame["mois"] = pd.to_datetime(frame["mois"])
    return frame


def test_monthly_trend_compares_with_the_year_before():
    trend = pv.monthly_trend(_facts(), PERIOD)
    assert trend["mois_label"].tolist() == ["janv. 2026", "févr. 2026", "mars 2026"]
    assert trend["faits"].tolist() == [7, 2, 5]
    assert trend["faits_an_passe"].tolist() == [4, 6, 0]


def test_facts_by_category_with_change_and_rate():
    table = pv.by_category(_facts(), PERIOD, population=2_000).set_index("categorie")
    burglaries = table.loc["Cambriolages de logement"]
    assert (burglaries["faits"], burglaries["faits_an_passe"]) == (12, 10)
    assert burglaries["evolution"] == pytest.approx(20.0)
    assert burglaries["taux"] == pytest.approx(6.0)
    assert math.isnan(table.loc["Escroqueries et fraudes aux moyens de paiement", "evolution"])


def test_ssmsi_rows_say_non_diffuse_and_never_carry_the_average():
    rows = pd.DataFrame({
        "annee": [2025, 2025, 2024], "indicateur": ["Cambriolages de logement", "Vols", "Vols"],
        "communes": [1, 3, 3], "non_diffusees": [1, 1, 0], "nombre": [None, 40, 50],
        "population": [None, 8_000, 10_000], "logements": [None, None, None],
        "avec_logements": [0, 0, 0], "diffusees": [0, 2, 3], "taux_publie": [None, 6.0, 5.0],
    })
    table = pv.ssmsi_table(rows)
    assert table["annee"].tolist() == ["2025", "2025", "2024"]
    assert table["diffusion"].tolist() == ["non diffusé", "1 commune non diffusée sur 3",
                                           "diffusé"]
    assert math.isnan(table["taux"].iloc[0]) and pd.isna(table["nombre"].iloc[0])
    assert table["taux"].iloc[1] == pytest.approx(5.0)  # 40 / 8,000 diffused inhabitants
    assert table["base"].tolist() == ["habitants"] * 3


def test_dcas_themes_count_consultations():
    rows = pd.DataFrame({"attentes": ["cambriolages|rodeos", "cambriolages", None]})
    themes = pv.dcas_themes(rows)
    assert themes["theme"].tolist() == ["Cambriolages", "Rodéos"]
    assert themes["consultations"].tolist() == [2, 1]
    assert themes["part"].round(1).tolist() == [66.7, 33.3]


def test_presence_table_has_every_month_and_slot():
    rows = pd.DataFrame({"mois": pd.to_datetime(["2026-02-01", "2026-02-01"]),
                         "creneau": ["jour", "nuit"], "heures": [3.0, 1.5]})
    table = pv.presence_table(rows, PERIOD)
    assert table["total"].tolist() == [0.0, 4.5, 0.0]
    assert table.loc[1, "nuit"] == 1.5


def test_alerts_table_delivery_rate():
    rows = pd.DataFrame({"cree_le": [pd.Timestamp("2026-10-10 15:30")],
                         "categorie": ["cambriolages"], "message": ["m"], "statut": ["envoyee"],
                         "delai_min": [90], "messages": [4], "remis": [3]})
    table = pv.alerts_table(rows)
    assert table.loc[0, "taux_remise"] == 75.0
    assert table.loc[0, "delai"] == "1\u202fh30"
    assert table.loc[0, "statut"] == "Envoyée"


class _Reader:
    def __init__(self, **frames):
        self.frames = frames

    def get(self, name):
        return self.frames[name]


def test_phone_numbers_only_for_brigades_commanders_and_admins():
    # the page's rule (dashboard/pages/_profil.py), then what the view does with it
    see = Capability.SEE_PHONE_NUMBERS
    assert all(User(*a).can(see) for a in [("b", "brigade", "35", "B35047"),
                                            ("c", "commandant", "35"), ("a", "admin")])
    assert not any(User(*a).can(see) for a in [("p", "prefet", "35"), ("n", "analyste")])
    contacts = pd.DataFrame({"commune": ["Rennes"], "fonction": ["maire"], "opt_in": [True],
                             "date_opt_in": [pd.Timestamp("2026-01-05")],
                             "telephone": ["+33 6 00 00 00 00"]})
    reader = _Reader(contacts=contacts)
    shown = Profile(reader, Scope("commune", "35238"), PERIOD, phones=True).section("contacts")
    hidden = Profile(reader, Scope("commune", "35238"), PERIOD).section("contacts")
    assert shown.columns["telephone"] == "Téléphone" and shown.note is None
    assert shown.frame.loc[0, "telephone"] == "+33 6 00 00 00 00"
    assert "telephone" not in hidden.columns and "ne sont visibles que" in hidden.note
    assert (hidden.frame["telephone"] == "").all()


def test_linked_table_is_cut_and_says_so():
    import json

    from plotly.utils import PlotlyJSONEncoder

    from dashboard.core.report import linked_table

    frame = pd.DataFrame({"code": ["1", "2", "3"], "nom": ["A", "B", "C"], "n": [3, 2, 1],
                          "lien": ["/commune?code=1", "/commune?code=2", "/commune?code=3"]})
    table = json.dumps(linked_table(frame, {"code": "Code", "nom": "Nom", "n": "N"}, "T",
                                    links={"nom": "lien"}, max_rows=2).to_plotly_json(),
                       cls=PlotlyJSONEncoder, ensure_ascii=False)
    assert table.count('"Tr"') == 3
    assert "Les 2 premières lignes sur 3 sont affichées" in table
    assert '"href": "/commune?code=2"' in table and "/commune?code=3" not in table
