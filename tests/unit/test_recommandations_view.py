"""What the « Recommandations » page says of the plan against the simple rules, and of the
decisions applied (pure)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pandas as pd

from dashboard.views import recommandations as view
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


def test_decisions_say_when_in_paris_who_which_brigade_and_week_never_the_run_id():
    decisions = pd.DataFrame({
        "id": [7, 6], "decided_at": [datetime(2026, 12, 7, 23, 31), datetime(2026, 7, 1, 8)],
        "login": ["cdt35", "cdt35"], "brigade_id": ["B35047", "B35999"],
        "semaine": ["2026-W50", "2026-W27"], "run_id": ["20261207T0600-123", "calcul-2026-W27"],
        "total_hours": [120.0, 80.5]})
    frame = view.decision_frame(decisions, {"B35047": "Bruz"})
    shown = frame[list(view.DECISION_COLUMNS)]
    assert shown.to_dict("records")[0] == {
        "id": "7", "quand": "08/12/2026 00:31", "login": "cdt35", "brigade": "Bruz (B35047)",
        "semaine_planifiee": "Semaine 50 de 2026 (du 07/12 au 13/12/2026)",
        "origine": "calcul national de la semaine", "total_hours": 120.0}
    assert shown["quand"].tolist()[1] == "01/07/2026 10:00"  # summer time
    assert shown["brigade"].tolist()[1] == "B35999"  # a brigade no longer in the reference
    assert shown["origine"].tolist()[1] == "calculé sur la page"
    assert "run_id" not in view.DECISION_COLUMNS and "UTC" not in str(view.DECISION_COLUMNS)
    assert view.iso_week_label("2026-W99") == "2026-W99"
