"""The monthly panel of victim-reported facts the forecast learns from, and the demo's oracle.

Facts are recorded per commune × month × category (``facts_monthly``): the gendarmerie export
and the SSMSI bases are monthly, no weekly count exists, so the forecast is monthly. Only ZGN
communes with a serving brigade are forecast (the police zone is not the gendarmerie's to
patrol). Months without a row are zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.analytics.oracle import oracle_expected
from etl.sources.categories import CATEGORIES

#: Offences revealed by police activity: recorded when the police look for them (stops,
#: searches), so their counts measure where patrols went, not where victims are. A model fed
#: with them sends patrols where patrols already were and finds more there: a runaway feedback
#: loop (Lum & Isaac 2016, « To predict and serve? », on drug crimes in Oakland; Ensign et al.
#: 2018, « Runaway feedback loops in predictive policing »). They are never a target nor a
#: feature of the forecast.
ENFORCEMENT_CATEGORIES: tuple[str, ...] = ("trafic_stupefiants", "usage_stupefiants")

#: Victim-reported categories the forecast predicts (every category but the enforcement ones),
#: in the order of :data:`etl.sources.categories.CATEGORIES`.
TARGET_CATEGORIES: tuple[str, ...] = tuple(k for k in CATEGORIES if k not in ENFORCEMENT_CATEGORIES)

#: dwellings per inhabitant when the SSMSI base gives no count (France: 37.8 M for 66.5 M)
DWELLINGS_PER_INHABITANT = 0.57


@dataclass
class Panel:
    """Dense counts ``[commune, month, category]`` (float32) of :data:`TARGET_CATEGORIES`.

    ``communes``: one row per panel commune, in the panel's order, with ``code_commune``,
    ``departement``, ``brigade_id``, ``population``, ``logements``, ``longitude``,
    ``latitude``. ``months``: monthly ``pd.PeriodIndex`` of the month axis.
    """

    counts: np.ndarray
    communes: pd.DataFrame
    months: pd.PeriodIndex
    categories: tuple[str, ...] = TARGET_CATEGORIES

    def __post_init__(self) -> None:
        if set(self.categories) & set(ENFORCEMENT_CATEGORIES):
            raise ValueError("enforcement categories cannot be in the panel")
        n, m, k = self.counts.shape
        if (n, m, k) != (len(self.communes), len(self.months), len(self.categories)):
            raise ValueError("panel shape does not match its communes, months and categories")

    @property
    def n_months(self) -> int:
        return len(self.months)

    def codes(self, column: str) -> np.ndarray:
        """Integer codes of a commune column (``departement``, ``brigade_id``); -1 for null."""
        return pd.factorize(self.communes[column], sort=True)[0]

    def subset(self, rows: np.ndarray) -> Panel:
        """The panel restricted to some communes (boolean mask or positions)."""
        return Panel(self.counts[rows], self.communes.iloc[rows].reset_index(drop=True),
                     self.months, self.categories)


def _communes(con, departement: str | None, brigade_ids) -> pd.DataFrame:
    where, params = ["c.zone = 'ZGN'", "c.brigade_id IS NOT NULL"], []
    if departement is not None:
        where.append("c.departement = ?")
        params.append(departement)
    if brigade_ids is not None:
        where.append("list_contains(?::VARCHAR[], c.brigade_id)")
        params.append([str(b) for b in brigade_ids])
    # fixed SQL text: the values are bound parameters
    sql = ("SELECT c.code AS code_commune, c.departement, c.brigade_id, "
           "coalesce(c.population, 0) AS population, c.longitude, c.latitude "
           "FROM communes c WHERE " + " AND ".join(where) + " ORDER BY c.code")
    frame = con.execute(sql, params).df()
    for col in ("code_commune", "departement", "brigade_id"):
        frame[col] = frame[col].astype(object)
    frame["population"] = frame["population"].astype("int64")
    for col in ("longitude", "latitude"):
        mean = frame.groupby("departement")[col].transform("mean")
        frame[col] = frame[col].astype(float).fillna(mean).fillna(0.0)
    return frame


def _dwellings(con, communes: pd.DataFrame) -> np.ndarray:
    """Dwellings from the SSMSI communal base's latest year, else population × 0.57."""
    rows = con.execute(
        "SELECT code_commune, max_by(insee_log, annee) FROM crime_annual "
        "WHERE insee_log IS NOT NULL AND list_contains(?::VARCHAR[], code_commune) "
        "GROUP BY code_commune", [communes["code_commune"].tolist()]).fetchall()
    known = dict(rows)
    fallback = np.round(communes["population"].to_numpy(float) * DWELLINGS_PER_INHABITANT)
    got = communes["code_commune"].map(known).astype(float).to_numpy()
    return np.where(np.isfinite(got), got, fallback)


