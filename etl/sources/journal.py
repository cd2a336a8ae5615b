"""The load journal: what the loader (:mod:`etl.sources.loader`) writes beside the rows it
loads, one row per file in ``load_runs`` (builds add theirs) and the refused lines in
``quarantine``. Declared here, below the warehouse's schema that lists them with every other
table, so that the loader needs nothing of the storage above it."""

from __future__ import annotations

from etl.warehouse.tables import Column as C
from etl.warehouse.tables import Table

LOAD_RUNS = Table(
    "load_runs",
    "One row per build and per source file it read: kept across builds.",
    "build",
    (
        C("run_id", "VARCHAR", "Build id (UTC timestamp and process)", False),
        C("source", "VARCHAR", "Source name ('build' for the run itself)", False),
        C("fichier", "VARCHAR", "File read"),
        C("sha256", "VARCHAR", "SHA-256 of that file"),
        C("lignes_lues", "BIGINT", "Rows read"),
        C("lignes_chargees", "BIGINT", "Rows loaded"),
        C("lignes_rejetees", "BIGINT", "Rows rejected (in quarantine)"),
        C("lignes_remplacees", "BIGINT", "Rows that replaced a previous version (same natural "
          "key, other content)"),
        C("lignes_inchangees", "BIGINT", "Rows already loaded with the same content"),
        C("synthetique", "BOOLEAN", "True for synthetic demo files"),
        C("debut", "TIMESTAMP", "Start (UTC)", False),
        C("fin", "TIMESTAMP", "End (UTC)"),
        C("statut", "VARCHAR", "'succes' or 'echec'", False),
        C("message", "VARCHAR", "Summary or error message"),
    ),
)

QUARANTINE = Table(
    "quarantine",
    "Rows of source files that could not be loaded, with the reason (French): one row per "
    "problem found. Re-loading the same file replaces its quarantine rows.",
    "python -m etl load",
    (
        C("source", "VARCHAR", "Source name (crime, complaints, …)", False),
        C("fichier", "VARCHAR", "File", False),
        C("sha256", "VARCHAR", "SHA-256 of the file", False),
        C("run_id", "VARCHAR", "Load run", False),
        C("ligne", "BIGINT", "Line in the file (1 = header)"),
        C("colonne", "VARCHAR", "Column concerned ('*' for the whole line)"),
        C("motif", "VARCHAR", "Reason, in French", False),
        C("valeur", "VARCHAR", "Offending value (truncated)"),
        C("charge_le", "TIMESTAMP", "When the file was loaded (UTC)", False),
    ),
    order_by=("source", "fichier", "ligne"),
)
