"""Reading and validating a source file: every bad row gets its line, column and a French reason."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from etl.sources.base import Field, Source

LINE = "_ligne"
MISSING = "valeur obligatoire manquante"
INSEE_RE = r"^(\d{5}|2[AB]\d{3})$"
DEP_RE = r"^(\d{2}|2[AB]|97[1-6])$"
TRUE = {"oui", "o", "1", "true", "vrai", "yes", "y"}
FALSE = {"non", "n", "0", "false", "faux", "no"}


class FileRejected(Exception):
    """The whole file cannot be loaded (unreadable, missing columns): nothing of it loads."""


@dataclass
class Known:
    """Reference codes a row may point to (from the warehouse being updated)."""

    communes: set[str] = field(default_factory=set)
    departements: set[str] = field(default_factory=set)
    brigades: set[str] = field(default_factory=set)


@dataclass
class Rejections:
    #: (line, column, reason, value)
    rows: list[tuple[int, str, str, str]] = field(default_factory=list)

    def add(self, lines, column: str, reason: str, values) -> None:
        for ln, v in zip(lines, values, strict=True):
            self.rows.append((int(ln), column, reason, "" if _isna(v) else str(v)[:200]))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["ligne", "colonne", "motif", "valeur"])


def _isna(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# --- reading ---------------------------------------------------------------------------------

def read_file(path: Path, rejections: Rejections) -> pd.DataFrame:
    """All columns as strings, plus the line number; CSV (`;` or `,`, UTF-8 with or without BOM)
    or Parquet. Undecodable lines and lines with a wrong number of fields are rejected."""
    if not path.is_file():
        raise FileRejected(f"fichier introuvable : {path}")
    if path.suffix.lower() == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - any parquet error means an unreadable file
            raise FileRejected(f"fichier Parquet illisible : {exc}") from exc
        frame = frame.astype("string").astype(object).where(frame.notna(), None)
        frame[LINE] = np.arange(2, len(frame) + 2)
        return frame
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", errors="surrogateescape")
    lines = text.splitlines()
    if not lines:
        raise FileRejected("fichier vide")
    header_line = lines[0]
    if _has_surrogates(header_line):
        raise FileRejected("en-tête illisible : le fichier n'est pas en UTF-8 (ré-exportez-le en "
                           "UTF-8, avec ou sans BOM)")
    sep = ";" if header_line.count(";") >= header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = [h.strip() for h in next(reader)]
    rows, numbers = [], []
    bad_encoding = 0
    for row in reader:
        ln = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if any(_has_surrogates(c) for c in row):
            bad_encoding += 1
            rejections.add([ln], "*", "encodage invalide (UTF-8 attendu)",
                           [sep.join(row).encode("utf-8", "surrogateescape")
                            .decode("latin-1")])
            continue
        if len(row) != len(header):
            rejections.add([ln], "*", f"nombre de colonnes incorrect ({len(row)} au lieu de "
                           f"{len(header)})", [sep.join(row)])
            continue
        rows.append(row)
        numbers.append(ln)
    if bad_encoding and not rows:
        raise FileRejected("le fichier n'est pas en UTF-8 (ré-exportez-le en UTF-8)")
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame[LINE] = numbers
    return frame


def _has_surrogates(s: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in s)


# --- coercion --------------------------------------------------------------------------------

NULL_TOKENS = ("", "NA", "N/A", "null", "NULL", "<NA>")


def _strip(s: pd.Series) -> pd.Series:
    """Trimmed strings (object dtype), None for empty cells and the usual null tokens."""
    out = s.astype("string").str.strip()
    out = out.where(~out.isin(NULL_TOKENS))
    return out.astype(object).where(out.notna(), None)


def _parse_dates(s: pd.Series, with_time: bool) -> pd.Series:
    formats = (["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"] if with_time else ["%Y-%m-%d", "%d/%m/%Y"])
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    rest = s.notna()
    for fmt in formats:
        if not rest.any():
            break
        parsed = pd.to_datetime(s[rest], format=fmt, errors="coerce")
        out[rest] = parsed
        rest = rest & out.isna()
    return out


def coerce_field(f: Field, raw: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    """(typed values, mask of values that could not be read, French reason)."""
    s = _strip(raw)
    present = s.notna()
    k = f.kind
    if k in ("text", "code", "brigade"):
        return s, pd.Series(False, index=s.index), ""
    if k == "insee":
        # Excel drops the leading zero of 01001: a 4-digit code is mended explicitly
        v = s.map(lambda x: x.upper().zfill(5) if isinstance(x, str) and x.isdigit()
                  and len(x) == 4 else (x.upper() if isinstance(x, str) else x))
        bad = present & ~v.fillna("").str.match(INSEE_RE)
        return v.where(~bad, None), bad, "code INSEE mal formé (5 caractères attendus)"
    if k == "departement":
        v = s.map(lambda x: x.upper().zfill(2) if isinstance(x, str) and len(x) == 1 else
                  (x.upper() if isinstance(x, str) else x))
        bad = present & ~v.fillna("").str.match(DEP_RE)
        return v.where(~bad, None), bad, "code de département mal formé"
    if k == "enum":  # case-insensitive, stored as declared
        canon = {e.lower(): e for e in f.enum or ()}
        v = s.map(lambda x: canon.get(x.lower(), "!") if isinstance(x, str) else x)
        bad = present & v.eq("!")
        return v.where(~bad, None), bad, "valeur hors liste (" + ", ".join(f.enum or ()) + ")"
    if k == "list":
        def norm(x):
            if not isinstance(x, str):
                return x
            parts = [p.strip().lower() for p in x.split("|") if p.strip()]
            return "|".join(parts) if parts and all(p in (f.enum or ()) for p in parts) else "!"
        v = s.map(norm)
        bad = present & v.eq("!")
        return v.where(~bad, None), bad, "valeur hors liste (" + ", ".join(f.enum or ()) + ")"
    if k in ("int", "float"):
        txt = s.map(lambda x: x.replace(",", ".").replace("\u202f", "").replace(" ", "")
                    if isinstance(x, str) else x)
        num = pd.to_numeric(txt, errors="coerce")
        bad = present & num.isna()
        if k == "int":
            frac = num.notna() & (num != np.floor(num.fillna(0)))
            bad |= frac
            num = num.where(~frac)
            return num.astype("Int64"), bad, "nombre entier attendu"
        return num.astype("Float64"), bad, "nombre attendu"
    if k in ("date", "datetime"):
        d = _parse_dates(s, with_time=(k == "datetime"))
        if k == "datetime":  # a plain date is accepted for a date-time (midnight)
            d = d.fillna(_parse_dates(s, with_time=False))
        bad = present & d.isna()
        label = "date attendue (AAAA-MM-JJ)" if k == "date" else "date et heure attendues"
        return (d.dt.normalize() if k == "date" else d), bad, label
    if k == "month":
        d = pd.to_datetime(s.where(s.fillna("").str.match(r"^\d{4}-\d{2}$")), format="%Y-%m",
                           errors="coerce")
        bad = present & d.isna()
        return d, bad, "mois attendu (AAAA-MM)"
    if k == "bool":
        low = s.map(lambda x: x.lower() if isinstance(x, str) else x)
        v = low.map(lambda x: True if x in TRUE else (False if x in FALSE else None))
        bad = present & v.isna()
        return v.astype("boolean"), bad, "oui ou non attendu"
    raise ValueError(f"unknown kind {k}")


def pandera_schema(source: Source) -> pa.DataFrameSchema:
    """Value checks, once values have their type: required values, bounds."""
    cols = {}
    for f in source.fields:
        checks = []
        if f.min is not None:
            checks.append(pa.Check.ge(f.min, error=f"valeur inférieure au minimum ({f.min:g})"))
        if f.max is not None:
            checks.append(pa.Check.le(f.max, error=f"valeur supérieure au maximum ({f.max:g})"))
        cols[f.name] = pa.Column(nullable=not f.required, checks=checks, required=False)
    return pa.DataFrameSchema(cols)


def validate(source: Source, raw: pd.DataFrame, mapping: dict[str, str], known: Known,
             today: date, rejections: Rejections) -> pd.DataFrame:
    """Typed rows that passed every check; the others are added to ``rejections``."""
    frame = raw.rename(columns=mapping)
    if source.normalise:
        frame = source.normalise(frame)
    lines = frame[LINE]
    out = pd.DataFrame(index=frame.index)
    bad = pd.Series(False, index=frame.index)
    for f in source.fields:
        if f.name not in frame.columns:
            out[f.name] = None
            continue
        typed, unreadable, reason = coerce_field(f, frame[f.name])
        if unreadable.any():
            rejections.add(lines[unreadable], f.name, reason, frame.loc[unreadable, f.name])
            bad |= unreadable
        out[f.name] = typed
    # pandera: required values and bounds, on the rows whose values could all be read
    readable = out[~bad]
    try:
        pandera_schema(source).validate(readable, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases.dropna(subset=["index"])
        for (col, check), grp in fc.groupby(["column", "check"], sort=False):
            idx = grp["index"].astype(int).to_numpy()
            reason = MISSING if check == "not_nullable" else str(check)
            rejections.add(lines.loc[idx], str(col), reason, frame.loc[idx, col]
                           if col in frame.columns else [None] * len(idx))
            bad.loc[idx] = True
    # references and dates
    refs = {"insee": (known.communes, "code INSEE inconnu du référentiel des communes"),
            "departement": (known.departements, "département inconnu"),
            "brigade": (known.brigades, "brigade inconnue (table brigades)")}
    now = pd.Timestamp(today) + pd.Timedelta(days=1)
    for f in source.fields:
        col = out[f.name]
        if f.kind in refs and refs[f.kind][0]:
            unknown = col.notna() & ~col.isin(refs[f.kind][0]) & ~bad
            if unknown.any():
                rejections.add(lines[unknown], f.name, refs[f.kind][1], col[unknown])
                bad |= unknown
        if f.not_future and f.kind in ("date", "datetime", "month"):
            future = col.notna() & (col >= now) & ~bad
            if future.any():
                rejections.add(lines[future], f.name, "date dans le futur", frame.loc[future,
                                                                                       f.name])
                bad |= future
    for check in source.row_checks:
        for mask, col, reason in check(out, known):
            mask = mask.fillna(False).astype(bool) & ~bad
            if mask.any():
                rejections.add(lines[mask], col, reason, out.loc[mask, col])
                bad |= mask
    good = out[~bad].copy()
    good[LINE] = lines[~bad]
    return good


def content_hash(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """A stable hash of each row's values: equal content, equal hash."""
    h = pd.util.hash_pandas_object(frame[columns].astype("string"), index=False)
    return h.map(lambda x: f"{x:016x}")


def first_duplicates(frame: pd.DataFrame, key: list[str], rejections: Rejections,
                     columns: list[str]) -> pd.DataFrame:
    """Within one file: an exact repeat is dropped; a key repeated with other content is rejected
    (the first line is kept)."""
    if not key:
        return frame
    frame = frame.assign(empreinte=content_hash(frame, columns))
    exact = frame.duplicated(key + ["empreinte"], keep="first")
    frame = frame[~exact]
    dup = frame.duplicated(key, keep="first")
    if dup.any():
        first_line = frame[~dup].set_index(key)[LINE]
        for _, row in frame[dup].iterrows():
            k = tuple(row[c] for c in key)
            kept = first_line.get(k if len(k) > 1 else k[0])
            rejections.add([row[LINE]], key[0], f"identifiant en double dans le fichier avec un "
                           f"contenu différent (ligne {kept} gardée)", [" / ".join(map(str, k))])
        frame = frame[~dup]
    return frame


def top_reasons(rejections: pd.DataFrame, n: int = 3) -> str:
    if rejections.empty:
        return ""
    counts = rejections.groupby("motif").size().sort_values(ascending=False).head(n)
    return " ; ".join(f"{m} ({c})" for m, c in counts.items())

