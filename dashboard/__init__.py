"""Territorial dashboard of the « Présent pour les élus » operation (Plotly Dash)."""
