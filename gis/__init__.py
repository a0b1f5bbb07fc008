"""telecom-gis core: the cable network in PostGIS, its history, importers and spatial rules.

No web framework is imported here; ``api`` and ``maps`` depend on this package, never the reverse.
"""
