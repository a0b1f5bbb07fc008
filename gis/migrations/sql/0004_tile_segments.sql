-- Vector tiles for operators' users: their segments in a tile's area through the GiST index.
-- Under row-level security PostgreSQL may not use the GiST index for `geom && area` (PostGIS
-- operators are not LEAKPROOF, so they may not run before the policy's check): an operator's
-- tile would scan the operator's whole network (150 ms at 1,000,000 segments, at any zoom).
-- This function runs as the tables' owner and applies the same rule as the policy
-- operator_scope of cable_segments (operator_id = telecom_gis_operator_scope()) itself; with
-- no operator scope it returns nothing. Only telecom_gis_operator may call it.
CREATE FUNCTION tile_segments(area geometry) RETURNS SETOF cable_segments
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT * FROM cable_segments s
   WHERE s.geom && area AND s.operator_id = telecom_gis_operator_scope()
$$;
REVOKE ALL ON FUNCTION tile_segments(geometry) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tile_segments(geometry) TO telecom_gis_operator;
