"""The recommendation engine end to end on the fixture warehouse: inputs, plans, decisions."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest

from etl import cli
from etl.analytics.inputs import NoData, Territory, load_inputs, parse_week
from etl.analytics.recommend import Options, recommend
from etl.ops import plans
from etl.ops.store import audit_log, get_engine
from etl.warehouse import parts
from tests.support.dashboard_fixture import add_operational_data, build_small_warehouse


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("reco")
    add_operational_data(build_small_warehouse(d / "warehouse.duckdb"))
    return d


@pytest.fixture()
def con(data_dir):
    c = parts.connect(str(data_dir / "warehouse.duckdb"))
    yield c
    c.close()


def test_plan_of_a_departement_respects_capacity_and_minimum(con):
    inputs = load_inputs(con, Territory(departement="35"))
    result = recommend(inputs)
    assert not result.errors
    assert sorted(result.communes["code_commune"]) == ["35047", "35066", "35142", "35253"]
    per_brigade = result.communes.groupby("brigade_id").agg(
        recommande=("recommande", "sum"), capacite=("capacite_brigade", "first"))
    assert (per_brigade["recommande"] <= per_brigade["capacite"] + 1e-6).all()
    assert (result.communes["recommande"] >= result.communes["minimum"] - 1e-6).all()
    assert result.communes["explication"].str.match(r"^[+−±]").all()
    record = result.plan_records()[0]
    for key in ("commune", "brigade_id", "creneau", "current_hours", "recommended_hours",
                "capacity_hours", "drivers", "visits"):
        assert key in record
    assert inputs.forecast_source == "calcul"  # no stored national run in the fixture


def test_capacity_what_if_changes_the_plan(con):
    inputs = load_inputs(con, Territory(brigade_ids=("B35047",)))
    full = recommend(inputs).communes["recommande"].sum()
    half = recommend(inputs, Options(capacity_pct=50)).communes["recommande"].sum()
    assert half < full
    with pytest.raises(ValueError, match="capacité"):
        recommend(inputs, Options(capacity_pct=500))


def test_values_never_reach_sql_as_text(con):
    with pytest.raises(NoData):
        load_inputs(con, Territory(departement="35' OR '1'='1"))


def test_applied_plan_is_next_weeks_current_allocation(con, data_dir):
    engine = get_engine(f"sqlite:///{data_dir / 'operations.sqlite'}")
    inputs = load_inputs(con, Territory(brigade_ids=("B35253",)))
    result = recommend(inputs)
    rows = [{"code_commune": r.code_commune, "creneau": r.creneau,
             "heures": r.heures_recommandees, "visites": r.visites}
            for r in result.slots.itertuples()]
    decision = plans.record_decision(engine, "cdt.test", "B35253", inputs.semaine, "run-1",
                                     result.options.as_dict(), rows, "127.0.0.1",
                                     audit=result.audit)
    with engine.connect() as c:
        logged = c.execute(audit_log.select().where(
            audit_log.c.action == "recommandation_appliquee")).mappings().all()
    assert any(f"décision {decision}" in r["detail"] and r["login"] == "cdt.test"
               for r in logged)
    from etl.ops.store import plan_decisions

    with engine.connect() as c:
        stored = c.execute(plan_decisions.select()).mappings().one()
    assert json.loads(stored["audit"])["gini_heures_par_habitant"] == pytest.approx(
        result.audit["gini_heures_par_habitant"])
    # a double click: the same decision, not a second one
    again = plans.record_decision(engine, "cdt.test", "B35253", inputs.semaine, "run-1",
                                  result.options.as_dict(), rows, "127.0.0.1")
    assert again == decision
    assert len(plans.decisions(engine, ["B35253"])) == 1
    y, w, _ = inputs.week.isocalendar()
    next_week = parse_week(f"{y}-W{w + 1:02d}")
    applied = plans.applied_plans(engine, ["B35253"], f"{y}-W{w + 1:02d}")
    after = load_inputs(con, Territory(brigade_ids=("B35253",)), next_week, applied)
    current = after.current.groupby("code_commune")["heures"].sum()
    planned = result.communes.set_index("code_commune")["recommande"]
    assert current.reindex(planned.index).to_numpy() == pytest.approx(planned.to_numpy(), abs=0.01)
    # the same week is not its own history
    assert plans.applied_plans(engine, ["B35253"], inputs.semaine) == {}


def test_cli_plan_json_and_csv(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(data_dir))
    assert cli.main(["recommend", "plan", "--departement", "56", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["commune"] for r in records} == {"56003", "56158"}
    assert all(r["capacity_hours"] > 0 and r["brigade_id"] == "B56003" for r in records)
    # each row has its target; a brigade's targets use its whole capacity
    assert all(r["target_hours"] >= 0 for r in records)
    assert sum(r["target_hours"] for r in records) == pytest.approx(
        records[0]["capacity_hours"], rel=1e-3)
    assert cli.main(["recommend", "plan", "--departement", "56", "--brigade", "B56003",
                     "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("semaine;brigade_id;commune;")
    assert "recommended_hours;target_hours;" in lines[0]
    assert len(lines) == 1 + 2 * 6
    assert cli.main(["recommend", "plan", "--departement", "56", "--semaine", "2026-53x"]) == 2
    assert "Semaine invalide" in capsys.readouterr().err


def test_change_cap_gives_way_to_minimum_and_capacity(con):
    """When the minimum presence and the capacity cannot both hold within the change cap, the
    cap is lifted for that brigade and the result says so (a plan is still made)."""
    from etl.analytics.allocation import AllocationParameters
    from etl.analytics.inputs import current_matrix
    from etl.analytics.recommend import reference_allocation

    inputs = load_inputs(con, Territory(brigade_ids=("B35047",)))
    capacity = float(inputs.brigades["capacite"].iloc[0])
    codes = inputs.communes["code"].tolist()
    ref = reference_allocation(current_matrix(inputs.current, codes), capacity).sum(axis=1)
    assert ref.min() < capacity / 2  # the fixture's communes are not patrolled evenly
    # a minimum above the smaller commune's share but within the capacity for both
    minimum = (ref.min() + capacity / 2) / 2
    frozen = AllocationParameters(min_visits=int(minimum / 0.5), max_change=0.0,
                                  priority_min_factor=1.0,
                                  change_floor_hours=0.0)
    result = recommend(inputs, Options(allocation=frozen))
    assert result.errors == {}
    assert "limite de variation est levée" in result.notices["B35047"]
    assert (result.communes["recommande"] >= result.communes["minimum"] - 1e-6).all()
    assert result.communes["recommande"].sum() <= capacity + 1e-6


def test_current_allocation_is_the_mean_of_complete_weeks_before_the_last_recorded_day(con):
    """Issue #17: the current window ran to the day before the planned week, so a week after
    the data ended counted as absence (22 days of data divided by 4 weeks). It now ends on the
    last Sunday on or before the last recorded day, over 12 complete weeks; a plan made after
    a data gap starts from the same current allocation."""
    last = con.execute("SELECT max(date) FROM presence_hours WHERE code_commune IN "
                       "(SELECT code FROM communes WHERE brigade_id = 'B35253')").fetchall()[0][0]
    territory = Territory(brigade_ids=("B35253",))
    right_after = load_inputs(con, territory, parse_week(
        f"{(last + timedelta(days=7)).isocalendar()[0]}-W"
        f"{(last + timedelta(days=7)).isocalendar()[1]:02d}"))
    start, end = right_after.current_window
    assert end.weekday() == 6 and end <= last and (last - end).days < 7
    assert (end - start).days == 7 * 12 - 1 and start.weekday() == 0
    expected = con.execute("""
        SELECT code_commune, sum(heures) / 12 AS h FROM presence_hours
        WHERE date BETWEEN ? AND ? AND code_commune IN
          (SELECT code FROM communes WHERE brigade_id = 'B35253') GROUP BY ALL""",
                           [start, end]).df().set_index("code_commune")["h"]
    current = right_after.current.groupby("code_commune")["heures"].sum()
    assert current.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy())
    # five weeks later, nothing recorded since: the same current allocation and the same plan
    later_day = last + timedelta(days=40)
    y, w, _ = later_day.isocalendar()
    after_gap = load_inputs(con, territory, parse_week(f"{y}-W{w:02d}"))
    assert after_gap.current_window == right_after.current_window
    pd.testing.assert_frame_equal(after_gap.current, right_after.current)
    assert after_gap.days_since.equals(right_after.days_since)
    a, b = recommend(right_after).communes, recommend(after_gap).communes
    assert a["recommande"].to_numpy() == pytest.approx(b["recommande"].to_numpy())
    # a shorter window by setting
    short = load_inputs(con, territory, right_after.week, current_weeks=4)
    assert short.current_window == (end - timedelta(days=27), end)


def test_no_commune_with_real_need_is_frozen_near_zero(con):
    """A commune with no recorded presence in the window but a real need rises to half its
    target in one week (the change cap used to hold it at 2 h)."""
    inputs = load_inputs(con, Territory(brigade_ids=("B35253",)))
    codes = inputs.communes["code"]
    top = inputs.weekly.groupby("code_commune")["attendu"].sum().reindex(codes).idxmax()
    inputs.current = inputs.current[inputs.current["code_commune"] != top]
    communes = recommend(inputs).communes.set_index("code_commune")
    row, others = communes.loc[top], communes.drop(index=top)
    assert row["actuel"] == 0.0 and row["cible"] > 4.0
    # half its target, or all the hours the other communes can shed this week (-25 %)
    released = row["capacite_brigade"] - (others["actuel_ramene"] * 0.75).clip(
        lower=others["minimum"]).sum()
    assert row["recommande"] >= min(0.5 * row["cible"], released) - 1e-6
    assert row["recommande"] > 10.0  # not the 2 h the change floor used to hold it at
    assert "reçoit plus" in row["explication"]
