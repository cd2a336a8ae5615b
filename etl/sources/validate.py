"""Reading and validating a source file: every bad row gets its line, column and a French reason."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from etl.sources.base import Field, Source

LINE = "_ligne"
MISSING = "valeur obligatoire manquante"
INSEE_RE = r"^([0-9]{5}|2[AB][0-9]{3})$"
DEP_RE = r"^([0-9]{2}|2[AB]|97[1-6])$"
#: a unit's code: a brigade's id (B35047, or a units file's number), a compagnie's, a
#: groupement's (G35), its CORG (CORG35), a PSIG (PSIG-C35238), a motorway platoon (PA35), the
#: brigade numérique (BNUM): capitals, digits and hyphens, never markup
UNIT_RE = r"^[A-Z0-9][A-Z0-9-]{0,23}$"
#: the French reason of a value that does not match its field's ``pattern``, per pattern
PATTERN_REASONS = {UNIT_RE: "code d'unité mal formé (majuscules, chiffres et tirets : B35047, "
                            "G35, CORG35, PSIG-C35238…)"}
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
    #: (table, column) → the values already there, for the fields declared with a ``Ref``
    parents: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    #: the day of the load, set by :func:`validate` for the row checks: what « in the future »
    #: means for a date checked across columns (e.g. a planned immersion may be in the future)
    today: date | None = None


@dataclass
class Rejections:
    #: (line, column, reason, value)
    rows: list[tuple[int, str, str, str]] = field(default_factory=list)

    def add(self, lines, column: str, reason: str, values) -> None:
        for ln, v in zip(lines, values, strict=True):
            self.rows.append((int(ln), column, reason, "" if _isna(v) else _show(v)[:200]))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["ligne", "colonne", "motif", "valeur"])


def _isna(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# --- reading ---------------------------------------------------------------------------------

#: a byte that is not UTF-8, as decoded with errors="surrogateescape"
_SURROGATE = re.compile("[\udc80-\udcff]")


def read_file(path: Path, rejections: Rejections) -> pd.DataFrame:
    """All columns as strings, plus the line number; CSV (`;` or `,`, UTF-8 with or without BOM)
    or Parquet. Undecodable lines and lines with a wrong number of fields are rejected."""
    if not path.is_file():
        raise FileRejected(f"fichier introuvable : {path}")
    if path.suffix.lower() == ".parquet":
        return _read_parquet(path)
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text, clean = data.decode("utf-8"), True
    except UnicodeDecodeError:
        text, clean = data.decode("utf-8", errors="surrogateescape"), False
    if not text.strip():
        raise FileRejected("fichier vide")
    header_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]  # as the csv module ends lines
    if _SURROGATE.search(header_line):
        raise FileRejected("en-tête illisible : le fichier n'est pas en UTF-8 (ré-exportez-le en "
                           "UTF-8, avec ou sans BOM)")
    sep = ";" if header_line.count(";") >= header_line.count(",") else ","
    fast = _read_csv_fast(text, sep) if clean else None
    if fast is not None:
        return _drop_blank_rows(fast)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows, numbers = [], []
    bad_encoding = 0
    try:
        header = [h.strip() for h in next(reader, [])]
        ncol = len(header)
        for row in reader:
            # the common case first: right width, valid UTF-8 (blank rows are dropped below)
            if len(row) == ncol and (clean or not _SURROGATE.search(sep.join(row))):
                rows.append(row)
                numbers.append(reader.line_num)
                continue
            ln = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            line = sep.join(row)
            if not clean and _SURROGATE.search(line):
                bad_encoding += 1
                rejections.add([ln], "*", "encodage invalide (UTF-8 attendu)",
                               [line.encode("utf-8", "surrogateescape").decode("latin-1")])
                continue
            rejections.add([ln], "*", f"nombre de colonnes incorrect ({len(row)} au lieu de "
                           f"{ncol})", [line])
    except csv.Error as exc:
        raise FileRejected(f"fichier CSV illisible (ligne {reader.line_num}) : {exc}") from exc
    if bad_encoding and not rows:
        raise FileRejected("le fichier n'est pas en UTF-8 (ré-exportez-le en UTF-8)")
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame[LINE] = np.array(numbers, dtype=np.int64)
    return _drop_blank_rows(frame)


def _read_csv_fast(text: str, sep: str) -> pd.DataFrame | None:
    """The same reading with pandas' C parser, when it is the same: every record on one line and
    of the header's width. None otherwise: the csv module then reads the file line by line, and
    reports each bad line."""
    if "\x00" in text:
        return None
    try:
        table = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=object,
                            na_filter=False, skip_blank_lines=False, engine="c")
    except Exception:  # noqa: BLE001 - any parser complaint: the line-by-line reader decides
        return None
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    if len(table) != len(lines):  # a quoted line break, or "\r" line ends
        return None
    ncol = table.shape[1]
    if ncol > 1:  # the parser pads a short line with empty cells: check those lines
        for i in np.flatnonzero(table.iloc[:, -1].to_numpy() == ""):
            line = lines[i]
            if not line.strip():
                continue  # a blank line, dropped as the csv module's reading drops it
            try:
                width = (len(next(csv.reader([line], delimiter=sep))) if '"' in line
                         else line.count(sep) + 1)
            except csv.Error:  # e.g. a lone "\r" in a field: the line-by-line reader says so
                return None
            if width != ncol:
                return None
    header = [str(h).strip() for h in table.iloc[0]]
    frame = pd.DataFrame(table.iloc[1:].to_numpy(), columns=header, dtype=object)
    frame[LINE] = np.arange(2, len(table) + 1)
    return frame


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    ncol = len(frame.columns) - 1
    if ncol and len(frame):  # rows of empty cells (";;;"): the first column rules most out
        blank = frame.iloc[:, 0].str.strip().eq("").to_numpy().copy()
        for i in range(1, ncol):
            if not blank.any():
                break
            blank[blank] = frame.iloc[blank, i].str.strip().eq("").to_numpy()
        if blank.any():
            frame = frame[~blank].reset_index(drop=True)
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as strings: dates as AAAA-MM-JJ (AAAA-MM-JJ HH:MM:SS when a column has
    times; time zones converted to Paris time), numbers and booleans as written."""
    try:
        frame = pd.read_parquet(path)
        out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
        for i, col in enumerate(frame.columns):
            s = frame.iloc[:, i].reset_index(drop=True)
            if isinstance(s.dtype, pd.DatetimeTZDtype):
                s = s.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
            if pd.api.types.is_datetime64_any_dtype(s.dtype):
                midnight = bool((s.dropna() == s.dropna().dt.normalize()).all())
                s = s.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S")
            s = s.astype("string")
            out[str(col)] = s.astype(object).where(s.notna(), None)
    except Exception as exc:  # noqa: BLE001 - any parquet error means an unreadable file
        raise FileRejected(f"fichier Parquet illisible : {exc}") from exc
    out[LINE] = np.arange(2, len(out) + 2)
    return out


