"""`python -m etl recommend plan` and `python -m etl recommend build`."""

from __future__ import annotations

import csv
import io
import json
import sys

from etl.settings import Settings

PLAN_COLUMNS = ("semaine", "brigade_id", "commune", "nom", "creneau", "current_hours",
                "recommended_hours", "target_hours", "visits", "capacity_hours", "drivers")


def plan_text(records: list[dict], fmt: str) -> str:
    """The plan as JSON (a list of objects) or CSV (``;``, one line per commune × slot)."""
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=1)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PLAN_COLUMNS, delimiter=";", extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def run_plan(settings: Settings, departement: str, brigade: str | None, semaine: str | None,
             fmt: str) -> int:
    from etl.analytics.inputs import NoData, Territory, load_inputs, parse_week
    from etl.analytics.recommend import recommend
    from etl.ops.plans import applied_plans
    from etl.ops.store import get_engine
    from etl.warehouse import parts

    path = settings.warehouse_path
    if not path.exists():
        print(f"Erreur : aucun entrepôt publié à {path} : lancez d'abord `python -m etl build`.",
              file=sys.stderr)
        return 2
    try:
        week = parse_week(semaine) if semaine else None
    except ValueError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    con = parts.connect(path)
    try:
        territory = Territory(departement=departement,
                              brigade_ids=(brigade,) if brigade else None)
        try:
            from etl.analytics.inputs import default_week

            week = week or default_week(con)
            y, w, _ = week.isocalendar()
            ids = [r[0] for r in con.execute(
                "SELECT brigade_id FROM brigades WHERE departement = ?", [departement]).fetchall()]
            applied = applied_plans(get_engine(settings.ops_url), ids, f"{y}-W{w:02d}")
            inputs = load_inputs(con, territory, week, applied)
        except NoData as exc:
            print(f"Erreur : {exc}", file=sys.stderr)
            return 2
        result = recommend(inputs)
    finally:
        con.close()
    print(plan_text(result.plan_records(), fmt), end="" if fmt == "csv" else "\n")
    for message in [*result.errors.values(), *result.notices.values()]:
        print(f"Attention : {message}", file=sys.stderr)
    return 0


def run_build(settings: Settings, quiet: bool = False) -> int:
    from etl.analytics.runs import national_run
    from etl.progress import Reporter, new_run_id
    from etl.warehouse.parts import JOURNAL, RECOMMANDATIONS, changing
    from etl.warehouse.publish import NoWarehouse

    report = Reporter(quiet=quiet)
    run_id = new_run_id()
    try:
        with changing(settings.warehouse_path, run_id, [RECOMMANDATIONS, JOURNAL]) as con:
            rows = national_run(con, run_id, report)
    except NoWarehouse as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    if not rows:
        print("Erreur : pas assez de mois de faits pour une exécution nationale (13 au moins).",
              file=sys.stderr)
        return 2
    if not quiet:
        for name, n in rows.items():
            print(f"  {name:<24} {n:>9,} lignes".replace(",", " "))
    return 0
