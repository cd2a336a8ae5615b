"""The operational store (SQLite in WAL mode by default, PostgreSQL by URL): accounts, audit."""
