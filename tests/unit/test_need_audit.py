"""Need score, explanations and audit figures of the recommendation engine (pure functions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etl.analytics import audit, explain, need
from etl.analytics.slots import SLOTS


def _weekly(rows):
    return pd.DataFrame(rows, columns=["code_commune", "categorie", "attendu", "reference"])


def _expect(rows):
    return pd.DataFrame(rows, columns=["code_commune", "id_consultation", "theme", "priorite",
                                       "creneaux", "age_jours"])


def test_slot_mask_follows_preferred_slots():
    assert need.slot_mask("soiree").tolist() == [0, 0.5, 0, 0, 0.5, 0]
    weekend_night = need.slot_mask("nuit|week_end")
    assert weekend_night[SLOTS.index("weekend_nuit")] == pytest.approx(1.0)
    weekend = need.slot_mask("week_end")
    assert weekend[:3].sum() == 0 and weekend[3:].sum() == pytest.approx(1.0)
    assert need.slot_mask(None).sum() == pytest.approx(1.0)


def test_forecast_part_weights_severity_and_ignores_drugs():
    weekly = _weekly([("A", "violences_sexuelles", 1.0, 1.0), ("A", "escroqueries", 1.0, 1.0),
                      ("B", "usage_stupefiants", 50.0, 1.0)])
    part = need.forecast_part(["A", "B"], weekly, need.SEVERITY)
    assert part[0].sum() == pytest.approx(5.0 + 0.5)
    assert part[1].sum() == 0.0  # drug offences have no severity: never a need


def test_alpha_moves_need_towards_the_elus_expectations():
    weekly = _weekly([("A", "cambriolages_logement", 2.0, 2.0),
                      ("B", "cambriolages_logement", 2.0, 2.0)])
    expectations = _expect([("B", "DC-1", "cambriolages", "haute", "soiree", 10)])
    none = pd.Series(dtype="float64")
    days = np.array([1.0, 1.0])
    low = need.need_scores(["A", "B"], weekly, expectations, none, days,
                           need.NEED_WEIGHTS.with_alpha(0.0))
    high = need.need_scores(["A", "B"], weekly, expectations, none, days,
                            need.NEED_WEIGHTS.with_alpha(0.8))
    assert low.score[0].sum() == pytest.approx(low.score[1].sum())
    assert high.score[1].sum() > high.score[0].sum()
    # the total stays the brigade's weighted expected facts
    assert high.score.sum() == pytest.approx(low.score.sum())


def test_old_expectations_weigh_more_and_recency_raises_need():
    e = _expect([("A", "DC-1", "rodeos", "basse", None, 0),
                 ("B", "DC-2", "rodeos", "basse", None, 360)])
    part = need.expectations_part(["A", "B"], e, pd.Series(dtype="float64"), need.NEED_WEIGHTS)
    assert part[1].sum() == pytest.approx(2 * part[0].sum())
    r = need.recency_factor(np.array([0.0, 14.0, 100.0, np.nan]), need.NEED_WEIGHTS)
    assert r.tolist() == pytest.approx([1.0, 1.25, 1.5, 1.5])


def test_weights_are_bounded():
    with pytest.raises(ValueError, match="α"):
        need.NEED_WEIGHTS.with_alpha(1.5).validate()


def test_explanations_in_plain_french():
    plan = pd.DataFrame([{"code_commune": "A", "actuel": 4.0, "recommande": 7.0, "minimum": 1.0,
                          "borne_basse": 3.0, "borne_haute": 9.0},
                         {"code_commune": "B", "actuel": 4.0, "recommande": 1.0, "minimum": 1.0,
                          "borne_basse": 1.0, "borne_haute": 6.0}])
    weekly = _weekly([("A", "cambriolages_logement", 1.4, 1.0)])
    expectations = _expect([("A", "DC-1", "cambriolages", "haute", "soiree", 45),
                            ("A", "DC-2", "rodeos", "haute", None, 12)])
    text = explain.explain(plan, weekly, expectations, pd.Series({"A": 0}),
                           pd.Series({"A": 2.0, "B": 3.0}), need.SEVERITY)
    assert text[0] == ("+3 h : 2 attentes DCAS prioritaires ouvertes, la plus ancienne depuis "
                       "45 j ; cambriolages prévus en hausse de 40 %")
    assert text[1] == "−3 h : présence minimale garantie"


def test_gini_and_total_variation():
    assert audit.gini(np.array([1.0, 1.0, 1.0])) == pytest.approx(0.0)
    assert audit.gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)
    assert audit.total_variation(np.array([1, 1]), np.array([1, 3])) == pytest.approx(0.25)


def test_plan_audit_figures():
    communes = pd.DataFrame({"brigade_id": ["B"] * 3, "population": [400, 1000, 20000],
                             "actuel": [1.0, 2.0, 20.0], "recommande": [2.0, 2.0, 20.0],
                             "demande": [1.0, 1.0, 10.0]})
    a = audit.plan_audit(communes)
    assert [c["communes"] for c in a["par_taille"]] == [1, 1, 0, 1]
    assert a["par_taille"][0]["heures_recommandees_pour_1000"] == pytest.approx(5.0)
    assert a["ratio_max_min"] == pytest.approx(5.0)
    assert 0 < a["distance_population_pct"] < 100


def test_drift_flag_needs_rising_presence_and_flat_facts():
    week = pd.Timestamp("2026-03-02")
    weeks = [week - pd.Timedelta(days=7 * k) for k in range(8, 0, -1)]
    presence = pd.DataFrame(
        [("A", w, 10.0 if i < 4 else 14.0 + i) for i, w in enumerate(weeks)]
        + [("B", w, 10.0 if i < 4 else 14.0 + i) for i, w in enumerate(weeks)]
        + [("C", w, 10.0) for w in weeks], columns=["code_commune", "semaine", "heures"])
    months = pd.date_range("2025-11-01", periods=4, freq="MS")
    facts = pd.DataFrame([("A", m, 5) for m in months]
                         + [("B", m, 1 if i < 2 else 9) for i, m in enumerate(months)],
                         columns=["code_commune", "mois", "nombre"])
    assert audit.drift_flags(presence, facts, week) == ["A"]


def test_capture_replay_prefers_hours_where_facts_are():
    preds = pd.DataFrame({"code_commune": ["A", "B"], "mois": ["2026-01", "2026-01"],
                          "categorie": ["cambriolages_logement"] * 2, "observe": [9.0, 1.0],
                          "modele": [8.0, 2.0]})
    communes = pd.DataFrame({"code": ["A", "B"], "brigade_id": ["X", "X"],
                             "population": [100, 100]})

    def follow(_b, need_, _pop):
        return need_ / need_.sum()

    result = audit.capture_replay(preds, communes, need.SEVERITY, follow)
    assert result["capture_modele"] > result["capture_uniforme"] == 1.0
    assert result["capture_population"] == pytest.approx(1.0)
