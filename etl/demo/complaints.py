"""Complaints from élus (« atteintes aux élus »), as the mobile device exports them.

Calibration (DOMAIN.md): 2,265 attacks in 2022, about 2,600 in 2023, 2,501 in 2024, so 2,300 to
2,700 a year; 64 % of victims are mayors; 68 % are threats or insults; about 10 % are physical
violence. All are taken by gendarmerie units, in the gendarmerie zone (ZGN communes): the
commune's brigade is the one that takes the complaint.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.demo.context import Period, Territory

PER_YEAR = (2_300, 2_700)
FONCTIONS = {"maire": 0.64, "adjoint": 0.24, "conseiller_municipal": 0.10, "autre_elu": 0.02}
#: threats and insults (the first four) are 68 % of the total
INFRACTIONS = {"menaces": 0.30, "outrage": 0.14, "injures": 0.14,
               "injures_diffamation_en_ligne": 0.10, "violences": 0.09, "degradations": 0.09,
               "harcelement": 0.09, "autre": 0.05}
LIEUX = {"mairie": 0.45, "brigade": 0.40, "domicile": 0.05, "autre_lieu": 0.10}


def council_size(pop: np.ndarray) -> np.ndarray:
    """Municipal council seats by population (Code général des collectivités territoriales)."""
    bounds = [100, 500, 1_500, 2_500, 3_500, 5_000, 10_000, 20_000, 30_000]
    seats = [7, 11, 15, 19, 23, 27, 29, 33, 35, 39]
    return np.asarray(seats)[np.searchsorted(bounds, pop, side="right")]


def _pick(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    keys = list(table)
    p = np.array([table[k] for k in keys])
    return np.asarray(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _status(rng: np.random.Generator, age_days: np.ndarray) -> np.ndarray:
    out = np.empty(len(age_days), dtype=object)
    tables = [
        (age_days < 30, {"enregistree": 0.6, "transmise_parquet": 0.4}),
        ((age_days >= 30) & (age_days < 180), {"enregistree": 0.05, "transmise_parquet": 0.5,
                                               "classee_sans_suite": 0.25, "poursuites": 0.2}),
        (age_days >= 180, {"transmise_parquet": 0.1, "classee_sans_suite": 0.35,
                           "poursuites": 0.25, "jugee": 0.3}),
    ]
    for mask, table in tables:
        out[mask] = _pick(rng, table, int(mask.sum()))
    return out


def complaints(territory: Territory, period: Period, rng: np.random.Generator) -> pd.DataFrame:
    c = territory.communes
    zgn = c[(c["zone"] == "ZGN") & c["brigade_id"].notna() & (c["population"] > 0)]
    zgn = zgn.reset_index(drop=True)
    pop = zgn["population"].to_numpy(float)
    weight = council_size(pop) * (1 + pop / 5_000) ** 0.3
    days = period.days
    frames = []
    for year in sorted(set(days.year)):
        in_year = days[days.year == year]
        days_in_year = pd.Timestamp(year=year, month=12, day=31).day_of_year
        n = int(round(rng.integers(PER_YEAR[0] + 50, PER_YEAR[1] - 49) * len(in_year) /
                      days_in_year * territory.commune_scale))
        rows = rng.choice(len(zgn), size=n, p=weight / weight.sum())
        faits = in_year[rng.integers(0, len(in_year), size=n)]
        # most are filed within days, at the town hall or at the brigade, in working hours
        delay = np.where(rng.random(n) < 0.35, 0, np.ceil(rng.exponential(4, n))).astype(int)
        depot = faits + pd.to_timedelta(delay, unit="D")
        depot = depot.where(depot <= period.end.normalize(), period.end.normalize())
        depot = depot + pd.to_timedelta(rng.integers(8 * 60, 19 * 60, size=n), unit="m")
        frames.append(pd.DataFrame({
            "date_faits": faits, "date_depot": depot,
            "code_commune": zgn["code"].to_numpy()[rows],
            "brigade_id": zgn["brigade_id"].to_numpy()[rows],
        }))
    out = pd.concat(frames, ignore_index=True).sort_values(
        ["date_depot", "code_commune"], kind="stable").reset_index(drop=True)
    n = len(out)
    age = (period.end - out["date_depot"]).dt.days.to_numpy()
    seq = out.groupby(out["date_depot"].dt.year).cumcount() + 1
    return pd.DataFrame({
        "id_plainte": [f"PL-{y}-{s:06d}" for y, s in zip(out["date_depot"].dt.year, seq,
                                                         strict=True)],
        "date_faits": out["date_faits"].dt.strftime("%Y-%m-%d"),
        "date_depot": out["date_depot"].dt.strftime("%Y-%m-%d %H:%M"),
        "lieu_depot": _pick(rng, LIEUX, n),
        "code_commune": out["code_commune"],
        "brigade_id": out["brigade_id"],
        "fonction_victime": _pick(rng, FONCTIONS, n),
        "infraction": _pick(rng, INFRACTIONS, n),
        "statut": _status(rng, age),
    })
