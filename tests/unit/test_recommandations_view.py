"""What the « Recommandations » page says of the plan against the simple rules (pure)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from dashboard.views import recommandations_audit as audit_view


def _run(rows: dict[str, dict[str, float]]) -> SimpleNamespace:
    frame = pd.DataFrame([
        {"perimetre": where, "indicateur": key, "valeur": value, "detail": None}
        for where, values in rows.items() for key, value in values.items()])
    return SimpleNamespace(audit=frame)


def _figures(plan, population, prevision, actuel=1.0, cible=None, truth=None) -> dict:
    out = {"rejeu_mois": 12.0, "rejeu_capture_plan": plan,
           "rejeu_capture_cible": cible if cible is not None else plan,
           "rejeu_capture_actuel": actuel, "rejeu_capture_population": population,
           "rejeu_capture_prevision": prevision}
    for rule, value in (truth or {}).items():
        out[f"verite_recouvrement_{rule}"] = value
    return out


def test_where_a_simple_rule_beats_the_plan_the_page_says_so_first():
    run = _run({"France": _figures(2.0, 1.9, 2.1),
                "35": _figures(1.70, 1.60, 1.71, truth={
                    "plan": 0.927, "cible": 0.938, "actuel": 0.87, "population": 0.911,
                    "prevision": 0.973})})
    frame, name = audit_view.comparison_frame(run, "35")
    assert name == "département 35"
    text = audit_view.verdict(frame, name)
    assert text == ("⚠ département 35 : la répartition proportionnelle à la prévision capture "
                    "les faits enregistrés mieux que le plan hebdomadaire. ⚠ département 35 : "
                    "la répartition proportionnelle à la prévision place ses heures là où est "
                    "le vrai besoin mieux que le plan hebdomadaire.")
    top = audit_view.headline(run, "35")
    assert "alert-warning" in top.className and top.children[0] == text


def test_several_rules_that_win_are_named_together_and_france_stands_in():
    run = _run({"France": _figures(1.5, 1.9, 2.0)})
    frame, name = audit_view.comparison_frame(run, "23")  # no figures of its own: France
    assert name == "France"
    assert audit_view.verdict(frame, name) == (
        "⚠ France : la répartition proportionnelle à la population et la répartition "
        "proportionnelle à la prévision capturent les faits enregistrés mieux que le plan "
        "hebdomadaire.")


def test_when_the_plan_holds_its_own_the_page_says_that_too():
    run = _run({"France": _figures(2.2, 1.9, 2.1)})
    frame, name = audit_view.comparison_frame(run, None)
    assert audit_view.verdict(frame, name) == (
        "France : le plan hebdomadaire fait au moins aussi bien que chaque règle simple sur "
        "ces mesures.")
    assert "alert-secondary" in audit_view.headline(run, None).className
    assert audit_view.headline(None, "35") is None
