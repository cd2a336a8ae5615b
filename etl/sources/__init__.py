"""Sources: one module per record type (format, validation, table), the loader and quarantine."""
