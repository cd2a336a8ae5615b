"""Queries of the « Méthodologie » page: loads and quarantine."""

from __future__ import annotations

import pandas as pd

from dashboard.core.warehouse import Warehouse


def load_history(warehouse: Warehouse) -> pd.DataFrame:
    """The last successful load of each source, and the counts of all its loads."""
    return warehouse.query(
        """
        SELECT source,
               max(fin) FILTER (WHERE statut = 'succes') AS dernier_chargement,
               arg_max(fichier, fin) AS dernier_fichier,
               count(*) AS chargements,
               count(*) FILTER (WHERE statut <> 'succes') AS echecs,
               sum(lignes_chargees) AS lignes_chargees,
               sum(lignes_rejetees) AS lignes_rejetees,
               bool_or(coalesce(synthetique, FALSE)) AS synthetique
        FROM load_runs
        GROUP BY source
        ORDER BY source
        """
    )

def quarantine_summary(warehouse: Warehouse) -> pd.DataFrame:
    return warehouse.query(
        """
        SELECT source, motif, count(*) AS lignes
        FROM quarantine GROUP BY source, motif ORDER BY source, lignes DESC
        """
    )