# --- coercion --------------------------------------------------------------------------------

NULL_TOKENS = ("", "NA", "N/A", "null", "NULL", "<NA>")
#: integers beyond this are not exact once read as numbers: rejected
MAX_INT = 2 ** 53
_BOOLS = {**dict.fromkeys(TRUE, True), **dict.fromkeys(FALSE, False)}


def _stripped(s: pd.Series) -> pd.Series:
    """Trimmed strings (string dtype), <NA> for empty cells and the usual null tokens."""
    out = s.astype("string").str.strip()
    return out.where(~out.isin(NULL_TOKENS).fillna(False))


def _obj(s: pd.Series) -> pd.Series:
    """Object dtype with None for missing values (what the checks and the inserts expect)."""
    return s.astype(object).where(s.notna(), None)


def _matches(s: pd.Series, regex: str) -> pd.Series:
    return s.str.fullmatch(regex).fillna(False).astype(bool)


def _parse_dates(s: pd.Series, with_time: bool) -> pd.Series:
    formats = (["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f", "%d/%m/%Y %H:%M:%S",
                "%d/%m/%Y %H:%M"] if with_time else ["%Y-%m-%d", "%d/%m/%Y"])
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    rest = s.notna()
    for fmt in formats:
        if not rest.any():
            break
        parsed = pd.to_datetime(s[rest], format=fmt, errors="coerce")
        out[rest] = parsed
        rest = rest & out.isna()
    return out


