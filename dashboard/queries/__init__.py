"""Parameterised read-only queries of the analysis pages, one module per page."""
