"""The demo generator: seeded synthetic files in the real source formats, calibrated on France.

``generate_demo`` reads the reference tables of the warehouse being built (communes, brigades,
départements), writes one set of files per source into ``out_dir`` and returns them by source,
in load order. The build then loads them through the real loaders, flagged ``synthetique``.
Same seed, same ``today``, same reference: byte-identical files. Every domain draws from its own
stream of the seed, so that changing one generator leaves the others' data unchanged.

No person is named anywhere: élus appear by function only, phone numbers are in the ranges
reserved for fiction (:mod:`etl.demo.phones`), and messages mention places and units only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

from etl.demo import alerts, complaints, crime, engagement, files, presence
from etl.demo.context import demo_period, load_territory

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


def generate_demo(con, out_dir: Path, seed: int, years: int = 3,
                  report: Callable[[str], None] = print,
                  today: date | None = None) -> dict[str, list[Path]]:
    """Writes the demo files into ``out_dir`` and returns {source: [paths]} in load order; the
    oracle side files (:data:`ORACLE_TABLES`) are written beside them, not returned."""
    today = today or date.today()
    period = demo_period(today, years)
    out_dir = Path(out_dir)
    files.reset_dir(out_dir)
    rng = dict(zip(STREAMS, np.random.default_rng(seed).spawn(len(STREAMS)), strict=True))
    territory = load_territory(con)
    report(f"Démonstration : {_n(len(territory.communes))} communes, "
           f"{_n(len(territory.brigades))} brigades, mois {period.months[0]} à "
           f"{period.months[-1]}")
    out: dict[str, list[Path]] = {}
    p = files.PREFIX

    lam = crime.expected_facts(territory, rng["faits"])
    k_burg = crime.CATEGORY_CODES.index("cambriolages_logement")
    season = crime.season_matrix()[k_burg]
    sprees = alerts.plant_sprees(territory, period, lam[:, k_burg], season, rng["series"])
    facts = crime.draw_facts(territory, period, lam, sprees.extra, rng["faits"])
    oracle = crime.oracle_frames(territory, period, lam, sprees.extra)  # draws nothing
    for frame, path in zip(oracle, oracle_paths(out_dir).values(), strict=True):
        files.write_parquet(frame, path)
    report(f"Démonstration : {_n(len(facts.frame))} lignes de faits mensuels, "
           f"{_n(int(sprees.burglaries['spree'].nunique()))} séries de cambriolages")
    if period.complete_years:
        ssmsi = crime.communal_file(territory, period, facts, lam, rng["ssmsi"])
        out["crime"] = [files.write_csv(part, out_dir / f"{p}ssmsi_communes_{year}.csv",
                                        na_rep="NA")
                        for year, part in ssmsi.groupby("annee", sort=True)]
        out["crime_dep"] = [files.write_csv(crime.departmental_file(territory, period, facts),
                                            out_dir / f"{p}ssmsi_departements.csv",
                                            na_rep="NA", digits=4)]
        report(f"Démonstration : base SSMSI communale ({_n(len(ssmsi))} lignes, années "
               f"{', '.join(map(str, period.complete_years))}) et départementale")
        del ssmsi
    else:
        report("Démonstration : aucune année civile complète dans la période, pas de base SSMSI")
    years_of = facts.frame["mois"].str[:4]
    out["facts"] = [files.write_parquet(part, out_dir / f"{p}faits_{year}.parquet")
                    for year, part in facts.frame.groupby(years_of, sort=True)]

    plaintes = complaints.complaints(territory, period, rng["plaintes"])
    out["complaints"] = [files.write_csv(plaintes, out_dir / f"{p}plaintes_elus.csv")]
    contact_frame = alerts.contacts(territory, period, rng["contacts"])
    public = [c for c in contact_frame.columns if not c.startswith("_")]
    out["contacts"] = [files.write_csv(contact_frame[public], out_dir / f"{p}contacts_elus.csv")]
    alert_frame, dlr = alerts.alerts(territory, period, sprees, contact_frame, rng["alertes"])
    out["alerts"] = [files.write_csv(alert_frame, out_dir / f"{p}alertes_sms.csv")]
    out["dlr"] = [files.write_csv(dlr, out_dir / f"{p}accuses_sms.csv")]
    report(f"Démonstration : {_n(len(plaintes))} plaintes d'élus, {_n(len(contact_frame))} "
           f"contacts, {_n(len(alert_frame))} alertes SMS, {_n(len(dlr))} accusés de réception")

    consultations = engagement.dcas(territory, period, lam, rng["dcas"])
    out["dcas"] = [files.write_csv(consultations, out_dir / f"{p}consultations_dcas.csv")]
    formations = engagement.trainings(territory, period, rng["formations"])
    out["trainings"] = [files.write_csv(formations, out_dir / f"{p}formations.csv")]
    visits = engagement.immersions(territory, period, rng["immersions"])
    out["immersions"] = [files.write_csv(visits, out_dir / f"{p}immersions.csv", digits=1)]
    diags = engagement.diagnostics(territory, period, rng["diagnostics"])
    out["diagnostics"] = [files.write_csv(diags, out_dir / f"{p}diagnostics_cyber.csv")]
    report(f"Démonstration : {_n(len(consultations))} consultations DCAS, {_n(len(formations))} "
           f"participations à des formations, {_n(len(visits))} immersions, {_n(len(diags))} "
           "autodiagnostics cyber")

    hours = presence.presence(territory, period, lam.sum(axis=1), rng["presence"])
    dates = hours["date"].str[:4]
    out["presence"] = [files.write_parquet(part, out_dir / f"{p}presence_{year}.parquet")
                       for year, part in hours.groupby(dates, sort=True)]
    millions = f"{hours['heures'].sum() / 1e6:.1f}".replace(".", ",")
    report(f"Démonstration : {_n(len(hours))} lignes de présence sur la voie publique "
           f"({millions} M heures-gendarme) ; fichiers dans {out_dir}")
    return out
