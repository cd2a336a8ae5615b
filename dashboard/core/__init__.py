"""Shared services of every page: sign-in, access, address state, warehouse, components."""
