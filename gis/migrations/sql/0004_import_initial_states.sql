-- telecom-gis 0004: a new segment's first history row no longer makes segment_states_apply
-- look the segment up again.
-- cable_segments_initial_state writes each new segment's first history row from the segment's
-- own columns, so that row is the segment's only state and already equals its current columns:
-- the UPDATE of segment_states_apply found nothing to change, but probed the history and the
-- segment once per row (18 s of a 1,000,000-row import). The initial-state trigger now marks
-- its insert (transaction-local setting telecom_gis.initial_states, undone by any rollback) and
-- the apply trigger keeps only its checks for it. Other history rows are applied as before.

CREATE OR REPLACE FUNCTION cable_segments_initial_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('telecom_gis.initial_states', 'on', true);
  INSERT INTO segment_states (segment_id, effective_date, placement, placement_kind, tidied,
                              lifecycle, source, note)
  SELECT n.id, n.state_since, n.placement, n.placement_kind, n.tidied, n.lifecycle, n.source,
         'initial state'
    FROM new_segments n;
  PERFORM set_config('telecom_gis.initial_states', 'off', true);
  RETURN NULL;
END
$$;

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
  IF coalesce(current_setting('telecom_gis.initial_states', true), '') = 'on' THEN
    RETURN NULL;  -- first rows of new segments: equal to their current columns already
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