def _per_distinct(convert, values: pd.Series):
    """``convert(values)`` computed on one row per distinct value, then spread back to every row:
    files repeat few values (communes, months, categories, counts). ``convert`` must treat each
    value on its own and return Series (or tuples holding Series) aligned on its input."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) * 2 > len(values):  # mostly distinct values: nothing to gain
        return convert(values)
    seen, first = np.unique(codes, return_index=True)  # one row per value, missing ones too
    out = convert(values.iloc[first].reset_index(drop=True))
    where = np.searchsorted(seen, codes)

    def spread(x):
        return x.iloc[where].set_axis(values.index) if isinstance(x, pd.Series) else x
    return tuple(spread(x) for x in out) if isinstance(out, tuple) else spread(out)


def coerce_field(f: Field, raw: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    """(typed values, mask of values that could not be read, French reason)."""
    return _per_distinct(lambda values: _coerce(f, values), raw)


def _coerce(f: Field, raw: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    st = _stripped(raw)
    present = st.notna().astype(bool)
    s = _obj(st)
    k = f.kind
    if k in ("text", "code", "brigade"):
        if f.pattern is None:
            return s, pd.Series(False, index=s.index), ""
        bad = present & ~_matches(s.astype("string"), f.pattern)
        return _obj(s.where(~bad)), bad, PATTERN_REASONS.get(f.pattern, "format invalide")
    if k == "insee":
        # Excel drops the leading zero of 01001: a 4-digit code is mended explicitly
        u = st.str.upper()
        v = u.where(~_matches(u, "[0-9]{4}"), "0" + u)
        bad = present & ~_matches(v, INSEE_RE)
        return _obj(v.where(~bad)), bad, "code INSEE mal formé (5 caractères attendus)"
    if k == "departement":
        u = st.str.upper()
        v = u.where(u.str.len().ne(1).fillna(True).astype(bool), "0" + u)
        bad = present & ~_matches(v, DEP_RE)
        return _obj(v.where(~bad)), bad, "code de département mal formé"
    if k == "enum":  # case-insensitive, stored as declared
        canon = {e.lower(): e for e in f.enum or ()}
        v = _obj(st.str.lower()).map(canon)
        bad = present & v.isna()
        return _obj(v.where(~bad)), bad, "valeur hors liste (" + ", ".join(f.enum or ()) + ")"
    if k == "list":
        def norm(x: str) -> str | None:
            parts = list(dict.fromkeys(p.strip().lower() for p in x.split("|") if p.strip()))
            return "|".join(parts) if parts and all(p in (f.enum or ()) for p in parts) else None
        v = s.map({x: norm(x) for x in s.dropna().unique()})
        bad = present & v.isna()
        return _obj(v.where(~bad)), bad, "valeur hors liste (" + ", ".join(f.enum or ()) + ")"
    if k in ("int", "float"):
        txt = st.str.replace(",", ".", regex=False).str.replace(r"[\s\u202f\xa0]", "",
                                                                regex=True)
        num = pd.to_numeric(_obj(txt), errors="coerce").astype("float64")
        bad = present & ~np.isfinite(num)  # unreadable, empty after cleaning, nan or inf
        if k == "int":
            bad |= present & ((num != np.floor(num)) | (num.abs() >= MAX_INT))
            return num.where(~bad).astype("Int64"), bad, "nombre entier attendu"
        return num.where(~bad).astype("Float64"), bad, "nombre attendu"
    if k in ("date", "datetime"):
        d = _parse_dates(s, with_time=(k == "datetime"))
        if k == "datetime":  # a plain date is accepted for a date-time (midnight)
            d = d.fillna(_parse_dates(s, with_time=False))
        bad = present & d.isna()
        label = "date attendue (AAAA-MM-JJ)" if k == "date" else "date et heure attendues"
        return (d.dt.normalize() if k == "date" else d), bad, label
    if k == "month":  # AAAA-MM, or the first day of the month (typed Parquet dates)
        ok = _matches(st, r"[0-9]{4}-[0-9]{2}(-01)?")
        d = pd.to_datetime(st.str.slice(0, 7).where(ok), format="%Y-%m", errors="coerce")
        bad = present & d.isna()
        return d, bad, "mois attendu (AAAA-MM)"
    if k == "bool":
        v = _obj(st.str.lower()).map(_BOOLS)
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


#: the characters that change the direction of a text (U+202A-U+202E, U+2066-U+2069, the marks
#: U+200E, U+200F and U+061C): « U+202E » shows a text reversed, so a validator would read
#: another message than the one sent; refused in the forms' free text and in SMS alerts
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
BIDI_REFUSED = ("caractère invisible de sens d'écriture (U+202E ou semblable) refusé : "
                "retapez le texte sans copier-coller")


#: the bounds of every date (date, date-time, month) of every source: none before 1900, none
#: more than two years after the day of the load (a planned immersion is the only future date
#: a source allows; years like 0001 or 9999 are typing slips)
EARLIEST = pd.Timestamp("1900-01-01")
FUTURE_DAYS_MAX = 2 * 365
TOO_EARLY = "date antérieure à 1900 : vérifiez l'année"
TOO_LATE = "date à plus de deux ans dans le futur : vérifiez l'année"


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
                rejections.add(lines[unknown], f.name, refs[f.kind][1],
                               frame.loc[unknown, f.name])
                bad |= unknown
        if f.ref is not None:  # strict: a row whose parent is not loaded yet is an orphan
            parents = known.parents.get((f.ref.table, f.ref.column), set())
            orphan = col.notna() & ~col.isin(parents) & ~bad
            if orphan.any():
                rejections.add(lines[orphan], f.name, f.ref.reason, frame.loc[orphan, f.name])
                bad |= orphan
        if f.kind in ("date", "datetime", "month"):  # no date of another age (#21)
            early = col.notna() & (col < EARLIEST) & ~bad
            late = (col.notna() & (col >= now + pd.Timedelta(days=FUTURE_DAYS_MAX)) & ~bad
                    & (not f.not_future))
            for odd, reason in ((early, TOO_EARLY), (late, TOO_LATE)):
                if odd.any():
                    rejections.add(lines[odd], f.name, reason, frame.loc[odd, f.name])
                    bad |= odd
        if f.not_future:  # a year (int) after the load's year, a date after its day
            year = f.kind == "int"
            future = col.notna() & ((col > today.year) if year else (col >= now)) & ~bad
            if future.any():
                reason = "année dans le futur" if year else "date dans le futur"
                rejections.add(lines[future], f.name, reason, frame.loc[future, f.name])
                bad |= future
    dated = replace(known, today=today)
    for check in source.row_checks:
        for mask, col, reason in check(out, dated):
            mask = mask.fillna(False).astype(bool) & ~bad
            if mask.any():
                rejections.add(lines[mask], col, reason, out.loc[mask, col])
                bad |= mask
    good = out[~bad].copy()
    good[LINE] = lines[~bad]
    return good


def content_hash(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """A stable hash of each row's values: equal content, equal hash."""
    text = pd.DataFrame({c: _per_distinct(lambda v: v.astype("string"), frame[c])
                         for c in columns}, index=frame.index).astype("string")
    h = pd.util.hash_pandas_object(text, index=False).to_numpy()
    # 16 hex digits per row, vectorised: the big-endian bytes of each hash, viewed 16 at a time
    hexed = np.array([h.astype(">u8").tobytes().hex()]).view("U16") if len(h) else []
    return pd.Series(hexed, index=frame.index, dtype=object)


