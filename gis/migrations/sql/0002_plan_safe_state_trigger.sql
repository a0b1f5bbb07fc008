-- telecom-gis 0002: the history trigger plans its UPDATE afresh on every statement.
-- In 0001 PL/pgSQL cached the plan of segment_states_apply's UPDATE per connection; a plan made
-- while the tables' statistics said "0 rows" (after a rolled-back or deleted bulk load) was a
-- nested loop re-scanning segment_states for every segment, and a 200,000-row import ran for
-- tens of minutes. EXECUTE plans each run with the current statistics, and the latest state
-- per segment is found through the (segment_id, effective_date DESC, id DESC) index.

CREATE OR REPLACE FUNCTION segment_states_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT segment_id, effective_date INTO bad FROM new_states
   WHERE effective_date > current_date LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'segment %: state dated % is in the future; record changes when they happen (plans go in undergrounding_plans)',
      bad.segment_id, bad.effective_date USING ERRCODE = 'check_violation';
  END IF;
  PERFORM set_config('telecom_gis.applying_state', 'on', true);
  EXECUTE $sql$
    UPDATE cable_segments s
       SET placement = l.placement, placement_kind = l.placement_kind, tidied = l.tidied,
           lifecycle = l.lifecycle, state_since = l.effective_date
      FROM (SELECT DISTINCT segment_id FROM new_states) n
      CROSS JOIN LATERAL (
        SELECT st.placement, st.placement_kind, st.tidied, st.lifecycle, st.effective_date
          FROM segment_states st
         WHERE st.segment_id = n.segment_id
         ORDER BY st.effective_date DESC, st.id DESC
         LIMIT 1) l
     WHERE s.id = n.segment_id
       AND (s.placement, s.placement_kind, s.tidied, s.lifecycle, s.state_since)
           IS DISTINCT FROM (l.placement, l.placement_kind, l.tidied, l.lifecycle, l.effective_date)
  $sql$;
  PERFORM set_config('telecom_gis.applying_state', 'off', true);
  RETURN NULL;
END
$$;
