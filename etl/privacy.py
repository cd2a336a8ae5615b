"""The data folder is private: the product's files are readable by its own account only.

The data folder holds the élus' numbers (the warehouse's parts, the operational store), the
accounts' password hashes, the audit log and the outbox. The entry points (``python -m etl``,
``python -m dashboard`` and the gunicorn workers it forks) set the umask to
:data:`UMASK` before anything is written (:func:`restrict_new_files`): every folder the
product makes is 0700, every file 0600 (SQLite's -wal and -shm files, DuckDB's, the parts, the
simulated operator's file, the session signing key).

At start they check the data folder (:func:`looser_than_private`) and log a French warning
(:func:`warn_if_loose`) when the folder or anything in it is open to other local accounts — a
folder made before this rule, or copied with another umask. Nothing is changed: the
administrator decides (the warning gives the command).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

#: no permission for the group or the others on anything the product writes
UMASK = 0o077
#: entries looked at, at most (the check must stay instant on a large cache)
MAX_ENTRIES = 20_000
#: how many loose entries the warning names
SHOWN = 5

log = logging.getLogger("presence.fichiers")


def restrict_new_files() -> int:
    """The process's umask set to :data:`UMASK` (inherited by the processes it starts and
    forks); the previous one."""
    return os.umask(UMASK)


def looser_than_private(folder: Path) -> list[tuple[Path, int]]:
    """The data folder, and the folders and files inside it, whose mode lets the group or
    the others in: (path, mode) each, the folder first. Symbolic links are not followed."""
    folder = Path(folder)
    found: list[tuple[Path, int]] = []
    try:
        mode = stat.S_IMODE(folder.stat().st_mode)
    except OSError:
        return found
    if mode & 0o077:
        found.append((folder, mode))
    seen = 0
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            seen += 1
            if seen > MAX_ENTRIES:
                return found
            path = Path(root) / name
            try:
                info = path.lstat()
            except OSError:  # gone meanwhile (a -wal file, a replaced part)
                continue
            if stat.S_ISLNK(info.st_mode):
                continue
            if stat.S_IMODE(info.st_mode) & 0o077:
                found.append((path, stat.S_IMODE(info.st_mode)))
    return found


def warning_text(folder: Path, loose: list[tuple[Path, int]]) -> str:
    """The French warning for ``loose`` (:func:`looser_than_private`)."""
    folder = Path(folder)
    shown = ", ".join(
        f"{p.relative_to(folder) if p != folder else p} ({m:04o})" for p, m in loose[:SHOWN])
    more = f" et {len(loose) - SHOWN} autre(s)" if len(loose) > SHOWN else ""
    return (f"Dossier de données lisible par d'autres comptes de la machine : {shown}{more}. "
            "Il contient les numéros des élus, les empreintes des mots de passe et le journal "
            f"d'audit : restreignez-le (chmod -R go-rwx {folder}).")


def warn_if_loose(folder: Path) -> list[tuple[Path, int]]:
    """Log the French warning when the data folder or its content is looser than private;
    what was found."""
    loose = looser_than_private(folder)
    if loose:
        log.warning(warning_text(folder, loose))
    return loose
