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
    assert high.score[1].sum() > high.score[0].sum() == pytest.approx(low.score[0].sum())


def test_one_expectation_never_takes_more_than_its_stated_share():
    """Issue #17: a brigade's only open expectation took α = 30 % of its need. Now one
    expectation adds at most α × 15 % of the brigade's forecast need, whatever else is open."""
    weekly = _weekly([(c, "cambriolages_logement", 1.0, 1.0) for c in "ABCDEFGHIJ"])
    codes = list("ABCDEFGHIJ")
    days = np.zeros(10)
    forecast_total = need.forecast_part(codes, weekly, need.SEVERITY).sum()
    worst = _expect([("A", "DC-1", "cambriolages", "haute", None, 10_000)])  # largest weight
    for alpha in (0.3, 1.0):
        w = need.NEED_WEIGHTS.with_alpha(alpha)
        score = need.need_scores(codes, weekly, worst, pd.Series(dtype="float64"), days, w)
        added = score.score.sum() - forecast_total
        assert added == pytest.approx(alpha * need.EXPECTATION_MAX_SHARE * forecast_total)
        assert added / score.score.sum() <= need.EXPECTATION_MAX_SHARE / 1.15 + 1e-9
    # a fresh, low-priority, little-relevant one weighs far less; ten of them add up
    small = _expect([("A", "DC-2", "cyber", "basse", None, 0)])
    one = need.need_scores(codes, weekly, small, pd.Series(dtype="float64"), days)
    assert one.score.sum() - forecast_total == pytest.approx(
        0.3 * 0.15 * forecast_total * (1 * 0.1 * 1) / 6)
    # complaints weigh like one expectation each, bounded the same way
    heavy = need.NeedWeights(complaint=100.0)
    c = need.need_scores(codes, weekly, _expect([]), pd.Series({"A": 1}), days, heavy)
    assert c.score.sum() - forecast_total == pytest.approx(0.3 * 0.15 * forecast_total)


def test_old_expectations_weigh_more_and_recency_raises_need():
    e = _expect([("A", "DC-1", "rodeos", "basse", None, 0),
                 ("B", "DC-2", "rodeos", "basse", None, 360)])
    part = need.expectations_part(["A", "B"], e, pd.Series(dtype="float64"), need.NEED_WEIGHTS)
    assert part[1].sum() == pytest.approx(2 * part[0].sum())
    r = need.recency_factor(np.array([0.0, 14.0, 100.0, np.nan]), need.NEED_WEIGHTS)
    assert r.tolist() == pytest.approx([1.0, 1.1, 1.2, 1.2])


def test_weights_are_bounded():
    with pytest.raises(ValueError, match="α"):
        need.NEED_WEIGHTS.with_alpha(1.5).validate()


def _row(code, ramene, recommande, cible, part_besoin, part_actuelle, minimum=1.0,
         basse=None, haute=None):
    return {"code_commune": code, "actuel_ramene": ramene, "recommande": recommande,
            "cible": cible, "minimum": minimum, "part_besoin": part_besoin,
            "part_actuelle": part_actuelle, "part_recommandee": part_besoin,
            "borne_basse": basse if basse is not None else minimum,
            "borne_haute": haute if haute is not None else 1_000.0}


