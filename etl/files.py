"""Files written for good: an fsync that outlives a crash, and the check of a new folder that a
command writes whole (an export, a backup) before it writes anything."""

from __future__ import annotations

import os
from pathlib import Path


def fsync(path: Path) -> None:
    """Flush ``path`` (a file, or a folder: its entries) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_folder_problem(dest: Path, what: str) -> str | None:
    """Why ``dest`` cannot receive ``what`` (« une sauvegarde », « un export »: written aside,
    then renamed onto it, so it must be new or empty), in French; None when it can."""
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        return (f"La destination {dest} existe et n'est pas un dossier : choisissez un dossier "
                "nouveau ou vide.")
    if dest.is_dir() and any(dest.iterdir()):
        return (f"Le dossier de destination {dest} n'est pas vide : choisissez un dossier "
                f"nouveau ou vide ({what} n'écrase rien).")
    if not dest.parent.is_dir():
        return f"Le dossier parent de la destination, {dest.parent}, n'existe pas."
    if not os.access(dest.parent, os.W_OK | os.X_OK):
        return f"Écriture impossible dans {dest.parent} (droits insuffisants)."
    return None
