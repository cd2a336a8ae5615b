"""Copies and fingerprints of a published warehouse (main file, parts and manifest)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from etl.warehouse import parts


def copy_published(src: Path, dest_dir: Path) -> Path:
    """A copy of the published warehouse ``src`` in ``dest_dir`` (same layout: parts folder,
    manifest, link to the main file); its path."""
    dest = dest_dir / src.name
    if parts.is_split(src):
        shutil.copytree(parts.parts_dir(src), parts.parts_dir(dest))
        os.symlink(os.readlink(src), dest)
    else:
        shutil.copy(src, dest)
    return dest


def fingerprint(published: Path) -> tuple[str | None, str]:
    """What is published: the manifest's text and the main file's digest."""
    manifest = parts.manifest_path(published)
    text = manifest.read_text("utf-8") if manifest.exists() else None
    return text, hashlib.sha256(published.resolve().read_bytes()).hexdigest()


def leftovers(published: Path) -> list[Path]:
    """Files of unpublished writes (a killed or failed build, load or refresh): those the
    manifest does not name."""
    found = list(published.parent.glob("*.building*"))
    manifest = parts.read_manifest(published)
    if manifest is None:
        return found
    named = set(manifest.files.values())
    return found + [p for p in parts.parts_dir(published).iterdir()
                    if p.suffix in (".duckdb", ".building", ".wal") and p.name not in named]
