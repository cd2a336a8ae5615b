"""Writing the demo files: `;` CSV (UTF-8, decimal comma) or Parquet, reproducible to the byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

#: every generated file starts with this prefix: only those are deleted before a new run
PREFIX = "demo_"


def reset_dir(out_dir: Path) -> None:
    """Creates ``out_dir`` and deletes the files a previous run generated there (and only them)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(out_dir.iterdir()):
        if path.is_file() and path.name.startswith(PREFIX) and path.suffix in (".csv", ".parquet"):
            path.unlink()


def write_csv(frame: pd.DataFrame, path: Path, na_rep: str = "", digits: int = 3) -> Path:
    """French CSV: `;` separator, decimal comma (floats with ``digits`` decimals), UTF-8 without
    BOM, LF line ends, no quotes (no value holds a `;`, a quote or a line break: checked)."""
    text = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_float_dtype(values):
            text[col] = decimal_text(values, digits).to_numpy()
        else:
            text[col] = values.astype("string")
    text = text.astype("string")
    for col in text.columns:
        if text[col].str.contains(r'[;"\n\r]', regex=True).any():
            raise ValueError(f"valeur non exportable sans guillemets dans la colonne {col}")
    table = pa.Table.from_pandas(text.fillna(na_rep), preserve_index=False)
    with open(path, "wb") as out:
        out.write((";".join(frame.columns) + "\n").encode("utf-8"))
        pacsv.write_csv(table, out, write_options=pacsv.WriteOptions(
            include_header=False, delimiter=";", quoting_style="none"))
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Parquet through pyarrow: same frame, same bytes (no timestamps in the file metadata)."""
    frame.reset_index(drop=True).to_parquet(path, index=False, engine="pyarrow",
                                            compression="zstd")
    return path


def decimal_text(values, digits: int) -> pd.Series:
    """Non-negative numbers as French decimal text ('4,125'), None for NaN: much faster than
    letting ``to_csv`` format a million floats one by one."""
    x = np.asarray(values, dtype=float)
    ok = np.isfinite(x)
    scale = 10 ** digits
    scaled = np.round(np.where(ok, x, 0.0) * scale).astype(np.int64)
    whole = pd.Series(scaled // scale).astype(str)
    frac = pd.Series(scaled % scale).astype(str).str.zfill(digits)
    return (whole + "," + frac).astype(object).where(ok, None)