def test_explanations_give_the_reason_in_plain_french():
    plan = pd.DataFrame([_row("A", 4.0, 7.0, 7.0, 0.12, 0.05),
                         _row("B", 4.0, 3.0, 1.0, 0.03, 0.09, basse=3.0),
                         _row("C", 10.0, 10.0, 10.0, 0.2, 0.2)])
    weekly = _weekly([("A", "cambriolages_logement", 1.4, 1.0)])
    expectations = _expect([("A", "DC-1", "cambriolages", "haute", "soiree", 45),
                            ("A", "DC-2", "rodeos", "haute", None, 12)])
    text = explain.explain(plan, weekly, expectations, pd.Series({"A": 0}),
                           pd.Series({"A": 2.0, "B": 3.0}), need.SEVERITY)
    assert text[0] == ("+3 h : reçoit plus : 12 % du besoin de la brigade pour 5 % de ses "
                       "heures ; 2 attentes DCAS prioritaires ouvertes, la plus ancienne depuis "
                       "45 j ; cambriolages prévus en hausse de 40 % (52 faits en 12 mois)")
    assert text[1] == ("−1 h : reçoit moins : 3 % du besoin de la brigade pour 9 % de ses "
                       "heures ; cible 1 h, atteinte par étapes ; baisse plafonnée par la "
                       "limite de variation")
    assert text[2] == "± 0 h : inchangée : 20 % du besoin de la brigade pour 20 % de ses heures" \
        .replace("± 0", "±0")


def test_a_single_expectation_is_not_the_oldest_of_one():
    plan = pd.DataFrame([_row("A", 4.0, 5.0, 5.0, 0.12, 0.1)])
    one = _expect([("A", "DC-1", "rodeos", "haute", None, 962)])
    text = explain.explain(plan, _weekly([]), one, pd.Series(dtype="float64"),
                           pd.Series(dtype="float64"), need.SEVERITY)[0]
    assert "1 attente DCAS prioritaire ouverte depuis 962 j" in text


def test_no_percentage_on_fewer_than_five_facts():
    """Issue #17: « violences prévues en hausse de 302 % » for a commune with 1 fact last
    year is regression to the mean: below 5 facts in 12 months the change is told in counts."""
    year = 365.25 / 7
    plan = pd.DataFrame([_row("A", 4.0, 4.5, 4.5, 0.1, 0.09)])
    weekly = _weekly([("A", "violences_hors_famille", 4.02 / year, 1 / year)])
    text = explain.explain(plan, weekly, _expect([]), pd.Series(dtype="float64"),
                           pd.Series(dtype="float64"), need.SEVERITY)[0]
    assert "%" not in text.split(" ; ", 1)[1]
    assert "violences hors famille : rythme prévu de 4 par an, 1 fait en 12 mois" in text
    weekly = _weekly([("A", "violences_hors_famille", 8 / year, 5 / year)])
    text = explain.explain(plan, weekly, _expect([]), pd.Series(dtype="float64"),
                           pd.Series(dtype="float64"), need.SEVERITY)[0]
    assert "violences hors famille prévues en hausse de 60 % (5 faits en 12 mois)" in text


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


def test_capture_replay_scores_every_rule_side_by_side():
    from etl.analytics.allocation import AllocationParameters
    from etl.analytics.replay import capture_by_rule, capture_summary, replay_frame

    months = ["2026-01-01", "2026-02-01"]
    preds = pd.DataFrame({"code_commune": ["A", "B"] * 2, "mois": np.repeat(months, 2),
                          "categorie": ["cambriolages_logement"] * 4,
                          "observe": [9.0, 1.0, 8.0, 2.0], "modele": [8.0, 2.0, 8.0, 2.0]})
    communes = pd.DataFrame({"code": ["A", "B"], "brigade_id": ["X", "X"],
                             "population": [100, 300]})
    presence = pd.DataFrame({"code_commune": ["A", "B"] * 2, "mois": np.repeat(months, 2),
                             "heures": [5.0, 5.0, 5.0, 5.0]})
    frame = replay_frame(preds, communes, need.SEVERITY, presence)
    result = capture_summary(capture_by_rule(frame, {"X": 20.0}, AllocationParameters()))
    assert result["brigades"] == 1
    assert result["capture_cible"] > result["capture_plan"] > result["capture_actuel"] \
        == pytest.approx(1.0)
    assert result["capture_population"] < 1.0  # population where the facts are not
    assert result["capture_prevision"] == pytest.approx(result["capture_cible"], rel=0.05)
