"""Alembic migrations of the telecom-gis schema (run them with `telecom-gis db upgrade`)."""
