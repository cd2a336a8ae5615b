"""Dash-free analytics shared by the dashboard, the command line and the notebooks: the presence
model (and, next, the recommendation engine)."""
