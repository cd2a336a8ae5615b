"""ETL of the « Présent pour les élus » dashboard: reference data, sources, DuckDB warehouse."""
