"""HTTP API of telecom-gis (FastAPI). Depends on ``gis``; holds no domain logic."""
