"""OGC API - Features for GIS clients (QGIS, GDAL's OAPIF driver, OWSLib): Part 1 Core with
GeoJSON and OpenAPI 3.0, Part 2 CRS (CRS84, EPSG:4326, EPSG:9209) and Part 3 filtering with
CQL2 text.

Modules: :mod:`~gis.ogc.crs` (the CRSs and their axis order), :mod:`~gis.ogc.collections` (the
six collections and their queryable properties), :mod:`~gis.ogc.params` (items parameters),
:mod:`~gis.ogc.cql2` (CQL2 text to SQL with bound parameters), :mod:`~gis.ogc.items` (the
FeatureCollection built by PostgreSQL in one statement), :mod:`~gis.ogc.documents` (landing
page, conformance, collections, queryables) and :mod:`~gis.ogc.openapi` (the OpenAPI 3.0 document).
Bad input raises :func:`gis.errors.invalid` naming the query parameter (``bbox``, ``filter`` ...).
"""