def first_duplicates(frame: pd.DataFrame, key: list[str], rejections: Rejections,
                     columns: list[str]) -> pd.DataFrame:
    """Within one file: an exact repeat is dropped; a key repeated with other content is rejected
    (the first line is kept)."""
    if not key:
        return frame
    frame = frame.assign(empreinte=content_hash(frame, columns))
    if not frame.duplicated(key).any():  # the usual case: each key once
        return frame
    exact = frame.duplicated(key + ["empreinte"], keep="first")
    frame = frame[~exact]
    dup = frame.duplicated(key, keep="first")
    if dup.any():
        first_line = frame[~dup].set_index(key)[LINE]
        for _, row in frame[dup].iterrows():
            k = tuple(row[c] for c in key)
            kept = first_line.get(k if len(k) > 1 else k[0])
            rejections.add([row[LINE]], key[0], f"identifiant en double dans le fichier avec un "
                           f"contenu différent (ligne {kept} gardée)",
                           [" / ".join(map(_show, k))])
        frame = frame[~dup]
    return frame


def _show(value) -> str:
    """A key value as written in a file: dates without a midnight time."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return str(value)


def top_reasons(rejections: pd.DataFrame, n: int = 3) -> str:
    if rejections.empty:
        return ""
    counts = rejections.groupby("motif").size().sort_values(ascending=False).head(n)
    return " ; ".join(f"{m} ({c})" for m, c in counts.items())