def load_panel(con, departement: str | None = None, brigade_ids=None) -> Panel:
    """The panel of the ZGN communes with a brigade (optionally one département or some
    brigades), from the first to the last month of ``facts_monthly`` (whole table, so that
    every panel shares one calendar). Parameterised SQL only."""
    communes = _communes(con, departement, brigade_ids)
    bounds = con.execute("SELECT min(mois), max(mois) FROM facts_monthly").fetchall()[0]
    if bounds[0] is None:
        months = pd.period_range("2000-01", periods=0, freq="M")
    else:
        months = pd.period_range(pd.Period(bounds[0], "M"), pd.Period(bounds[1], "M"), freq="M")
    counts = np.zeros((len(communes), len(months), len(TARGET_CATEGORIES)), dtype=np.float32)
    if len(communes) and len(months):
        facts = con.execute(
            "SELECT f.code_commune, f.mois, f.categorie, sum(f.nombre) AS n "
            "FROM facts_monthly f JOIN communes c ON c.code = f.code_commune "
            "WHERE list_contains(?::VARCHAR[], f.categorie) AND c.zone = 'ZGN' "
            "AND c.brigade_id IS NOT NULL AND (? IS NULL OR c.departement = ?) "
            "GROUP BY ALL", [list(TARGET_CATEGORIES), departement, departement]).df()
        rows = pd.Index(communes["code_commune"]).get_indexer(facts["code_commune"])
        cols = months.get_indexer(pd.PeriodIndex(pd.to_datetime(facts["mois"]), freq="M"))
        cats = pd.Index(TARGET_CATEGORIES).get_indexer(facts["categorie"])
        ok = (rows >= 0) & (cols >= 0) & (cats >= 0)
        counts[rows[ok], cols[ok], cats[ok]] = facts["n"].to_numpy(np.float32)[ok]
    communes["logements"] = _dwellings(con, communes) if len(communes) else []
    cols = ["code_commune", "departement", "brigade_id", "population", "logements",
            "longitude", "latitude"]
    return Panel(counts, communes[cols], months)


def has_oracle(con) -> bool:
    """Whether the warehouse holds the demo's oracle (demo builds only)."""
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'demo_oracle_taux'"
    ).fetchall()
    if not rows[0][0]:
        return False
    return bool(con.execute("SELECT count(*) > 0 FROM demo_oracle_taux").fetchall()[0][0])


def load_oracle(con, panel: Panel) -> np.ndarray | None:
    """The demo's true expected counts, shaped like ``panel.counts`` (float64), or None when
    the warehouse has no oracle. For the backtest's scoring only: the model and its features
    never read it."""
    if not has_oracle(con):
        return None
    codes = panel.communes["code_commune"].tolist()
    return oracle_counts(con, codes, panel.months, panel.categories)


def oracle_counts(con, codes: list[str], months: pd.PeriodIndex, categories) -> np.ndarray:
    """The demo's true expected counts ``[commune, month, category]`` of ``codes`` (the oracle
    tables must exist: :func:`has_oracle`), rebuilt by
    :func:`etl.analytics.oracle.oracle_expected`."""
    rates = con.execute(
        "SELECT code_commune, categorie, lambda_annuel FROM demo_oracle_taux "
        "WHERE list_contains(?::VARCHAR[], code_commune)", [codes]).df()
    sprees = con.execute(
        "SELECT code_commune, mois, cambriolages_serie FROM demo_oracle_series "
        "WHERE list_contains(?::VARCHAR[], code_commune)", [codes]).df()
    return oracle_expected(rates, sprees, codes, months, categories)
