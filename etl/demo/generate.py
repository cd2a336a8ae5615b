"""The demo generator: seeded synthetic files in the real source formats, calibrated on France.

``generate_demo`` reads the reference tables of the warehouse being built (communes, brigades,
départements), writes one set of files per source into ``out_dir`` and returns them by source,
in load order: the sources are those of the registry (``etl.sources.registry.SOURCES``), each
written by its writer (:data:`WRITERS`; a registered source without one stops the generator).
The build then loads them through the real loaders, flagged ``synthetique``. Same seed, same
``today``, same reference: byte-identical files. Every domain draws from its own stream of the
seed, so that changing one generator leaves the others' data unchanged.

No person is named anywhere: élus appear by function only, phone numbers are in the ranges
reserved for fiction (:mod:`etl.demo.phones`), and messages mention places and units only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from etl import clock
from etl.demo import alerts, complaints, crime, engagement, files, presence
from etl.demo.context import Period, Territory, demo_period, load_territory
from etl.sources.registry import SOURCES

#: independent random streams, one per domain (order matters: append new ones at the end)
STREAMS = ("faits", "series", "ssmsi", "plaintes", "contacts", "alertes", "dcas", "formations",
           "immersions", "diagnostics", "presence")


#: the demo's truth (not a source: no loader reads it), written beside the files as
#: ``<table>.parquet`` and put into the warehouse by the build; read only to score the
#: forecast's backtest (:func:`etl.analytics.panel.load_oracle`), never by the model
ORACLE_TABLES = ("demo_oracle_taux", "demo_oracle_series")


def oracle_paths(out_dir: Path) -> dict[str, Path]:
    """{oracle table: its parquet file in ``out_dir``}."""
    return {t: Path(out_dir) / f"{t}.parquet" for t in ORACLE_TABLES}


def _n(x: int) -> str:
    return f"{x:,}".replace(",", "\u202f")


@dataclass
class Demo:
    """What the writers share: the territory, the period, one random stream per domain and the
    output folder, and the models several sources draw from, each computed once on first use
    (so that a stream is always drawn in the same order, whichever writer asks first)."""

    territory: Territory
    period: Period
    rng: dict[str, np.random.Generator]
    out_dir: Path

    def path(self, name: str) -> Path:
        """A demo file of ``out_dir`` (its name prefixed, so that a new build removes it)."""
        return self.out_dir / f"{files.PREFIX}{name}"

    @cached_property
    def lam(self) -> np.ndarray:
        """Expected facts per commune × category and year."""
        return crime.expected_facts(self.territory, self.rng["faits"])

    @cached_property
    def sprees(self) -> alerts.Sprees:
        k_burg = crime.CATEGORY_CODES.index("cambriolages_logement")
        season = crime.season_matrix()[k_burg]
        return alerts.plant_sprees(self.territory, self.period, self.lam[:, k_burg], season,
                                   self.rng["series"])

    @cached_property
    def facts(self) -> crime.Facts:
        return crime.draw_facts(self.territory, self.period, self.lam, self.sprees.extra,
                                self.rng["faits"])

    @cached_property
    def contacts(self) -> pd.DataFrame:
        """The élus' contacts, with the private columns (``_…``) the alerts draw from."""
        return alerts.contacts(self.territory, self.period, self.rng["contacts"])

    @cached_property
    def alert_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(the alerts, their delivery reports)."""
        return alerts.alerts(self.territory, self.period, self.sprees, self.contacts,
                             self.rng["alertes"])


#: (the shared state) -> (the files written, in load order; what they hold, in French for the
#: console); no file: the source has nothing in this period
Writer = Callable[[Demo], tuple[list[Path], str]]
#: the writer of each registered source (``etl.sources.registry.SOURCES``): a source without
#: one stops :func:`generate_demo` (and fails ``tests/integration/test_demo_generator.py``)
WRITERS: dict[str, Writer] = {}


def _writes(source: str) -> Callable[[Writer], Writer]:
    def register(writer: Writer) -> Writer:
        WRITERS[source] = writer
        return writer
    return register


def check_writers() -> None:
    """Every registered source has a demo writer, and every writer a registered source."""
    missing = [name for name in SOURCES if name not in WRITERS]
    unknown = [name for name in WRITERS if name not in SOURCES]
    if missing or unknown:
        raise RuntimeError(
            f"demo writers out of step with etl/sources/registry.py: no writer for {missing}, "
            f"a writer for unregistered {unknown} (etl/demo/generate.py, WRITERS)")


def generate_demo(con, out_dir: Path, seed: int, years: int = 3,
                  report: Callable[[str], None] = print,
                  today: date | None = None) -> dict[str, list[Path]]:
    """Writes the demo files into ``out_dir`` and returns {source: [paths]} in load order (the
    registry's; a source with no file in the period is left out); the oracle side files
    (:data:`ORACLE_TABLES`) are written beside them, not returned."""
    check_writers()
    today = today or clock.today()
    period = demo_period(today, years)
    out_dir = Path(out_dir)
    files.reset_dir(out_dir)
    rng = dict(zip(STREAMS, np.random.default_rng(seed).spawn(len(STREAMS)), strict=True))
    demo = Demo(load_territory(con), period, rng, out_dir)
    report(f"Démonstration : {_n(len(demo.territory.communes))} communes, "
           f"{_n(len(demo.territory.brigades))} brigades, mois {period.months[0]} à "
           f"{period.months[-1]}")
    oracle = crime.oracle_frames(demo.territory, period, demo.lam, demo.sprees.extra)
    for frame, path in zip(oracle, oracle_paths(out_dir).values(), strict=True):
        files.write_parquet(frame, path)  # draws nothing
    report(f"Démonstration : {_n(int(demo.sprees.burglaries['spree'].nunique()))} séries de "
           "cambriolages plantées dans les faits")
    out: dict[str, list[Path]] = {}
    for name in SOURCES:
        paths, summary = WRITERS[name](demo)
        report(f"Démonstration : {name} — {summary}")
        if paths:
            out[name] = paths
    report(f"Démonstration : fichiers dans {out_dir}")
    return out


# --- one writer per source, in the registry's order -------------------------------------------

NO_SSMSI = "aucune année civile complète dans la période, pas de base SSMSI"


@_writes("crime")
def _crime(demo: Demo) -> tuple[list[Path], str]:
    if not demo.period.complete_years:
        return [], NO_SSMSI
    ssmsi = crime.communal_file(demo.territory, demo.period, demo.facts, demo.lam,
                                demo.rng["ssmsi"])
    paths = [files.write_csv(part, demo.path(f"ssmsi_communes_{year}.csv"), na_rep="NA")
             for year, part in ssmsi.groupby("annee", sort=True)]
    return paths, (f"base SSMSI communale ({_n(len(ssmsi))} lignes, années "
                   f"{', '.join(map(str, demo.period.complete_years))})")


@_writes("crime_dep")
def _crime_dep(demo: Demo) -> tuple[list[Path], str]:
    if not demo.period.complete_years:
        return [], NO_SSMSI
    frame = crime.departmental_file(demo.territory, demo.period, demo.facts)
    return [files.write_csv(frame, demo.path("ssmsi_departements.csv"), na_rep="NA",
                            digits=4)], f"base SSMSI départementale ({_n(len(frame))} lignes)"


@_writes("facts")
def _facts(demo: Demo) -> tuple[list[Path], str]:
    frame = demo.facts.frame
    paths = [files.write_parquet(part, demo.path(f"faits_{year}.parquet"))
             for year, part in frame.groupby(frame["mois"].str[:4], sort=True)]
    return paths, f"{_n(len(frame))} lignes de faits mensuels"


@_writes("complaints")
def _complaints(demo: Demo) -> tuple[list[Path], str]:
    frame = complaints.complaints(demo.territory, demo.period, demo.rng["plaintes"])
    return ([files.write_csv(frame, demo.path("plaintes_elus.csv"))],
            f"{_n(len(frame))} plaintes d'élus")


@_writes("contacts")
def _contacts(demo: Demo) -> tuple[list[Path], str]:
    public = [c for c in demo.contacts.columns if not c.startswith("_")]
    return ([files.write_csv(demo.contacts[public], demo.path("contacts_elus.csv"))],
            f"{_n(len(demo.contacts))} contacts")


@_writes("alerts")
def _alerts(demo: Demo) -> tuple[list[Path], str]:
    frame = demo.alert_frames[0]
    return [files.write_csv(frame, demo.path("alertes_sms.csv"))], f"{_n(len(frame))} alertes SMS"


@_writes("dlr")
def _dlr(demo: Demo) -> tuple[list[Path], str]:
    frame = demo.alert_frames[1]
    return ([files.write_csv(frame, demo.path("accuses_sms.csv"))],
            f"{_n(len(frame))} accusés de réception")


@_writes("dcas")
def _dcas(demo: Demo) -> tuple[list[Path], str]:
    frame = engagement.dcas(demo.territory, demo.period, demo.lam, demo.rng["dcas"])
    return ([files.write_csv(frame, demo.path("consultations_dcas.csv"))],
            f"{_n(len(frame))} consultations DCAS")


@_writes("trainings")
def _trainings(demo: Demo) -> tuple[list[Path], str]:
    frame = engagement.trainings(demo.territory, demo.period, demo.rng["formations"])
    return ([files.write_csv(frame, demo.path("formations.csv"))],
            f"{_n(len(frame))} participations à des formations")


@_writes("immersions")
def _immersions(demo: Demo) -> tuple[list[Path], str]:
    frame = engagement.immersions(demo.territory, demo.period, demo.rng["immersions"])
    return ([files.write_csv(frame, demo.path("immersions.csv"), digits=1)],
            f"{_n(len(frame))} immersions")


@_writes("diagnostics")
def _diagnostics(demo: Demo) -> tuple[list[Path], str]:
    frame = engagement.diagnostics(demo.territory, demo.period, demo.rng["diagnostics"])
    return ([files.write_csv(frame, demo.path("diagnostics_cyber.csv"))],
            f"{_n(len(frame))} autodiagnostics cyber")


@_writes("presence")
def _presence(demo: Demo) -> tuple[list[Path], str]:
    hours = presence.presence(demo.territory, demo.period, demo.lam.sum(axis=1),
                              demo.rng["presence"])
    paths = [files.write_parquet(part, demo.path(f"presence_{year}.parquet"))
             for year, part in hours.groupby(hours["date"].str[:4], sort=True)]
    millions = f"{hours['heures'].sum() / 1e6:.1f}".replace(".", ",")
    return paths, (f"{_n(len(hours))} lignes de présence sur la voie publique ({millions} M "
                   "heures-gendarme)")
