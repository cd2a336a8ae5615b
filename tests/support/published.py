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


def link_published(src: Path, dest_dir: Path) -> Path:
    """The published warehouse ``src`` (``data/warehouse.duckdb``: the link, not the main file
    it points to) seen from ``dest_dir`` without copying it: its own parts folder with a copy
    of the manifest and a link to each file the manifest names, and the link to the main file
    (a warehouse without a manifest: a link to its one file). Its path.

    A server, refresh or alerts worker started on ``dest_dir`` reads what ``src`` publishes
    now, and whatever it writes (lock files, a publication) goes into ``dest_dir``: nothing is
    written beside ``src``. A later publication of ``src`` is not seen."""
    src = Path(src).absolute()
    dest = dest_dir / src.name
    manifest = parts.read_manifest(src)
    if manifest is None:
        if (src.parent / parts.MANIFEST).exists():
            # the main file itself (the link resolved): read alone, it lacks every part
            raise ValueError(f"{src} is a file of a published warehouse's parts folder: pass "
                             "the published path (warehouse.duckdb) instead")
        dest.symlink_to(src.resolve())
        return dest
    folder = parts.parts_dir(dest)
    folder.mkdir()
    for part, name in manifest.files.items():
        (folder / name).symlink_to(manifest.path(src, part).resolve())
    parts.write_manifest(dest, manifest)  # the manifest, then the link to the main file
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
