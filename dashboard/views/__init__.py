"""Pure views: frames in, figures, tables and texts out (no SQL, no Dash callback)."""
