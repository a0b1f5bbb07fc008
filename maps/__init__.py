"""Progress maps, viewer and dashboards of telecom-gis (folium). Depends on ``gis``."""
