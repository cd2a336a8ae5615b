"""The data folder's check (``etl.privacy``): a French warning when the folder or a file in it
is open to other local accounts; silence when everything is private."""

from __future__ import annotations

import logging
import os

from etl import privacy


def test_a_0755_data_folder_is_reported_in_french(tmp_path, caplog):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    (folder / "operations.sqlite").write_text("x")
    os.chmod(folder / "operations.sqlite", 0o600)
    assert privacy.warn_if_loose(folder) == []
    os.chmod(folder, 0o755)
    os.chmod(folder / "operations.sqlite", 0o644)
    with caplog.at_level(logging.WARNING, logger="presence.fichiers"):
        loose = privacy.warn_if_loose(folder)
    assert [(p.name, m) for p, m in loose] == [("data", 0o755), ("operations.sqlite", 0o644)]
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"Dossier de données lisible par d'autres comptes de la machine : {folder} (0755), "
        "operations.sqlite (0644). Il contient les numéros des élus, les empreintes des mots de "
        f"passe et le journal d'audit : restreignez-le (chmod -R go-rwx {folder}).")


def test_a_missing_folder_is_not_reported(tmp_path):
    assert privacy.looser_than_private(tmp_path / "absent") == []


def test_the_umask_is_private():
    previous = privacy.restrict_new_files()
    try:
        assert os.umask(previous) == 0o077
    finally:
        os.umask(previous)
